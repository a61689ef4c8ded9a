"""One write path: every change to an order bumps its version and leaves exactly one audit row.

The nineteen life-cycle actions and every system event — an update from a channel, a
duplicate flag and a dispatcher's dismissal or merge, a category change, a file, the deadline
sweep's warning and overdue marks, an import — go through the order use cases, on SQLite and
PostgreSQL. The test walks each of them through the real services and checks the version and
the trail around each step, then the invariant over the whole database: an order's version is
the number of its audit rows. The records of system events are the domain's (same words as
the trail always had), and a client holding an old version cannot act after one of them.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from tests.support import (
    ONLY_POSTGRESQL,
    TEST_ADMIN,
    District,
    add_boundaries,
    build_small_district,
    grid_file,
)

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import ConcurrentUpdate, PermissionDenied
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.workorder import (
    Action,
    Callback,
    Cancel,
    Close,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    FlagDuplicate,
    Instruct,
    Merge,
    OrderStatus,
    Redispatch,
    Reply,
    RequestExtension,
    RequestSuspension,
    ResolveOnIntake,
    Resume,
    Return,
    Review,
    Satisfaction,
    Sign,
    Supervise,
    SystemEvent,
    Urge,
    import_record,
)
from zhiyun.grid.hazards import GridHazardService, HazardReport
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.hotline.service import SeatService
from zhiyun.importer.mapping import ImportMapping
from zhiyun.importer.pipeline import BulkImporter
from zhiyun.importer.staged_row import COL, STAGED_COLUMNS
from zhiyun.importer.writers import audit_trail
from zhiyun.intake import repo as intake_repo
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.orders.repo import load_order
from zhiyun.orders.service import NewOrder
from zhiyun.store.db import Database
from zhiyun.store.tables import TransitionRow, WorkOrderRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
TAXONOMY = "code,name,parent_code\nCG,城市管理,\nCG01,市容环境,CG\nHB,环境保护,\n"
# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class FakeClock:
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


# --------------------------------------------------------------------------- reading the database


def version_and_trail(db: Database, order_id: int) -> tuple[int, list[TransitionRow]]:
    with db.reading() as session:
        version = session.scalar(select(WorkOrderRow.version).where(WorkOrderRow.id == order_id))
        trail = list(
            session.scalars(
                select(TransitionRow).where(TransitionRow.order_id == order_id).order_by(TransitionRow.id)
            )
        )
        session.expunge_all()
    assert version is not None
    return version, trail


class Ledger:
    """Checks each change of an order: version + 1, one more audit row, named for the change."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen: set[str] = set()
        self.last: TransitionRow | None = None

    @contextmanager
    def change(self, order_id: int, kind: Action | SystemEvent) -> Iterator[None]:
        version, trail = version_and_trail(self.db, order_id)
        yield
        after, new_trail = version_and_trail(self.db, order_id)
        assert after == version + 1, f"{kind}: version {version} → {after}"
        assert len(new_trail) == len(trail) + 1, f"{kind}: {len(trail)} → {len(new_trail)} audit rows"
        assert [t.id for t in new_trail[:-1]] == [t.id for t in trail]  # appended, nothing else
        self.last = new_trail[-1]
        assert self.last.action == kind.value
        self.seen.add(kind.value)


def every_order_has_as_many_audit_rows_as_its_version(db: Database) -> None:
    with db.reading() as session:
        rows = session.execute(
            select(WorkOrderRow.id, WorkOrderRow.version, func.count(TransitionRow.id))
            .join(TransitionRow, TransitionRow.order_id == WorkOrderRow.id, isouter=True)
            .group_by(WorkOrderRow.id, WorkOrderRow.version)
        ).all()
    assert rows
    assert [(oid, v) for oid, v, n in rows if v != n] == []


# --------------------------------------------------------------------------- helpers


def register(services: Services, actor: Actor, title: str = "占道经营", **kwargs: Any) -> int:
    return services.orders.register(
        actor, NewOrder(title=title, content=f"{title}，请处理", **kwargs)
    ).order.summary.id


def reply_due(db: Database, order_id: int) -> datetime:
    with db.reading() as session:
        due = session.scalar(select(WorkOrderRow.reply_due_at).where(WorkOrderRow.id == order_id))
    assert due is not None
    return due


