"""`zhiyun outlook …`: early warning (预警), forecasts and seasons from the command line.

    zhiyun outlook detect [--day YYYY-MM-DD]        # run the surge detection (default: yesterday)
    zhiyun outlook forecast [--town NAME] [--top N] # the next four weeks, busiest series first
    zhiyun outlook seasons                          # the seasonal calendar (季节提示)
    zhiyun outlook backtest [--days N] [--surges N] [--seed S] [--synthetic]

The backtest replays the database's history (or, with --synthetic, a made-up one of 300,000
orders over 90 days, a year before them as history) with surges injected, and prints precision,
recall and the delay to detection; last, one JSON line.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, fail, open_services, parse_date
from zhiyun.domain.errors import DomainError
from zhiyun.domain.outlook import DEFAULT_RULES
from zhiyun.outlook import backtest as bt
from zhiyun.outlook.service import DETECTION_DAYS, OutlookService
from zhiyun.outlook.synthetic import inject_surges, synthetic_history
from zhiyun.reference.calendar_source import build_calendar

outlook_app = typer.Typer(
    cls=ZhiyunGroup,
    help="预警与季节提示：激增检测、未来四周预测、季节规律、回测。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@outlook_app.command("detect")
def detect(
    db: DbOption = None,
    day: Annotated[str | None, typer.Option("--day", help="检测的日期 YYYY-MM-DD，默认昨天")] = None,
) -> None:
    """检测某日各镇街各类诉求是否激增，发出预警（同一镇街、分类、窗口、周期只发一次）。"""
    when = parse_date(day) if day else None
    with open_services(db) as services:
        try:
            result = services.get(OutlookService).detect(cli_actor(), when)
        except DomainError as exc:
            fail(exc.message)
            return
    console.print(
        f"{result.day}：检测 {result.series} 个序列，新预警 {result.raised} 条，更新 {result.updated} 条，"
        f"用时 {result.seconds:.1f} 秒"
    )


@outlook_app.command("forecast")
def forecast(
    db: DbOption = None,
    town: Annotated[str | None, typer.Option("--town", help="只看某镇街（名称）")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="显示条数")] = 20,
) -> None:
    """未来四周各镇街各类诉求的预测（件数与 90% 区间），预计量最大的在前。"""
    with open_services(db) as services:
        try:
            started = time.perf_counter()
            views = services.get(OutlookService).forecasts(cli_actor(), limit=1000)
            elapsed = time.perf_counter() - started
        except DomainError as exc:
            fail(exc.message)
            return
    if town:
        views = [v for v in views if v.town == town]
        if not views:
            fail(f"没有镇街「{town}」的预测")
    table = Table("镇街", "分类", "近7天", "第1周", "第2周", "第3周", "第4周", "方法")
    for v in views[:top]:
        weeks = [f"{w.mean:.0f} [{w.low}–{w.high}]" for w in v.weeks]
        table.add_row(escape(v.town), escape(v.category), str(v.last_week), *weeks, v.method)
    console.print(table)
    console.print(f"共 {len(views)} 个序列，用时 {elapsed:.1f} 秒")


@outlook_app.command("seasons")
def seasons(db: DbOption = None) -> None:
    """从历史中学到的季节规律（每年某月某类诉求明显增多）。"""
    with open_services(db) as services:
        try:
            found = services.get(OutlookService).seasons(cli_actor())
        except DomainError as exc:
            fail(exc.message)
            return
    if not found:
        console.print("历史不足（须至少两年）或没有明显的季节规律")
    for s in found:
        ahead = "本月" if s.months_ahead == 0 else f"{s.months_ahead} 个月后"
        console.print(f"{escape(s.text)}（{s.years} 年 {s.orders} 件；{ahead}）")


@outlook_app.command("backtest")
def backtest(
    db: DbOption = None,
    days: Annotated[int, typer.Option("--days", min=7, max=730, help="回放最近多少天")] = 90,
    surges: Annotated[int, typer.Option("--surges", min=0, max=1000, help="注入的激增个数")] = 40,
    seed: Annotated[int, typer.Option("--seed", help="随机种子")] = 19,
    synthetic: Annotated[
        bool, typer.Option("--synthetic", help="用合成历史（30 万件 / 90 天）而不是数据库")
    ] = False,
) -> None:
    """回放历史并注入激增，报告预警的准确率、召回率和发现延迟（天）；最后一行为 JSON。"""
    calendar = build_calendar({}, [])
    history_days = DETECTION_DAYS + days
    if synthetic:
        last = date.today() - timedelta(days=1)
        first = last - timedelta(days=history_days - 1)
        made = synthetic_history(
            calendar, first, history_days, total_orders=300_000 * history_days // 90, seed=seed
        )
        series = made.series
        source = "synthetic"
    else:
        with open_services(db) as services:
            try:
                history = services.get(OutlookService).history(cli_actor(), history_days)
            except DomainError as exc:
                fail(exc.message)
                return
        calendar = history.calendar or calendar
        series, first, last = history.series, history.first, history.last
        source = "database"
        if not series:
            fail("数据库中没有可回放的工单（须有分类和镇街）；可加 --synthetic 用合成历史")
    start = last - timedelta(days=days - 1)
    injected, planted = inject_surges(series, surges, start, last, seed=seed)
    console.print(f"回放 {start} 至 {last}（{source}），{len(injected)} 个序列，注入 {len(planted)} 次激增 …")
    scores = bt.run(calendar, injected, planted, start, last)
    fc = bt.score_forecasts(calendar, series, last)
    console.print(
        f"预警 {scores.warnings} 条，命中 {scores.right} 条：准确率 {scores.precision:.1%}，"
        f"召回率 {scores.recall:.1%}（{scores.found}/{scores.surges}），"
        f"发现延迟 平均 {scores.delay_mean} 天 / 中位 {scores.delay_median} 天 / 最长 {scores.delay_max} 天"
    )
    if fc is not None:
        console.print(
            f"预测（留出最后四周）：周区间覆盖率 {fc.coverage:.1%}，周件数平均绝对误差 {fc.mae}，"
            f"{fc.series} 个序列用时 {fc.forecast_s} 秒"
        )
    print(
        json.dumps(
            {
                "source": source,
                "series": scores.series,
                "days": scores.days,
                "surges": scores.surges,
                "warnings": scores.warnings,
                "right": scores.right,
                "precision": scores.precision,
                "recall": scores.recall,
                "delay_mean_days": scores.delay_mean,
                "delay_median_days": scores.delay_median,
                "delay_max_days": scores.delay_max,
                "by_method": scores.by_method,
                "detect_s": scores.detect_s,
                "p_max": DEFAULT_RULES.p_max,
                "cusum_h": DEFAULT_RULES.cusum_h,
                "forecast_coverage": None if fc is None else fc.coverage,
                "forecast_weekly_mae": None if fc is None else fc.mae,
                "forecast_s": None if fc is None else fc.forecast_s,
            },
            ensure_ascii=False,
        )
    )
