"""`zhiyun grid …`: import and export grids (单元网格, GeoJSON), list grid workers per village.

A Typer sub-app, wired into `zhiyun.cli.main.app` as `grid` (the grid capability's
declaration); later parts of the capability add their commands to it. The grids are geo's:
`import` and `export` call `GeoService` (docs/grid.md has the file format and the checks).
Like every command it takes `--db`; a refused file prints every reason on stderr and exits 1
with nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    cli_actor,
    console,
    err_console,
    fail,
    open_database,
    open_services,
)
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid_items import Period
from zhiyun.geo.grids import GridFileRefused
from zhiyun.geo.service import GeoService
from zhiyun.grid.ledger_cli import ledger
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.posts_file import read_posts
from zhiyun.grid.workers import GridWorkerService
from zhiyun.kernel.geo import CoordSystem

grid_app = typer.Typer(
    cls=ZhiyunGroup,
    help="一格共治：导入、导出网格（GeoJSON），查看各村居的网格员。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

CrsOption = Annotated[
    CoordSystem,
    typer.Option(
        "--crs",
        help="坐标系：wgs84（GPS、天地图 CGCS2000 视同）或 gcj02（高德、腾讯地图），存储一律为 WGS-84",
        case_sensitive=False,
    ),
]


@grid_app.command("import")
def import_grids(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection：properties.code 为 15 位网格编码")],
    crs: CrsOption = CoordSystem.WGS84,
    strict: Annotated[bool, typer.Option("--strict", help="村居内有未被网格覆盖的空隙时拒绝导入")] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="删除文件所涉村居中文件里没有的网格（仍有工单引用的不删，整体拒绝）"),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并报告，不写入")] = False,
    db: DbOption = None,
) -> None:
    """导入网格：按编码新增或更新；文件有任何问题则整个文件不导入，逐条列出原因。"""
    with open_database(db) as database:
        try:
            report = GeoService(database).import_grids(
                cli_actor(), file, crs=crs, strict=strict, replace=replace, dry_run=dry_run
            )
        except GridFileRefused as refused:
            err_console.print(f"[red]错误：网格文件未导入，共 {len(refused.problems)} 处问题：[/red]")
            for problem in refused.problems:
                err_console.print(f"  - {escape(str(problem))}", soft_wrap=True)
            raise typer.Exit(1) from None
    for warning in report.warnings:
        err_console.print(f"[yellow]警告：{escape(warning)}[/yellow]", soft_wrap=True)
    for village, prefix in report.new_prefixes.items():
        console.print(f"村居 {village} 的网格编码前缀登记为 {prefix}")
    counts = (
        f"新增(created) {report.created}，更新(updated) {report.updated}，"
        f"未变(unchanged) {report.unchanged}，删除(deleted) {report.deleted}"
    )
    if report.deleted_codes:
        shown = "、".join(report.deleted_codes[:20]) + ("等" if len(report.deleted_codes) > 20 else "")
        counts += f"（{shown}）"
    if dry_run:
        console.print(
            f"检查通过，未写入（--dry-run）：将{counts}；涉及村居 {report.villages} 个", soft_wrap=True
        )
    else:
        console.print(f"导入完成：{counts}；涉及村居 {report.villages} 个", soft_wrap=True)


@grid_app.command("export")
def export_grids(
    out: Annotated[Path | None, typer.Option("--out", help="写入文件（默认输出到屏幕）")] = None,
    crs: CrsOption = CoordSystem.WGS84,
    village: Annotated[
        str | None, typer.Option("--village", help="只导出一个村居的网格（单位编码或名称）")
    ] = None,
    db: DbOption = None,
) -> None:
    """导出网格为 GeoJSON FeatureCollection（可原样再导入）。"""
    with open_database(db) as database:
        collection = GeoService(database).export_grids(village=village, crs=crs)
    text = json.dumps(collection, ensure_ascii=False)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    err_console.print(f"已导出 {len(collection['features'])} 个网格（{crs.value}）到 {escape(str(out))}")


@grid_app.command("workers")
def workers(db: DbOption = None) -> None:
    """各村居的网格数与网格员人数（专职、兼职、网格长）。"""
    with open_database(db) as database:
        rows = GridWorkerService(database, GeoService(database)).village_counts(cli_actor())
    table = Table(title="网格员（在岗）")
    for column in ("镇街", "村居", "编码", "网格", "专职", "兼职", "网格长", "合计"):
        table.add_column(column, justify="right" if column not in ("镇街", "村居", "编码") else "left")
    for r in rows:
        table.add_row(
            r.town_name,
            r.village_name,
            r.village_code,
            str(r.grids),
            str(r.full_time),
            str(r.part_time),
            str(r.chiefs),
            str(r.workers),
        )
    totals = [
        sum(getattr(r, name) for r in rows)
        for name in ("grids", "full_time", "part_time", "chiefs", "workers")
    ]
    table.add_row("合计", f"{len(rows)} 个村居", "", *(str(n) for n in totals))
    console.print(table)


@grid_app.command("post")
def post(
    file: Annotated[Path, typer.Argument(help="岗位表 CSV 或 XLSX：用户名、村居、类型、网格编码、起始日期")],
    db: DbOption = None,
) -> None:
    """按岗位表为网格员设岗（专职、兼职按网格，网格长按村居）；有任何问题则一条也不设，逐条列出。
    已有的岗位跳过。"""
    try:
        posts = read_posts(file)
        with open_database(db) as database:
            added = GridWorkerService(database, GeoService(database)).add_posts(cli_actor(), posts)
    except ValidationFailed as exc:
        fail(exc.message)
        return
    console.print(
        f"岗位表 {escape(file.name)}：{len(posts)} 条，新设岗位 {added} 个，已有的 {len(posts) - added} 个跳过"
    )


def _month(value: str) -> Period:
    try:
        year, month = (int(part) for part in value.split("-"))
        return Period.month(year, month)
    except (ValueError, TypeError):
        raise typer.BadParameter(f"月份应写作 YYYY-MM（如 2026-12），收到 {value!r}") from None


@grid_app.command("plan")
def plan(
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM，如 2026-12")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只计算并报告，不写入任务")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="最后一行输出 JSON")] = False,
    db: DbOption = None,
) -> None:
    """生成一个月的合并巡查任务：每个对象每个到期窗口一次上门，覆盖所有到期事项；
    重新生成时替换尚未巡查的任务，已巡查的保留。报告合并前后的任务数。"""
    period = _month(month)
    with open_services(db) as services:
        report = services.get(PatrolService).plan(cli_actor(), period, save=not dry_run)
    p = report.plan
    table = Table(title=f"{month} 合并巡查计划" + ("（未写入：--dry-run）" if dry_run else ""))
    table.add_column("项目")
    table.add_column("数量", justify="right")
    rows = [
        ("管理对象（在网格内）", p.objects),
        ("本月无到期事项的对象", p.objects_nothing_due),
        ("网格员", report.workers),
        ("工作日", len(p.working_days)),
        ("按事项分别上门需要的任务", p.per_item_tasks),
        ("合并后的巡查任务", p.tasks_made),
        ("合并减少的任务", p.tasks_saved),
        ("其中上月遗留（逾期）", p.overdue_tasks),
        ("网格无网格员、未分配", p.unassigned_tasks),
        ("超出网格员日巡查能力", p.over_capacity_tasks),
        ("已巡查而保留的任务", report.kept),
        ("替换的未巡查任务", report.replaced),
    ]
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    console.print(table)
    console.print(
        f"合并减少 {p.tasks_saved:,} 个任务（{p.share_saved:.1%}）；"
        f"用时：读取 {report.load_s:.1f} 秒，计划 {report.plan_s:.1f} 秒，写入 {report.save_s:.1f} 秒",
        soft_wrap=True,
    )
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))


grid_app.command("ledger")(ledger)  # 电子台账 (grid/ledger_cli.py)

__all__ = ["grid_app"]
