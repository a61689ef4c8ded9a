"""Reading an import file as a stream of rows: CSV (any encoding a district exports), XLSX read-only, JSON lines."""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.importer.mapping import EXTENSIONS, TIME_FIELDS, ImportMapping, MappingError, fail_mapping
from zhiyun.importer.times import parse_time
from zhiyun.kernel.files import detect_encoding

# --------------------------------------------------------------------------- sources


class Source:
    """A file read as a stream of records; `position`/`size` measure progress (bytes or rows)."""

    header: list[str]
    size: int | None

    def records(self) -> Iterator[tuple[int, tuple[Any, ...], Any]]:  # pragma: no cover - interface
        raise NotImplementedError

    def position(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def raw_cells(self, raw: Any) -> list[str]:
        """The raw row as strings, for the rejects file and the content hash."""
        return [_cell_text(v) for v in raw]

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def file_format(path: Path, mapping: ImportMapping) -> str:
    if mapping.format:
        return mapping.format
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise MappingError(
            f"无法从扩展名判断文件格式：{path.name}（支持 .csv .xlsx .jsonl；或在映射文件中给出 format）"
        )
    return fmt


def open_source(path: Path, mapping: ImportMapping, fields: tuple[str, ...]) -> Source:
    """The source for `path`, with `fields` (mapped field names) located in its header."""
    fmt = file_format(path, mapping)
    if fmt == "csv":
        return CsvSource(path, mapping, fields)
    if fmt == "xlsx":
        return XlsxSource(path, mapping, fields)
    return JsonLinesSource(path, mapping, fields)


def _locate_columns(
    header: list[str], mapping: ImportMapping, fields: tuple[str, ...], name: str
) -> list[int]:
    positions: dict[str, list[int]] = {}
    for i, column in enumerate(header):
        positions.setdefault(column, []).append(i)
    missing, ambiguous, indices = [], [], []
    for f in fields:
        column = mapping.columns[f]
        found = positions.get(column, [])
        if not found:
            missing.append(f"{f}→「{column}」")
        elif len(found) > 1:
            ambiguous.append(f"「{column}」")
        indices.append(found[0] if found else -1)
    problems = []
    if missing:
        shown = "、".join(h for h in header[:30] if h)
        problems.append(f"映射的列在文件中不存在：{', '.join(missing)}（文件的列：{shown}）")
    if ambiguous:
        problems.append(f"文件中有重名的列：{', '.join(ambiguous)}")
    fail_mapping(problems, f"{name} 的表头")
    return indices


def _getter(indices: list[int]) -> Callable[[Any], tuple[Any, ...]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    return itemgetter(*indices)


class CsvSource(Source):
    def __init__(self, path: Path, mapping: ImportMapping, fields: tuple[str, ...]) -> None:
        self.path = path
        self.encoding = detect_encoding(path) if mapping.encoding == "auto" else mapping.encoding
        self.size = path.stat().st_size
        self._file: IO[str] = path.open("r", encoding=self.encoding, newline="")
        try:
            first = self._file.readline()
            if not first.strip():
                raise ValidationFailed(f"文件为空或第一行不是表头：{path.name}")
            delimiter = mapping.delimiter or max(",\t;|", key=first.count)
            self._reader = csv.reader(self._file, delimiter=delimiter)
            header = next(csv.reader([first], delimiter=delimiter))
            self.header = [h.strip().lstrip("\ufeff") for h in header]
            self._get = _getter(_locate_columns(self.header, mapping, fields, path.name))
        except UnicodeDecodeError as exc:
            self._file.close()
            raise self._decode_error(exc, 1) from None
        except BaseException:
            self._file.close()
            raise
        self._raw = self._file.buffer.raw  # type: ignore[attr-defined]

    def records(self) -> Iterator[tuple[int, tuple[Any, ...], Any]]:
        get, width, rownum = self._get, len(self.header), 1
        try:
            for row in self._reader:
                rownum += 1
                try:
                    values = get(row)
                except IndexError:
                    if not any(row):
                        continue
                    row = row + [""] * (width - len(row))
                    values = get(row)
                yield rownum, values, row
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc, rownum + 1) from None
        except csv.Error as exc:
            raise ValidationFailed(f"CSV 格式错误（第 {rownum + 1} 行附近）：{exc}", field="file") from None

    def raw_cells(self, raw: Any) -> list[str]:
        return list(raw)

    def _decode_error(self, exc: UnicodeDecodeError, rownum: int) -> ValidationFailed:
        return ValidationFailed(
            f"{self.path.name} 第 {rownum} 行附近有无法按 {self.encoding} 解码的字节（{exc.reason}）："
            f"请在映射文件中给出正确的 encoding；此前提交的批次已导入，重新运行会接着导入",
            field="file",
        )

    def position(self) -> int:
        return int(self._raw.tell())

    def close(self) -> None:
        self._file.close()


class XlsxSource(Source):
    def __init__(self, path: Path, mapping: ImportMapping, fields: tuple[str, ...]) -> None:
        from openpyxl import load_workbook
        from openpyxl.chartsheet import Chartsheet
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        self.path = path
        self.size = path.stat().st_size
        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ValidationFailed(f"无法读取 Excel 文件 {path.name}：{exc}", field="file") from None
        try:
            if mapping.sheet is not None:
                if mapping.sheet not in self._book.sheetnames:
                    raise MappingError(
                        f"工作表「{mapping.sheet}」不存在（文件中有：{'、'.join(self._book.sheetnames)}）"
                    )
                chosen = self._book[mapping.sheet]
                if isinstance(chosen, Chartsheet):  # a chart holds no rows
                    raise MappingError(f"工作表「{mapping.sheet}」是图表，不是数据表")
                sheet = chosen
            else:
                sheet = self._book.worksheets[0]
            self._rows = sheet.iter_rows(values_only=True)
            first = next(self._rows, None)
            if first is None:
                raise ValidationFailed(f"工作表为空：{path.name}")
            self.header = [_cell_text(v).strip() for v in first]
            self._get = _getter(_locate_columns(self.header, mapping, fields, path.name))
            # a number in a time column is an Excel serial day (a cell not formatted as a date)
            self._time_slots = tuple(i for i, f in enumerate(fields) if f in TIME_FIELDS)
            self._date_1904 = getattr(self._book, "epoch", None) == CALENDAR_MAC_1904
            self.size = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 1 else None
        except BaseException:
            self._book.close()
            raise
        self._rownum = 1

    def records(self) -> Iterator[tuple[int, tuple[Any, ...], Any]]:
        get, width = self._get, len(self.header)
        for row in self._rows:
            self._rownum += 1
            if len(row) < width:
                row = (*row, *([None] * (width - len(row))))
            values = get(row)
            if not any(v is not None and v != "" for v in row):
                continue
            cells = [_cell(v) for v in values]
            for i in self._time_slots:
                if values[i].__class__ in (int, float):
                    # a number that is no time stays text: the validator refuses it with its reason
                    with contextlib.suppress(ValueError):
                        cells[i] = parse_time(values[i], date_1904=self._date_1904)
            yield self._rownum, tuple(cells), row

    def position(self) -> int:
        return self._rownum

    def close(self) -> None:
        self._book.close()


class JsonLinesSource(Source):
    def __init__(self, path: Path, mapping: ImportMapping, fields: tuple[str, ...]) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.header = [mapping.columns[f] for f in fields]
        self._paths = [tuple(mapping.columns[f].split(".")) for f in fields]
        self._file = path.open("rb")

    def records(self) -> Iterator[tuple[int, tuple[Any, ...], Any]]:
        paths = self._paths
        for rownum, line in enumerate(self._file, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield rownum, (BadLine(f"不是有效的 JSON：{exc}"),), line
                continue
            if not isinstance(item, dict):
                yield rownum, (BadLine("每行必须是一个 JSON 对象"),), line
                continue
            values = []
            for keys in paths:
                value: Any = item
                for key in keys:
                    value = value.get(key) if isinstance(value, dict) else None
                values.append(_cell(value))
            yield rownum, tuple(values), line

    def raw_cells(self, raw: Any) -> list[str]:
        return [raw.decode("utf-8", "replace").rstrip("\r\n")]

    def position(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class BadLine:
    message: str


def _cell(value: Any) -> Any:
    """A cell as the validator takes it: a string, a datetime, or "" for nothing."""
    if value is None:
        return ""
    cls = value.__class__
    if cls is str or cls is datetime:
        return value
    if cls is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return str(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _cell_text(value: Any) -> str:
    value = _cell(value)
    return value.isoformat(" ") if isinstance(value, datetime) else value