def hotline(call_id: str, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(CHANNEL_SPECS["12345"].example)
    payload.update(call_id=call_id, **changes)
    return payload


REWORDED = "夏北社区夏北路3号附近的路灯坏了一周，晚上走路不安全，请尽快修理。"


def flag_duplicates(services: Services) -> None:
    """A strict merge threshold: a reworded report of a matter already registered is flagged."""
    services.intake.policy = DedupePolicy(radius_m=300, window_days=7, high=0.95, low=0.3)


def import_one(services: Services, tmp_path: Path, clock: FakeClock) -> int:
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["工单编号", "标题", "诉求内容", "类型", "状态", "登记时间", "承办单位"])
        writer.writerow(
            ["H-0001", "小区门口垃圾堆积", "三天没人清理", "投诉", "已归档", "2024-03-05 09:12", "GC-XB"]
        )
    mapping = {
        "columns": {
            "external_id": "工单编号",
            "title": "标题",
            "content": "诉求内容",
            "order_type": "类型",
            "status": "状态",
            "registered_at": "登记时间",
            "responsible_unit": "承办单位",
        },
        "constants": {"channel": "12345"},
    }
    report = BulkImporter(services.db, clock=clock).run(path, ImportMapping.from_dict(mapping))
    assert report.imported == 1
    with services.db.reading() as session:
        order_id = session.scalar(select(WorkOrderRow.id).where(WorkOrderRow.external_id == "H-0001"))
    assert order_id is not None
    return order_id


