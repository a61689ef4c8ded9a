"""The deadline sweep on SQLite and PostgreSQL, driven by a clock the test sets.

It marks a deadline as warning, then overdue, each with an audit row; each newly
overdue deadline gets one urge notice; sweeping again adds nothing; a moved deadline
is announced afresh; suspended orders are left alone; sweeps running side by side
(threads, processes) announce each order once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from tests.support import TEST_SYSTEM, District, build_small_district

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.domain.workorder import (
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Reply,
    RequestExtension,
    RequestSuspension,
    Sign,
)
from zhiyun.orders.service import NewOrder
from zhiyun.orders.sweep import DeadlineSweep, SweepReport
from zhiyun.store.db import Database
from zhiyun.store.tables import NoticeRow, TransitionRow, WorkOrderRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECOND = timedelta(seconds=1)


class FakeClock:
    """A clock the test sets by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))  # a Thursday


@pytest.fixture
def timed(database: Database, settings: Settings, clock: FakeClock) -> Services:
    return build_services(database, settings, clock=clock)


@pytest.fixture
def district(timed: Services) -> District:
    return build_small_district(timed)


def dispatched_to_town(services: Services, district: District, i: int = 0) -> int:
    """An order dispatched from the district to 桂城, waiting to be signed for."""
    a = district.actors
    order = services.orders.register(a["district"], NewOrder(title=f"占道经营 {i}", content="占道经营"))
    oid = order.order.summary.id
    services.orders.act(a["district"], oid, Dispatch(target_unit_id=district.units["GC"]))
    return oid


def deadlines(db: Database, oid: int) -> dict[str, datetime | str | None]:
    names = ("sign_warn_at", "sign_due_at", "sign_alert", "reply_warn_at", "reply_due_at", "reply_alert")
    with db.reading() as session:
        row = session.execute(
            select(*(getattr(WorkOrderRow, n) for n in names)).where(WorkOrderRow.id == oid)
        ).one()
    return dict(zip(names, row, strict=True))


def notices(db: Database) -> list[tuple[int, str, str, datetime, int | None]]:
    with db.reading() as session:
        rows = session.execute(
            select(
                NoticeRow.order_id, NoticeRow.kind, NoticeRow.deadline, NoticeRow.due_at, NoticeRow.unit_id
            ).order_by(NoticeRow.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def trail(db: Database, oid: int | None = None) -> list[tuple[str, str | None]]:
    """(action, deadline) of audit rows, of one order or of all."""
    with db.reading() as session:
        stmt = select(TransitionRow.action, TransitionRow.details).order_by(TransitionRow.id)
        if oid is not None:
            stmt = stmt.where(TransitionRow.order_id == oid)
        return [(action, (details or {}).get("deadline")) for action, details in session.execute(stmt)]


def counts(report: SweepReport) -> tuple[int, int, int]:
    return report.warnings, report.overdue, report.notices


def test_the_sweep_warns_then_marks_overdue_with_one_urge_notice(
    timed: Services, district: District, clock: FakeClock
) -> None:
    oid = dispatched_to_town(timed, district)
    d = deadlines(timed.db, oid)
    warn_at, due_at = d["sign_warn_at"], d["sign_due_at"]
    assert isinstance(warn_at, datetime) and isinstance(due_at, datetime) and warn_at < due_at

    clock.now = warn_at - SECOND
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)

    clock.now = warn_at + SECOND
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (1, 0, 0)
    assert deadlines(timed.db, oid)["sign_alert"] == "warning"
    assert notices(timed.db) == []
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)

    clock.now = due_at + SECOND
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 1, 1)
    assert deadlines(timed.db, oid)["sign_alert"] == "overdue"
    assert notices(timed.db) == [(oid, "urge", "sign", due_at, district.units["GC"])]

    for _ in range(2):  # sweeping again adds nothing
        assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)
    assert len(notices(timed.db)) == 1
    assert trail(timed.db, oid) == [
        ("register", None),
        ("dispatch", None),
        ("deadline_warning", "sign"),
        ("deadline_overdue", "sign"),
    ]
    view = timed.orders.transitions(district.actors["town"], oid)
    assert [t.action_label for t in view[-2:]] == ["即将超时预警", "超时"]
    assert view[-1].actor_name == "时限监控"


def test_an_order_found_late_goes_straight_to_overdue_on_each_deadline(
    timed: Services, district: District, clock: FakeClock
) -> None:
    oid = dispatched_to_town(timed, district)
    d = deadlines(timed.db, oid)
    assert isinstance(d["reply_due_at"], datetime)
    clock.now = d["reply_due_at"] + timedelta(days=1)  # past both the sign-for and the reply deadline

    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 2, 2)
    assert sorted(n[2] for n in notices(timed.db)) == ["reply", "sign"]
    assert trail(timed.db, oid)[2:] == [("deadline_overdue", "sign"), ("deadline_overdue", "reply")]
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)


def test_signing_in_time_stops_the_sign_for_deadline_from_being_swept(
    timed: Services, district: District, clock: FakeClock
) -> None:
    oid = dispatched_to_town(timed, district)
    d = deadlines(timed.db, oid)
    timed.orders.act(district.actors["town"], oid, Sign())
    assert isinstance(d["sign_due_at"], datetime)
    clock.now = d["sign_due_at"] + timedelta(hours=1)
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)


