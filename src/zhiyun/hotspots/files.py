"""Messages from a CSV or XLSX file for `zhiyun hotspots detect`: columns checked, times read.

CSV: any encoding a district exports (`zhiyun.kernel.files.detect_encoding`: UTF-8 with or
without BOM, UTF-16, GB18030), the delimiter guessed from the header line. XLSX: the first
sheet, read-only. Problems are `ValidationFailed` with a Chinese message naming the file,
the column or the row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.hotspots.method import Message
from zhiyun.kernel.files import detect_encoding
from zhiyun.kernel.normalize import to_utc

__all__ = ["Columns", "parse_time", "read_messages", "read_table"]

# 2019/2/28 11:25:05, 2019-12-23 8:50:24: one-digit months, days and hours
_LOOSE_TIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?"
)


@dataclass(frozen=True)
class Columns:
    """Which columns of the file hold what."""

    id: str
    texts: tuple[str, ...]
    time: str
    votes: tuple[str, ...] = ()
    user: str | None = None

    def all(self) -> list[str]:
        names = [self.id, *self.texts, self.time, *self.votes]
        if self.user:
            names.append(self.user)
        return list(dict.fromkeys(names))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(header, rows) of a CSV or XLSX file."""
    if not path.is_file():
        raise ValidationFailed(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    raise ValidationFailed(f"无法识别的文件格式：{path.name}（支持 .csv 和 .xlsx）")


def _read_csv(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    encoding = detect_encoding(path)
    try:
        with path.open("r", encoding=encoding, newline="") as f:
            first = f.readline()
            if not first.strip():
                raise ValidationFailed(f"文件为空或第一行不是表头：{path.name}")
            delimiter = max(",\t;|", key=first.count)
            header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([first], delimiter=delimiter))]
            rows = [tuple(row) for row in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in row)]
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{path.name} 有无法按 {encoding} 解码的字节（{exc.reason}）") from None
    except csv.Error as exc:
        raise ValidationFailed(f"{path.name} 的 CSV 格式错误：{exc}") from None
    return header, rows


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed(f"无法读取 Excel 文件 {path.name}：{exc}") from None
    try:
        rows_iter = book.worksheets[0].iter_rows(values_only=True)
        first = next(rows_iter, None)
        if first is None:
            raise ValidationFailed(f"工作表为空：{path.name}")
        header = [_cell(v).strip() for v in first]
        rows = [tuple(r) for r in rows_iter if any(v is not None and _cell(v).strip() for v in r)]
    finally:
        book.close()
    return header, rows


def parse_time(value: Any, row: int, column: str) -> datetime:
    """A cell's time as an aware UTC datetime (times without a zone are Beijing time)."""
    if isinstance(value, str):
        text = value.strip()
        loose = _LOOSE_TIME.fullmatch(text)
        if loose:
            y, mo, d, h, mi, sec = loose.groups()
            try:
                value = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
            except ValueError:
                raise ValidationFailed(f"第 {row} 行「{column}」的时间不存在：{text[:40]}") from None
    try:
        return to_utc(value, field=column)
    except ValidationFailed as exc:
        raise ValidationFailed(f"第 {row} 行「{column}」的时间无法识别：{exc.message}") from None


def _votes(value: Any, row: int, column: str) -> int:
    text = _cell(value).strip()
    if not text:
        return 0
    try:
        return max(0, int(float(text)))
    except ValueError:
        raise ValidationFailed(f"第 {row} 行「{column}」不是数字：{text[:20]}") from None


def _locate(header: Sequence[str], columns: Columns, path: Path) -> dict[str, int]:
    where: dict[str, int] = {}
    for i, name in enumerate(header):
        where.setdefault(name, i)
    missing = [c for c in columns.all() if c not in where]
    if missing:
        shown = "、".join(h for h in header[:30] if h)
        raise ValidationFailed(
            f"{path.name} 中没有列：{'、'.join(f'「{c}」' for c in missing)}（文件的列：{shown}）"
        )
    return where


def read_messages(path: Path, columns: Columns) -> list[Message]:
    """The messages of a file: id, the text columns (the first is the title), time, votes
    (the sum of the vote columns) and the caller."""
    header, rows = read_table(path)
    where = _locate(header, columns, path)
    messages: list[Message] = []
    keys: set[str] = set()
    for n, row in enumerate(rows, start=2):
        cells = list(row) + [None] * (len(header) - len(row))
        key = _cell(cells[where[columns.id]]).strip()
        if not key:
            raise ValidationFailed(f"第 {n} 行「{columns.id}」为空")
        if key in keys:
            raise ValidationFailed(f"第 {n} 行「{columns.id}」重复：{key[:40]}")
        keys.add(key)
        texts = [_cell(cells[where[c]]).strip() for c in columns.texts]
        title = texts[0] if texts else ""
        body = "\n".join(texts[1:])
        caller = _cell(cells[where[columns.user]]).strip() if columns.user else ""
        messages.append(
            Message(
                key=key,
                title=title,
                text=body,
                at=parse_time(cells[where[columns.time]], n, columns.time),
                caller=caller or None,
                votes=sum(_votes(cells[where[c]], n, c) for c in columns.votes),
            )
        )
    return messages