def grid_report(services: Services, clock: FakeClock) -> int:
    """A grid worker's free report in 夏北社区's first grid, registered at the village's center."""
    add_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    worker = services.accounts.add_user(
        TEST_ADMIN, username="xb_grid", password="grid-password-1", role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    services.get(GridWorkerService).add_posts(
        TEST_ADMIN, [NewPost("xb_grid", "GC-XB", WorkerKind.FULL_TIME, "440605001001001")]
    )
    grid = next(g.id for g in services.geo.grids() if g.code == "440605001001001")
    report = HazardReport(
        key="W1:report", worker=worker.actor(), title="井盖缺失", description="夏北路井盖缺失", grid_id=grid
    )
    with services.db.transaction() as session:
        return services.get(GridHazardService).report_in(session, report, clock.now).order_id


# --------------------------------------------------------------------------- the rule


def test_every_kind_of_order_change_bumps_the_version_and_leaves_exactly_one_audit_row(
    timed: Services, district: District, clock: FakeClock, tmp_path: Path
) -> None:
    services, units, a = timed, district.units, district.actors
    orders, ledger = services.orders, Ledger(timed.db)
    nh, town, leader = a["district"], a["town"], a["leader"]

    def act(order_id: int, actor: Actor, command: Any) -> None:
        with ledger.change(order_id, command.action):
            orders.act(actor, order_id, command)

    # every life-cycle action, over four orders
    full = register(services, nh, "路灯不亮")
    assert version_and_trail(services.db, full)[0] == 1  # a registration: version 1, one audit row
    act(full, leader, Supervise(note="请加快办理"))
    act(full, leader, Urge())
    act(full, leader, Instruct(note="请街道牵头处理"))
    act(full, nh, Dispatch(target_unit_id=units["GC"]))
    act(full, town, Sign())
    later = reply_due(services.db, full) + timedelta(days=7)
    act(full, town, RequestExtension(note="需要采购灯具", new_due_at=later))
    act(full, nh, DecideExtension(approve=True))
    act(full, town, RequestSuspension(note="等待供电部门停电检修"))
    act(full, nh, DecideSuspension(approve=True))
    act(full, town, Resume())
    act(full, town, Reply(note="已更换灯具"))
    act(full, nh, Review(approve=True))
    act(full, nh, Callback(satisfaction=Satisfaction.SATISFIED))

    moved = register(services, nh, "井盖缺失")
    act(moved, nh, Dispatch(target_unit_id=units["GC"]))
    act(moved, nh, Redispatch(target_unit_id=units["DL"]))
    act(moved, a["town2"], Return(note="不属本镇管辖"))
    act(moved, nh, Cancel(note="重复来电"))

    answered = register(services, nh, "咨询医保缴费")
    act(answered, nh, ResolveOnIntake(note="已电话答复"))
    act(answered, nh, Close())

    master = register(services, nh, "河涌发臭")
    duplicate = register(services, nh, "河涌发黑发臭")
    act(duplicate, nh, Merge(master_id=master, note="同一河段"))

    # a category change and a file
    services.taxonomy.import_csv(a["admin"], TAXONOMY)
    with ledger.change(master, SystemEvent.RECATEGORIZE):
        services.dispatch.change_category(nh, master, "CG01")
    assert (ledger.last and ledger.last.details) == {"from": None, "to": "CG01"}
    with ledger.change(master, SystemEvent.ATTACH):
        services.attachments.add(nh, master, "现场照片.png", io.BytesIO(PNG))
    # the caller calls again about it (the seat: 重复来电)
    with ledger.change(master, SystemEvent.REPEAT_CALL):
        services.get(SeatService).repeat_call(nh, master, "市民再次来电")

    # an update from a channel
    key = services.channels.issue_key(district.actors["admin"], "12345").key
    first = services.intake.receive("12345", hotline("C-1"), key=key)
    assert first.created and first.order.version == 1
    changed = hotline("C-1", content="夏北路3号附近路灯还是不亮，已经两周了。")
    with ledger.change(first.order.id, SystemEvent.UPDATE):
        services.intake.receive("12345", changed, key=key)
    with ledger.change(first.order.id, SystemEvent.UPDATE):
        services.intake.receive("12345", hotline("C-1", content="第三次推送"), key=key)
    same_again = services.intake.receive("12345", changed, key=key)  # a payload it has already: no change
    assert not same_again.updated and same_again.order.version == first.order.version + 2

    # a duplicate flag at intake, then the dispatcher's dismissal or merge
    flag_duplicates(services)
    flagged = services.intake.receive(
        "12345", hotline("C-2", caller_number="13900005555", content=REWORDED), key=key
    )
    assert first.order.number in flagged.possible_duplicates
    version, trail = version_and_trail(services.db, flagged.order.id)
    assert [t.action for t in trail] == [
        "register",
        "flag_duplicate",
    ] and version == 2 == flagged.order.version
    ledger.seen.add(SystemEvent.FLAG_DUPLICATE.value)
    with ledger.change(flagged.order.id, Action.MERGE):
        services.duplicates.decide(nh, flagged.order.id, merge_into=first.order.number)
    with services.db.reading() as session:
        settled = session.get(WorkOrderRow, flagged.order.id)
        assert settled is not None and settled.status == "merged" and not settled.possible_duplicate
    again = services.intake.receive(
        "12345", hotline("C-3", caller_number="13900006666", content=REWORDED), key=key
    )
    assert again.possible_duplicates and again.order.version == 2
    with ledger.change(again.order.id, SystemEvent.DISMISS_DUPLICATE):
        services.duplicates.decide(nh, again.order.id, merge_into=None)

    # the deadline sweep's warning, then its overdue mark
    late = register(services, nh, "违章搭建")
    act(late, nh, Dispatch(target_unit_id=units["GC"]))
    with services.db.reading() as session:
        row = session.get(WorkOrderRow, late)
        assert row is not None and row.sign_warn_at is not None and row.sign_due_at is not None
        warn_at, due_at = row.sign_warn_at, row.sign_due_at
    clock.now = warn_at
    with ledger.change(late, SystemEvent.DEADLINE_WARNING):
        services.sweep.run(Actor.system("时限监控"))
    clock.now = due_at
    with ledger.change(late, SystemEvent.DEADLINE_OVERDUE):
        services.sweep.run(Actor.system("时限监控"))
    with ledger.change(late, Action.SIGN):  # a late sign-for: the order moves on, version and trail with it
        orders.act(town, late, Sign())

    # a grid worker's report (at 夏北社区's center) and its rectification deadline (整改期限)
    grid_order = grid_report(services, clock)
    with ledger.change(grid_order, SystemEvent.SET_RECTIFICATION):
        services.get(GridHazardService).set_rectification(
            nh, grid_order, clock.now.date() + timedelta(days=9)
        )

    # an import: version 1 and its one audit row, as a registration
    imported = import_one(services, tmp_path, clock)
    version, trail = version_and_trail(services.db, imported)
    assert version == 1 and [t.action for t in trail] == ["import"]
    ledger.seen.add(SystemEvent.IMPORT.value)

    assert ledger.seen == {a.value for a in Action} - {Action.REGISTER.value} | {e.value for e in SystemEvent}
    every_order_has_as_many_audit_rows_as_its_version(services.db)


def test_system_events_leave_the_records_the_trail_always_had(
    timed: Services, district: District, clock: FakeClock
) -> None:
    services, a = timed, district.actors
    key = services.channels.issue_key(district.actors["admin"], "12345").key
    first = services.intake.receive("12345", hotline("C-1"), key=key)
    services.intake.receive("12345", hotline("C-1", content="路灯还是不亮"), key=key)
    flag_duplicates(services)
    flagged = services.intake.receive(
        "12345", hotline("C-2", caller_number="13900005555", content=REWORDED), key=key
    )
    services.duplicates.decide(a["district"], flagged.order.id, merge_into=None, note="")

    _, trail = version_and_trail(services.db, first.order.id)
    update = trail[-1]
    assert (update.action, update.from_status, update.to_status) == (
        "update",
        "pending_dispatch",
        "pending_dispatch",
    )
    assert update.note == "渠道重复推送且内容有变化，已记录为诉求更新"
    assert update.details == {
        "changes": {"title": "路灯还是不亮", "content": "路灯还是不亮"}
    }  # the hotline titles by content
    channel_actor = f"{CHANNEL_SPECS['12345'].name}接口"
    assert (update.actor_name, update.actor_role, update.actor_user_id) == (channel_actor, "system", None)

    _, trail = version_and_trail(services.db, flagged.order.id)
    _, flag, dismiss = trail
    assert flag.note == "疑似重复：1 件候选工单，待派单员确认"
    (candidate,) = flag.details["candidates"]
    assert candidate["number"] == first.order.number and candidate["decision"] == "flag"
    assert set(candidate) == {"number", "score", "text_similarity", "distance_m", "same_caller", "decision"}
    assert flag.from_unit_id == flag.to_unit_id == district.units["NH"]
    assert (dismiss.action, dismiss.note, dismiss.details) == ("dismiss_duplicate", "经核实不是重复件", {})
    assert (dismiss.actor_name, dismiss.actor_role) == ("district", "dispatcher")


# --------------------------------------------------------------------------- what the version guards


def test_a_client_holding_version_n_cannot_act_after_a_duplicate_flag_changed_the_order(
    timed: Services, district: District
) -> None:
    services, units, nh = timed, district.units, district.actors["district"]
    held = services.orders.register(nh, NewOrder(title="路灯不亮", content="夏北路路灯不亮")).order
    assert held.summary.version == 1
    # a later duplicate scan flags the order (the system, through the order use cases)
    now = services.orders.clock()
    with services.db.transaction() as session:
        loaded = load_order(session, held.summary.id)
        assert loaded is not None
        flag = FlagDuplicate(candidates=({"number": "NH202611260009", "score": 0.6, "decision": "flag"},))
        services.orders.record_in(session, Actor.system("查重"), loaded.row, flag, now)
    with pytest.raises(ConcurrentUpdate):
        services.orders.act(nh, held.summary.id, Dispatch(target_unit_id=units["GC"]), expected_version=1)
    flagged = services.orders.get(nh, held.summary.id)
    assert flagged.summary.version == 2
    # …and one holding the flagged version cannot act once another dispatcher dismissed the flag
    services.duplicates.decide(district.actors["admin"], held.summary.id, merge_into=None)
    with pytest.raises(ConcurrentUpdate):
        services.orders.act(nh, held.summary.id, Dispatch(target_unit_id=units["GC"]), expected_version=2)
    done = services.orders.act(nh, held.summary.id, Dispatch(target_unit_id=units["GC"]), expected_version=3)
    assert done.summary.version == 4


def test_a_person_cannot_record_what_only_the_system_records_through_the_use_case(
    timed: Services, district: District
) -> None:
    services, nh = timed, district.actors["district"]
    order = services.orders.register(nh, NewOrder(title="路灯不亮", content="夏北路路灯不亮")).order
    with services.db.transaction() as session:
        loaded = load_order(session, order.summary.id)
        assert loaded is not None
        with pytest.raises(PermissionDenied):
            services.orders.record_in(
                session,
                nh,
                loaded.row,
                FlagDuplicate(candidates=({"number": None},)),
                services.orders.clock(),
            )
    assert services.orders.get(nh, order.summary.id).summary.version == 1


@ONLY_POSTGRESQL
def test_a_channel_update_racing_a_dispatcher_is_recorded_on_the_order_as_the_dispatcher_left_it(
    timed: Services, district: District, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatcher's change commits between intake's read of the order and its write: the
    update is judged again on the new version and recorded, not refused."""
    services, units, nh = timed, district.units, district.actors["district"]
    key = services.channels.issue_key(district.actors["admin"], "12345").key
    first = services.intake.receive("12345", hotline("C-1"), key=key)
    stored = intake_repo.record_repeat_payload

    def and_a_dispatcher_acts_meanwhile(session: Any, **kwargs: Any) -> bool:
        kept = stored(session, **kwargs)
        services.orders.act(nh, first.order.id, Dispatch(target_unit_id=units["GC"]))  # its own transaction
        return kept

    monkeypatch.setattr(intake_repo, "record_repeat_payload", and_a_dispatcher_acts_meanwhile)
    repeat = services.intake.receive("12345", hotline("C-1", content="路灯还是不亮"), key=key)
    assert repeat.updated and repeat.order.version == 3 and repeat.order.status == "dispatched"
    _, trail = version_and_trail(services.db, first.order.id)
    assert [t.action for t in trail] == ["register", "dispatch", "update"]
    assert (trail[-1].from_status, trail[-1].to_unit_id) == ("dispatched", units["GC"])


def test_the_intake_receipt_of_a_flagged_order_carries_the_version_the_flag_gave_it(
    timed: Services, district: District
) -> None:
    services = timed
    key = services.channels.issue_key(district.actors["admin"], "12345").key
    services.intake.receive("12345", hotline("C-1"), key=key)
    flag_duplicates(services)
    flagged = services.intake.receive(
        "12345", hotline("C-2", caller_number="13900005555", content=REWORDED), key=key
    )
    detail = services.orders.get(district.actors["district"], flagged.order.id)
    assert flagged.order.version == detail.summary.version == 2
    assert json.loads(json.dumps(flagged.possible_duplicates))  # a list of numbers, as before


def test_every_imported_orders_audit_row_is_the_record_the_domain_gives_for_its_row(
    timed: Services, district: District, clock: FakeClock, tmp_path: Path
) -> None:
    """The PostgreSQL writer builds the audit rows in SQL from an AuditPlan, SQLite's one by one:
    both store, for every row, exactly `domain.workorder.import_record`."""
    services, units = timed, district.units
    path = tmp_path / "mixed.csv"
    statuses = ["已归档", "待分拨", "已归档", "已撤销", "已归档"]
    handlers = ["GC-XB", "", "GC", "DL-YB", "GC-XB"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["工单编号", "标题", "诉求内容", "类型", "状态", "登记时间", "承办单位"])
        for i, (status, unit) in enumerate(zip(statuses, handlers, strict=True)):
            writer.writerow(
                [f"M-{i}", f"事项{i}", f"内容{i}", "求助", status, f"2024-03-0{i + 1} 09:00", unit]
            )
    mapping = {
        "columns": {
            "external_id": "工单编号",
            "title": "标题",
            "content": "诉求内容",
            "order_type": "类型",
            "status": "状态",
            "registered_at": "登记时间",
            "responsible_unit": "承办单位",
        },
        "constants": {"channel": "12345"},
    }
    report = BulkImporter(services.db, clock=clock).run(path, ImportMapping.from_dict(mapping), batch_size=3)
    assert report.imported == len(statuses)
    with services.db.reading() as session:
        stored = session.execute(
            select(
                WorkOrderRow.external_id,
                WorkOrderRow.status,
                WorkOrderRow.chain,
                WorkOrderRow.version,
                TransitionRow,
            )
            .join(TransitionRow, TransitionRow.order_id == WorkOrderRow.id)
            .where(WorkOrderRow.external_id.like("M-%"))
        ).all()
        session.expunge_all()
    assert len(stored) == len(statuses)
    for external_id, status, chain, version, audit in stored:
        row = int(external_id.removeprefix("M-")) + 2  # the header is line 1
        expected = import_record(OrderStatus(status), tuple(chain), file="mixed.csv", row=row)
        assert version == 1
        assert (audit.action, audit.from_status, audit.to_status) == (
            expected.action,
            None,
            expected.to_status.value,
        )
        assert (audit.from_unit_id, audit.to_unit_id, audit.note, audit.details) == (
            expected.from_unit_id,
            expected.to_unit_id,
            expected.note,
            dict(expected.details),
        )
        assert (audit.actor_name, audit.actor_role, audit.actor_user_id) == ("历史数据导入", "system", None)
    assert {tuple(c) for _, _, c, _, _ in stored} >= {(units["NH"], units["GC-XB"]), (units["NH"],)}


def test_an_audit_plan_refuses_a_record_that_depends_on_the_row_beyond_its_details(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [[None] * len(STAGED_COLUMNS) for _ in range(2)]
    for i, row in enumerate(rows):
        row[COL["rownum"]] = i + 2
        row[COL["status"]] = "closed"
        row[COL["registered_unit_id"]] = 1
    plan = audit_trail.audit_plan(rows, "x.csv")
    assert plan.groups == [1, 1] and plan.params["g_action"] == ["import"]
    assert "s.rownum" in plan.details_sql

    def numbered_from_zero(status: OrderStatus, chain: tuple[int, ...], *, file: str, row: int) -> Any:
        return import_record(status, chain, file=file, row=row - 2)

    monkeypatch.setattr(audit_trail, "import_record", numbered_from_zero)
    with pytest.raises(AssertionError):
        audit_trail.audit_plan(rows, "x.csv")
