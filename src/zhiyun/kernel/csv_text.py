"""CSV text that people upload (taxonomy, responsibility list, units), read whole or refused."""

from __future__ import annotations

import csv
import io

from zhiyun.domain.errors import ValidationFailed


def read_csv(text: str) -> tuple[list[str], list[dict[str, str | None]]]:
    """(header, rows) of a CSV text. Any line ending is a line ending (also a lone CR from an
    old spreadsheet); a malformed file — an unterminated quote, a field over the csv module's
    limit — is a ValidationFailed naming the line, never a server error."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = list(reader.fieldnames or [])
        rows = list(reader)
    except csv.Error as exc:
        raise ValidationFailed(f"CSV 格式错误（第 {reader.line_num} 行）：{exc}") from None
    return header, rows


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A text cell that a spreadsheet (Excel, WPS, LibreOffice) will not run as a formula: one that
    starts like a formula gets a leading apostrophe (CSV/formula injection, OWASP)."""
    return "'" + value if value.startswith(FORMULA_START) else value