def test_an_approved_extension_is_announced_again_for_the_new_deadline(
    timed: Services, district: District, clock: FakeClock
) -> None:
    a = district.actors
    oid = dispatched_to_town(timed, district)
    timed.orders.act(a["town"], oid, Sign())
    first_due = deadlines(timed.db, oid)["reply_due_at"]
    assert isinstance(first_due, datetime)

    clock.now = first_due + timedelta(hours=1)
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 1, 1)

    timed.orders.act(
        a["town"], oid, RequestExtension(note="需协调多部门", new_due_at=first_due + timedelta(days=5))
    )
    timed.orders.act(a["district"], oid, DecideExtension(approve=True))
    d = deadlines(timed.db, oid)
    new_warn, new_due = d["reply_warn_at"], d["reply_due_at"]
    assert isinstance(new_warn, datetime) and isinstance(new_due, datetime)
    assert new_due == first_due + timedelta(days=5)
    assert d["reply_alert"] == ""  # the new deadline has not been announced

    clock.now = max(clock.now, new_warn) + SECOND
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (1, 0, 0)
    clock.now = new_due + SECOND
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 1, 1)
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)

    reply_notices = [(n[2], n[3]) for n in notices(timed.db)]
    assert reply_notices == [("reply", first_due), ("reply", new_due)]


def test_suspended_and_replied_orders_are_not_swept(
    timed: Services, district: District, clock: FakeClock
) -> None:
    a = district.actors
    suspended = dispatched_to_town(timed, district, 1)
    timed.orders.act(a["town"], suspended, Sign())
    timed.orders.act(a["town"], suspended, RequestSuspension(note="等待法院判决"))
    timed.orders.act(a["district"], suspended, DecideSuspension(approve=True))
    replied = dispatched_to_town(timed, district, 2)
    timed.orders.act(a["town"], replied, Sign())
    timed.orders.act(a["town"], replied, Reply(note="已清理"))
    before = trail(timed.db)

    clock.now += timedelta(days=90)
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)
    assert trail(timed.db) == before
    assert notices(timed.db) == []


def test_sweeps_in_parallel_threads_announce_each_order_once(
    timed: Services, district: District, clock: FakeClock, database: Database
) -> None:
    orders = [dispatched_to_town(timed, district, i) for i in range(20)]
    due = deadlines(timed.db, orders[-1])["sign_due_at"]
    assert isinstance(due, datetime)
    clock.now = due + SECOND  # every sign-for deadline has passed, no reply deadline yet

    sweeps = [DeadlineSweep(database, clock=clock, batch=7) for _ in range(4)]
    barrier = threading.Barrier(len(sweeps))
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep(s: DeadlineSweep) -> None:
        barrier.wait()
        try:
            reports.append(s.run(TEST_SYSTEM))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(s,)) for s in sweeps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors

    assert sum(r.overdue for r in reports) == 20
    assert sum(r.notices for r in reports) == 20
    assert sorted(n[0] for n in notices(timed.db)) == sorted(orders)
    overdue = [x for x in trail(timed.db) if x[0] == "deadline_overdue"]
    assert len(overdue) == 20


SWEEP_IN_A_PROCESS = """
import json, sys
from datetime import datetime
from zhiyun.store.db import Database
from zhiyun.orders.sweep import DeadlineSweep
from zhiyun.domain.access import Actor
db = Database(sys.argv[1])
now = datetime.fromisoformat(sys.argv[2])
db.ping()
print("ready", flush=True)
sys.stdin.readline()  # go
report = DeadlineSweep(db, clock=lambda: now, batch=10).run(Actor.system("时限监控"))
db.dispose()
print(json.dumps(report.__dict__), flush=True)
"""


def test_sweeps_in_two_processes_announce_each_order_once(
    timed: Services, district: District, clock: FakeClock, database: Database
) -> None:
    orders = [dispatched_to_town(timed, district, i) for i in range(40)]
    due = deadlines(timed.db, orders[-1])["sign_due_at"]
    assert isinstance(due, datetime)
    now = due + SECOND

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEP_IN_A_PROCESS, database.url, now.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:  # both have imported everything and connected
            assert p.stdout is not None
            if p.stdout.readline().strip() != "ready":
                p.kill()
                pytest.fail(f"the sweep process did not start: {p.communicate()[1]}")
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        reports = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()

    assert sum(r["overdue"] for r in reports) == 40
    assert sum(r["notices"] for r in reports) == 40
    assert sorted(n[0] for n in notices(timed.db)) == sorted(orders)
    assert len([x for x in trail(timed.db) if x[0] == "deadline_overdue"]) == 40
    clock.now = now
    assert counts(timed.sweep.run(TEST_SYSTEM)) == (0, 0, 0)


def test_the_notice_table_refuses_a_second_notice_for_the_same_deadline(
    timed: Services, district: District, clock: FakeClock
) -> None:
    oid = dispatched_to_town(timed, district)
    due = deadlines(timed.db, oid)["sign_due_at"]
    assert isinstance(due, datetime)
    clock.now = due + SECOND
    timed.sweep.run(TEST_SYSTEM)
    with timed.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(NoticeRow))
    assert total == 1
    with pytest.raises(IntegrityError), timed.db.transaction() as session:
        session.add(
            NoticeRow(order_id=oid, kind="urge", deadline="sign", due_at=due, unit_id=None, message="again")
        )
