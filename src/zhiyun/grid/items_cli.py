"""`zhiyun grid-items …`: the grid items catalogue (入格事项) on the command line.

list, show an item (any version) with its checklist and history, import a JSON or XLSX file
(`--dry-run` checks it and writes nothing; a file with any bad row is refused whole, each row
printed with its reason), export, install the default catalogue, switch an item on or off.
Changes act as the command line's administrator (`cli_actor`).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, err_console, fail, open_services
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.grid_items import rules_label
from zhiyun.grid.items_files import HEADER, MAX_FILE_BYTES
from zhiyun.grid.items_service import GridItemService, ImportReport
from zhiyun.kernel.csv_text import safe_cell

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

items_app = typer.Typer(
    cls=ZhiyunGroup,
    help="入格事项：查看、导入、导出（JSON/XLSX）检查清单及其版本，安装默认事项。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

CodeArg = Annotated[str, typer.Argument(help="事项编码，如 XF-001")]
FormatOption = Annotated[
    str | None, typer.Option("--format", "-f", help="json 或 xlsx；默认按文件扩展名", show_default=False)
]


def _service(services: Services) -> GridItemService:
    return services.get(GridItemService)


@items_app.command("list")
def list_items(
    active: Annotated[bool, typer.Option("--active", help="只列出启用的事项")] = False,
    db: DbOption = None,
) -> None:
    """列出入格事项：编码、名称、适用对象、频次、责任部门、当前版本。"""
    with open_services(db) as services:
        items = _service(services).items(active_only=active)
    if not items:
        console.print(
            "尚无入格事项：可用 `zhiyun grid-items ensure-default` 安装默认事项，或 `import FILE` 导入"
        )
        return
    table = Table("编码", "名称", "适用对象", "频次", "责任部门", "版本", "状态")
    for v in items:
        table.add_row(
            v.code,
            escape(v.item.name),
            escape(v.item.applies_label),
            escape(v.item.frequency_label),
            escape(v.item.department),
            str(v.version),
            "启用" if v.active else "停用",
        )
    console.print(table)


@items_app.command("show")
def show(
    code: CodeArg,
    version: Annotated[int | None, typer.Option("--version", "-v", help="显示第 N 版；默认当前版本")] = None,
    db: DbOption = None,
) -> None:
    """显示一个事项的检查清单（问题、答案类型、隐患答案）和版本记录。"""
    with open_services(db) as services:
        items = _service(services)
        shown = items.get(code, version)
        history = items.versions(code)
    item = shown.item
    state = "当前版本" if shown.is_current else f"当前为第 {shown.current_version} 版"
    console.print(f"[bold]{item.code} {escape(item.name)}[/bold]（第 {shown.version} 版，{state}）")
    console.print(f"责任部门：{escape(item.department)}")
    console.print(f"适用对象：{escape(item.applies_label)}")
    console.print(f"频次：{escape(item.frequency_label)}")
    if item.legal_basis:
        console.print(f"法律依据：{escape(item.legal_basis)}")
    console.print(f"状态：{'启用' if shown.active else '停用'}")
    table = Table("编号", "问题", "答案类型", "必答", "拍照", "隐患答案")
    for q in item.questions:
        kind = q.type.label
        if q.unit:
            kind += f"（{q.unit}）"
        if q.options:
            kind += "：" + " | ".join(q.options)
        table.add_row(
            q.id,
            escape(q.text),
            escape(kind),
            "是" if q.required else "否",
            q.photo.label,
            escape(rules_label(q)),
        )
    console.print(table)
    versions = Table("版本", "发布时间", "发布人", "说明")
    for info in history:
        versions.add_row(
            str(info.version),
            info.published_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            escape(info.published_by),
            escape(info.note),
        )
    console.print(versions)


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (the reasons quote the file's text)."""
    return safe_cell(text)


def _print_rejects(report: ImportReport, rejects_file: Path | None) -> None:
    table = Table(
        f"{report.row_unit}号", "事项编码", "列", "原因", title="未通过检查的内容", title_justify="left"
    )
    for r in report.rejects:
        table.add_row(str(r.row), escape(r.code), escape(HEADER.get(r.column, r.column)), escape(r.reason))
    err_console.print(table)
    if rejects_file is not None:
        with rejects_file.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([f"{report.row_unit}号", "事项编码", "列", "原因"])
            for r in report.rejects:
                writer.writerow(
                    [r.row, _cell(r.code), _cell(HEADER.get(r.column, r.column)), _cell(r.reason)]
                )
        err_console.print(f"拒绝原因已写入 {escape(str(rejects_file))}")


@items_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="JSON 或 XLSX 文件（导出的格式）")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并报告，不写入")] = False,
    fmt: FormatOption = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="把拒绝原因另存为 CSV 文件", show_default=False)
    ] = None,
    db: DbOption = None,
) -> None:
    """导入入格事项：新编码新增，内容有变化的发布新版本，相同的不变。任何一行有误则整个文件不导入。"""
    if not file.is_file():
        fail(f"文件不存在：{file}")
    if file.stat().st_size > MAX_FILE_BYTES:
        fail(f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB")
    data = file.read_bytes()
    with open_services(db) as services:
        report = _service(services).import_file(cli_actor(), file.name, data, fmt=fmt, dry_run=dry_run)
    if report.refused:
        _print_rejects(report, rejects)
        fail(report.summary())
    for code in report.created:
        console.print(f"{'将新增' if dry_run else '新增'} {code}")
    for code, number in report.published:
        console.print(f"{'将发布' if dry_run else '发布'} {code} 第 {number} 版")
    console.print(report.summary())


@items_app.command("export")
def export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="写入文件；JSON 默认输出到屏幕")] = None,
    fmt: FormatOption = None,
    db: DbOption = None,
) -> None:
    """导出全部入格事项的当前版本（可再导入）：JSON，或 XLSX（每个问题一行）。"""
    chosen = fmt or ("xlsx" if out is not None and out.suffix.lower() == ".xlsx" else "json")
    if chosen not in ("json", "xlsx"):
        fail(f"不支持的格式：{chosen}（可用 json、xlsx）")
    if chosen == "xlsx" and out is None:
        fail("导出 XLSX 需要用 --out 指定文件")
    with open_services(db) as services:
        items = _service(services)
        if chosen == "json":
            text = items.export_json()
            if out is None:
                typer.echo(text, nl=False)
                return
            out.write_text(text, encoding="utf-8")
        else:
            assert out is not None
            out.write_bytes(items.export_xlsx())
    console.print(f"已写入 {escape(str(out))}")


@items_app.command("ensure-default")
def ensure_default(db: DbOption = None) -> None:
    """安装默认入格事项（只补上尚不存在的编码；可重复执行）。"""
    with open_services(db) as services:
        report = _service(services).ensure_default(cli_actor())
    console.print(f"默认入格事项：新增 {len(report.created)} 个，已存在 {len(report.unchanged)} 个")


@items_app.command("activate")
def activate(code: CodeArg, db: DbOption = None) -> None:
    """启用一个事项：新的巡查任务包含它。"""
    with open_services(db) as services:
        shown = _service(services).set_active(cli_actor(), code, True)
    console.print(f"已启用 {shown.code} {escape(shown.item.name)}")


@items_app.command("deactivate")
def deactivate(code: CodeArg, db: DbOption = None) -> None:
    """停用一个事项：新的巡查任务不再包含它（已有记录不变）。"""
    with open_services(db) as services:
        shown = _service(services).set_active(cli_actor(), code, False)
    console.print(f"已停用 {shown.code} {escape(shown.item.name)}")
