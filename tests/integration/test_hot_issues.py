"""The platform's hot issues (热点问题) on SQLite and PostgreSQL: orders about one matter at one place
become one ranked issue that new orders join on the worker's next turn and that keeps its id
across rebuilds; readers see their own unit's; a dispatcher merges its orders into one
supervised order or makes a proactive order, each once and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.support import District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.channels import PROACTIVE
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.domain.workorder import Dispatch, OrderStatus, Supervise
from zhiyun.hotspots.report_section import HotIssuesSection
from zhiyun.hotspots.service import HotIssueService
from zhiyun.hotspots.tracker import HotIssueTracker
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import TransitionRow, WorkOrderRow

PLANT = [
    (
        "丽园小区旁搅拌站夜间施工噪音扰民",
        "丽园小区东侧的混凝土搅拌站每天夜里十二点以后还在作业，噪音很大，老人小孩睡不着。",
    ),
    ("投诉丽园小区附近搅拌站噪音", "丽园小区旁边搅拌站半夜运转，搅拌机和罐车的噪音扰民，请尽快处理。"),
    ("丽园小区搅拌站深夜噪音问题", "我住丽园小区，隔壁搅拌站晚上一直施工，噪音严重影响休息，希望管一管。"),
    (
        "丽园小区搅拌站夜间噪音扰民严重",
        "丽园小区附近的搅拌站夜里还在生产，噪音和灰尘都很大，已经持续两周了。",
    ),
]
OTHER = [
    ("路灯不亮", "桂城大道中段两盏路灯坏了，晚上很黑。"),
    ("咨询社保转移", "想咨询一下外地社保怎么转到本地。"),
]


@pytest.fixture
def world(services: Services) -> District:
    return build_small_district(services)


def register(
    services: Services, district: District, title: str, content: str, phone: str, who: str = "town"
) -> int:
    new = NewOrder(title=title, content=content, citizen_phone=phone, channel="12345")
    return services.orders.register(district.actors[who], new).order.summary.id


def turn(services: Services) -> None:
    services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)


def seed(services: Services, district: District, who: str = "town") -> list[int]:
    phones = ["13800000001", "13800000002", "13800000003", "13800000001"]
    ids = [register(services, district, t, c, p, who) for (t, c), p in zip(PLANT, phones, strict=True)]
    for n, (t, c) in enumerate(OTHER):
        register(services, district, t, c, f"1390000000{n}", who)
    return ids


def test_orders_about_one_matter_at_one_place_become_one_issue_that_a_new_order_joins(
    services: Services, world: District
) -> None:
    ids = seed(services, world)
    turn(services)
    (issue,) = services.get(HotIssueService).issues(world.actors["leader"])
    assert issue.rank == 1 and issue.size == 4 and issue.callers == 3 and "丽园" in issue.title
    assert issue.hot_index > 0 and set(issue.parts) >= {"volume", "callers", "signals"}
    later = register(
        services,
        world,
        "丽园小区搅拌站又在夜里施工",
        "丽园小区旁搅拌站今晚又施工到凌晨，噪音扰民。",
        "13800000009",
    )
    turn(services)
    (again,) = services.get(HotIssueService).issues(world.actors["leader"])
    assert again.id == issue.id and again.size == 5
    detail = services.get(HotIssueService).detail(world.actors["leader"], issue.id)
    assert {m.id for m in detail.members} == {*ids, later} and detail.hidden == 0


def test_a_rebuild_keeps_the_issue_and_a_cancelled_order_leaves_it(
    services: Services, world: District
) -> None:
    ids = seed(services, world)
    turn(services)
    (issue,) = services.get(HotIssueService).issues(world.actors["leader"])
    services.orders.act(
        world.actors["town"],
        ids[0],
        __import__("zhiyun.domain.workorder", fromlist=["Cancel"]).Cancel(note="无效"),
    )
    report = services.get(HotIssueTracker).rebuild(SCHEDULED_JOBS)
    assert report.rebuilt and report.added == 5  # the cancelled order is no message
    (kept,) = services.get(HotIssueService).issues(world.actors["leader"])
    assert kept.id == issue.id and kept.size == 3
    with pytest.raises(PermissionDenied):
        services.get(HotIssueTracker).refresh(world.actors["town"])


def test_a_town_sees_its_own_hot_issues_and_not_another_towns(services: Services, world: District) -> None:
    seed(services, world, who="town")  # 桂城
    turn(services)
    hot = services.get(HotIssueService)
    (issue,) = hot.issues(world.actors["town"])
    assert hot.issues(world.actors["town2"]) == []  # 大沥
    with pytest.raises(NotFound):
        hot.detail(world.actors["town2"], issue.id)
    with pytest.raises(NotFound):
        hot.proactive_order(world.actors["town2"], issue.id)
    with pytest.raises(PermissionDenied):
        hot.issues(world.actors["xiabei"])
    with pytest.raises(PermissionDenied):
        hot.merge(world.actors["leader"], issue.id)  # a leader reads; dispatchers act


def test_merging_leaves_one_supervised_order_every_step_audited_and_only_once(
    services: Services, world: District
) -> None:
    ids = seed(services, world, who="district")
    for order_id in ids:
        services.orders.act(world.actors["district"], order_id, Dispatch(target_unit_id=world.units["GC"]))
    turn(services)
    hot = services.get(HotIssueService)
    (issue,) = hot.issues(world.actors["district"])
    done = hot.merge(world.actors["district"], issue.id, "同一搅拌站")
    assert done.supervised and len(done.merged) == 3 and done.not_merged == ()
    with services.db.reading() as session:
        rows = {r.id: r for r in session.scalars(select(WorkOrderRow).where(WorkOrderRow.id.in_(ids)))}
        lead = rows[ids[0]]
        assert lead.number == done.order_number and lead.supervised
        assert all(
            OrderStatus(rows[i].status) is OrderStatus.MERGED and rows[i].master_id == lead.id
            for i in ids[1:]
        )
        actions = [
            a for (a,) in session.execute(select(TransitionRow.action).where(TransitionRow.order_id.in_(ids)))
        ]
        assert actions.count("merge") == 3 and actions.count("supervise") == 1
    with pytest.raises(Conflict):
        hot.proactive_order(world.actors["district"], issue.id)
    (after,) = hot.issues(world.actors["district"])
    assert after.status == "merged" and after.order_number == done.order_number


def test_a_proactive_order_is_registered_through_intake_at_the_dispatchers_center(
    services: Services, world: District
) -> None:
    seed(services, world)
    turn(services)
    hot = services.get(HotIssueService)
    (issue,) = hot.issues(world.actors["town"])
    done = hot.proactive_order(world.actors["town"], issue.id, "组织夜查")
    with services.db.reading() as session:
        order = session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == done.order_number)).one()
        assert order.channel == PROACTIVE and order.external_id == f"H{issue.id}"
        assert order.title.startswith("未诉先办：") and order.registered_unit_id == world.units["GC"]
        assert "组织夜查" in order.content
    with pytest.raises(Conflict):
        hot.proactive_order(world.actors["town"], issue.id)
    turn(services)  # the proactive order is no message of any issue
    (still,) = hot.issues(world.actors["town"])
    assert still.size == 4 and still.status == "ordered"


def test_orders_older_than_the_window_leave_the_issues_at_the_daily_rebuild(
    services: Services, world: District
) -> None:
    seed(services, world)
    tracker = services.get(HotIssueTracker)
    tracker.refresh(SCHEDULED_JOBS)
    tracker.clock = lambda: datetime.now(UTC) + timedelta(days=120)  # type: ignore[method-assign]
    report = tracker.refresh(SCHEDULED_JOBS)
    assert report.rebuilt and report.added == 0  # a day after the last rebuild: built again, all too old
    assert services.get(HotIssueService).issues(world.actors["leader"]) == []


def test_an_order_that_committed_late_is_still_taken_in(services: Services, world: District) -> None:
    seed(services, world)
    turn(services)
    late = register(
        services, world, "丽园小区搅拌站噪音又来了", "丽园小区旁搅拌站凌晨施工噪音扰民。", "13800000007"
    )
    with services.db.transaction() as session:  # registered two minutes before the last turn: a slow commit
        row = session.get(WorkOrderRow, late)
        assert row is not None
        row.registered_at = row.registered_at - timedelta(minutes=2)
    report = services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    assert report.added == 1 and report.assign_p99_ms >= 0
    (issue,) = services.get(HotIssueService).issues(world.actors["leader"])
    assert issue.size == 5


def test_the_reports_section_lists_the_ranked_issues_with_orders_of_the_unit_and_period(
    services: Services, world: District
) -> None:
    seed(services, world)  # registered by 桂城
    turn(services)
    section = HotIssuesSection()
    now = datetime.now(UTC)
    with services.db.reading() as session:
        org = services.reference.get(session).org
        mine = section.section_in(
            session, org, world.units["GC"], now - timedelta(days=1), now + timedelta(minutes=1), now
        )
        theirs = section.section_in(
            session, org, world.units["DL"], now - timedelta(days=1), now + timedelta(minutes=1), now
        )
        before = section.section_in(
            session, org, world.units["GC"], now - timedelta(days=9), now - timedelta(days=8), now
        )
    assert (
        mine is not None and len(mine.rows) == 1 and mine.rows[0][0] == 1 and "丽园" in str(mine.rows[0][1])
    )
    assert theirs is not None and theirs.rows == ()
    assert before is not None and before.rows == ()


def test_a_merge_touches_and_names_only_the_orders_the_dispatcher_may_see(
    services: Services, world: District
) -> None:
    ids = seed(services, world, who="town")  # registered at 桂城: its dispatcher may merge them
    theirs = register(
        services,
        world,
        "丽园小区搅拌站夜里施工太吵",
        "丽园小区旁搅拌站夜间施工噪音扰民。",
        "13800000008",
        who="town2",
    )
    turn(services)
    hot = services.get(HotIssueService)
    (issue,) = hot.issues(world.actors["town"])
    assert hot.detail(world.actors["town"], issue.id).hidden == 1  # 大沥's order
    done = hot.merge(world.actors["town"], issue.id)
    with services.db.reading() as session:
        other = session.get(WorkOrderRow, theirs)
        assert other is not None and OrderStatus(other.status) is OrderStatus.PENDING_DISPATCH
        number = other.number
    assert number not in done.not_merged and number not in done.merged
    assert (
        len(done.merged) == 3
        and done.order_number == services.orders.get(world.actors["town"], ids[0]).summary.number
    )


def test_an_order_supervised_after_it_joined_raises_its_issues_signals_on_the_next_turn(
    services: Services, world: District
) -> None:
    ids = seed(services, world, who="district")
    for order_id in ids:
        services.orders.act(world.actors["district"], order_id, Dispatch(target_unit_id=world.units["GC"]))
    turn(services)
    hot = services.get(HotIssueService)
    (before,) = hot.issues(world.actors["district"])
    assert before.parts["signals"] == 0
    services.orders.act(world.actors["district"], ids[1], Supervise(note="群众反映集中"))
    report = services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    assert report.refreshed == 1 and report.added == 0
    (after,) = hot.issues(world.actors["district"])
    assert after.id == before.id and after.parts["signals"] > 0 and after.hot_index > before.hot_index
    again = services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    assert again.refreshed == 0
