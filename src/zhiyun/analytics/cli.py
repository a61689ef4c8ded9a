"""`zhiyun dashboard …`: the leader dashboard's day rollup, rebuilt from cron or the worker.

A Typer sub-app, wired into `zhiyun.cli.main.app` as `dashboard`. `refresh` rebuilds the
rollup of the days before today (zhiyun.analytics.rollup) so that no dashboard request has
to; dashboards rebuild it themselves when it is older than five minutes.
"""

from __future__ import annotations

import time

import typer

from zhiyun.analytics.dashboard import DashboardService
from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, open_database

dashboard_app = typer.Typer(
    cls=ZhiyunGroup,
    help="领导驾驶舱：重建统计汇总（今日之前各天）。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@dashboard_app.command("refresh")
def refresh(db: DbOption = None) -> None:
    """重建驾驶舱的按日汇总（今日之前 92 天），供定时任务调用。"""
    with open_database(db) as database:
        started = time.perf_counter()
        state = DashboardService(database).refresh_rollup(cli_actor())
    console.print(
        f"已重建驾驶舱汇总：{state.first_day} 至 {state.last_day}，用时 {time.perf_counter() - started:.1f} 秒"
    )
