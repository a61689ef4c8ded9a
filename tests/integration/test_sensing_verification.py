"""Verification (核实) of sensing events, on SQLite and PostgreSQL (issue 18, part 5): the grid worker
confirms and the event group becomes one work order with the photos, the evidence and the note —
merged into a citizen's 12345 order about the same bin at the same spot; a false alarm or a gone
matter makes no order; answers are idempotent by the phone's submission id; only the task's worker,
a worker of its grid or a dispatcher above its village may answer; a late task is escalated to
the village, reassigned, and late again goes to the town.

The world of tests/sensing_support.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.sensing_support import (
    BIN_POINT,
    JPEG,
    PNG,
    SensingWorld,
    add_device,
    add_event,
    seed_sensing_world,
)
from tests.support import TEST_ADMIN, TEST_SYSTEM

from zhiyun.bootstrap import Services
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.sensing_alarms import EventStatus, VerificationAnswer, VerificationStatus
from zhiyun.domain.workorder import OrderStatus
from zhiyun.sensing.alarm_tables import VerificationRow
from zhiyun.sensing.verification_jobs import escalate_late_tasks
from zhiyun.store.tables import AttachmentRow, WorkOrderRow


@pytest.fixture
def world(services: Services) -> SensingWorld:
    return seed_sensing_world(services)


def raised(world: SensingWorld, device: str = "CAM-XB-0001") -> tuple[int, int]:
    """A 垃圾满溢 event of a camera in 夏北's grid 001 raised: (event id, task id)."""
    event = world.raise_event(add_event(world, add_device(world, device)))
    with world.services.db.reading() as session:
        task = session.scalar(select(VerificationRow.id).where(VerificationRow.event_id == event.id))
    assert task is not None
    return event.id, task


def order(world: SensingWorld, order_id: int | None) -> WorkOrderRow:
    with world.services.db.reading() as session:
        row = session.get(WorkOrderRow, order_id)
        assert row is not None
        session.expunge(row)
        return row


def attachments(world: SensingWorld, order_id: int) -> list[str]:
    with world.services.db.reading() as session:
        return sorted(
            session.scalars(select(AttachmentRow.filename).where(AttachmentRow.order_id == order_id))
        )


def test_the_worker_sees_the_task_with_its_scene_device_address_and_evidence(world: SensingWorld) -> None:
    event_id, task_id = raised(world)
    [task] = world.verification().mine(world.worker)
    assert (task.id, task.event_id, task.scene_name, task.device_code, task.address) == (
        task_id,
        event_id,
        "垃圾满溢",
        "CAM-XB-0001",
        "夏北路1号",
    )
    assert (task.latitude, task.longitude) == BIN_POINT and len(task.evidence_ids) == 1 and not task.overdue
    assert world.verification().mine(world.other) == []
    late = world.verification(datetime.now(UTC) + timedelta(hours=1)).mine(world.worker)
    assert late[0].overdue
    with pytest.raises(PermissionDenied):
        world.verification().mine(world.village)


def test_a_confirmed_task_becomes_one_order_with_the_photo_the_evidence_and_the_note(
    world: SensingWorld,
) -> None:
    event_id, task_id = raised(world)
    result = world.verification().answer(
        world.worker,
        task_id,
        VerificationAnswer.CONFIRMED,
        "垃圾溢出桶外约两平方米",
        [("现场.png", PNG)],
        "sub-0001",
    )
    assert result.created and result.order is not None and result.order.created
    assert result.task.status is VerificationStatus.CONFIRMED
    event = world.event(event_id)
    assert (event.status, event.order_id) == (EventStatus.ORDERED.value, result.order.order_id)
    row = order(world, event.order_id)
    assert (row.channel, row.external_id, row.category_code) == ("iot", f"EV{event_id}", "CG0101")
    assert "核实：垃圾溢出桶外约两平方米" in row.content
    assert attachments(world, row.id) == ["bin.jpg", "现场.png"]
    assert world.verification().mine(world.worker) == []


