"""What the outlook capability registers (issue 19 parts 3 and 4, docs/outlook.md): the daily surge
detection that raises warnings (预警) and its job, the warnings' console page and API (acknowledge,
dismiss with a reason, turn into a proactive order 未诉先办), the next four weeks' forecasts and
the seasonal calendar (季节提示), and `zhiyun outlook …` (detect, forecast, seasons, backtest)."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.kernel.capability import Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="outlook",
    summary="Seasons, forecasts and early warning (季节提示, 预警): surges of a category in a town raise warnings that the center acknowledges, dismisses or turns into a proactive order (未诉先办).",
    tables=("zhiyun.outlook.tables",),
    services=("zhiyun.outlook.service:build",),
    api=(Mount("zhiyun.outlook.api:router"),),
    pages=(Mount("zhiyun.outlook.pages:router"),),
    nav=(NavItem("/outlook", "预警", access.may_read_outlook, 32),),
    commands=(Command("outlook", "zhiyun.outlook.cli:outlook_app"),),
    jobs=(
        Job(
            "outlook-detect",
            "run the surge detection on yesterday's orders and today's so far, raising the warnings (one per town, category, window and period), then warn of new hot issues growing fast",
            "zhiyun.outlook.jobs:detect_daily",
            timedelta(minutes=10),
            at_once=True,
        ),
    ),
    reports=("zhiyun.outlook.report_section:build", "zhiyun.outlook.report_section:build_outlook"),
    templates=True,
)
