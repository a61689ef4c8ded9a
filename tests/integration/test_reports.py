"""Scheduled reports (统计报表) on SQLite and PostgreSQL, over the dashboard tests' week of orders:
made once per unit, kind and period, their figures frozen with the rate definition they counted
by, scoped to the reader, subscribed to, and drawn as a spreadsheet."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from tests.integration import test_dashboard_service as dashboard_story
from tests.support import District

from zhiyun.analytics.definitions import RateDefinitionService
from zhiyun.analytics.report_xlsx import report_xlsx
from zhiyun.analytics.reports import ReportService
from zhiyun.bootstrap import Services
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.domain.reports import Period, ReportKind, period_of

SHANGHAI, FakeClock = dashboard_story.SHANGHAI, dashboard_story.FakeClock
world = dashboard_story.world  # the fixture: the dashboard tests' week of orders

MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=SHANGHAI)  # the week of the orders has ended
WEEK = Period(date(2026, 11, 23), date(2026, 11, 29))


def reports_at(services: Services, when: datetime) -> ReportService:
    return ReportService(services.db, services.reference, clock=FakeClock(when))


def test_the_worker_makes_each_units_day_week_and_month_once(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    reports = reports_at(services, MONDAY)
    assert reports.make_due(SCHEDULED_JOBS) == 15  # 南海区, 桂城, 大沥, 住建局, 执法大队 × 日报 周报 月报
    assert reports.make_due(SCHEDULED_JOBS) == 0
    listed = reports.reports(district.actors["leader"])
    assert {(r.kind, r.period) for r in listed} == {
        (ReportKind.DAILY, Period(date(2026, 11, 29), date(2026, 11, 29))),
        (ReportKind.WEEKLY, WEEK),
        (ReportKind.MONTHLY, Period(date(2026, 10, 1), date(2026, 10, 31))),
    }
    with pytest.raises(PermissionDenied):
        reports.make_due(district.actors["district"])


def test_a_weeks_report_counts_the_week_by_the_definition_in_force_and_keeps_it(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    reports = reports_at(services, MONDAY)
    root = district.units["NH"]
    made = reports.make(district.actors["leader"], root, ReportKind.WEEKLY, WEEK)
    f = made.figures
    assert f["volume"]["registered"] == 6 and f["volume"]["closed"] == 3  # A–F; A, E and F closed
    overall = f["rates"]["overall"]["counts"]
    assert overall["valid"] == 5 and overall["excluded"] == 1  # D, cancelled
    assert f["rate_definition"]["version"] == 1 and made.summary.definition_version == 1
    assert {u["name"] for u in f["rates"]["units"]} >= {"桂城街道", "大沥镇", "区住建局"}
    services.get(RateDefinitionService).define(
        district.actors["admin"], {"exclusions": ["repeat"], "note": "撤销件也计入"}
    )
    again = reports.make(district.actors["leader"], root, ReportKind.WEEKLY, WEEK)
    assert again.summary.id == made.summary.id and again.figures == f  # made once, kept as made
    fresh = reports.make(district.actors["leader"], district.units["GC"], ReportKind.WEEKLY, WEEK)
    assert (
        fresh.summary.definition_version == 2 and fresh.figures["rates"]["overall"]["counts"]["excluded"] == 0
    )


def test_a_report_of_a_period_not_ended_is_refused(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    reports = reports_at(services, MONDAY)
    with pytest.raises(ValidationFailed, match="已结束"):
        reports.make(
            district.actors["leader"],
            district.units["NH"],
            ReportKind.WEEKLY,
            period_of(ReportKind.WEEKLY, MONDAY.date()),
        )


def test_a_town_reads_its_own_reports_only_and_a_handler_none(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    reports = reports_at(services, MONDAY)
    reports.make_due(SCHEDULED_JOBS)
    town = district.actors["town"]
    mine = reports.reports(town)
    assert mine and {r.unit_name for r in mine} == {"桂城街道"}
    theirs = next(r for r in reports.reports(district.actors["leader"]) if r.unit_name == "大沥镇")
    with pytest.raises(NotFound):
        reports.report(town, theirs.id)
    with pytest.raises(NotFound):
        reports.make(town, district.units["DL"], ReportKind.WEEKLY, WEEK)
    with pytest.raises(NotFound):
        reports.subscribe(town, district.units["DL"], ReportKind.WEEKLY)
    with pytest.raises(PermissionDenied):
        reports.reports(district.actors["xiabei"])
    with pytest.raises(PermissionDenied):
        reports.report(district.actors["xiabei"], theirs.id)


def test_a_subscriber_sees_new_reports_marked_until_read(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    leader: District = district
    reports = reports_at(services, MONDAY)
    subscription = reports.subscribe(leader.actors["leader"], leader.units["NH"], ReportKind.WEEKLY)
    assert reports.subscribe(leader.actors["leader"], leader.units["NH"], ReportKind.WEEKLY) == subscription
    reports.make_due(SCHEDULED_JOBS)
    new = [r for r in reports.reports(leader.actors["leader"]) if r.new]
    assert [(r.unit_name, r.kind) for r in new] == [("南海区", ReportKind.WEEKLY)]
    reports.mark_seen(leader.actors["leader"])
    assert not any(r.new for r in reports.reports(leader.actors["leader"]))
    with pytest.raises(NotFound):
        reports.unsubscribe(leader.actors["inspector"], subscription)
    reports.unsubscribe(leader.actors["leader"], subscription)
    assert reports.subscriptions(leader.actors["leader"]) == []


def test_the_spreadsheet_holds_the_reports_figures(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    made = reports_at(services, MONDAY).make(
        district.actors["leader"], district.units["NH"], ReportKind.WEEKLY, WEEK
    )
    book = load_workbook(io.BytesIO(report_xlsx(made.summary.title, made.figures)))
    assert book.sheetnames == ["概况", "各单位", "渠道", "类别"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["单位"] == "南海区" and summary["受理量"] == 6 and summary["口径排除工单"] == 1
    assert summary["统计口径"].startswith("统计口径第 1 版")
    units = [row[0] for row in book["各单位"].iter_rows(min_row=2, values_only=True)]
    assert "桂城街道" in units


def test_a_report_carries_the_sections_of_the_hot_issues_the_warnings_and_the_outlook(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    reports = services.get(ReportService)  # as built with the capabilities' sections
    reports.clock = FakeClock(MONDAY)
    made = reports.make(district.actors["leader"], district.units["NH"], ReportKind.WEEKLY, WEEK)
    sections = {s["key"]: s for s in made.figures["sections"]}
    assert set(sections) == {"hot_issues", "warnings", "outlook"}
    assert (
        sections["hot_issues"]["columns"][:2] == ["排名", "热点问题"] and sections["warnings"]["rows"] == []
    )
    book = load_workbook(io.BytesIO(report_xlsx(made.summary.title, made.figures)))
    assert book.sheetnames == [
        "概况",
        "各单位",
        "渠道",
        "类别",
        "热点问题（前 10）",
        "预警",
        "季节与预测展望",
    ]
