"""Labelled messages and keyword lists from a CSV (UTF-8 or GB18030) or XLSX file.

`read_labelled` takes the names of the text columns — the first is read as the title, the
others are joined as the content — and of the label column (and optionally an order-type
column). Rows whose label is empty are skipped (a sheet often holds unlabelled rows too).
`read_keywords` reads a taxonomy-like table: the first column is a label, the other cells
of the row are its keywords (several in one cell may be separated by 、，,；; or spaces).

Problems are `ValidationFailed` errors in Chinese that name the file, and for an unknown
column the columns that exist. XLSX is read with openpyxl in read-only mode.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from zhiyun.classifier.features import GENERIC_KEYWORDS
from zhiyun.classifier.model import TrainingData
from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.files import detect_encoding

__all__ = ["read_keywords", "read_labelled", "read_rows"]

_KEYWORD_SPLIT = re.compile(r"[、，,；;/|\s]+")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GENERIC_WORDS = GENERIC_KEYWORDS | {"其他事项"}  # say nothing about a label


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


@contextmanager
def read_rows(path: Path) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """The header and an iterator over the rows (as strings) of a CSV or XLSX file."""
    if not path.exists():
        raise ValidationFailed(f"文件不存在：{path}", field="data")
    if path.is_dir():
        raise ValidationFailed(f"不是文件：{path}", field="data")
    if path.suffix.lower() in XLSX_SUFFIXES:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ValidationFailed(f"无法读取 Excel 文件 {path.name}：{exc}", field="data") from None
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            first = next(rows, None)
            if first is None:
                raise ValidationFailed(f"文件为空：{path.name}", field="data")
            header = [_cell(v).strip() for v in first]
            yield header, ([_cell(v) for v in row] for row in rows)
        finally:
            book.close()
        return
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        try:
            first_row = next(reader, None)
        except csv.Error as exc:
            raise ValidationFailed(f"无法解析 CSV 文件 {path.name}：{exc}", field="data") from None
        if first_row is None:
            raise ValidationFailed(f"文件为空：{path.name}", field="data")
        yield [c.strip() for c in first_row], iter(reader)


def _index(header: list[str], column: str, path: Path) -> int:
    if column not in header:
        shown = "、".join(h for h in header[:40] if h) or "（无）"
        raise ValidationFailed(f"文件 {path.name} 中没有列「{column}」（文件的列：{shown}）", field="column")
    return header.index(column)


def read_labelled(
    path: Path,
    text_cols: Sequence[str],
    label_col: str,
    *,
    type_col: str | None = None,
    id_col: str | None = None,
) -> TrainingData:
    """Messages and labels from a file; rows without a label or without any text are skipped.

    Each message is named (`TrainingData.ids`) by its `id_col` value, or else by its row
    number in the file as a spreadsheet shows it (the header is row 1)."""
    if not text_cols:
        raise ValidationFailed("至少需要一个文本列（--text-col）", field="text_col")
    titles: list[str] = []
    contents: list[str] = []
    labels: list[str] = []
    types: list[str | None] = []
    ids: list[str] = []
    with read_rows(path) as (header, rows):
        text_idx = [_index(header, c, path) for c in text_cols]
        label_idx = _index(header, label_col, path)
        type_idx = _index(header, type_col, path) if type_col else None
        id_idx = _index(header, id_col, path) if id_col else None
        width = max([*text_idx, label_idx, type_idx or 0, id_idx or 0]) + 1
        try:
            for number, row in enumerate(rows, start=2):
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                label = row[label_idx].strip()
                if not label:
                    continue
                texts = [row[i].strip() for i in text_idx]
                if not any(texts):
                    continue
                titles.append(texts[0])
                contents.append("\n".join(t for t in texts[1:] if t))
                labels.append(label)
                types.append(row[type_idx].strip() or None if type_idx is not None else None)
                ids.append(row[id_idx].strip() if id_idx is not None else str(number))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(f"无法解析文件 {path.name}：{exc}", field="data") from None
    if not labels:
        raise ValidationFailed(
            f"文件 {path.name} 中没有带标签的数据行（标签列「{label_col}」为空）", field="data"
        )
    return TrainingData(titles, contents, labels, types if type_col else None, ids=ids)


def read_keywords(path: Path) -> dict[str, list[str]]:
    """label → keywords from a table whose first column is the label (first row: header)."""
    out: dict[str, list[str]] = {}
    with read_rows(path) as (_header, rows):
        for row in rows:
            if not row or not row[0].strip():
                continue
            words = out.setdefault(row[0].strip(), [])
            for cell in row[1:]:
                for word in _KEYWORD_SPLIT.split(cell.strip()):
                    if word and word not in GENERIC_WORDS and word not in words:
                        words.append(word)
    if not out:
        raise ValidationFailed(f"关键词文件 {path.name} 中没有数据行", field="keywords")
    return out
