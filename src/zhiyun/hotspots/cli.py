"""`zhiyun hotspots …`: the hot-issue method on a file of messages (CSV or XLSX).

`detect` reads the messages, groups them (`zhiyun.hotspots.method.detect`), prints the ranked
hot issues as a table and, last on stdout, one JSON line
``{"hot_issues": [{"rank", "title", "place", "hot_index", "time_range", "members"}, …]}``.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, err_console, fail, open_services
from zhiyun.domain.errors import ValidationFailed
from zhiyun.hotspots.files import Columns, read_messages
from zhiyun.hotspots.method import HotIssue, HotIssueSettings, detect, settings_from_mapping
from zhiyun.hotspots.service import HotIssueService
from zhiyun.hotspots.tracker import HotIssueTracker
from zhiyun.kernel.normalize import to_local

hotspots_app = typer.Typer(
    cls=ZhiyunGroup,
    help="热点问题：把同一地点、同一事项的留言归为一个热点，按热度指数排序。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@hotspots_app.callback()
def hotspots_group() -> None:
    """热点问题：把同一地点、同一事项的留言归为一个热点，按热度指数排序。"""


def _time_range(issue: HotIssue) -> str:
    first, last = to_local(issue.first), to_local(issue.last)
    return f"{first:%Y-%m-%d %H:%M:%S} 至 {last:%Y-%m-%d %H:%M:%S}"


def _record(issue: HotIssue) -> dict[str, object]:
    return {
        "rank": issue.rank,
        "title": issue.title,
        "place": issue.place,
        "hot_index": issue.hot_index,
        "time_range": _time_range(issue),
        "members": list(issue.members),
    }


def _settings(path: Path | None) -> HotIssueSettings | str:
    """The settings of a detect run: the defaults without a window (the whole file), a file's,
    or what is wrong with the file (a message)."""
    if path is None:
        return HotIssueSettings(window_days=None)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"参数文件不存在：{path}"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"参数文件无法读取：{path.name}（{exc}）"
    if not isinstance(values, dict):
        return f"参数文件应为 JSON 对象：{path.name}"
    values.setdefault("window_days", None)
    try:
        return settings_from_mapping(values)
    except ValueError as exc:
        return f"参数文件 {path.name} 有误：{exc}"


@hotspots_app.command("detect")
def detect_command(
    data: Annotated[Path, typer.Option("--data", help="留言文件（.csv 或 .xlsx，第一行为表头）")],
    id_col: Annotated[str, typer.Option("--id-col", help="编号列")],
    text_col: Annotated[list[str], typer.Option("--text-col", help="文本列，可重复；第一列当作标题")],
    time_col: Annotated[str, typer.Option("--time-col", help="时间列（无时区的时间按北京时间）")],
    votes_col: Annotated[
        list[str] | None, typer.Option("--votes-col", help="点赞/反对等票数列，可重复，相加")
    ] = None,
    user_col: Annotated[
        str | None, typer.Option("--user-col", help="留言用户列（30 天内同一用户同一事项只计一次）")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="显示前 N 个热点")] = 10,
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="只看文件中最后 N 天的留言（默认全部）")
    ] = None,
    settings_file: Annotated[
        Path | None,
        typer.Option("--settings", help="JSON 参数文件：归并阈值与热度指数权重（见 docs/analytics.md）"),
    ] = None,
) -> None:
    """读取留言文件，找出热点问题并按热度指数排序；最后一行输出 JSON。"""
    started = time.perf_counter()
    settings = _settings(settings_file)
    if isinstance(settings, str):
        fail(settings)
        return
    columns = Columns(
        id=id_col.strip(),
        texts=tuple(c.strip() for c in text_col),
        time=time_col.strip(),
        votes=tuple(c.strip() for c in votes_col or ()),
        user=user_col.strip() if user_col else None,
    )
    try:
        messages = read_messages(data, columns)
    except ValidationFailed as exc:
        fail(exc.message)
        return
    if not messages:
        fail(f"{data.name} 中没有留言")
        return
    newest = max(m.at for m in messages)
    if days is not None:
        messages = [m for m in messages if m.at >= newest - timedelta(days=days)]
    issues = detect(messages, settings, now=newest, top=top)
    elapsed = time.perf_counter() - started

    table = Table(title=f"热点问题（前 {top} 个，共 {len(messages)} 条留言）")
    table.add_column("排名", justify="right")
    table.add_column("热点问题（地点 事项）", min_width=18)
    table.add_column("热度", justify="right")
    table.add_column("留言/计数", justify="right")
    table.add_column("票数", justify="right")
    table.add_column("时间范围", no_wrap=True)
    for issue in issues:
        table.add_row(
            str(issue.rank),
            escape(issue.title),
            f"{issue.hot_index:.2f}",
            f"{len(issue.members)}/{issue.counted}",
            str(issue.votes),
            f"{to_local(issue.first):%Y-%m-%d}～{to_local(issue.last):%Y-%m-%d}",
        )
    console.print(table)
    err_console.print(f"用时 {elapsed:.1f} 秒", highlight=False)
    typer.echo(json.dumps({"hot_issues": [_record(i) for i in issues]}, ensure_ascii=False))


@hotspots_app.command("rebuild")
def rebuild(db: DbOption = None) -> None:
    """从数据库重建热点问题（近 90 天工单）并保存排名；最后一行输出 JSON。"""
    with open_services(db) as services:
        report = services.get(HotIssueTracker).rebuild(cli_actor())
        top = services.get(HotIssueService).issues(cli_actor(), limit=10, handled=False)
    console.print(
        f"已重建热点问题：{report.added} 件工单，{report.ranked} 个热点入榜，用时 {report.seconds:.1f} 秒"
    )
    for issue in top:
        console.print(
            f"  {issue.rank:>2}. {escape(issue.title)}  热度 {issue.hot_index:.1f}（{issue.size} 件）"
        )
    print(
        json.dumps({"orders": report.added, "ranked": report.ranked, "rebuild_s": round(report.seconds, 2)})
    )
