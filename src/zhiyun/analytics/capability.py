"""What the analytics capability registers: the leader dashboard."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="analytics",
    summary="The leader dashboard (领导驾驶舱) and its day rollup: volumes, rates and rankings by unit and category.",
    tables=("zhiyun.analytics.tables",),
    services=("zhiyun.analytics.definitions:build",),
    api=(Mount("zhiyun.analytics.api:router"),),
    pages=(Mount("zhiyun.analytics.pages:router"),),
    nav=(NavItem("/dashboard", "领导驾驶舱", access.may_view_dashboard, 30),),
    commands=(Command("dashboard", "zhiyun.analytics.cli:dashboard_app"),),
    jobs=(
        Job(
            "dashboard-rollup",
            "rebuild the dashboard rollup",
            "zhiyun.analytics.jobs:rollup_once",
            timedelta(minutes=5),
            at_once=True,
        ),
    ),
    admin=(
        AdminSection(
            "rate-definitions",
            "统计口径",
            access.may_define_rates,
            "zhiyun.analytics.definition_pages:RATE_DEFINITIONS",
            60,
        ),
    ),
    templates=True,
)
