"""The ledger's workbook written in memory from a ledger made by hand: a tab per item even when
names collide, an answer that looks like a formula kept as text, the hazard in red, the header
frozen and repeated on every printed page, the cover's totals."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from zhiyun.domain.grid_items import HazardLevel
from zhiyun.domain.patrol_ledger import (
    HazardFix,
    Ledger,
    LedgerAnswer,
    LedgerCheck,
    LedgerColumn,
    LedgerLine,
    LedgerObject,
    LedgerSection,
    ScopeKind,
    ledger_totals,
)
from zhiyun.grid.ledger_xlsx import COVER, HEADER_ROW, write_ledger

LONG = "三小场所消防安全检查及电动自行车违规停放充电专项整治检查"


def ledger() -> Ledger:
    shop = LedgerObject(1, '=HYPERLINK("http://x")', "夏北路 1 号", "三小场所", "440605001001001", "夏北社区")
    check = LedgerCheck(
        7,
        date(2026, 12, 3),
        "张网格",
        1,
        (
            LedgerAnswer("exit", "安全出口是否畅通", "否", HazardLevel.MAJOR, HazardFix.UNCHECKED, 1),
            LedgerAnswer("note", "备注", "=1+1"),
        ),
    )
    columns = (LedgerColumn("exit", "安全出口是否畅通"), LedgerColumn("note", "备注"))
    sections = tuple(
        LedgerSection(code, LONG, "区消防救援大队", columns, (LedgerLine(shop, (check,)),))
        for code in ("XF-001", "XF-001")  # two sections whose tabs would be the same
    )
    return Ledger(
        "夏北社区 网格巡查电子台账 2026年12月",
        ScopeKind.VILLAGE,
        "GC-XB",
        "夏北社区",
        date(2026, 12, 1),
        date(2026, 12, 31),
        datetime(2026, 12, 20, 9, tzinfo=UTC),
        "测试",
        sections,
        ledger_totals(sections),
    )


def test_the_workbook_keeps_formulas_out_tabs_unique_hazards_red_and_headers_on_every_page() -> None:
    out = io.BytesIO()
    write_ledger(ledger(), out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames[0] == COVER and len(book.sheetnames) == 3
    tabs = book.sheetnames[1:]
    assert len(set(tabs)) == 2 and all(len(t) <= 31 for t in tabs)
    sheet = book[tabs[0]]
    row = sheet[HEADER_ROW + 1]
    assert row[1].value == '=HYPERLINK("http://x")' and row[1].data_type == "s"
    assert row[7].value == "=1+1" and row[7].data_type == "s"
    hazard = row[8]
    assert hazard.value == "重大隐患：安全出口是否畅通（否）" and hazard.font.color.rgb.endswith("C00000")
    assert row[9].value == "待复查" and row[10].value == 1
    assert sheet.freeze_panes == f"C{HEADER_ROW + 1}" and sheet.print_title_rows == f"$1:${HEADER_ROW}"
    assert (
        sheet.page_setup.orientation == "landscape"
        and sheet.auto_filter.ref == f"A{HEADER_ROW}:K{HEADER_ROW + 1}"
    )
    links = [c.hyperlink for row in book[COVER].iter_rows() for c in row if c.hyperlink is not None]
    assert sorted(link.location for link in links) == sorted(f"'{t}'!A1" for t in tabs)
    cover = {r[0]: r[1] for r in book[COVER].iter_rows(values_only=True) if r[0]}
    assert cover["发现隐患"] == 2 and cover["巡查次数"] == 1 and cover["检查事项（次）"] == 2
