"""`zhiyun grid ledger`: an electronic ledger (电子台账) written as XLSX.

The command function lives here and is registered on the `zhiyun grid` Typer app
(`grid/cli.py`). It runs as the command line's administrator (`cli_actor`), who sees every grid.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from zhiyun.cli.support import DbOption, cli_actor, console, open_services
from zhiyun.domain.patrol_ledger import LedgerRequest
from zhiyun.grid.ledger import LedgerService


def _day(value: str, option: str) -> date:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(
            f"日期应写作 YYYY-MM-DD（如 2026-12-01），收到 {value!r}", param_hint=option
        ) from None


def ledger(
    start: Annotated[str, typer.Option("--from", help="开始日期 YYYY-MM-DD（含）")],
    end: Annotated[str, typer.Option("--to", help="结束日期 YYYY-MM-DD（含）")],
    out: Annotated[Path, typer.Option("--out", help="写入的 XLSX 文件")],
    village: Annotated[str | None, typer.Option("--village", help="村居（单位编码）")] = None,
    grid: Annotated[str | None, typer.Option("--grid", help="网格（15 位编码）")] = None,
    item: Annotated[str | None, typer.Option("--item", help="入格事项编码，如 XF-001")] = None,
    object_id: Annotated[int | None, typer.Option("--object", help="管理对象编号")] = None,
    db: DbOption = None,
) -> None:
    """导出网格巡查电子台账（XLSX）：村居、网格、事项或对象之一，一段日期内每次检查的结果、隐患与整改情况。"""
    request = LedgerRequest.parse(
        village=village,
        grid=grid,
        item=item,
        object_id=object_id,
        start=_day(start, "--from"),
        end=_day(end, "--to"),
    )
    with open_services(db) as services:
        result = services.get(LedgerService).export(cli_actor(), request, out)
    t = result.totals
    console.print(
        f"已导出「{escape(result.title)}」到 {escape(str(out))}：事项 {len(result.sections)} 个，"
        f"对象 {t.objects} 个，巡查 {t.visits} 次，检查事项 {t.items_checked} 次，"
        f"发现隐患 {t.hazards_found} 处（已整改 {t.hazards_fixed}，未整改或待复查 {t.hazards_open}）",
        soft_wrap=True,
    )


__all__ = ["ledger"]
