"""A new hot issue growing fast raises a warning (预警) in the town and category of most of its
orders, once, and the town's center is told (a notice naming the warning's page), on SQLite and
PostgreSQL; another town's center neither sees the warning nor gets the notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.support import TEST_ADMIN, District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.errors import NotFound, PermissionDenied
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.hotspots.service import HotIssueService
from zhiyun.hotspots.tracker import HotIssueTracker
from zhiyun.orders.service import NewOrder
from zhiyun.outlook.jobs import DETECTOR
from zhiyun.outlook.service import OutlookService
from zhiyun.store.tables import NoticeRow

NOISE = "CG05"  # 噪音扰民
PLANT = [
    ("丽园小区旁搅拌站夜间施工噪音扰民", "丽园小区东侧的混凝土搅拌站每天夜里还在作业，噪音很大。"),
    ("投诉丽园小区附近搅拌站噪音", "丽园小区旁边搅拌站半夜运转，搅拌机和罐车的噪音扰民。"),
    ("丽园小区搅拌站深夜噪音问题", "我住丽园小区，隔壁搅拌站晚上一直施工，噪音严重影响休息。"),
    ("丽园小区搅拌站夜间噪音扰民严重", "丽园小区附近的搅拌站夜里还在生产，噪音和灰尘都很大。"),
    ("丽园小区搅拌站噪音<script>alert(1)</script>", "丽园小区搅拌站凌晨施工，噪音扰民，请处理。"),
    ("丽园小区搅拌站又在夜里施工", "丽园小区旁搅拌站今晚又施工到凌晨，噪音扰民。"),
]


@pytest.fixture
def world(services: Services) -> District:
    services.taxonomy.ensure_default(TEST_ADMIN)
    return build_small_district(services)


def _register(services: Services, district: District, count: int) -> None:
    for n, (title, content) in enumerate(PLANT[:count]):
        new = NewOrder(
            title=title,
            content=content,
            citizen_phone=f"1380000{n:04d}",
            channel="12345",
            category_code=NOISE,
        )
        services.orders.register(district.actors["town"], new)


def _grown(services: Services, district: District, count: int = 6) -> OutlookService:
    _register(services, district, count)
    services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    return services.get(OutlookService)


def test_a_new_hot_issue_growing_fast_raises_one_warning_at_its_towns_center(
    services: Services, world: District
) -> None:
    outlook = _grown(services, world)
    (issue,) = services.get(HotIssueService).issues(world.actors["leader"])
    watched = outlook.watch_hot_issues(DETECTOR)
    assert watched.raised == 1
    (warning,) = outlook.warnings(world.actors["town"])
    assert warning.window == "hot" and warning.hot_issue_id == issue.id
    assert warning.town_unit_id == world.units["GC"] and warning.category_code == NOISE
    assert warning.observed == 6 and warning.explanation.startswith("新热点「")
    assert "近 24 小时 6 件" in warning.explanation
    with services.db.reading() as session:
        notices = [
            (n.kind, n.link, n.unit_id, n.message)
            for n in session.scalars(select(NoticeRow).where(NoticeRow.order_id.is_(None)))
        ]
        center = services.reference.get(session).org.center_of(world.units["GC"]).id
    assert [(kind, link, unit) for kind, link, unit, _ in notices] == [
        ("hot_issue", f"/outlook#warning-{warning.id}", center)
    ]
    assert notices[0][3].startswith("预警：新热点")
    (told,) = [n for n in services.orders.notices(world.actors["town"]) if n.order_id is None]
    assert told.link == f"/outlook#warning-{warning.id}" and told.kind == "hot_issue"


def test_watching_again_raises_nothing_and_a_new_order_brings_the_counts_up_to_date(
    services: Services, world: District
) -> None:
    outlook = _grown(services, world, 5)
    assert outlook.watch_hot_issues(DETECTOR).raised == 1
    again = outlook.watch_hot_issues(DETECTOR)
    assert again.raised == 0 and again.updated == 0
    (title, content) = PLANT[5]
    services.orders.register(
        world.actors["town"],
        NewOrder(
            title=title, content=content, citizen_phone="13900000099", channel="12345", category_code=NOISE
        ),
    )
    services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    assert outlook.watch_hot_issues(DETECTOR).updated == 1
    (warning,) = outlook.warnings(world.actors["town"])
    assert warning.observed == 6
    with services.db.reading() as session:
        assert len(session.scalars(select(NoticeRow.id).where(NoticeRow.kind == "hot_issue")).all()) == 1


def test_too_few_orders_or_an_old_issue_raise_nothing(services: Services, world: District) -> None:
    outlook = _grown(services, world, 4)
    assert outlook.watch_hot_issues(DETECTOR).raised == 0
    later = OutlookService(
        services.db,
        services.reference,
        outlook.intake,
        clock=lambda: services.clock() + timedelta(days=8),
    )
    _register(services, world, 6)
    services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    assert later.watch_hot_issues(DETECTOR).raised == 0  # a week later the issue is no longer new


def test_another_towns_center_neither_sees_the_warning_nor_is_told(
    services: Services, world: District
) -> None:
    outlook = _grown(services, world)
    (raised,) = outlook.watch_hot_issues(DETECTOR).warnings
    other = world.actors["town2"]
    assert outlook.warnings(other) == []
    with pytest.raises(NotFound):
        outlook.warning(other, raised)
    assert all(n.kind == "urge" for n in services.orders.notices(other))
    with pytest.raises(PermissionDenied):
        outlook.watch_hot_issues(world.actors["town"])
