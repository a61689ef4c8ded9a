"""A report as a spreadsheet (XLSX): its figures on four sheets — 概况, 各单位, 渠道, 类别 — and one
sheet for each section other capabilities added (热点问题, 预警 …)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from zhiyun.kernel.csv_text import safe_cell

RATES = (
    ("response_rate", "响应率"),
    ("resolution_rate", "解决率"),
    ("satisfaction_rate", "满意率"),
    ("on_time_rate", "按时办结率"),
)


def _cell(value: Any) -> Any:
    return safe_cell(value) if isinstance(value, str) else value


def _rate(value: float | None) -> float | str:
    return "—" if value is None else round(value, 4)


def _sheet(
    book: Workbook, title: str, header: list[str], rows: list[list[Any]], *, first: bool = False
) -> Worksheet:
    sheet = book.active if first and isinstance(book.active, Worksheet) else book.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for column, width in zip("ABCDEFGHIJ", (24, 14, 12, 12, 12, 12, 12, 12, 12, 12), strict=False):
        sheet.column_dimensions[column].width = width
    return sheet


def report_xlsx(title: str, figures: dict[str, Any]) -> bytes:
    """The workbook of one report (rates as fractions, formatted as percentages)."""
    book = Workbook()
    overall = figures["rates"]["overall"]
    counts = overall["counts"]
    definition = figures["rate_definition"]
    summary = [
        ["报表", title],
        ["单位", figures["unit"]["name"]],
        ["周期", figures["period"]["label"]],
        ["生成时间", figures["generated_at"]],
        ["统计口径", definition["description"]],
        ["受理量", figures["volume"]["registered"]],
        ["归档量", figures["volume"]["closed"]],
        ["口径排除工单", counts["excluded"]],
        ["生成时积压", figures["backlog"]["open"]],
        ["生成时超时", figures["backlog"]["overdue"]],
        *([label, _rate(overall[key])] for key, label in RATES),
    ]
    sheet = _sheet(book, "概况", ["项目", "数值"], summary, first=True)
    for row in sheet.iter_rows(min_row=len(summary) - len(RATES) + 2, max_col=2, min_col=2):
        for cell in row:
            cell.number_format = "0.0%"
    units = [
        [u["name"], u["counts"]["valid"], *(_rate(u[key]) for key, _ in RATES), u["counts"]["excluded"]]
        for u in figures["rates"]["units"]
    ]
    sheet = _sheet(book, "各单位", ["单位", "有效工单", *(label for _, label in RATES), "口径排除"], units)
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=6):
        for cell in row:
            cell.number_format = "0.0%"
    _sheet(
        book, "渠道", ["渠道", "受理量"], [[c["name"], c["count"]] for c in figures["volume"]["by_channel"]]
    )
    _sheet(
        book,
        "类别",
        ["类别编码", "类别", "受理量"],
        [[c["key"], c["name"], c["count"]] for c in figures["volume"]["by_category"]],
    )
    for section in figures.get("sections", []):
        _sheet(book, str(section["title"])[:31], list(section["columns"]), [list(r) for r in section["rows"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["report_xlsx"]
