"""The alarm pipeline on SQLite and PostgreSQL (issue 18, part 4): every alarm stored once with its
outcome; repeats of a scene from one device within its window fold into one event, decided
serially per device so that concurrency never makes two; nearby devices' events of one scene
are one group with one check; quiet hours suppress; a severe alarm is an urgent order at once.

The world of tests/sensing_support.py (夏北社区's grids, its grid workers, the default catalogue)."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.sensing_support import BIN_POINT, JPEG, XB1, SensingWorld, add_device, seed_sensing_world
from tests.support import PASSWORD, TEST_ADMIN

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.sensing_alarms import AlarmOutcome, EventStatus
from zhiyun.domain.workorder import Urgency
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.sensing.alarm_schema import parse_alarm
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, EvidenceRow, VerificationRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.pipeline import AlarmPipeline, AlarmReceipt, Received
from zhiyun.store.tables import WorkOrderRow


@pytest.fixture
def world(services: Services) -> SensingWorld:
    return seed_sensing_world(services)


def alarm(alarm_id: str, device: str, scene: str, at: datetime, score: float = 0.9, **more: Any) -> Received:
    body: dict[str, Any] = {
        "alarm_id": alarm_id,
        "device_id": device,
        "scene": scene,
        "at": at.isoformat(),
        "score": score,
        **more,
    }
    return Received(parse_alarm(body), "mqtt", datetime.now(UTC))


def take(world: SensingWorld, *alarms: Received, strict: bool = False) -> list[AlarmReceipt]:
    return world.services.get(AlarmPipeline).take(list(alarms), strict=strict)


def events(world: SensingWorld) -> list[EventRow]:
    with world.services.db.reading() as session:
        rows = list(session.scalars(select(EventRow).order_by(EventRow.id)))
        for r in rows:
            session.expunge(r)
        return rows


def count(world: SensingWorld, table: type) -> int:
    with world.services.db.reading() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_repeats_of_a_scene_from_one_device_within_its_window_fold_into_one_event(
    world: SensingWorld,
) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    receipts = take(
        world, *(alarm(f"A{i}", "CAM-1", "CAM-08", now - timedelta(minutes=10 - i)) for i in range(5))
    )
    assert [r.outcome for r in receipts] == [AlarmOutcome.OPENED] + [AlarmOutcome.FOLDED] * 4
    (event,) = events(world)
    assert (event.count, event.status) == (5, EventStatus.WATCHING.value)  # seen 4 minutes: not yet 15
    assert event.last_seen - event.first_seen == timedelta(minutes=4)
    assert {r.event_id for r in receipts} == {event.id}
    assert event.best_alarm_id is not None


def test_an_event_seen_long_enough_is_raised_once_into_one_verification_task(world: SensingWorld) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    take(world, alarm("A1", "CAM-1", "CAM-08", now - timedelta(minutes=20)))
    take(world, alarm("A2", "CAM-1", "CAM-08", now - timedelta(minutes=4)))  # 16 minutes after the first
    take(world, alarm("A3", "CAM-1", "CAM-08", now - timedelta(minutes=2)))
    (event,) = events(world)
    assert (event.count, event.status) == (3, EventStatus.VERIFYING.value)
    assert count(world, VerificationRow) == 1


def test_the_same_alarm_id_again_is_stored_once_and_its_receipt_says_so(world: SensingWorld) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    first = take(world, alarm("SAME-1", "CAM-1", "CAM-08", now))
    again = take(world, alarm("SAME-1", "CAM-1", "CAM-08", now), alarm("SAME-1", "CAM-1", "CAM-08", now))
    assert first[0].created and not again[0].created and not again[1].created
    assert again[0].event_id == first[0].event_id
    assert count(world, AlarmRow) == 1
    assert events(world)[0].count == 1


def test_an_alarm_below_its_threshold_or_the_device_override_is_kept_without_an_event(
    world: SensingWorld,
) -> None:
    device_id = add_device(world, "CAM-1")
    with world.services.db.transaction() as session:
        row = session.get(DeviceRow, device_id)
        assert row is not None
        row.thresholds = {"CAM-08": 0.95}
    now = datetime.now(UTC)
    (receipt,) = take(world, alarm("LOW-1", "CAM-1", "CAM-08", now, score=0.9))
    assert receipt.outcome is AlarmOutcome.BELOW_THRESHOLD and receipt.event_id is None
    assert count(world, AlarmRow) == 1 and events(world) == []


def test_alarms_of_unknown_devices_and_scenes_are_kept_with_their_outcome(world: SensingWorld) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    receipts = take(
        world,
        alarm("U-1", "CAM-NOBODY", "CAM-08", now),
        alarm("U-2", "CAM-1", "CAM-99", now),
        alarm("U-3", "CAM-1", "IOT-01", now),  # a gas scene on a camera that does not run it
    )
    assert [r.outcome for r in receipts] == [
        AlarmOutcome.UNKNOWN_DEVICE,
        AlarmOutcome.UNKNOWN_SCENE,
        AlarmOutcome.NOT_RUN,
    ]
    assert count(world, AlarmRow) == 3 and events(world) == []


def test_an_alarm_in_the_scene_allowed_hours_is_suppressed(world: SensingWorld) -> None:
    add_device(world, "CAM-1")
    today = datetime.now(LOCAL_TZ)
    market = today.replace(hour=7, minute=30, second=0, microsecond=0)  # 占道经营 is allowed 06:00–09:00
    if market > today:
        market -= timedelta(days=1)
    (receipt,) = take(world, alarm("M-1", "CAM-1", "CAM-04", market))
    assert receipt.outcome is AlarmOutcome.SUPPRESSED and events(world) == []


def test_an_alarm_after_the_window_opens_a_new_event_and_the_old_one_takes_no_more(
    world: SensingWorld,
) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    take(world, alarm("W-1", "CAM-1", "CAM-12", now - timedelta(minutes=40)))  # 电动车进楼: window 30 minutes
    take(world, alarm("W-2", "CAM-1", "CAM-12", now))
    first, second = events(world)
    assert first.open_key is None and second.open_key is not None
    assert first.status == second.status == EventStatus.VERIFYING.value  # raised at once, each
    assert count(world, VerificationRow) == 2


def test_nearby_devices_seeing_one_scene_make_one_group_with_one_check(world: SensingWorld) -> None:
    lat, lon = BIN_POINT
    add_device(world, "CAM-1", point=(lat, lon))
    add_device(world, "CAM-2", point=(lat + 0.0001, lon))  # about 11 m north (电动车进楼 groups within 20 m)
    add_device(world, "CAM-3", point=(lat + 0.004, lon))  # about 440 m north: its own
    now = datetime.now(UTC)
    take(world, *(alarm(f"G-{d}", d, "CAM-12", now) for d in ("CAM-1", "CAM-2", "CAM-3")))
    one, two, three = events(world)
    assert two.group_id == one.id and one.group_id is None and three.group_id is None
    assert count(world, VerificationRow) == 2  # the group's, and the far device's


def test_a_new_event_groups_with_an_event_the_same_batch_has_just_seen_again(world: SensingWorld) -> None:
    lat, lon = BIN_POINT
    add_device(world, "CAM-1", point=(lat, lon))
    add_device(world, "CAM-2", point=(lat + 0.0001, lon))
    now = datetime.now(UTC)
    take(world, alarm("S-1", "CAM-1", "CAM-12", now - timedelta(minutes=35)))  # stored: seen 35 minutes ago
    # one batch: CAM-1 seen again 6 minutes ago (within 电动车进楼's 30-minute window of its last),
    # then CAM-2 now, 11 m away: the first event is live as the batch left it, not as stored
    take(
        world,
        alarm("S-2", "CAM-1", "CAM-12", now - timedelta(minutes=6)),
        alarm("S-3", "CAM-2", "CAM-12", now),
    )
    first, second = events(world)
    assert first.count == 2 and first.last_seen == now - timedelta(minutes=6)
    assert second.group_id == first.id
    assert count(world, VerificationRow) == 1  # the group's one check


def test_a_batch_writes_its_events_and_alarms_with_ids_that_follow_rows_written_in_between(
    world: SensingWorld,
) -> None:
    add_device(world, "CAM-1")
    add_device(world, "CAM-2")
    now = datetime.now(UTC)
    first = take(world, alarm("I-1", "CAM-1", "CAM-08", now - timedelta(minutes=2)))
    with world.services.db.transaction() as session:  # a row written by someone else meanwhile
        device = session.scalars(select(DeviceRow).where(DeviceRow.code == "CAM-2")).one()
        other = EventRow(
            device_id=device.id,
            scene_code="CAM-08",
            scene_version=1,
            status=EventStatus.LAPSED.value,
            count=1,
            first_seen=now,
            last_seen=now,
            best_score=0.9,
            first_alarm_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(other)
        session.flush()
        other_id = other.id
    second = take(
        world,
        alarm("I-2", "CAM-2", "CAM-08", now - timedelta(minutes=1)),
        alarm("I-3", "CAM-1", "CAM-08", now),
    )
    assert first[0].event_id is not None and second[0].event_id is not None
    assert first[0].event_id < other_id < second[0].event_id
    assert second[1].event_id == first[0].event_id  # folded into the first
    with world.services.db.reading() as session:
        rows: dict[str, int] = dict(session.execute(select(AlarmRow.alarm_id, AlarmRow.id)).all())
        best = session.get(EventRow, second[0].event_id)
        assert best is not None and best.best_alarm_id == rows["I-2"]
    assert len(set(rows.values())) == 3 and rows["I-1"] < rows["I-2"] < rows["I-3"]


def test_checks_raised_together_go_to_the_grid_worker_who_owes_fewest_each_time(world: SensingWorld) -> None:
    services = world.services
    services.accounts.add_user(
        TEST_ADMIN, username="gc_grid3", password=PASSWORD, role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    services.get(GridWorkerService).add_posts(
        TEST_ADMIN, [NewPost("gc_grid3", "GC-XB", WorkerKind.FULL_TIME, XB1)]
    )
    lat, lon = BIN_POINT
    for n in range(4):  # four cameras of 夏北 grid 001, 110 m apart: four events, no group
        add_device(world, f"CAM-{n}", point=(lat + 0.001 * n, lon))
    now = datetime.now(UTC)
    take(world, *(alarm(f"T-{n}", f"CAM-{n}", "CAM-12", now) for n in range(4)))  # raised in one turn
    with services.db.reading() as session:
        owed = dict(
            session.execute(
                select(VerificationRow.worker_id, func.count()).group_by(VerificationRow.worker_id)
            ).all()
        )
    assert sorted(owed.values()) == [2, 2] and world.worker.user_id in owed


def test_a_severe_alarm_registers_an_urgent_order_at_once_and_tells_the_nearest_grid_worker(
    world: SensingWorld,
) -> None:
    add_device(world, "GAS-1", kind="iot", name="夏北餐馆燃气探测器")
    (receipt,) = take(
        world, alarm("GAS-ALARM-1", "GAS-1", "IOT-01", datetime.now(UTC), value=18.0, limit=10.0)
    )
    assert receipt.event_status is EventStatus.ORDERED
    (event,) = events(world)
    with world.services.db.reading() as session:
        order = session.get(WorkOrderRow, event.order_id)
        assert order is not None and order.urgency == Urgency.URGENT.value and order.channel == "iot"
        notice = session.scalars(select(VerificationRow)).one()
        assert notice.kind == "notice" and notice.worker_id == world.worker.user_id


def test_alarms_of_one_device_taken_at_once_make_one_event(world: SensingWorld) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    pipeline = world.services.get(AlarmPipeline)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def burst(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                pipeline.take([alarm(f"C-{n}-{i}", "CAM-1", "CAM-08", now - timedelta(seconds=n * 10 + i))])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    (event,) = events(world)
    assert event.count == 20 and count(world, AlarmRow) == 20


def test_evidence_is_stored_by_content_and_a_bad_image_is_refused_on_the_webhook_and_dropped_on_mqtt(
    world: SensingWorld,
) -> None:
    add_device(world, "CAM-1")
    now = datetime.now(UTC)
    good = {"filename": "snap.jpg", "content_base64": base64.b64encode(JPEG).decode()}
    bad = {"filename": "snap.jpg", "content_base64": base64.b64encode(b"MZ\x90\x00 not an image").decode()}
    take(world, alarm("E-1", "CAM-1", "CAM-08", now, evidence=[good]))
    with pytest.raises(ValidationFailed, match="证据图"):
        take(world, alarm("E-2", "CAM-1", "CAM-08", now, evidence=[bad]), strict=True)
    assert count(world, AlarmRow) == 1  # nothing of the refused call
    take(world, alarm("E-3", "CAM-1", "CAM-08", now, evidence=[bad]))
    with world.services.db.reading() as session:
        evidence = session.scalars(select(EvidenceRow)).one()
        assert evidence.content_type == "image/jpeg" and evidence.sha256
        kept = session.scalars(select(AlarmRow).where(AlarmRow.alarm_id == "E-3")).one()
        assert kept.payload["evidence_refused"] and count(world, AlarmRow) == 2


def test_an_alarm_is_the_device_being_heard_from_and_ends_its_silence(world: SensingWorld) -> None:
    device_id = add_device(world, "CAM-1")
    now = datetime.now(UTC)
    take(world, alarm("H-1", "CAM-1", "CAM-08", now - timedelta(minutes=5)))
    with world.services.db.reading() as session:
        device = session.get(DeviceRow, device_id)
        assert device is not None and device.last_seen_at == now - timedelta(minutes=5)


def test_storing_marks_an_event_due_and_raising_it_twice_at_once_raises_it_once(world: SensingWorld) -> None:
    add_device(world, "CAM-1")
    pipeline = world.services.get(AlarmPipeline)
    receipts, due = pipeline.store([alarm("D-1", "CAM-1", "CAM-12", datetime.now(UTC))])
    (event,) = events(world)
    assert due == [event.id] and receipts[0].event_status is EventStatus.WATCHING
    assert event.raise_due_at is not None and count(world, VerificationRow) == 0
    start = threading.Barrier(3)
    raised: list[int] = []

    def raise_it() -> None:
        start.wait()
        raised.append(pipeline.raise_due(due))

    threads = [threading.Thread(target=raise_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(raised) == [0, 0, 1]
    (event,) = events(world)
    assert event.status == EventStatus.VERIFYING.value and event.raise_due_at is None
    assert count(world, VerificationRow) == 1


def test_the_worker_raises_an_event_left_due_for_a_minute(world: SensingWorld) -> None:
    from zhiyun.sensing.pipeline import raise_late_events

    add_device(world, "CAM-1")
    pipeline = world.services.get(AlarmPipeline)
    _, due = pipeline.store([alarm("L-1", "CAM-1", "CAM-12", datetime.now(UTC))])
    raise_late_events(world.services)  # due for less than a minute: the consumer's to raise
    assert events(world)[0].status == EventStatus.WATCHING.value
    with world.services.db.transaction() as session:
        row = session.get(EventRow, due[0])
        assert row is not None and row.raise_due_at is not None
        row.raise_due_at -= timedelta(minutes=2)
    raise_late_events(world.services)
    assert events(world)[0].status == EventStatus.VERIFYING.value
