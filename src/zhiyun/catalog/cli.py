"""`zhiyun taxonomy …` and `zhiyun rules …`: the category tree and the responsibility list as CSV.

Two Typer sub-apps, wired into `zhiyun.cli.main.app` as `taxonomy` and `rules`. Imports are
all-or-nothing: a file with any bad row prints every problem (with its line) in red on
stderr, changes nothing and exits with 1. Every change is versioned (`zhiyun rules history`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, fail, open_services

taxonomy_app = typer.Typer(
    cls=ZhiyunGroup,
    help="事项分类：导入、导出（CSV）和查看三级分类。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
rules_app = typer.Typer(
    cls=ZhiyunGroup,
    help="权责清单：导入、导出（CSV）、查看规则及其修改记录。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

FileArg = Annotated[Path, typer.Argument(help="CSV 文件（UTF-8，首行为列名）")]
ReplaceOption = Annotated[bool, typer.Option("--replace", help="删除文件中没有的条目")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="写入文件；默认输出到屏幕")]


def _read(file: Path) -> str:
    if not file.exists():
        fail(f"文件不存在：{file}")
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"文件不是 UTF-8 编码：{file}")
    raise AssertionError  # pragma: no cover


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"已写入 {output}")


# --------------------------------------------------------------------------- taxonomy


@taxonomy_app.command("import")
def taxonomy_import(file: FileArg, replace: ReplaceOption = False, db: DbOption = None) -> None:
    """导入分类（按编码新增或更新；上级不存在、成环、超过三级或编码重复时整个文件不导入）。"""
    text = _read(file)
    with open_services(db) as services:
        report = services.taxonomy.import_csv(cli_actor(), text, replace=replace)
    console.print(
        f"导入完成：新增(created) {report.created}，更新(updated) {report.updated}，"
        f"未变(unchanged) {report.unchanged}，删除(removed) {report.removed}"
    )


@taxonomy_app.command("export")
def taxonomy_export(output: OutputOption = None, db: DbOption = None) -> None:
    """导出分类为 CSV（可再导入）。"""
    with open_services(db) as services:
        _write(services.taxonomy.export_csv(), output)


@taxonomy_app.command("list")
def taxonomy_list(db: DbOption = None) -> None:
    """列出分类树。"""
    with open_services(db) as services:
        tax = services.taxonomy.taxonomy()
    if not len(tax):
        console.print("尚无分类：可用 `zhiyun taxonomy import FILE` 导入")
        return
    table = Table("编码", "名称", "层级", "关键词", "默认类型", "时限(工作日)")
    for cat in tax.walk():
        level = tax.level(cat.code)
        table.add_row(
            cat.code,
            "  " * (level - 1) + cat.name,
            str(level),
            "、".join(cat.keywords[:6]),
            cat.default_type.label if cat.default_type else "",
            "" if cat.time_limit_days is None else f"{cat.time_limit_days:g}",
        )
    console.print(table)


# --------------------------------------------------------------------------- rules


@rules_app.command("import")
def rules_import(file: FileArg, replace: ReplaceOption = False, db: DbOption = None) -> None:
    """导入权责清单（无编号为新规则，有编号则更新；单位或分类编码不存在时整个文件不导入）。"""
    text = _read(file)
    with open_services(db) as services:
        created, updated, unchanged, removed = services.responsibility.import_csv(
            cli_actor(), text, replace=replace
        )
    console.print(
        f"导入完成：新增(created) {created}，更新(updated) {updated}，"
        f"未变(unchanged) {unchanged}，删除(removed) {removed}"
    )


@rules_app.command("export")
def rules_export(output: OutputOption = None, db: DbOption = None) -> None:
    """导出权责清单为 CSV（可再导入）。"""
    with open_services(db) as services:
        _write(services.responsibility.export_csv(), output)


@rules_app.command("list")
def rules_list(db: DbOption = None) -> None:
    """列出权责清单规则。"""
    with open_services(db) as services:
        views = services.responsibility.rules()
    if not views:
        console.print("权责清单为空：可用 `zhiyun rules import FILE` 导入")
        return
    table = Table("编号", "分类", "区域", "条件", "责任单位", "优先级", "启用")
    for v in views:
        r = v.rule
        conditions = []
        if r.keywords:
            conditions.append("含 " + "/".join(r.keywords))
        if r.order_type is not None:
            conditions.append(r.order_type.label)
        if r.urgent is not None:
            conditions.append("紧急" if r.urgent else "非紧急")
        table.add_row(
            str(r.id),
            v.category_name or "任意",
            v.area_name or "全区",
            "；".join(conditions),
            v.unit_name,
            str(r.priority),
            "是" if r.active else "否",
        )
    console.print(table)


@rules_app.command("history")
def rules_history(
    rule: Annotated[int | None, typer.Option("--rule", help="只看某条规则")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 50,
    db: DbOption = None,
) -> None:
    """权责清单的修改记录：谁、何时、改了什么（修改前 → 修改后）。"""
    with open_services(db) as services:
        changes = services.responsibility.history(rule, limit)
    if not changes:
        console.print("没有修改记录")
        return
    table = Table("时间(UTC)", "规则", "操作", "操作人", "修改前", "修改后", "说明")
    for c in changes:
        before = _brief(c.before)
        after = _brief(c.after)
        table.add_row(
            c.at.strftime("%Y-%m-%d %H:%M:%S"), c.key, c.action, c.actor_name, before, after, c.note
        )
    console.print(table)


def _brief(data: dict[str, object] | None) -> str:
    if not data:
        return "—"
    keys = ("category_code", "area_code", "unit_code", "priority", "keywords", "active")
    return " ".join(f"{k}={data.get(k)}" for k in keys if data.get(k) not in (None, [], ""))


__all__ = ["rules_app", "taxonomy_app"]
