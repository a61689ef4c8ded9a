"""`zhiyun import …`: bulk import of historical data (wired into the main CLI as `import`).

    zhiyun import orders FILE --mapping MAPPING.json [--db URL] [--channel C] [--batch N]
                                [--rejects PATH] [--locate]

Without --rejects the rejected rows go next to FILE, or to the working directory when FILE's
folder is not writable (a read-only data folder); the summary says where.

Same conventions as zhiyun.cli.main: `--db` is a SQLite path or a database URL (default
ZHIYUN_DATABASE_URL, else var/zhiyun.db); a refused operation (a DomainError, such as a bad
mapping file) prints its message in red on stderr and exits with 1. The progress bar goes
to stderr, the summary to stdout. Rows that fail validation do not fail the command: they
are listed in the rejects file and the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from zhiyun.cli.support import DbOption, ZhiyunGroup, console, err_console, fail, open_database
from zhiyun.config import Settings
from zhiyun.importer.mapping import DEFAULT_BATCH, REJECTION_LABELS, ImportMapping
from zhiyun.importer.pipeline import BulkImporter
from zhiyun.importer.report import ImportProgress, ImportReport
from zhiyun.importer.validate import Locate
from zhiyun.store.db import Database

import_app = typer.Typer(
    cls=ZhiyunGroup,
    help="导入历史数据（工单）。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@import_app.callback()
def import_group() -> None:
    """导入历史数据（工单）：CSV、XLSX、JSON lines，按映射文件对应列。"""


def _locator(database: Database) -> Locate:
    """Town, village and grid of each order from the unit boundaries and grids (or the address)."""
    from zhiyun.geo.service import GeoService

    locator = GeoService(database).locator()

    def locate(
        lat: float | None, lon: float | None, address: str | None
    ) -> tuple[int | None, int | None, int | None, str]:
        where = locator.locate(lat, lon, address)
        return where.town_unit_id, where.village_unit_id, where.grid_id, where.source

    return locate


def print_report(report: ImportReport) -> None:
    """The summary of an import, on stdout."""
    console.print(
        f"导入完成：{escape(report.file)} 共读取 {report.read} 行，新导入 {report.imported}，"
        f"已导入过（跳过） {report.already_imported}，拒绝 {report.rejected}；"
        f"用时 {report.seconds:.1f} 秒（{report.orders_per_s:,.0f} 单/秒）",
        soft_wrap=True,
    )
    if not report.rejected:
        return
    by_field = "，".join(
        f"{REJECTION_LABELS.get(name, name)}({name}) {count}"
        for name, count in report.rejected_by_field.most_common()
    )
    console.print(f"拒绝原因按字段：{by_field}", soft_wrap=True)
    for example in report.examples[:10]:
        console.print(
            f"  第 {example.rownum} 行 {example.field}：{example.message}", soft_wrap=True, markup=False
        )
    if report.rejected > 10:
        console.print(f"  …… 共 {report.rejected} 行")
    if report.rejects_moved_from is not None:
        console.print(
            f"输入文件所在的目录不可写（{escape(str(report.rejects_moved_from.parent))}），"
            "拒绝文件改为写入当前目录",
            soft_wrap=True,
        )
    if report.rejects_path is not None:
        console.print(
            f"被拒绝的行（含原因与原始内容）已写入：{escape(str(report.rejects_path))}", soft_wrap=True
        )


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(help="CSV（UTF-8 或 GB18030）、XLSX 或 JSON lines 文件")],
    mapping: Annotated[Path, typer.Option("--mapping", help="列映射文件（JSON，格式见 docs/import.md）")],
    db: DbOption = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="渠道编码（行中没有渠道列或为空时使用）")
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="每批（每个事务）的行数")] = DEFAULT_BATCH,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="被拒绝行的 CSV 文件；默认与输入文件同目录的 <文件名>.rejects.csv，该目录不可写时写入当前目录",
        ),
    ] = None,
    locate: Annotated[
        bool, typer.Option("--locate", help="按边界或地址为每单定位镇街、村居（较慢）")
    ] = False,
) -> None:
    """导入历史工单：可重复运行，已导入的行会跳过；不合格的行写入拒绝文件，其余照常导入。"""
    spec = ImportMapping.load(mapping)
    if not file.is_file():
        fail(f"文件不存在：{file}")
    with open_database(db, current_schema=True) as database:
        importer = BulkImporter(
            database,
            prefix=Settings().order_number_prefix,
            locate=_locator(database) if locate else None,
        )
        with Progress(
            TextColumn("导入工单"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=None, counts="")

            def show(state: ImportProgress) -> None:
                bar.update(
                    task,
                    completed=state.position,
                    total=state.size,
                    counts=f"已读 {state.read} 导入 {state.imported} 跳过 {state.already_imported} 拒绝 {state.rejected}",
                )

            report = importer.run(
                file, spec, channel=channel, batch_size=batch, rejects_path=rejects, progress=show
            )
    print_report(report)


@import_app.command("backfill-search")
def backfill_search(
    db: DbOption = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="每批（每个事务）的工单数")] = 2000,
) -> None:
    """为没有检索词的工单（批量导入的历史工单等）补全中文检索词；worker 也会每分钟自动补全。"""
    from zhiyun.orders.search_backfill import SearchTextBackfill

    with open_database(db, current_schema=True) as database:
        backfill = SearchTextBackfill(database)
        total = backfill.pending()
        with Progress(
            TextColumn("补全检索词"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("backfill", total=total or 1)
            done = 0
            while n := backfill.run_batch(batch):
                done += n
                progress.update(task, completed=done)
        console.print(f"已为 {done} 张工单补全检索词")
