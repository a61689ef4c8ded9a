"""`zhiyun dashboard …`: the leader dashboard's day rollup, rebuilt from cron or the worker, and
a unit's report of a period (`report`, the same the worker makes).

A Typer sub-app, wired into `zhiyun.cli.main.app` as `dashboard`. `refresh` rebuilds the
rollup of the days before today (zhiyun.analytics.rollup) so that no dashboard request has
to; dashboards rebuild it themselves when it is older than five minutes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from zhiyun.analytics.dashboard import DashboardService
from zhiyun.analytics.report_xlsx import report_xlsx
from zhiyun.analytics.reports import ReportService
from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, fail, open_database, open_services
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import DomainError
from zhiyun.domain.reports import ReportKind, last_complete, parse_period

dashboard_app = typer.Typer(
    cls=ZhiyunGroup,
    help="领导驾驶舱：重建统计汇总（今日之前各天）；生成统计报表。",
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


@dashboard_app.command("report")
def report(
    unit: Annotated[str, typer.Option("--unit", help="单位编码（默认全区）")] = "",
    kind: Annotated[str, typer.Option("--kind", help="daily 日报 / weekly 周报 / monthly 月报")] = "weekly",
    period: Annotated[
        str, typer.Option("--period", help="周期内任一日期 YYYY-MM-DD（月报可为 YYYY-MM；默认上一个周期）")
    ] = "",
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel 文件")] = None,
    db: DbOption = None,
) -> None:
    """生成（或取出已生成的）某单位某周期的统计报表；最后一行输出 JSON。"""
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        fail("--kind 须为 daily、weekly 或 monthly")
        return
    with open_services(db) as services:
        with services.db.reading() as session:
            org = services.reference.get(session).org
        if unit:
            found = next((u for u in org.units.values() if u.code == unit), None)
            if found is None:
                fail(f"没有编码为 {unit} 的单位")
                return
            unit_id = found.id
        else:
            unit_id = org.root().id
        today = services.clock().astimezone(LOCAL_TZ).date()
        try:
            chosen = parse_period(report_kind, period) if period else last_complete(report_kind, today)
        except ValueError:
            fail("--period 须为 YYYY-MM-DD（月报可为 YYYY-MM）")
            return
        try:
            made = services.get(ReportService).make(cli_actor(), unit_id, report_kind, chosen)
        except DomainError as exc:
            fail(exc.message)
            return
    f = made.figures
    overall = f["rates"]["overall"]
    console.print(
        f"{escape(made.summary.title)}：受理 {f['volume']['registered']} 件，归档 {f['volume']['closed']} 件"
    )
    for key, label in (
        ("response_rate", "响应率"),
        ("resolution_rate", "解决率"),
        ("satisfaction_rate", "满意率"),
        ("on_time_rate", "按时办结率"),
    ):
        value = overall[key]
        console.print(f"  {label}：{'—' if value is None else f'{value * 100:.1f}%'}")
    console.print(f"  {escape(f['rate_definition']['description'])}")
    if xlsx is not None:
        xlsx.write_bytes(report_xlsx(made.summary.title, f))
        console.print(f"已保存 {escape(str(xlsx))}")
    print(json.dumps(made.as_dict(), ensure_ascii=False))
