"""`zhiyun dashboard …`: the leader dashboard's day rollup, rebuilt from cron or the worker.

A Typer sub-app, wired into `zhiyun.cli.app` as `dashboard`. `refresh` rebuilds the
rollup of the days before today (zhiyun.analytics.rollup) so that no dashboard request has
to; dashboards rebuild it themselves when it is older than five minutes.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from zhiyun.analytics.dashboard import DashboardService
from zhiyun.cli_support import DbOption, ZhiyunGroup, console, database_message, fail
from zhiyun.config import database_url
from zhiyun.store.db import Database

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
    url = database_url(db)
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        fail(f"数据库文件不存在：{file}（请检查 --db，或先运行 `zhiyun db upgrade`）")
    database = Database(url)
    try:
        started = time.perf_counter()
        state = DashboardService(database).refresh_rollup()
    except DBAPIError as exc:
        fail(database_message(exc))
    finally:
        database.dispose()
    console.print(
        f"已重建驾驶舱汇总：{state.first_day} 至 {state.last_day}，用时 {time.perf_counter() - started:.1f} 秒"
    )
