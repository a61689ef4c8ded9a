"""Electronic ledgers (电子台账) and patrol figures on SQLite and PostgreSQL, over visits made
through `PatrolService.submit` (tests/ledger_support.py): every answer kept per object and item,
a ledger per village, grid, item or object with its hazards and whether they were fixed, the
XLSX an inspection prints, the month's figures per village, grid and worker, and who sees what."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests.e2e.harness import PNG
from tests.ledger_support import DECEMBER, TODAY, PatrolledMonth, patrol_december
from tests.patrol_support import at, seed_patrol_world
from tests.support import PASSWORD, TEST_ADMIN, TEST_SYSTEM

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.patrol_ledger import (
    AFTER_ANSWERS,
    BEFORE_ANSWERS,
    HazardFix,
    LedgerRequest,
    ScopeKind,
    needs_attention,
    tally,
)
from zhiyun.domain.patrol_plan import Coverage, coverage
from zhiyun.domain.workorder import ResolveOnIntake
from zhiyun.grid.hazard_tables import GridHazardRow
from zhiyun.grid.hazards import GridHazardService
from zhiyun.grid.ledger import LedgerService
from zhiyun.grid.ledger_repo import month_tasks
from zhiyun.grid.ledger_xlsx import COVER, HEADER_ROW
from zhiyun.grid.patrol_figures import PatrolFiguresService
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.store.tables import OrgUnitRow

XB = "GC-XB"
PN = "GC-PN"
DEC = {"start": date(2026, 12, 1), "end": date(2026, 12, 31)}


@pytest.fixture
def month(services: Services, tmp_path: Path) -> PatrolledMonth:
    return patrol_december(seed_patrol_world(services, tmp_path))


def ledgers(month: PatrolledMonth) -> LedgerService:
    s = month.world.services
    return LedgerService(s.db, clock=lambda: at(TODAY, 15))


def figures(month: PatrolledMonth) -> PatrolFiguresService:
    s = month.world.services
    return PatrolFiguresService(
        s.db, s.get(PatrolService), s.get(GridHazardService), clock=lambda: at(TODAY, 15)
    )


def staff(services: Services, role: Role, unit_code: str) -> Actor:
    with services.db.reading() as session:
        unit_id = session.scalar(select(OrgUnitRow.id).where(OrgUnitRow.code == unit_code))
    return Actor(user_id=None, role=role, unit_id=unit_id, name=f"{unit_code} 工作人员")


def village_ledger(month: PatrolledMonth, actor: Actor, village: str = XB):
    return ledgers(month).ledger(actor, LedgerRequest.parse(village=village, **DEC))


def test_a_village_ledger_keeps_every_answer_per_object_and_item_with_the_hazard_not_yet_rechecked(
    month: PatrolledMonth,
) -> None:
    ledger = village_ledger(month, staff(month.world.services, Role.HANDLER, XB))
    assert ledger.title == "夏北社区 网格巡查电子台账 2026年12月"
    assert ledger.scope is ScopeKind.VILLAGE
    codes = {s.item_code for s in ledger.sections}
    assert set(month.eatery_items) | set(month.shop_items) == codes
    fire = next(s for s in ledger.sections if s.item_code == "XF-001")
    names = [line.object.name for line in fire.lines]
    assert sorted(names) == ["好又多便利店", "陈记粉面店"]
    eatery = next(line for line in fire.lines if line.object.name == "陈记粉面店")
    (check,) = eatery.checks
    assert check.day == date(2026, 12, 3) and check.worker == "gc_grid"
    assert {a.question_id for a in check.answers} == {c.question_id for c in fire.columns}
    (hazard,) = check.hazards
    assert hazard.question_id == month.hazard_question and hazard.fix is HazardFix.UNCHECKED
    assert check.photos >= 1
    t = ledger.totals
    assert (t.objects, t.visits) == (2, 3)  # the eatery twice, the shop once
    assert (
        t.items_checked == len(month.eatery_items) + len(month.shop_items) + 1
    )  # + the late sanitation check
    assert (t.hazards_found, t.hazards_fixed, t.hazards_open) == (1, 0, 1)
    # 平南's visit is not in 夏北's ledger
    assert all(line.object.name != "平南士多" for s in ledger.sections for line in s.lines)


def test_a_ledger_per_grid_item_and_object_holds_only_that_scope(month: PatrolledMonth) -> None:
    service, admin = ledgers(month), TEST_ADMIN
    grid = service.ledger(admin, LedgerRequest.parse(grid="440605001001001", **DEC))
    assert grid.totals.visits == 3
    item = service.ledger(admin, LedgerRequest.parse(item="xf-001", **DEC))
    assert [s.item_code for s in item.sections] == ["XF-001"]
    assert {line.object.name for line in item.sections[0].lines} == {"陈记粉面店", "好又多便利店", "平南士多"}
    eatery = service.ledger(admin, LedgerRequest.parse(object_id=month.world.objects["XB1-eat"], **DEC))
    assert eatery.scope_name == "陈记粉面店" and eatery.totals.objects == 1
    assert {s.item_code for s in eatery.sections} == set(month.eatery_items)
    before = service.ledger(
        admin, LedgerRequest.parse(village=XB, start=date(2026, 11, 1), end=date(2026, 12, 2))
    )
    assert before.sections == () and before.totals.visits == 0


def test_another_villages_ledger_is_empty_and_another_villages_object_is_not_found(
    month: PatrolledMonth,
) -> None:
    services = month.world.services
    pingnan = staff(services, Role.HANDLER, PN)
    assert village_ledger(month, pingnan, XB).sections == ()
    assert village_ledger(month, pingnan, PN).totals.visits == 1
    # a grid worker: only the grids of their posts
    assert village_ledger(month, month.world.other, XB).sections == ()
    assert village_ledger(month, month.world.worker, XB).totals.visits == 3
    with pytest.raises(NotFound):
        ledgers(month).ledger(pingnan, LedgerRequest.parse(object_id=month.world.objects["XB1-eat"], **DEC))
    town = staff(services, Role.DISPATCHER, "GC")
    assert village_ledger(month, town, XB).totals.visits == 3
    with pytest.raises(PermissionDenied):
        village_ledger(month, Actor(user_id=None, role=Role.AGENT, unit_id=None))
    with pytest.raises(NotFound):
        village_ledger(month, TEST_ADMIN, "NO-SUCH")


def test_a_ledger_request_names_exactly_one_scope_and_at_most_a_year() -> None:
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(village=XB, grid="440605001001001", **DEC)
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(**DEC)
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(village=XB, start=date(2026, 12, 2), end=date(2026, 12, 1))
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(village=XB, start=date(2025, 1, 1), end=date(2026, 12, 31))


def test_the_xlsx_has_a_cover_a_sheet_per_item_the_inspection_headers_and_a_printable_layout(
    month: PatrolledMonth, tmp_path: Path
) -> None:
    out = tmp_path / "ledger.xlsx"
    ledger = ledgers(month).export(TEST_ADMIN, LedgerRequest.parse(village=XB, **DEC), out)
    book = load_workbook(out)
    assert book.sheetnames[0] == COVER and len(book.sheetnames) == 1 + len(ledger.sections)
    cover = book[COVER]
    assert cover["A1"].value == "夏北社区 网格巡查电子台账 2026年12月"
    facts = {row[0]: row[1] for row in cover.iter_rows(min_row=2, values_only=True) if row[0]}
    assert facts["发现隐患"] == 1 and facts["巡查次数"] == 3 and "村居：夏北社区" in facts["台账范围"]
    fire = book[next(n for n in book.sheetnames if n.startswith("XF-001"))]
    header = [c.value for c in fire[HEADER_ROW]]
    assert header[: len(BEFORE_ANSWERS)] == list(BEFORE_ANSWERS)
    assert header[-len(AFTER_ANSWERS) :] == list(AFTER_ANSWERS)
    section = next(s for s in ledger.sections if s.item_code == "XF-001")
    assert header[len(BEFORE_ANSWERS) : -len(AFTER_ANSWERS)] == [c.text for c in section.columns]
    rows = [[c.value for c in row] for row in fire.iter_rows(min_row=HEADER_ROW + 1)]
    eatery = next(r for r in rows if r[1] == "陈记粉面店")
    assert eatery[0] in (1, 2) and eatery[5] == "gc_grid"
    assert eatery[-3].startswith(("一般隐患", "重大隐患")) and eatery[-2] == "待复查" and eatery[-1] >= 1
    shop = next(r for r in rows if r[1] == "好又多便利店")
    assert shop[-3] == "无" and shop[-2] in ("", None)
    assert fire.freeze_panes == f"C{HEADER_ROW + 1}"
    assert fire.print_title_rows == f"$1:${HEADER_ROW}"
    assert fire.page_setup.orientation == "landscape" and fire.page_setup.fitToWidth == 1
    assert fire.sheet_properties.pageSetUpPr.fitToPage
    assert fire.column_dimensions["B"].width >= 20


def test_the_figures_count_tasks_by_status_and_coverage_as_the_domain_defines_it(
    month: PatrolledMonth,
) -> None:
    services = month.world.services
    result = figures(month).figures(TEST_ADMIN, DECEMBER)
    with services.db.reading() as session:
        tasks = [s.task for s in month_tasks(session, DECEMBER, None)]
    o = result.overall
    assert o.tasks.tasks == len(tasks)
    assert o.tasks.pending + o.tasks.done_on_time + o.tasks.done_late + o.tasks.missed == len(tasks)
    assert o.tasks.done_on_time == 3 and o.tasks.done_late == 1 and o.tasks.missed >= 1
    expected: Coverage = coverage(tasks, TODAY)
    assert (o.tasks.objects_due, o.tasks.objects_on_time) == (expected.objects_due, expected.objects_on_time)
    # the database's counts are the domain's definition, group by group
    by_all, by_grid, by_worker = tally(
        tasks, TODAY, lambda t: "all", lambda t: t.grid_id, lambda t: t.worker_id or 0
    )
    assert o.tasks == by_all["all"]
    assert {g.key: g.tasks for g in result.grids if g.tasks.tasks} == {str(k): v for k, v in by_grid.items()}
    assert {w.key: w.tasks for w in result.workers if w.tasks.tasks} == {
        str(k): v for k, v in by_worker.items()
    }
    assert {v.name for v in result.villages} >= {"夏北社区", "平南社区"}
    assert sum(v.tasks.tasks for v in result.villages) == len(tasks)
    assert (o.hazards.found, o.hazards.fixed) == (1, 0)
    gc = next(w for w in result.workers if w.name == "gc_grid")
    assert gc.hazards.found == 1 and gc.tasks.done_on_time == 2 and gc.tasks.done_late == 1
    plan = services.get(PatrolService).plan_recorded(DECEMBER)
    assert plan is not None and result.plan is not None and result.plan["tasks_saved"] == plan["tasks_saved"]
    assert o.tasks_saved == plan["tasks_saved"] and o.per_item_tasks == plan["per_item_tasks"]
    assert result.attention_total == sum(needs_attention(t, TODAY) for t in tasks) >= 2
    assert all(a.status_label in ("漏巡", "逾期完成", "上月遗留") for a in result.attention)
    assert o.local_resolution is not None and o.local_resolution.rate is None  # no grid order closed yet


def test_a_village_sees_only_its_grids_figures_and_a_worker_only_theirs(month: PatrolledMonth) -> None:
    services = month.world.services
    xiabei = figures(month).figures(staff(services, Role.HANDLER, XB), DECEMBER)
    assert [v.name for v in xiabei.villages] == ["夏北社区"]
    assert all(g.name.endswith(")") or "440605001001" in g.name for g in xiabei.grids)
    assert all("440605001001" in g.name for g in xiabei.grids)
    assert {w.name for w in xiabei.workers} == {"gc_grid"}
    worker = figures(month).figures(month.world.other, DECEMBER)
    assert [g.name for g in worker.grids] and all("440605001002001" in g.name for g in worker.grids)
    with pytest.raises(NotFound):
        figures(month).figures(TEST_ADMIN, DECEMBER, village="NO-SUCH")
    chosen = figures(month).figures(TEST_ADMIN, DECEMBER, village=PN)
    assert [v.name for v in chosen.villages] == ["平南社区"] and chosen.scope_name == "平南社区"


def test_a_grid_chief_sees_the_whole_villages_ledger_and_figures(month: PatrolledMonth) -> None:
    services = month.world.services
    chief = services.accounts.add_user(
        TEST_ADMIN, username="xb_chief", password=PASSWORD, role=Role.GRID_WORKER, unit_code=XB
    ).actor()
    services.get(GridWorkerService).add_posts(TEST_ADMIN, [NewPost("xb_chief", XB, WorkerKind.CHIEF)])
    assert village_ledger(month, chief, XB).totals.visits == 3
    assert village_ledger(month, chief, PN).sections == ()
    seen = figures(month).figures(chief, DECEMBER)
    assert [v.name for v in seen.villages] == ["夏北社区"] and len(seen.grids) == 4
    assert seen.attention_total >= 2 and all(a.grid_code.startswith("440605001001") for a in seen.attention)


def test_a_hazard_solved_in_the_village_and_rechecked_fixed_reads_fixed_and_counts_solved_locally(
    month: PatrolledMonth,
) -> None:
    services = month.world.services
    village = services.accounts.add_user(
        TEST_ADMIN, username="xb_center", password=PASSWORD, role=Role.DISPATCHER, unit_code=XB
    ).actor()
    with services.db.reading() as session:
        hazard_id, order_id = session.execute(select(GridHazardRow.id, GridHazardRow.order_id)).one()
    services.orders.act(village, order_id, ResolveOnIntake(note="已督促店主清理安全出口"))
    services.get(GridHazardService).recheck(
        month.world.worker, hazard_id, True, "已清理", [("复查.png", PNG)]
    )
    ledger = village_ledger(month, village)
    fire = next(s for s in ledger.sections if s.item_code == "XF-001")
    eatery = next(line for line in fire.lines if line.object.name == "陈记粉面店")
    assert [a.fix for a in eatery.checks[0].hazards] == [HazardFix.FIXED]
    assert (ledger.totals.hazards_found, ledger.totals.hazards_fixed, ledger.totals.hazards_open) == (1, 1, 0)
    result = figures(month).figures(village, DECEMBER)
    (xiabei,) = result.villages
    assert (xiabei.hazards.found, xiabei.hazards.fixed) == (1, 1)
    assert xiabei.local_resolution is not None and xiabei.local_resolution.rate == 1.0
    assert result.overall.local_resolution is not None and result.overall.local_resolution.rate == 1.0
    grid = next(g for g in result.grids if "440605001001001" in g.name)
    assert grid.hazards.fixed == 1 and grid.local_resolution is None  # the hazards count per village


def test_the_dashboard_shows_district_wide_readers_the_workers_count_and_others_their_grids_now(
    month: PatrolledMonth,
) -> None:
    from zhiyun.grid.patrol_panel import PatrolDashboardPanel

    services = month.world.services
    service = figures(month)
    panel = PatrolDashboardPanel(service, clock=lambda: at(TODAY, 15))
    leader = staff(services, Role.LEADER, "NH")
    assert service.district_snapshot(DECEMBER) is None  # nothing counted yet: counted now
    live = panel.read(leader)
    assert live is not None and "本月网格巡查" in live.title
    recorded = service.record_district_snapshot(TEST_SYSTEM, DECEMBER)
    assert service.district_snapshot(DECEMBER) == recorded
    assert recorded["overall"] == service.figures(TEST_ADMIN, DECEMBER).overall.as_json()
    shown = panel.read(leader)
    assert shown is not None and shown.figures[0].value == live.figures[0].value
    with pytest.raises(PermissionDenied):
        service.record_district_snapshot(staff(services, Role.HANDLER, XB), DECEMBER)
    xiabei = panel.read(staff(services, Role.HANDLER, XB))  # a village: its grids, counted now
    assert xiabei is not None
    later = PatrolFiguresService(
        services.db, services.get(PatrolService), services.get(GridHazardService), clock=lambda: at(TODAY, 16)
    )
    assert later.district_snapshot(DECEMBER) is None  # older than 20 minutes: counted again