def test_a_camera_event_confirmed_after_a_citizens_call_about_the_same_bin_merges_into_that_order(
    world: SensingWorld,
) -> None:
    services = world.services
    key = services.channels.issue_key(TEST_ADMIN, "12345").key
    citizen = services.intake.receive(
        "12345",
        {
            "call_id": "C-BIN-1",
            "caller_number": "13812345678",
            "call_time": datetime.now(UTC).isoformat(),
            "agent_id": "A0417",
            "content": "夏北路1号的垃圾桶满溢了，垃圾满溢到地上没人清理，很臭。",
            "lat": BIN_POINT[0],
            "lon": BIN_POINT[1],
            "coord_system": "wgs84",
        },
        key=key,
    ).order
    _, task_id = raised(world)
    result = world.verification().answer(
        world.worker, task_id, VerificationAnswer.CONFIRMED, "", [("现场.jpg", JPEG)], "sub-merge-1"
    )
    assert result.order is not None
    # the duplicate check of every channel: one case, the citizen's order its master
    assert result.order.duplicate_of == citizen.number
    sensing = order(world, result.order.order_id)
    assert (sensing.status, sensing.master_id, sensing.channel) == (
        OrderStatus.MERGED.value,
        citizen.id,
        "iot",
    )
    assert attachments(world, sensing.id) == ["bin.jpg", "现场.jpg"]


def test_a_false_alarm_or_a_gone_matter_settles_the_group_and_makes_no_order(world: SensingWorld) -> None:
    lead_id, task_id = raised(world)
    second = add_device(world, "CAM-XB-0002", name="夏北路口2号摄像机")
    member = world.raise_event(add_event(world, second, group_id=lead_id))
    assert member.status == EventStatus.VERIFYING.value
    world.verification().answer(
        world.worker, task_id, VerificationAnswer.FALSE_ALARM, "只是纸箱", [], "sub-fa-01"
    )
    assert world.event(lead_id).status == world.event(member.id).status == EventStatus.FALSE_ALARM.value
    gone_event, gone_task = raised(world, "CAM-XB-0009")
    world.verification().answer(world.worker, gone_task, VerificationAnswer.GONE, "", [], "sub-gone-1")
    assert world.event(gone_event).status == EventStatus.GONE.value
    with world.services.db.reading() as session:
        assert session.scalars(select(WorkOrderRow.id)).first() is None


def test_an_answer_is_idempotent_by_its_submission_id(world: SensingWorld) -> None:
    _, task_id = raised(world)
    verification = world.verification()
    first = verification.answer(world.worker, task_id, VerificationAnswer.CONFIRMED, "", [], "sub-retry-1")
    again = verification.answer(world.worker, task_id, VerificationAnswer.CONFIRMED, "", [], "sub-retry-1")
    assert (again.created, again.task.id, again.task.order_id) == (False, task_id, first.task.order_id)
    with pytest.raises(Conflict):  # answered already, by another submission
        verification.answer(world.worker, task_id, VerificationAnswer.GONE, "", [], "sub-retry-2")
    with world.services.db.reading() as session:
        assert len(session.scalars(select(WorkOrderRow.id)).all()) == 1


def test_only_the_grids_worker_or_a_dispatcher_above_its_village_may_answer(world: SensingWorld) -> None:
    _, task_id = raised(world)
    verification = world.verification()
    town2 = world.district.actors["town2"]  # 大沥镇's dispatcher
    for stranger in (world.other, world.neighbour, town2):  # 平南's worker, 夏北's grid 002, another town
        with pytest.raises(NotFound):
            verification.answer(
                stranger, task_id, VerificationAnswer.FALSE_ALARM, "", [], f"sub-x-{stranger.user_id:04d}"
            )
    with pytest.raises(PermissionDenied):
        verification.answer(
            world.district.actors["xiabei"], task_id, VerificationAnswer.GONE, "", [], "sub-h-0001"
        )
    assert world.verification().mine(world.worker)[0].status is VerificationStatus.PENDING
    done = verification.answer(
        world.village, task_id, VerificationAnswer.GONE, "调度员电话确认", [], "sub-d-0001"
    )
    assert done.task.status is VerificationStatus.GONE


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_answered(world: SensingWorld) -> None:
    _, task_id = raised(world)
    for name, data in (("x.jpg", b"MZ\x90\x00" + b"\x00" * 200), ("x.jpg", b"<script>alert(1)</script>")):
        with pytest.raises(ValidationFailed):
            world.verification().answer(
                world.worker, task_id, VerificationAnswer.CONFIRMED, "", [(name, data)], "sub-p-0001"
            )
    assert world.verification().mine(world.worker)[0].status is VerificationStatus.PENDING


