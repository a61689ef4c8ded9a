"""`zhiyun grid-objects …`: import managed objects (网格管理对象) from CSV/XLSX, search them, count
them per grid or village, show the attribute schemas.

A Typer app of its own (the grid capability declares it as `grid-objects`, beside the grids'
`zhiyun grid`). The commands act as the command line's administrator (`cli_actor`): every
object is in view. Like every command they take `--db`; a refused file or a bad option prints
its reason in red on stderr and exits 1. docs/grid-objects.md has the file format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, err_console, open_database
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.managed_objects import ATTRIBUTE_SCHEMAS
from zhiyun.geo.service import GeoService
from zhiyun.grid.objects_import import (
    DEFAULT_BATCH,
    FIELD_LABELS,
    ObjectImportProgress,
    ObjectImportReport,
    ObjectMapping,
)
from zhiyun.grid.objects_service import ManagedObjectService, ObjectQuery
from zhiyun.kernel.geo import CoordSystem
from zhiyun.store.db import Database

objects_app = typer.Typer(
    cls=ZhiyunGroup,
    help="网格管理对象（楼栋、出租屋、三小场所、企业、部件设施）：导入、查询、统计。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _service(database: Database) -> ManagedObjectService:
    return ManagedObjectService(database, GeoService(database))


def _kind(value: str | None) -> ObjectKind | None:
    return ObjectKind.parse(value) if value else None


def _risk(value: str | None) -> RiskLevel | None:
    return RiskLevel.parse(value) if value else None


KindOption = Annotated[
    str | None, typer.Option("--kind", help="类型：楼栋 出租屋 三小场所 企业 部件设施（或英文代码）")
]
RiskOption = Annotated[str | None, typer.Option("--risk", help="风险等级：低 中 高 重大")]
VillageOption = Annotated[str | None, typer.Option("--village", help="村居（单位编码或名称）")]
GridOption = Annotated[str | None, typer.Option("--grid", help="网格编码（15 位）")]


def print_report(report: ObjectImportReport) -> None:
    """The summary of an import, on stdout."""
    verb = "检查完成（--dry-run，未写入）：将新导入" if report.dry_run else "导入完成：新导入"
    console.print(
        f"{verb} {report.imported}，已导入过（跳过） {report.already_imported}，拒绝 {report.rejected}；"
        f"共读取 {report.read} 行，用时 {report.seconds:.1f} 秒（{report.objects_per_s:,.0f} 个/秒）",
        soft_wrap=True,
    )
    console.print(
        f"定位：按坐标落入网格 {report.by_point}，按网格编码 {report.by_code}，"
        f"不在任何网格（按村居边界定村居） {report.outside_grids}，不在任何村居 {report.outside_villages}",
        soft_wrap=True,
    )
    if report.outside_rows:
        rows = "、".join(str(n) for n in report.outside_rows)
        console.print(f"  不在网格内的行（前 {len(report.outside_rows)} 个）：第 {rows} 行", soft_wrap=True)
    if report.code_point_mismatch:
        console.print(f"  网格编码与坐标所在网格不一致（以编码为准）：{report.code_point_mismatch} 行")
    if report.rejected:
        by_field = "，".join(
            f"{FIELD_LABELS.get(name, name)} {count}"
            for name, count in report.rejected_by_field.most_common()
        )
        console.print(f"拒绝原因按字段：{by_field}", soft_wrap=True)
        for example in report.examples[:10]:
            label = FIELD_LABELS.get(example.field, example.field)
            console.print(
                f"  第 {example.rownum} 行 {label}：{example.message}", soft_wrap=True, markup=False
            )
    if report.rejects_path is not None:
        console.print(
            f"被拒绝的行（含行号、原因与原始内容）已写入：{escape(str(report.rejects_path))}", soft_wrap=True
        )


@objects_app.command("import")
def import_objects(
    file: Annotated[Path, typer.Argument(help="CSV（UTF-8 或 GB18030）或 XLSX 文件，第一行为表头")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并统计，不写入")] = False,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="被拒绝行的 CSV 文件（默认：输入文件旁的 <文件名>.rejects.csv）"),
    ] = None,
    crs: Annotated[
        CoordSystem,
        typer.Option(
            "--crs",
            help="没有“坐标系”列或该列为空时的坐标系：wgs84（GPS、CGCS2000）或 gcj02（高德、腾讯地图）",
            case_sensitive=False,
        ),
    ] = CoordSystem.WGS84,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help='列映射文件（JSON：{"columns": {"name": "场所名称"}}）')
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="每批（每个事务）的行数")] = DEFAULT_BATCH,
    db: DbOption = None,
) -> None:
    """导入网格管理对象：可重复运行（按编号或“类型+名称+地址”跳过已导入的行）；不合格的行写入拒绝文件，其余照常导入。"""
    spec = ObjectMapping.load(mapping) if mapping else ObjectMapping()
    progress = Progress(
        TextColumn("导入网格管理对象"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with open_database(db, current_schema=True) as database, progress as bar:
        task = bar.add_task("import", total=None, counts="")

        def show(state: ObjectImportProgress) -> None:
            bar.update(
                task,
                completed=state.position,
                total=state.size,
                counts=f"已读 {state.read} 导入 {state.imported} 跳过 {state.already_imported} 拒绝 {state.rejected}",
            )

        report = _service(database).import_file(
            cli_actor(),
            file,
            mapping=spec,
            crs=crs,
            dry_run=dry_run,
            rejects_path=rejects,
            batch_size=batch,
            progress=show,
        )
    print_report(report)


@objects_app.command("search")
def search(
    text: Annotated[str | None, typer.Argument(help="名称或地址中的文字（可多个词，空格分隔）")] = None,
    kind: KindOption = None,
    risk: RiskOption = None,
    village: VillageOption = None,
    grid: GridOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="最多显示几个")] = 20,
    db: DbOption = None,
) -> None:
    """查询网格管理对象（最新导入的在前）。"""
    query = ObjectQuery(_kind(kind), _risk(risk), grid, village, text)
    with open_database(db, current_schema=True) as database:
        page = _service(database).search(cli_actor(), query, limit=limit)
    table = Table(
        title=f"网格管理对象（共 {page.total}{'+' if page.more else ''} 个，显示 {len(page.items)} 个）"
    )
    for column in ("编号", "类型", "名称", "地址", "网格", "村居", "风险", "部件编码"):
        table.add_column(column)
    for o in page.items:
        table.add_row(
            str(o.id),
            o.kind_label,
            escape(o.name),
            escape(o.address),
            o.grid_code or "—",
            o.village_name or "—",
            o.risk_label,
            o.component_id or "",
        )
    console.print(table)


@objects_app.command("counts")
def counts(
    by: Annotated[str, typer.Option("--by", help="按 grid（网格）或 village（村居）统计")] = "village",
    kind: KindOption = None,
    risk: RiskOption = None,
    village: VillageOption = None,
    db: DbOption = None,
) -> None:
    """各网格或各村居的对象数：按类型、按风险等级。"""
    query = ObjectQuery(_kind(kind), _risk(risk), None, village)
    with open_database(db, current_schema=True) as database:
        rows = _service(database).counts(cli_actor(), by=by, query=query)
    table = Table(title="网格管理对象数（按网格）" if by == "grid" else "网格管理对象数（按村居）")
    table.add_column("镇街")
    table.add_column("村居")
    if by == "grid":
        table.add_column("网格")
    for k in ObjectKind:
        table.add_column(k.label, justify="right")
    for r in RiskLevel:
        table.add_column(f"{r.label}风险", justify="right")
    table.add_column("合计", justify="right")
    for row in rows:
        cells = [row.town_name or "—", row.village_name or "（不在任何村居）"]
        if by == "grid":
            cells.append(row.grid_code or "（不在网格内）")
        cells.extend(str(row.by_kind.get(k.value, 0)) for k in ObjectKind)
        cells.extend(str(row.by_risk.get(r.value, 0)) for r in RiskLevel)
        cells.append(str(row.total))
        table.add_row(*cells)
    total = ["合计", f"{len(rows)} 行", *([""] if by == "grid" else [])]
    total.extend(str(sum(row.by_kind.get(k.value, 0) for row in rows)) for k in ObjectKind)
    total.extend(str(sum(row.by_risk.get(r.value, 0) for row in rows)) for r in RiskLevel)
    total.append(str(sum(row.total for row in rows)))
    table.add_row(*total)
    console.print(table)


@objects_app.command("schemas")
def schemas() -> None:
    """各类对象的属性（导入文件中“其他列”按表头名称对应）。"""
    for kind, specs in ATTRIBUTE_SCHEMAS.items():
        table = Table(title=f"{kind.label}（{kind.value}）")
        for column in ("属性", "类型与取值", "说明"):
            table.add_column(column)
        for spec in specs:
            table.add_row(spec.name, spec.describe(), spec.description)
        console.print(table)


__all__ = ["objects_app"]
