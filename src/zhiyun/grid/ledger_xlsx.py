"""An electronic ledger as the workbook an inspection expects (openpyxl).

- Sheet **封面** (cover): the title ("夏北社区 网格巡查电子台账 2026年12月"), the scope, the
  period, when and by whom it was generated, the totals, and one line per item sheet.
- One sheet per **item** (入格事项), tab "XF-001 消防安全检查": a title row, a line with the
  responsible department and the number of checks, then the header — 序号、对象名称、地址、
  网格、巡查日期、网格员、each question of the checklist、隐患、整改情况、照片数 — and one row
  per check (a visit's answers to the item at one object).

Every sheet prints landscape on A4, fitted to one page wide, with the title and header rows
repeated on every page and the page number in the footer; the header rows are frozen, columns
have widths a person can read, the header wraps. Every text cell is stored as text: an answer
starting with "=" is never run as a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from zhiyun.domain.patrol_ledger import (
    AFTER_ANSWERS,
    BEFORE_ANSWERS,
    Ledger,
    LedgerSection,
    sheet_header,
    sheet_rows,
    sheet_title,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COVER = "封面"
HEADER_ROW = 3  # the item sheets: title, subtitle, header
WIDTHS = {
    "序号": 6,
    "对象名称": 22,
    "地址": 26,
    "网格": 17,
    "巡查日期": 11,
    "网格员": 10,
    "隐患": 34,
    "整改情况": 11,
    "照片数": 7,
}
QUESTION_WIDTH = (10, 22)  # a question column: at least, at most


def _text_cells(sheet: Worksheet, first_row: int = 1) -> None:
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even "=…": no formula


def _print_setup(sheet: Worksheet, *, landscape: bool, title_rows: str | None) -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as it takes
    props = sheet.sheet_properties.pageSetUpPr
    if props is None:
        props = sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    props.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    if title_rows:
        sheet.print_title_rows = title_rows
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = "第 &P 页，共 &N 页"


def _cover(sheet: Worksheet, ledger: Ledger, titles: list[tuple[LedgerSection, str]]) -> None:
    from openpyxl.styles import Alignment, Font

    t = ledger.totals
    sheet.title = COVER
    sheet.append([ledger.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    sheet["A1"].font = Font(size=18, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 36
    sheet.append([])
    facts = [
        ("台账范围", f"{ledger.scope.label}：{ledger.scope_name}（{ledger.scope_value}）"),
        ("时间段", f"{ledger.start:%Y-%m-%d} 至 {ledger.end:%Y-%m-%d}（{ledger.period_label}）"),
        ("生成时间", f"{ledger.generated_at:%Y-%m-%d %H:%M}（北京时间）"),
        ("生成人", ledger.generated_by),
        ("巡查对象", t.objects),
        ("巡查次数", t.visits),
        ("检查事项（次）", t.items_checked),
        ("发现隐患", t.hazards_found),
        ("已整改", t.hazards_fixed),
        ("未整改或待复查", t.hazards_open),
    ]
    for label, value in facts:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append(["事项", "名称", "责任部门", "检查（次）"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for section, title in titles:
        sheet.append([section.item_code, section.item_name, section.department, section.checks])
        sheet.cell(sheet.max_row, 2).hyperlink = f"#'{title}'!A1"
    if not titles:
        sheet.append(["该时间段内没有巡查记录"])
    sheet.append([])
    sheet.append(
        ["说明", "整改情况：已整改、未整改；待复查 = 隐患已登记、尚未复查。照片数为该事项检查所附照片。"]
    )
    for letter, width in zip("ABCD", (16, 40, 22, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    _text_cells(sheet)
    _print_setup(sheet, landscape=False, title_rows=None)


def _item_sheet(sheet: Worksheet, ledger: Ledger, section: LedgerSection) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    header = sheet_header(section)
    width = len(header)
    sheet.append([f"{section.item_code} {section.item_name} — {ledger.title}"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 26
    subtitle = f"责任部门：{section.department or '—'}    检查 {section.checks} 次    {ledger.scope.label}：{ledger.scope_name}"
    sheet.append([subtitle])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append(header)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DDE7F3")
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[HEADER_ROW].height = 32
    hazard_column = header.index(AFTER_ANSWERS[0]) + 1
    date_column = header.index("巡查日期") + 1
    for values in sheet_rows(section):
        sheet.append(values)
        row = sheet.max_row
        for cell in sheet[row]:
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.cell(row, date_column).number_format = "yyyy-mm-dd"
        if values[hazard_column - 1] != "无":
            sheet.cell(row, hazard_column).font = Font(color="C00000", bold=True)
    for index, label in enumerate(header, start=1):
        if index <= len(BEFORE_ANSWERS) or index > width - len(AFTER_ANSWERS):
            w = WIDTHS[label]
        else:
            w = max(QUESTION_WIDTH[0], min(QUESTION_WIDTH[1], len(label) * 2 + 2))
        sheet.column_dimensions[get_column_letter(index)].width = w
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"  # the header rows, and 序号、对象名称
    if sheet.max_row > HEADER_ROW:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{sheet.max_row}"
    _text_cells(sheet)
    _print_setup(sheet, landscape=True, title_rows=f"1:{HEADER_ROW}")


def write_ledger(ledger: Ledger, target: str | Path | BinaryIO) -> None:
    """Write `ledger` as an XLSX workbook to a path or a binary file."""
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    assert cover is not None
    titles: list[tuple[LedgerSection, str]] = []
    for section in ledger.sections:
        title = sheet_title(section.item_code, section.item_name, [COVER, *(t for _, t in titles)])
        titles.append((section, title))
    _cover(cover, ledger, titles)
    for section, title in titles:
        _item_sheet(book.create_sheet(title), ledger, section)
    book.properties.title = ledger.title
    book.properties.creator = ledger.generated_by
    book.save(target if not isinstance(target, Path) else str(target))


__all__ = ["COVER", "HEADER_ROW", "XLSX_MEDIA_TYPE", "write_ledger"]