def test_a_late_task_goes_to_the_village_then_after_a_reassignment_late_again_to_the_town(
    world: SensingWorld,
) -> None:
    _, task_id = raised(world)
    start = datetime.now(UTC)
    in_time = world.verification(start + timedelta(minutes=10))
    assert in_time.escalate_due(TEST_SYSTEM) == 0 and in_time.pending_for_unit(world.village) == []
    late = world.verification(start + timedelta(minutes=31))
    assert late.escalate_due(TEST_SYSTEM) == 1 and late.escalate_due(TEST_SYSTEM) == 0  # once
    [listed] = late.pending_for_unit(world.village)
    assert (listed.id, listed.escalated_to, listed.overdue) == (task_id, world.units["GC-XB"], True)
    assert [t.id for t in late.pending_for_unit(world.district.actors["town"])] == [task_id]
    assert late.pending_for_unit(world.district.actors["town2"]) == []
    with pytest.raises(ValidationFailed):  # 平南's worker is not of the village
        late.reassign(world.village, task_id, world.other.user_id or 0)
    with pytest.raises(NotFound):
        late.reassign(world.district.actors["town2"], task_id, world.neighbour.user_id or 0)
    moved = late.reassign(world.village, task_id, world.neighbour.user_id or 0)
    assert moved.worker_id == world.neighbour.user_id and not moved.overdue
    assert [t.id for t in late.mine(world.neighbour)] == [task_id]
    later = world.verification(start + timedelta(minutes=31 + 31))
    assert later.escalate_due(TEST_SYSTEM) == 1
    assert later.pending_for_unit(world.village)[0].escalated_to == world.units["GC"]


def test_a_notice_of_a_severe_event_is_answered_on_the_spot(world: SensingWorld) -> None:
    gas = add_device(world, "GAS-XB-0001", name="夏北市场燃气探测器", kind="iot")
    event = world.raise_event(add_event(world, gas, "IOT-01"))
    [notice] = world.verification().mine(world.worker)
    assert notice.kind == "notice" and notice.order_id == event.order_id
    with pytest.raises(ValidationFailed):
        world.verification().answer(
            world.worker, notice.id, VerificationAnswer.FALSE_ALARM, "", [], "sub-n-0001"
        )
    done = world.verification().answer(
        world.worker, notice.id, VerificationAnswer.CONFIRMED, "已关阀", [], "sub-n-0002"
    )
    assert done.task.status is VerificationStatus.CONFIRMED and done.order is None
    assert world.event(event.id).status == EventStatus.ORDERED.value


def test_a_town_dispatcher_confirms_a_late_task_and_registers_the_order_at_the_village(
    world: SensingWorld,
) -> None:
    event_id, task_id = raised(world)
    town = world.district.actors["town"]
    done = world.verification().answer(
        town, task_id, VerificationAnswer.CONFIRMED, "电话核实属实", [], "sub-town-01"
    )
    assert done.order is not None and done.task.status is VerificationStatus.CONFIRMED
    row = order(world, done.order.order_id)
    assert (row.village_unit_id, row.channel) == (world.units["GC-XB"], "iot")
    assert world.event(event_id).status == EventStatus.ORDERED.value


def test_a_confirmed_group_is_one_order_for_every_event_waiting_on_its_task(world: SensingWorld) -> None:
    lead_id, task_id = raised(world)
    second = add_device(world, "CAM-XB-0002", name="夏北路口2号摄像机")
    member = world.raise_event(add_event(world, second, group_id=lead_id))
    done = world.verification().answer(
        world.worker, task_id, VerificationAnswer.CONFIRMED, "", [], "sub-group-1"
    )
    assert done.order is not None
    assert world.event(lead_id).order_id == world.event(member.id).order_id == done.order.order_id
    assert world.event(member.id).status == EventStatus.ORDERED.value
    third = add_device(world, "CAM-XB-0003", name="夏北路口3号摄像机")
    late_joiner = world.raise_event(add_event(world, third, group_id=lead_id))  # after the order: joins it
    assert (late_joiner.status, late_joiner.order_id) == (EventStatus.ORDERED.value, done.order.order_id)
    with world.services.db.reading() as session:
        assert len(session.scalars(select(WorkOrderRow.id)).all()) == 1


def test_the_workers_job_escalates_a_task_past_its_due_time(world: SensingWorld) -> None:
    _, task_id = raised(world)
    with world.services.db.transaction() as session:
        task = session.get(VerificationRow, task_id)
        assert task is not None
        task.due_at = datetime.now(UTC) - timedelta(minutes=1)
    assert escalate_late_tasks(world.services) is True
    [listed] = world.verification().pending_for_unit(world.village)
    assert (listed.id, listed.escalated_to) == (task_id, world.units["GC-XB"])
