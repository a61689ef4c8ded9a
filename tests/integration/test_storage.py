"""Storage guarantees of work orders, on SQLite and on PostgreSQL.

The audit trail is append-only in the database itself; order numbers are readable,
unique and rising within a day even under concurrent registration; a channel's
external id yields one order however often it arrives; lists are scoped to the reader
and paginate without losing or repeating orders; cached reference data follows admin
changes; timestamps come back as aware UTC instants.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, StatementError
from tests.support import TEST_ADMIN, District, build_small_district

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import local_midnight
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Dispatch, OrderType, Return, Sign, Urgency
from zhiyun.intake.repo import intake_companions
from zhiyun.orders.repo import CompanionRow
from zhiyun.orders.service import NewOrder
from zhiyun.reference import cache as reference_module
from zhiyun.store.db import Database
from zhiyun.store.tables import DedupeSignatureRow, IntakeRecordRow, TransitionRow, WorkOrderRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER_RE = re.compile(r"^NH(\d{8})(\d{4,})$")
T = TypeVar("T")


class FakeClock:
    """A clock the test sets by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def local(*args: int) -> datetime:
    """An aware instant from a local (Asia/Shanghai) wall-clock time."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(2026, 11, 26, 10, 0))  # a Thursday


@pytest.fixture
def timed(database: Database, settings: Settings, clock: FakeClock) -> Services:
    """Services whose clock the test controls."""
    return build_services(database, settings, clock=clock)


def new_order(i: int = 0, **kw: object) -> NewOrder:
    fields: dict[str, object] = {"title": f"路灯不亮 {i}", "content": f"夏北路 {i} 号路灯不亮"}
    fields.update(kw)
    return NewOrder(**fields)  # type: ignore[arg-type]


def run_at_once(calls: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run each call in its own thread, all released together; results (or errors) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[T | BaseException | None] = [None] * len(calls)

    def worker(k: int) -> None:
        barrier.wait()
        try:
            results[k] = calls[k]()
        except BaseException as exc:
            results[k] = exc

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results  # type: ignore[return-value]


# --------------------------------------------------------------------------- audit trail


def test_the_audit_trail_refuses_update_and_delete_in_the_database(services: Services) -> None:
    district = build_small_district(services)
    oid = services.orders.register(district.actors["district"], new_order()).order.summary.id
    db = services.db

    for statement in (
        "UPDATE transition SET note = 'rewritten'",
        "DELETE FROM transition",
        f"DELETE FROM transition WHERE order_id = {oid}",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))

    with db.reading() as session:
        rows = session.execute(
            select(TransitionRow.action, TransitionRow.note).where(TransitionRow.order_id == oid)
        ).all()
    assert [tuple(r) for r in rows] == [("register", "")]


def test_the_audit_trail_still_accepts_new_entries(services: Services) -> None:
    district = build_small_district(services)
    a = district.actors
    oid = services.orders.register(a["district"], new_order()).order.summary.id
    services.orders.act(a["district"], oid, Dispatch(target_unit_id=district.units["GC"]))
    assert [t.action for t in services.orders.transitions(a["district"], oid)] == ["register", "dispatch"]


# --------------------------------------------------------------------------- numbering


def test_order_numbers_are_readable_and_rise_within_a_local_day(timed: Services, clock: FakeClock) -> None:
    district = build_small_district(timed)
    actor = district.actors["district"]
    numbers = []
    for i in range(5):
        numbers.append(timed.orders.register(actor, new_order(i)).order.summary.number)
        clock.advance(minutes=1)
    parsed = [NUMBER_RE.match(n) for n in numbers]
    assert all(parsed), numbers
    assert {m.group(1) for m in parsed if m} == {"20261126"}
    assert [int(m.group(2)) for m in parsed if m] == [1, 2, 3, 4, 5]
    assert numbers == sorted(numbers)

    # 00:30 in Shanghai is still the previous day in UTC: the local date decides.
    clock.now = local(2026, 11, 27, 0, 30)
    next_day = timed.orders.register(actor, new_order(99)).order.summary.number
    assert next_day == "NH202611270001"


def test_order_numbers_stay_unique_when_eight_threads_register_at_once(timed: Services) -> None:
    services = timed  # a fixed clock: the test never straddles local midnight
    district = build_small_district(services)
    actor = district.actors["district"]
    per_thread = 5

    def register_some(k: int) -> list[str]:
        return [
            services.orders.register(actor, new_order(k * 100 + i)).order.summary.number
            for i in range(per_thread)
        ]

    results = run_at_once([lambda k=k: register_some(k) for k in range(8)])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    lists = [r for r in results if isinstance(r, list)]
    numbers = [n for ns in lists for n in ns]
    assert len(numbers) == len(set(numbers)) == 8 * per_thread
    assert {NUMBER_RE.match(n).group(1) for n in numbers} == {"20261126"}  # type: ignore[union-attr]
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, 8 * per_thread + 1))
    for ns in lists:  # each thread saw its own numbers rise
        assert ns == sorted(ns)


def test_ten_concurrent_registrations_of_one_external_id_make_one_order(services: Services) -> None:
    build_small_district(services)
    actor = Actor.system("12345 市长直通车接口")  # a channel's ids are registered by its interface
    order = new_order(channel="12345", external_id="GD12345-2026-000777")

    results = run_at_once([lambda: services.orders.register(actor, order) for _ in range(10)])

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    registered = [r for r in results if not isinstance(r, BaseException)]
    assert sum(r.created for r in registered) == 1
    assert len({r.order.summary.id for r in registered}) == 1
    assert len({r.order.summary.number for r in registered}) == 1
    with services.db.reading() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(WorkOrderRow)
            .where(WorkOrderRow.external_id == order.external_id)
        )
        trail = session.scalar(select(func.count()).select_from(TransitionRow))
    assert stored == 1
    assert trail == 1  # one register entry, nothing from the losers


def test_the_same_external_id_on_another_channel_is_another_order(services: Services) -> None:
    build_small_district(services)
    actor = Actor.system("渠道接口")
    first = services.orders.register(actor, new_order(channel="12345", external_id="E-1"))
    again = services.orders.register(actor, new_order(channel="12345", external_id="E-1"))
    other = services.orders.register(actor, new_order(channel="grid", external_id="E-1"))
    assert first.created and not again.created and other.created
    assert again.order.summary.id == first.order.summary.id != other.order.summary.id


# --------------------------------------------------------------------------- listing


def _all_pages(services: Services, actor: Actor, flt: OrderQuery, limit: int) -> list[int]:
    ids: list[int] = []
    cursor = None
    for _ in range(1000):
        page = services.worklists.page(actor, flt, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        ids.extend(item.id for item in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("pagination did not end")


def _expected_order(services: Services, ids: set[int]) -> list[int]:
    with services.db.reading() as session:
        rows = session.execute(
            select(WorkOrderRow.id, WorkOrderRow.registered_at).where(WorkOrderRow.id.in_(sorted(ids)))
        ).all()
    return [oid for oid, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]


def test_keyset_pages_return_every_order_once_newest_first(timed: Services, clock: FakeClock) -> None:
    district = build_small_district(timed)
    a = district.actors
    types = [OrderType.HELP, OrderType.COMPLAINT, OrderType.CONSULT]
    made: dict[int, OrderType] = {}
    for i in range(23):
        if i % 3 == 0:
            clock.advance(minutes=5)  # three orders share each registration instant: ties on id
        order = timed.orders.register(a["district"], new_order(i, order_type=types[i % 3]))
        made[order.order.summary.id] = types[i % 3]
    dispatched = sorted(made)[:6]
    for oid in dispatched:
        timed.orders.act(a["district"], oid, Dispatch(target_unit_id=district.units["GC"]))

    everything = _expected_order(timed, set(made))
    for limit in (1, 4, 7, 23, 50):
        assert _all_pages(timed, a["leader"], OrderQuery(), limit) == everything

    complaints = {oid for oid, t in made.items() if t is OrderType.COMPLAINT}
    flt = OrderQuery(order_type="complaint")
    assert _all_pages(timed, a["district"], flt, 3) == _expected_order(timed, complaints)
    assert timed.worklists.count(a["district"], flt) == len(complaints)

    flt = OrderQuery(statuses=("dispatched",), current_unit_id=district.units["GC"])
    assert _all_pages(timed, a["district"], flt, 4) == _expected_order(timed, set(dispatched))
    assert timed.worklists.count(a["district"], flt) == 6
    assert timed.worklists.count(a["district"], OrderQuery(statuses=("pending_dispatch",))) == 23 - 6

    flt = OrderQuery(text="路灯不亮 1")  # whole words: "1" is not "10"
    assert timed.worklists.count(a["leader"], flt) == 1
    assert len(_all_pages(timed, a["leader"], flt, 5)) == 1
    flt = OrderQuery(text="不亮")  # a word every title holds
    assert timed.worklists.count(a["leader"], flt) == 23
    assert len(_all_pages(timed, a["leader"], flt, 5)) == 23

    assert timed.worklists.count(a["leader"], OrderQuery(urgency="urgent")) == 0
    assert timed.worklists.page(a["leader"], OrderQuery(urgency="urgent")).items == []


def test_a_page_boundary_inside_a_tie_loses_nothing(timed: Services, clock: FakeClock) -> None:
    district = build_small_district(timed)
    actor = district.actors["district"]
    ids = {timed.orders.register(actor, new_order(i)).order.summary.id for i in range(9)}  # one instant
    pages = _all_pages(timed, actor, OrderQuery(), 2)
    assert pages == sorted(ids, reverse=True)


def test_bad_cursors_and_page_sizes_are_refused(services: Services) -> None:
    district = build_small_district(services)
    actor = district.actors["leader"]
    with pytest.raises(ValidationFailed):
        services.worklists.page(actor, OrderQuery(), cursor="not-a-cursor")
    for limit in (0, 501):
        with pytest.raises(ValidationFailed):
            services.worklists.page(actor, OrderQuery(), limit=limit)


# --------------------------------------------------------------------------- scoping


def _route(services: Services, district: District, *codes: str) -> int:
    """Register at the district and dispatch down `codes` (each signing, then dispatching on)."""
    a = district.actors
    oid = services.orders.register(a["district"], new_order(len(codes), title=">".join(codes) or "NH")).order
    order_id = oid.summary.id
    by_unit = {"GC": a["town"], "DL": a["town2"], "ZJJ": a["zjj"]}
    sender = a["district"]
    for code in codes:
        services.orders.act(sender, order_id, Dispatch(target_unit_id=district.units[code]))
        if code in by_unit:
            sender = by_unit[code]
            services.orders.act(sender, order_id, Sign())
    return order_id


def _listed(services: Services, actor: Actor) -> set[int]:
    ids = set(_all_pages(services, actor, OrderQuery(), 3))
    assert services.worklists.count(actor, OrderQuery()) == len(ids)
    return ids


def test_each_reader_lists_only_the_orders_of_their_scope(services: Services) -> None:
    district = build_small_district(services)
    a = district.actors
    xiabei = _route(services, district, "GC", "GC-XB")
    pingnan = _route(services, district, "GC", "GC-PN")
    office = _route(services, district, "GC", "GC-CG")
    yanbu = _route(services, district, "DL", "DL-YB")
    zjj = _route(services, district, "ZJJ", "ZJJ-ZF")
    at_district = _route(services, district)
    # an order that reached 夏北 and was returned stays in 夏北's list: it was there
    returned = _route(services, district, "GC", "GC-XB")
    services.orders.act(a["xiabei"], returned, Return(note="不属于本社区"))

    everything = {xiabei, pingnan, office, yanbu, zjj, at_district, returned}
    assert _listed(services, a["xiabei"]) == {xiabei, returned}
    assert _listed(services, a["pingnan"]) == {pingnan}
    assert _listed(services, a["yanbu"]) == {yanbu}
    assert _listed(services, a["town"]) == {xiabei, pingnan, office, returned}
    assert _listed(services, a["town2"]) == {yanbu}
    assert _listed(services, a["zjj"]) == {zjj}
    assert _listed(services, a["district"]) == everything
    assert _listed(services, a["leader"]) == everything
    assert _listed(services, a["inspector"]) == everything

    # by id, another unit's order is not found (404), not forbidden
    for actor, foreign in ((a["xiabei"], pingnan), (a["town2"], xiabei), (a["pingnan"], at_district)):
        with pytest.raises(NotFound):
            services.orders.get(actor, foreign)
        with pytest.raises(NotFound):
            services.orders.act(actor, foreign, Sign())


# --------------------------------------------------------------------------- reference cache


def test_a_new_time_limit_applies_to_the_next_dispatch(timed: Services, clock: FakeClock) -> None:
    district = build_small_district(timed)
    a = district.actors
    gc = district.units["GC"]
    before = timed.orders.register(a["district"], new_order(1, order_type=OrderType.HELP)).order.summary.id
    before_due = timed.orders.act(a["district"], before, Dispatch(target_unit_id=gc)).summary.reply_deadline
    assert before_due is not None

    timed.policy.set_time_limit(TEST_ADMIN, "help", "normal", (1, "workdays"), (3, "workdays"))

    after = timed.orders.register(a["district"], new_order(2, order_type=OrderType.HELP)).order.summary.id
    after_due = timed.orders.act(a["district"], after, Dispatch(target_unit_id=gc)).summary.reply_deadline
    assert after_due is not None
    # Thursday 2026-11-26 + 3 working days = Tuesday 12-01, end of day (local)
    assert after_due.due_at == local_midnight(date(2026, 12, 2)) - timedelta(seconds=1)
    assert before_due.due_at == local_midnight(date(2026, 12, 11)) - timedelta(seconds=1)  # 10 days
    # the order dispatched before the change keeps its deadline
    assert timed.orders.get(a["district"], before).summary.reply_deadline == before_due


def test_a_calendar_override_made_elsewhere_applies_to_the_next_dispatch(
    timed: Services, clock: FakeClock, database: Database, settings: Settings
) -> None:
    district = build_small_district(timed)
    a = district.actors
    gc = district.units["GC"]
    clock.now = local(2026, 11, 27, 9, 0)  # Friday: sign for within 1 working day → Monday
    first = timed.orders.register(a["district"], new_order(1)).order.summary.id
    sign_due = timed.orders.act(a["district"], first, Dispatch(target_unit_id=gc)).summary.sign_deadline
    assert sign_due is not None
    assert sign_due.due_at == local_midnight(date(2026, 12, 1)) - timedelta(seconds=1)

    # another process (its own services and cache) declares Monday a day off
    admin_process = build_services(database, settings, clock=clock)
    admin_process.policy.set_day(TEST_ADMIN, date(2026, 11, 30), "holiday", note="测试")

    second = timed.orders.register(a["district"], new_order(2)).order.summary.id
    moved = timed.orders.act(a["district"], second, Dispatch(target_unit_id=gc)).summary.sign_deadline
    assert moved is not None
    assert moved.due_at == local_midnight(date(2026, 12, 2)) - timedelta(seconds=1)  # Tuesday
    assert timed.policy.calendar().is_workday(date(2026, 11, 30)) is False

    admin_process.policy.set_day(TEST_ADMIN, date(2026, 11, 30), "default")
    third = timed.orders.register(a["district"], new_order(3)).order.summary.id
    back = timed.orders.act(a["district"], third, Dispatch(target_unit_id=gc)).summary.sign_deadline
    assert back is not None and back.due_at == sign_due.due_at


def test_the_reference_cache_is_rebuilt_only_when_reference_data_changes(
    timed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    district = build_small_district(timed)
    a = district.actors
    builds: list[int] = []
    real_load_org = reference_module.ref.load_org

    def counting_load_org(session: Any) -> Any:
        builds.append(1)
        return real_load_org(session)

    monkeypatch.setattr(reference_module.ref, "load_org", counting_load_org)

    def busy_day(i: int) -> None:
        oid = timed.orders.register(a["district"], new_order(i, channel="manual", external_id=f"X{i}"))
        order_id = oid.order.summary.id
        timed.orders.register(a["district"], new_order(i, channel="manual", external_id=f"X{i}"))  # repeat
        timed.orders.act(a["district"], order_id, Dispatch(target_unit_id=district.units["GC"]))
        timed.orders.get(a["town"], order_id)
        timed.orders.allowed(a["town"], order_id)
        timed.orders.transitions(a["town"], order_id)
        timed.worklists.page(a["town"], OrderQuery())
        timed.worklists.count(a["town"], OrderQuery())

    busy_day(0)
    builds.clear()
    for i in range(1, 4):
        busy_day(i)
    assert builds == []  # every use case found the cached snapshot current

    timed.policy.set_time_limit(TEST_ADMIN, "help", "normal", (1, "workdays"), (3, "workdays"))
    busy_day(10)
    busy_day(11)
    assert builds == [1]  # rebuilt once, for the new revision


# --------------------------------------------------------------------------- timestamps


def test_timestamps_round_trip_as_aware_utc(timed: Services, clock: FakeClock) -> None:
    district = build_small_district(timed)
    a = district.actors
    clock.now = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=SHANGHAI)
    oid = timed.orders.register(a["district"], new_order()).order.summary.id
    clock.advance(minutes=3)
    timed.orders.act(a["district"], oid, Dispatch(target_unit_id=district.units["GC"]))

    detail = timed.orders.get(a["district"], oid)
    registered = detail.summary.registered_at
    assert registered == datetime(2026, 11, 26, 2, 0, 0, 123456, tzinfo=UTC)
    assert registered.tzinfo is UTC
    assert detail.first_dispatched_at == clock.now and detail.first_dispatched_at.tzinfo is UTC
    for deadline in (detail.summary.sign_deadline, detail.summary.reply_deadline):
        assert deadline is not None and deadline.due_at.utcoffset() == timedelta(0)
    trail = timed.orders.transitions(a["district"], oid)
    assert [t.created_at for t in trail] == [registered, clock.now]
    assert all(t.created_at.tzinfo is UTC for t in trail)

    # stored as naive UTC wall time
    with timed.db.reading() as session:
        raw = session.execute(
            text("SELECT registered_at FROM work_order WHERE id = :id"), {"id": oid}
        ).scalar()
    assert str(raw).startswith("2026-11-26 02:00:00.123456")


def test_a_naive_datetime_is_refused_on_the_way_in(services: Services, tmp_path: Path) -> None:
    district = build_small_district(services)
    oid = services.orders.register(district.actors["district"], new_order()).order.summary.id
    with pytest.raises(StatementError, match="naive"), services.db.transaction() as session:
        session.add(
            TransitionRow(
                order_id=oid,
                action="update",
                to_status="pending_dispatch",
                actor_name="x",
                actor_role="admin",
                created_at=datetime(2026, 11, 26, 10, 0),  # no tzinfo
            )
        )
        session.flush()


def test_urgent_orders_get_hour_deadlines_in_utc(timed: Services, clock: FakeClock) -> None:
    district = build_small_district(timed)
    a = district.actors
    oid = timed.orders.register(a["district"], new_order(urgency=Urgency.URGENT)).order.summary.id
    summary = timed.orders.act(a["district"], oid, Dispatch(target_unit_id=district.units["GC"])).summary
    assert summary.sign_deadline is not None and summary.reply_deadline is not None
    assert summary.sign_deadline.due_at == clock.now + timedelta(hours=1)
    assert summary.reply_deadline.due_at == clock.now + timedelta(hours=24)


def test_a_registered_order_reads_back_with_every_value_it_was_given(services: Services) -> None:
    """Registration writes the order, its units and its audit row in one statement on PostgreSQL
    (values passed as JSON) and in three on SQLite: both store the same thing."""
    district = build_small_district(services)
    actor = district.actors["district"]
    new = NewOrder(
        title="夏北路 3 号井盖缺失",
        content="井盖缺失，夜间有行人踩空的危险。\n请尽快处理。",
        order_type=OrderType.COMPLAINT,
        urgency=Urgency.URGENT,
        citizen_name="王女士",
        citizen_phone="13812345678",
        address="桂城街道夏北路 3 号",
        latitude=23.0345678901,
        longitude=113.1456789012,
        confidential=True,
    )
    registered = services.orders.register(actor, new).order.summary
    with services.db.reading() as session:
        row = session.get(WorkOrderRow, registered.id)
        assert row is not None
        trail = list(session.scalars(select(TransitionRow).where(TransitionRow.order_id == row.id)))
        units = set(
            session.scalars(text("SELECT unit_id FROM work_order_unit WHERE order_id = :o"), {"o": row.id})
        )
        assert (row.title, row.content, row.citizen_name, row.citizen_phone, row.address) == (
            new.title,
            new.content,
            new.citizen_name,
            new.citizen_phone,
            new.address,
        )
        assert (row.latitude, row.longitude, row.confidential) == (new.latitude, new.longitude, True)
        assert (row.order_type, row.urgency, row.status, row.version) == (
            "complaint",
            "urgent",
            "pending_dispatch",
            1,
        )
        assert row.chain == [district.units["NH"]] and units == {district.units["NH"]}
        assert row.registered_at.tzinfo is not None and abs(
            row.registered_at - datetime.now(UTC)
        ) < timedelta(minutes=1)
        assert row.created_at == row.registered_at == row.updated_at
        assert [(t.action, t.to_status, t.actor_name, t.created_at) for t in trail] == [
            ("register", "pending_dispatch", actor.name, row.registered_at)
        ]


def test_rows_that_come_with_a_new_order_are_stored_with_its_id_and_a_foreign_column_is_refused(
    services: Services,
) -> None:
    """Intake's payload record and text weights go in the registration's one statement on
    PostgreSQL (companion rows) and in inserts of their own on SQLite: both store the same."""
    district = build_small_district(services)
    actor = district.actors["district"]
    at = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
    payload = {"call_id": "C-1", "content": "路灯不亮", "nested": {"agent": "0451", "tags": ["夜间", 3]}}
    companions = intake_companions(
        channel="12345",
        external_id="C-1",
        payload=payload,
        payload_hash="ab" * 32,
        received_at=at,
        signature='[1,{"路灯":2.0},{},{},[1,0,1],2.0]',
    )
    with services.db.transaction() as session:
        row = services.orders.register_in(session, actor, new_order(1), at, companions=companions)
    with services.db.reading() as session:
        record = session.scalars(select(IntakeRecordRow).where(IntakeRecordRow.order_id == row.id)).one()
        weights = session.scalars(
            select(DedupeSignatureRow).where(DedupeSignatureRow.order_id == row.id)
        ).one()
        stored = (record.channel, record.external_id, record.payload, record.payload_hash, record.received_at)
        kept = (weights.registered_at, weights.features)
    assert stored == ("12345", "C-1", payload, "ab" * 32, at)
    assert kept == (at, '[1,{"路灯":2.0},{},{},[1,0,1],2.0]')
    with pytest.raises(ValueError, match="colour"):
        CompanionRow(IntakeRecordRow.__table__, {"channel": "12345", "colour": "red"})
    with pytest.raises(ValueError, match="order_id"):
        CompanionRow(IntakeRecordRow.__table__, {"order_id": 1})
