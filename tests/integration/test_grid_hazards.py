"""From a grid hazard to a work order, on SQLite and PostgreSQL (issue 17, part 7): a hazard or a
free report becomes an order of the `grid` channel at its grid's village center with its photos;
the same key twice is one order; it goes through the duplicate check of every channel; the village
solves it at once with a rectification deadline or sends it up; the next visit's re-check closes
or reopens it; a worker of another grid may not re-check it; the 就地解决 figures.

The small district of tests/support.py with the four grids of 夏北社区 (GC-XB) and of 平南社区
(GC-PN), a grid worker in 夏北's first grid and one in 平南's, and a dispatcher at 夏北.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.e2e.harness import PNG
from tests.support import (
    PASSWORD,
    TEST_ADMIN,
    XB_BOX,
    District,
    build_small_district_with_boundaries,
    centre,
    grid_file,
    quadrants,
)

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.grid_hazards import HazardStatus, RecheckStep
from zhiyun.domain.grid_items import HazardLevel
from zhiyun.domain.workorder import Close, Dispatch, OrderStatus, ResolveOnIntake, Return
from zhiyun.grid.hazard_tables import GridHazardRow
from zhiyun.grid.hazards import GridHazardService, HazardOrder, HazardReport, HazardView, RecheckResult
from zhiyun.grid.objects_service import ManagedObjectService, ObjectQuery
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.store.tables import TransitionRow, WorkOrderRow

XB = "440605001001"
PN = "440605001002"
SHOP_POINT = centre(quadrants(XB_BOX)[0])  # (lat, lon) in 夏北's first grid
HEADER = ["编号", "类型", "名称", "地址", "经度", "纬度", "网格编码", "风险等级"]
OBJECTS = [
    ("XB1-a", "三小场所", "好又多便利店", "夏北路 1 号", str(SHOP_POINT[1]), str(SHOP_POINT[0]), "", "中"),
    ("PN1-a", "企业", "平南五金厂", "平南路 8 号", "", "", f"{PN}001", "重大"),
]


@dataclass
class World:
    services: Services
    district: District
    hazards: GridHazardService
    worker: Actor  # 夏北 grid 001
    other: Actor  # 平南 grid 001
    village: Actor  # 夏北's dispatcher
    grids: dict[str, int]
    objects: dict[str, int]

    def report(self, key: str = "S1:XF-001:q1", **changes: object) -> HazardOrder:
        base = HazardReport(
            key=key,
            worker=self.worker,
            title="灭火器过期",
            description="店内两具灭火器压力不足，已过检验期。",
            object_id=self.objects["好又多便利店"],
            level=HazardLevel.GENERAL,
            item_code="XF-001",
            item_version=1,
            question_id="q1",
            answer="否",
            photos=[("现场1.png", PNG), ("现场2.png", PNG)],
            rectify_days=7,
        )
        with self.services.db.transaction() as session:
            return self.hazards.report_in(session, replace(base, **changes), now())  # type: ignore[arg-type]

    def order(self, order_id: int) -> WorkOrderRow:
        with self.services.db.reading() as session:
            row = session.get(WorkOrderRow, order_id)
            assert row is not None
            session.expunge(row)
            return row

    def hazard(self, hazard_id: int) -> GridHazardRow:
        with self.services.db.reading() as session:
            row = session.get(GridHazardRow, hazard_id)
            assert row is not None
            session.expunge(row)
            return row

    def recheck(self, hazard_id: int, fixed: bool, who: Actor | None = None, note: str = "") -> RecheckResult:
        return self.hazards.recheck(who or self.worker, hazard_id, fixed, note, [("复查.png", PNG)])


def now() -> datetime:
    return datetime.now(UTC)


def _worker(services: Services, username: str, village: str, grid: str) -> Actor:
    services.accounts.add_user(
        TEST_ADMIN,
        username=username,
        password=PASSWORD,
        role=Role.GRID_WORKER,
        unit_code=village,
        display_name=username,
    )
    services.get(GridWorkerService).add_posts(
        TEST_ADMIN, [NewPost(username, village, WorkerKind.FULL_TIME, grid)]
    )
    return services.accounts.user_by_name(username).actor()


@pytest.fixture
def world(services: Services, tmp_path: Path) -> World:
    district = build_small_district_with_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    path = tmp_path / "objects.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(OBJECTS)
    services.get(ManagedObjectService).import_file(TEST_ADMIN, path)
    page = services.get(ManagedObjectService).search(TEST_ADMIN, ObjectQuery(), limit=100)
    village = services.accounts.add_user(
        TEST_ADMIN,
        username="xb_disp",
        password=PASSWORD,
        role=Role.DISPATCHER,
        unit_code="GC-XB",
        display_name="夏北派单员",
    ).actor()
    return World(
        services,
        district,
        services.get(GridHazardService),
        _worker(services, "gw_xb", "GC-XB", f"{XB}001"),
        _worker(services, "gw_pn", "GC-PN", f"{PN}001"),
        village,
        {g.code: g.id for g in services.geo.grids()},
        {o.name: o.id for o in page.items},
    )


# --------------------------------------------------------------------------- the report


def test_a_hazard_becomes_an_order_of_the_grid_channel_at_its_grids_village_center_with_its_photos(
    world: World,
) -> None:
    found = world.report()
    assert found.created and found.status is HazardStatus.OPEN
    row = world.order(found.order_id)
    xb = world.district.units["GC-XB"]
    assert (row.channel, row.external_id, row.status) == (
        "grid",
        "S1:XF-001:q1",
        OrderStatus.PENDING_DISPATCH.value,
    )
    assert (row.chain, row.registered_unit_id, row.current_unit_id) == ([xb], xb, xb)
    assert (row.grid_id, row.village_unit_id, row.town_unit_id) == (
        world.grids[f"{XB}001"],
        xb,
        world.district.units["GC"],
    )
    assert "好又多便利店" in row.content and "夏北路 1 号" in row.content and "XF-001" in row.content
    assert row.address == "夏北路 1 号" and row.latitude == pytest.approx(SHOP_POINT[0])
    detail = world.services.orders.get(world.village, found.order_id)
    assert sorted(a.filename for a in detail.attachments) == ["现场1.png", "现场2.png"]
    with world.services.db.reading() as session:
        trail = session.scalars(
            select(TransitionRow).where(TransitionRow.order_id == found.order_id).order_by(TransitionRow.id)
        ).all()
        registration = trail[0]
        assert registration.action == "register" and registration.actor_user_id == world.worker.user_id
        assert registration.details["grid"] == f"{XB}001"
        assert registration.details["worker"] == {"user_id": world.worker.user_id, "name": "gw_xb"}
        assert registration.details["hazard"]["question_id"] == "q1"
        assert [t.action for t in trail[1:]] == ["attach", "attach"]
    hazard = world.hazard(found.hazard_id)
    assert (hazard.level, hazard.answer, hazard.submission_key) == ("general", "否", "S1")
    assert hazard.rectify_by == local_date(hazard.found_at) + timedelta(days=7)


def test_a_free_report_without_an_object_is_placed_in_the_grid_its_point_lies_in(world: World) -> None:
    lat, lon = centre(quadrants(XB_BOX)[0])
    found = world.report(
        "S2:free:1",
        object_id=None,
        level=None,
        item_code=None,
        item_version=None,
        question_id=None,
        answer="",
        title="路边垃圾堆放",
        description="夏北路口垃圾堆放多日未清运。",
        latitude=lat,
        longitude=lon,
        photos=[],
    )
    row = world.order(found.order_id)
    assert row.grid_id == world.grids[f"{XB}001"] and "随手报" in row.content
    assert world.hazard(found.hazard_id).level is None
    # a visit to the grid lists it for re-check, though no object is visited
    with world.services.db.reading() as session:
        assert world.hazards.open_hazards_in(session, []) == []
        listed = world.hazards.open_hazards_in(session, [], free_in_grids=[world.grids[f"{XB}001"]])
        assert [h.id for h in listed] == [found.hazard_id] and listed[0].level_label == "随手报"


def test_a_disabled_grid_channel_takes_no_report(world: World) -> None:
    world.services.channels.configure(TEST_ADMIN, "grid", enabled=False)
    with pytest.raises(ValidationFailed):
        world.report()


def test_the_same_key_twice_returns_the_first_order(world: World) -> None:
    first = world.report()
    again = world.report()
    assert not again.created and (again.hazard_id, again.order_id) == (first.hazard_id, first.order_id)
    with world.services.db.reading() as session:
        assert len(session.scalars(select(WorkOrderRow.id)).all()) == 1
        assert len(session.scalars(select(GridHazardRow.id)).all()) == 1
    with pytest.raises(Conflict):  # another worker cannot take the key (nor learn the order)
        world.report(worker=world.other, object_id=world.objects["平南五金厂"])


def test_a_worker_may_not_report_in_a_grid_that_is_not_theirs(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.report(object_id=world.objects["平南五金厂"])
    with pytest.raises(PermissionDenied):
        world.report(worker=world.village)
    with world.services.db.reading() as session:
        assert session.scalars(select(WorkOrderRow.id)).first() is None


def test_a_report_repeating_an_open_citizen_order_at_the_same_place_goes_through_the_duplicate_check(
    world: World,
) -> None:
    services = world.services
    key = services.channels.issue_key(TEST_ADMIN, "12345").key
    text = "夏北路1号好又多便利店门口垃圾堆放多日无人清运，气味很大，请尽快处理。"
    citizen = services.intake.receive(
        "12345",
        {
            "call_id": "C-1",
            "caller_number": "13812345678",
            "call_time": "2026-12-01T09:30:15+08:00",
            "agent_id": "A0417",
            "content": text,
            "lat": SHOP_POINT[0],
            "lon": SHOP_POINT[1],
            "coord_system": "wgs84",
        },
        key=key,
    ).order
    found = world.report(
        "S3:free:1",
        level=None,
        item_code=None,
        item_version=None,
        question_id=None,
        answer="",
        title=text[:20],
        description=text,
        photos=[],
    )
    # the same text at the same place: merged into the citizen's open order, as any channel's would be
    assert (found.duplicate_of, found.possible_duplicates) == (citizen.number, [])
    row = world.order(found.order_id)
    assert (row.status, row.master_id, row.channel) == (OrderStatus.MERGED.value, citizen.id, "grid")
    # its hazard still waits for the re-check; found fixed, the citizen's order is left to its own callback
    assert world.recheck(found.hazard_id, True).step is RecheckStep.NOTHING
    assert world.order(citizen.id).status == OrderStatus.PENDING_DISPATCH.value


# --------------------------------------------------------------------------- the village and the re-check


def test_the_village_solves_it_at_intake_with_a_deadline_and_a_fixed_recheck_closes_the_order(
    world: World,
) -> None:
    found = world.report()
    deadline = local_date(now()) + timedelta(days=3)
    [view] = world.hazards.resolve_locally(world.village, found.order_id, "已督促店主更换灭火器", deadline)
    assert view.rectify_by == deadline and view.order_status == OrderStatus.AWAITING_CALLBACK.value
    assert [h.id for h in _open(world)] == [found.hazard_id]  # open until re-checked
    result = world.recheck(found.hazard_id, True, note="已更换新灭火器")
    assert (result.step, result.hazard.status, result.order_status) == (
        RecheckStep.CLOSE,
        HazardStatus.FIXED,
        OrderStatus.CLOSED.value,
    )
    assert result.photos_attached == 1 and result.hazard.recheck_by_name == "gw_xb"
    trail = world.services.orders.transitions(TEST_ADMIN, found.order_id)
    assert [t.action for t in trail][-3:] == ["resolve_on_intake", "attach", "close"]
    assert trail[-1].by_system and "gw_xb" in trail[-1].note and "已整改" in trail[-1].note
    assert world.hazards.hazards_of_order(world.village, found.order_id)[0].status is HazardStatus.FIXED
    with pytest.raises(Conflict):  # nothing left to re-check
        world.recheck(found.hazard_id, True)


def test_an_unfixed_recheck_reopens_the_order_at_the_village(world: World) -> None:
    found = world.report()
    world.services.orders.act(world.village, found.order_id, ResolveOnIntake(note="已责令整改"))
    result = world.recheck(found.hazard_id, False, note="仍未更换")
    assert (result.step, result.hazard.status) == (RecheckStep.REOPEN, HazardStatus.UNFIXED)
    row = world.order(found.order_id)
    assert (row.status, row.chain, row.reopen_count) == (
        OrderStatus.PENDING_DISPATCH.value,
        [world.district.units["GC-XB"]],
        1,
    )
    assert [h.id for h in _open(world)] == [found.hazard_id]  # re-checked again at the next visit
    # the village solves it again; the reopen is used up, so an unfixed re-check leaves it to a person
    world.services.orders.act(world.village, found.order_id, ResolveOnIntake(note="再次责令整改"))
    again = world.recheck(found.hazard_id, False)
    assert again.step is RecheckStep.NOTHING and world.order(found.order_id).status == "awaiting_callback"
    assert world.recheck(found.hazard_id, True).order_status == OrderStatus.CLOSED.value


def test_sent_up_to_the_town_the_order_is_left_to_its_holder_and_not_solved_in_the_village(
    world: World,
) -> None:
    services, units = world.services, world.district.units
    found = world.report()
    services.orders.act(world.village, found.order_id, Return(note="村居无执法权，上报街道"))
    row = world.order(found.order_id)
    assert (row.status, row.chain) == (OrderStatus.PENDING_DISPATCH.value, [units["GC"]])
    town = world.district.actors["town"]
    services.orders.act(town, found.order_id, Dispatch(target_unit_id=units["GC-CG"], note="请城管办处理"))
    held = world.recheck(found.hazard_id, False)
    assert (held.step, held.hazard.status, held.photos_attached) == (
        RecheckStep.NOTHING,
        HazardStatus.UNFIXED,
        0,
    )
    assert world.order(found.order_id).status == OrderStatus.DISPATCHED.value
    figures = world.hazards.local_resolution(TEST_ADMIN, local_date(now()), local_date(now()))
    assert (figures.total.registered, figures.total.closed, figures.total.solved_in_village) == (1, 0, 0)


def test_a_worker_of_another_grid_cannot_recheck_the_hazard(world: World) -> None:
    found = world.report()
    before = world.hazard(found.hazard_id)
    version = world.order(found.order_id).version
    with pytest.raises(NotFound):
        world.recheck(found.hazard_id, True, who=world.other)
    for who in (world.village, world.district.actors["district"], TEST_ADMIN):
        with pytest.raises(PermissionDenied):
            world.recheck(found.hazard_id, True, who=who)
    with pytest.raises(NotFound):
        world.recheck(found.hazard_id + 1000, True)
    after = world.hazard(found.hazard_id)
    assert (after.status, after.rechecked_at) == (before.status, None)
    assert world.order(found.order_id).version == version


def test_only_the_village_or_a_center_above_sets_the_rectification_deadline(world: World) -> None:
    found = world.report()
    deadline = local_date(now()) + timedelta(days=10)
    for who in (world.worker, world.district.actors["xiabei"], world.district.actors["town2"]):
        with pytest.raises((PermissionDenied, NotFound)):
            world.hazards.set_rectification(who, found.order_id, deadline)
    version = world.order(found.order_id).version
    [view] = world.hazards.set_rectification(world.district.actors["town"], found.order_id, deadline)
    assert view.rectify_by == deadline
    # the order's trail says who moved the deadline, from and to; the same date again changes nothing
    assert world.order(found.order_id).version == version + 1
    with world.services.db.reading() as session:
        step = session.scalars(
            select(TransitionRow)
            .where(TransitionRow.order_id == found.order_id)
            .order_by(TransitionRow.id.desc())
        ).first()
        assert step is not None and step.action == "set_rectification"
        assert step.details["to"] == deadline.isoformat() and "整改期限定为" in step.note
    with pytest.raises(ValidationFailed, match="没有变化"):
        world.hazards.set_rectification(world.district.actors["town"], found.order_id, deadline)


def test_a_recheck_after_the_order_closed_reports_the_hazard_again(world: World) -> None:
    found = world.report()
    world.services.orders.act(world.village, found.order_id, ResolveOnIntake(note="已整改"))
    assert world.recheck(found.hazard_id, True).order_status == OrderStatus.CLOSED.value
    # fixed then, found again later by a new visit: a new report; here the closed order of a
    # second hazard is re-checked unfixed
    second = world.report("S9:XF-001:q2", question_id="q2")
    world.services.orders.act(world.village, second.order_id, ResolveOnIntake(note="已整改"))
    world.services.orders.act(TEST_ADMIN, second.order_id, Close(note="回访归档"))
    result = world.recheck(second.hazard_id, False, note="隐患仍在")
    assert (result.step, result.hazard.status) == (RecheckStep.FOLLOW_UP, HazardStatus.SUPERSEDED)
    assert result.follow_up is not None and result.follow_up.created
    follow = world.hazard(result.follow_up.hazard_id)
    assert (follow.follows_id, follow.status, follow.question_id) == (second.hazard_id, "open", "q2")
    new_order = world.order(result.follow_up.order_id)
    assert (
        new_order.status == OrderStatus.PENDING_DISPATCH.value
        and new_order.grid_id == world.grids[f"{XB}001"]
    )
    assert [h.id for h in _open(world)] == [follow.id]


# --------------------------------------------------------------------------- figures


def test_local_resolution_counts_orders_solved_in_the_village_and_the_hazards(world: World) -> None:
    services, units = world.services, world.district.units
    solved = world.report("S1:a:1")
    services.orders.act(world.village, solved.order_id, ResolveOnIntake(note="已整改"))
    world.recheck(solved.hazard_id, True)
    sent_up = world.report("S1:a:2", question_id="q2")
    services.orders.act(world.village, sent_up.order_id, Return(note="上报街道"))
    services.orders.act(world.district.actors["town"], sent_up.order_id, ResolveOnIntake(note="街道已处理"))
    world.recheck(sent_up.hazard_id, True)
    world.report("S1:a:3", question_id="q3", found_at=now() - timedelta(days=10), rectify_days=2)
    world.report(
        "S4:pn:1",
        worker=world.other,
        object_id=world.objects["平南五金厂"],
        level=HazardLevel.MAJOR,
    )
    today = local_date(now())
    figures = world.hazards.local_resolution(TEST_ADMIN, today, today)
    by_village = {v.village_name: v.figures for v in figures.villages}
    xb = by_village["夏北社区"]
    assert (xb.registered, xb.closed, xb.solved_in_village, xb.share) == (3, 2, 1, 0.5)
    assert (xb.hazards_found, xb.hazards_fixed, xb.hazards_open, xb.hazards_overdue) == (3, 2, 1, 1)
    pn = by_village["平南社区"]
    assert (pn.registered, pn.closed, pn.share, pn.hazards_open) == (1, 0, None, 1)
    assert (figures.total.registered, figures.total.hazards_found, figures.total.share) == (4, 4, 0.5)
    # a village's staff see their village's figures only; a worker their posts' villages
    own = world.hazards.local_resolution(world.village, today, today)
    assert [v.village_unit_id for v in own.villages] == [units["GC-XB"]]
    assert [v.village_name for v in world.hazards.local_resolution(world.other, today, today).villages] == [
        "平南社区"
    ]
    # another period has none of them
    earlier = world.hazards.local_resolution(
        TEST_ADMIN, today - timedelta(days=30), today - timedelta(days=20)
    )
    assert earlier.total.registered == 0


def _open(world: World) -> list[HazardView]:
    with world.services.db.reading() as session:
        return world.hazards.open_hazards_in(session, world.objects.values())
