"""What the hotspots capability registers: the hot issues kept current by the worker, their page
and API, and the `zhiyun hotspots` commands."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.kernel.capability import Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="hotspots",
    summary="Hot issues (热点问题): messages about one matter at one place grouped and ranked by a published hot index.",
    tables=("zhiyun.hotspots.tables",),
    services=("zhiyun.hotspots.tracker:build", "zhiyun.hotspots.service:build"),
    api=(Mount("zhiyun.hotspots.api:router"),),
    pages=(Mount("zhiyun.hotspots.pages:router"),),
    nav=(NavItem("/hotspots", "热点问题", access.may_view_dashboard, 33),),
    commands=(Command("hotspots", "zhiyun.hotspots.cli:hotspots_app"),),
    jobs=(
        Job(
            "hot-issues",
            "take the new orders into the hot issues and store their ranking",
            "zhiyun.hotspots.jobs:refresh_once",
            timedelta(minutes=1),
            at_once=True,
        ),
    ),
    reports=("zhiyun.hotspots.report_section:build",),
    templates=True,
)
