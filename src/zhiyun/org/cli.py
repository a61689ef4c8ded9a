"""`zhiyun org`: import and export the org structure (units, their kinds, parents and aliases)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    cli_actor,
    console,
    err_console,
    open_services,
)

org_app = typer.Typer(cls=ZhiyunGroup, help="组织架构：导入、导出。", no_args_is_help=True)


class FileFormat(StrEnum):
    csv = "csv"
    json = "json"


@org_app.command("import")
def org_import(
    file: Annotated[Path, typer.Argument(help="CSV 或 JSON 文件：code,name,kind,parent_code,aliases")],
    fmt: Annotated[FileFormat | None, typer.Option("--format", help="默认按文件扩展名判断")] = None,
    db: DbOption = None,
) -> None:
    """导入组织架构（按编码新增或更新；文件有任何错误则整个文件不导入）。"""
    with open_services(db) as services:
        report = services.org.import_file(cli_actor(), file, fmt.value if fmt else None)
    console.print(
        f"导入完成：新增(created) {report.created}，更新(updated) {report.updated}，"
        f"未变(unchanged) {report.unchanged}"
    )


@org_app.command("export")
def org_export(
    fmt: Annotated[FileFormat, typer.Option("--format", help="csv 或 json")] = FileFormat.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="写入文件；默认输出到屏幕")] = None,
    db: DbOption = None,
) -> None:
    """导出组织架构（与导入格式相同）。"""
    with open_services(db) as services:
        text = services.org.export_text(fmt.value)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    err_console.print(f"已导出到 {output}")
