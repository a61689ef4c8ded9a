"""What the analytics capability registers: the leader dashboard, the rate definition and the reports."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="analytics",
    summary="The leader dashboard (领导驾驶舱) and its day rollup, the rate definition (统计口径) and scheduled reports (统计报表): volumes, rates and rankings by unit and category.",
    tables=("zhiyun.analytics.tables",),
    services=("zhiyun.analytics.definitions:build", "zhiyun.analytics.reports:build"),
    api=(Mount("zhiyun.analytics.api:router"), Mount("zhiyun.analytics.report_api:router")),
    pages=(Mount("zhiyun.analytics.pages:router"), Mount("zhiyun.analytics.report_pages:router")),
    nav=(
        NavItem("/dashboard", "领导驾驶舱", access.may_view_dashboard, 30),
        NavItem("/reports", "统计报表", access.may_view_dashboard, 31),
    ),
    commands=(Command("dashboard", "zhiyun.analytics.cli:dashboard_app"),),
    jobs=(
        Job(
            "dashboard-rollup",
            "rebuild the dashboard rollup",
            "zhiyun.analytics.jobs:rollup_once",
            timedelta(minutes=5),
            at_once=True,
        ),
        Job(
            "analytics-reports",
            "make the reports of the day, week and month that have just ended",
            "zhiyun.analytics.jobs:reports_once",
            timedelta(hours=1),
            at_once=True,
        ),
    ),
    admin=(
        AdminSection(
            "rate-definitions",
            "统计口径",
            access.may_define_rates,
            "zhiyun.analytics.definition_pages:RATE_DEFINITIONS",
            96,
        ),
    ),
    templates=True,
)
