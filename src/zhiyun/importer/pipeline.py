"""Bulk import of historical work orders from CSV, XLSX or JSON lines (`zhiyun import orders`).

A mapping file (JSON, see docs/import.md) says which source column holds which order
field, gives constants and value maps (投诉 → complaint). The file is read as a stream
(csv reader, openpyxl read-only, one JSON line at a time); each row is validated and
normalized (text, phone, coordinates, times, units); bad rows go to a rejects CSV with
their reasons and the good ones are stored in batches by `zhiyun.importer.writers`, one
transaction per batch. The calling thread reads and validates while writer threads (two
connections on PostgreSQL) store the batches before.

Idempotent: a row whose (channel, external id) is stored already is skipped, so a second
run stores nothing twice and a run cut short resumes. Without an external id column the
id is a hash of the row's content ("h:" + 32 hex digits).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import hashlib
import json
import os
import queue
import re
import stat
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OrderStatus, OrderType, Satisfaction, Urgency
from zhiyun.importer.times import parse_time
from zhiyun.importer.writers import (
    I_CHANNEL,
    I_EXTERNAL_ID,
    I_NUMBER,
    I_ROWNUM,
    BatchResult,
    BulkOrderWriter,
    bulk_writer,
)
from zhiyun.kernel.files import detect_encoding
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, geo_cell, validate_coordinates
from zhiyun.kernel.gil import short_gil_slices
from zhiyun.kernel.normalize import normalize_phone, normalize_text, to_halfwidth
from zhiyun.reference.repo import load_org
from zhiyun.store.db import Database

# --------------------------------------------------------------------------- fields

FIELD_LABELS: dict[str, str] = {
    "external_id": "外部编号",
    "number": "工单编号",
    "channel": "渠道",
    "title": "标题",
    "content": "诉求内容",
    "order_type": "类型",
    "urgency": "紧急程度",
    "status": "状态",
    "citizen_name": "诉求人",
    "citizen_phone": "联系电话",
    "address": "地址",
    "latitude": "纬度",
    "longitude": "经度",
    "coord_system": "坐标系",
    "registered_at": "登记时间",
    "replied_at": "办结时间",
    "closed_at": "归档时间",
    "satisfaction": "满意度",
    "category_code": "分类编码",
    "registered_unit": "受理单位",
    "responsible_unit": "承办单位",
    "result": "办理结果",
    "confidential": "保密",
}
FIELDS = tuple(FIELD_LABELS)
TIME_FIELDS = frozenset({"registered_at", "replied_at", "closed_at"})
# What a rejection may name besides a field: the point as a whole, or the whole row.
REJECTION_LABELS = {**FIELD_LABELS, "location": "经纬度", "row": "整行"}
REQUIRED_COLUMNS = ("title", "registered_at")
NO_CONSTANT = frozenset({"external_id", "number"})
FORMATS = ("csv", "xlsx", "jsonl")
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
EXTENSIONS.update({".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"})

# Statuses a historical order may be imported in: finished ones, and not yet dispatched.
# Orders half-way through the workflow need deadlines and pending requests the source
# systems do not give; they are refused rather than stored half-formed.
IMPORT_STATUSES = (OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.PENDING_DISPATCH)
FINISHED = frozenset({OrderStatus.CLOSED.value, OrderStatus.CANCELLED.value})

MAX_TITLE = 300
MAX_CONTENT = 20_000
MAX_LENGTH = {
    "external_id": 128,
    "number": 32,
    "channel": 32,
    "citizen_name": 100,
    "address": 500,
    "category_code": 64,
}
# Times later than the import by more than this are refused (clock skew of the source allowed).
FUTURE_SLACK = timedelta(days=1)
MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2100, 1, 1, tzinfo=UTC)

# Rows per batch (one transaction each). Smaller batches keep both writers busy from the first
# seconds to the last; at 5,000 a batch's fixed statements cost under 1% of it.
DEFAULT_BATCH = 5_000
DEFAULT_PG_WRITERS = 2
# GIL slices while importing (zhiyun.kernel.gil): the parser thread runs pure Python all the time, and
# each writer needs the GIL between its statements and for every row it copies. At 0.2 ms the
# writers kept PostgreSQL busier than at 1 ms (20,400 against 17,000 orders/s on 200,000 rows).
IMPORT_SWITCH_INTERVAL = 0.0002
BULK_ACTOR = "历史数据导入"


def _choices(enum: Any, extra: Mapping[str, str] = {}) -> dict[str, str]:
    values: dict[str, str] = {}
    for member in enum:
        values[member.value] = member.value
        values[member.label] = member.value
    for key, value in extra.items():
        values[key] = value
    return values


# Built-in value maps: the enum values and their Chinese labels, and a few common synonyms.
# A mapping's own value maps come first.
BUILTIN_VALUES: dict[str, dict[str, str]] = {
    "order_type": _choices(
        OrderType, {"投诉举报": "complaint", "意见建议": "suggestion", "咨询类": "consult"}
    ),
    "urgency": _choices(
        Urgency, {"普通": "normal", "一般件": "normal", "加急": "urgent", "紧急件": "urgent"}
    ),
    "status": {
        **_choices(OrderStatus),
        "已办结": "closed",
        "办结": "closed",
        "已完成": "closed",
        "已关闭": "closed",
        "归档": "closed",
        "撤销": "cancelled",
        "作废": "cancelled",
    },
    "satisfaction": _choices(
        Satisfaction, {"非常满意": "satisfied", "比较满意": "basically_satisfied", "无法联系": "unreachable"}
    ),
    "coord_system": {
        "wgs84": "wgs84",
        "wgs-84": "wgs84",
        "gps": "wgs84",
        "gcj02": "gcj02",
        "gcj-02": "gcj02",
        "amap": "gcj02",
        "高德": "gcj02",
        "腾讯": "gcj02",
    },
    "confidential": {
        "true": "1",
        "1": "1",
        "yes": "1",
        "y": "1",
        "是": "1",
        "保密": "1",
        "false": "0",
        "0": "0",
        "no": "0",
        "n": "0",
        "否": "0",
        "不保密": "0",
    },
}
ENUM_FIELDS: dict[str, frozenset[str]] = {
    "order_type": frozenset(t.value for t in OrderType),
    "urgency": frozenset(u.value for u in Urgency),
    "status": frozenset(s.value for s in OrderStatus),
    "satisfaction": frozenset(s.value for s in Satisfaction),
    "coord_system": frozenset(c.value for c in CoordSystem),
    "confidential": frozenset({"0", "1"}),
}


# --------------------------------------------------------------------------- mapping


class MappingError(ValidationFailed):
    """The mapping file is unusable: not JSON, unknown fields, bad value maps, missing columns."""

    code = "mapping_invalid"


def _fail_mapping(problems: list[str], where: str) -> None:
    if problems:
        raise MappingError(f"{where}有误：" + "；".join(problems), problems=problems)


@dataclass(frozen=True)
class ImportMapping:
    """Which source column holds which order field, constants, value maps and how to read the file."""

    columns: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    format: str | None = None  # csv | xlsx | jsonl; default: by the file's extension
    encoding: str = "auto"  # csv: auto (UTF-8 with or without BOM, else GB18030) or a codec name
    delimiter: str | None = None  # csv: default sniffed from the header line (, tab ; |)
    sheet: str | None = None  # xlsx: default the first sheet
    timezone: str = "Asia/Shanghai"  # of times without an offset
    coord_system: str = "wgs84"  # of coordinates, unless a coord_system column says otherwise

    KEYS = (
        "columns",
        "constants",
        "value_maps",
        "format",
        "encoding",
        "delimiter",
        "sheet",
        "timezone",
        "coord_system",
        "description",
    )

    @classmethod
    def load(cls, path: str | Path) -> ImportMapping:
        """Read and check a mapping file; MappingError with every problem found."""
        path = Path(path)
        where = f"映射文件 {path.name} "
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise MappingError(f"映射文件不存在：{path}") from None
        except UnicodeDecodeError:
            raise MappingError(f"{where}不是 UTF-8 编码的 JSON 文件") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(
                f"{where}不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
            ) from None
        return cls.from_dict(data, where=where)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "映射") -> ImportMapping:
        if not isinstance(data, dict):
            raise MappingError(f'{where}必须是一个 JSON 对象（{{"columns": {{…}}}}）')
        problems: list[str] = []
        unknown = sorted(set(data) - set(cls.KEYS))
        if unknown:
            problems.append(f"未知的键 {', '.join(unknown)}（可用：{', '.join(cls.KEYS)}）")
        columns = _string_dict(data.get("columns", {}), "columns", problems)
        constants = _string_dict(data.get("constants", {}), "constants", problems, scalars=True)
        raw_maps = data.get("value_maps", {})
        value_maps: dict[str, dict[str, str]] = {}
        if not isinstance(raw_maps, dict):
            problems.append("value_maps 必须是对象：{字段: {源值: 取值}}")
        else:
            for name, table in raw_maps.items():
                value_maps[name] = _string_dict(table, f"value_maps.{name}", problems, scalars=True)
        for section, names in (("columns", columns), ("constants", constants), ("value_maps", value_maps)):
            bad = sorted(set(names) - set(FIELDS))
            if bad:
                problems.append(f"{section} 中有未知字段 {', '.join(bad)}（可用字段：{', '.join(FIELDS)}）")
        for name in sorted(NO_CONSTANT & set(constants)):
            problems.append(f"{name} 不能是常量（每行必须不同）")
        options: dict[str, Any] = {}
        for key in ("format", "encoding", "delimiter", "sheet", "timezone", "coord_system"):
            if key in data and data[key] is not None:
                if not isinstance(data[key], str) or not data[key]:
                    problems.append(f"{key} 必须是非空字符串")
                else:
                    options[key] = data[key]
        mapping = cls(columns=columns, constants=constants, value_maps=value_maps, **options)
        problems.extend(mapping._problems())
        _fail_mapping(problems, where)
        return mapping

    def _problems(self) -> list[str]:
        problems: list[str] = []
        for name in REQUIRED_COLUMNS:
            if name not in self.columns:
                problems.append(f"columns 必须给出 {name}（{FIELD_LABELS[name]}）所在的列")
        if ("latitude" in self.columns) != ("longitude" in self.columns):
            problems.append("latitude 与 longitude 必须同时映射")
        if self.format is not None and self.format not in FORMATS:
            problems.append(f"format 应为 {' / '.join(FORMATS)}，而不是 {self.format}")
        if self.encoding != "auto":
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                problems.append(f"未知的编码 {self.encoding}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            problems.append("delimiter 必须是单个字符")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"未知的时区 {self.timezone}")
        if self.coord_system not in ENUM_FIELDS["coord_system"]:
            problems.append(f"coord_system 应为 wgs84 或 gcj02，而不是 {self.coord_system}")
        for name, table in self.value_maps.items():
            allowed = ENUM_FIELDS.get(name)
            if allowed is None:
                continue
            for source, target in table.items():
                if target not in allowed:
                    problems.append(
                        f"value_maps.{name}：「{source}」→「{target}」不是有效取值（可用：{', '.join(sorted(allowed))}）"
                    )
        for name, value in self.constants.items():
            allowed = ENUM_FIELDS.get(name)
            if allowed is not None and self.enum_value(name, value) is None:
                problems.append(
                    f"constants.{name}：「{value}」不是有效取值（可用：{', '.join(sorted(allowed))}）"
                )
        return problems

    def enum_value(self, name: str, value: str) -> str | None:
        """The enum value `value` stands for in field `name` (value maps, then built-in), or None."""
        table = {**BUILTIN_VALUES.get(name, {}), **self.value_maps.get(name, {})}
        key = value.strip()
        return table.get(key) or table.get(key.lower())

    def with_channel(self, channel: str | None) -> ImportMapping:
        """The mapping with `--channel` as the constant channel (rows' own channel column still wins)."""
        if not channel:
            return self
        return replace(self, constants={**self.constants, "channel": channel})

    def require_channel(self) -> None:
        if "channel" not in self.columns and not self.constants.get("channel"):
            raise MappingError(
                "缺少渠道：请在映射文件的 columns 或 constants 中给出 channel，或使用 --channel 指定"
            )


def _string_dict(value: Any, where: str, problems: list[str], *, scalars: bool = False) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{where} 必须是对象")
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str) and item.strip():
            result[key] = item.strip() if not scalars else item
        elif scalars and isinstance(item, bool):
            result[key] = "1" if item else "0"
        elif scalars and isinstance(item, int | float):
            result[key] = str(item)
        else:
            problems.append(f"{where}.{key} 必须是非空字符串")
    return result


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
    _fail_mapping(problems, f"{name} 的表头")
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
                sheet = self._book[mapping.sheet]
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
                yield rownum, (_BadLine(f"不是有效的 JSON：{exc}"),), line
                continue
            if not isinstance(item, dict):
                yield rownum, (_BadLine("每行必须是一个 JSON 对象"),), line
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
class _BadLine:
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


# --------------------------------------------------------------------------- validation


class RowErrors(list[tuple[str, str]]):
    """The problems of one row: (field, message) pairs."""


@functools.cache
def _folded_chars() -> re.Pattern[str]:
    """The printable characters normalize_text would change (full-width forms, mostly)."""
    chars = []
    for code in range(0xFF00, 0xFFF0):
        probe = f"a{chr(code)}a"
        if normalize_text(probe, multiline=False) != probe:
            chars.append(re.escape(chr(code)))
    return re.compile("[" + "".join(chars) + "]") if chars else re.compile(r"(?!x)x")


def _is_clean(s: str) -> bool:
    """Text that normalize_text gives back as it is, but for the outer spaces."""
    return (
        s.isprintable()
        and "  " not in s
        and not _folded_chars().search(s)
        and unicodedata.is_normalized("NFC", s)
    )


def clean_line(s: str) -> str:
    """normalize_text(s, multiline=False), with a shortcut for text that is already clean."""
    return s.strip() if _is_clean(s) else normalize_text(s, multiline=False)


def clean_block(s: str) -> str:
    """normalize_text(s), with the same shortcut."""
    return s.strip() if _is_clean(s) else normalize_text(s)


def clean_phone(s: str) -> str | None:
    """normalize_phone(s), with a shortcut for a plain 11-digit mobile number."""
    if len(s) == 11 and s.isascii() and s.isdigit() and s[0] == "1" and s[1] in "3456789":
        return s
    return normalize_phone(s)


class UnitIndex:
    """Org units by code, name and alias (names shared by two units must be given by code)."""

    def __init__(self, org: OrgTree) -> None:
        self.by_key: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        by_name: dict[str, set[int]] = {}
        for unit in org.units.values():
            for name in (unit.name, *unit.aliases):
                if name:
                    by_name.setdefault(name.strip(), set()).add(unit.id)
        for name, ids in by_name.items():
            if len(ids) == 1:
                self.by_key[name] = next(iter(ids))
            else:
                self.ambiguous.add(name)
        for unit in org.units.values():  # codes win over names
            self.by_key[unit.code] = unit.id
            self.ambiguous.discard(unit.code)

    def find(self, value: str) -> int | str:
        """The unit id, or the reason there is none."""
        key = value.strip()
        found = self.by_key.get(key)
        if found is not None:
            return found
        if key in self.ambiguous:
            return f"单位名称「{key}」对应多个单位，请改用单位编码"
        return f"未知的单位「{key}」（应为组织架构中的单位编码、名称或别名）"


Locate = Callable[[float | None, float | None, str | None], tuple[int | None, int | None, str]]
Validate = Callable[[int, tuple[Any, ...], Callable[[], str]], "list[Any] | RowErrors"]


class RowValidator:
    """Turns the mapped values of one source row into a staged row, or the list of its errors.

    `validate(rownum, values, content_key)` takes the values of the mapped fields in
    `fields` order (strings, or datetimes from spreadsheets) and gives a list in
    zhiyun.importer.writers.STAGED_COLUMNS order, or RowErrors. It is compiled once per import
    into a closure over the mapping (this is the per-row hot path of a million-row import).
    """

    def __init__(
        self,
        mapping: ImportMapping,
        fields: tuple[str, ...],
        org: OrgTree,
        *,
        now: datetime,
        locate: Locate | None = None,
    ) -> None:
        self.mapping = mapping
        self.fields = fields
        self.units = UnitIndex(org)
        self.root_id = org.root().id
        self.now = now
        self.locate = locate
        constants = mapping.constants
        for name in ("registered_unit", "responsible_unit"):
            if name in constants and isinstance(self.units.find(constants[name]), str):
                raise MappingError(f"constants.{name}：{self.units.find(constants[name])}")
        self.validate: Validate = self._compile()

    def _compile(self) -> Validate:
        mapping, units, locate = self.mapping, self.units, self.locate
        constants = mapping.constants
        width = len(self.fields)
        # Every field reads one slot of `vals`: its column, else a constant or "" appended after them.
        position: dict[str, int] = {f: i for i, f in enumerate(self.fields)}
        extra: list[Any] = []
        for name in FIELDS:
            if name not in position:
                position[name] = width + len(extra)
                extra.append(constants.get(name, ""))
        extra_t = tuple(extra)
        fallbacks = tuple((position[f], c) for f, c in constants.items() if f in self.fields)
        free_maps = tuple(
            (position[f], table) for f, table in mapping.value_maps.items() if f not in ENUM_FIELDS
        )
        enum_maps = {
            name: {**BUILTIN_VALUES.get(name, {}), **mapping.value_maps.get(name, {})} for name in ENUM_FIELDS
        }
        P = position
        p_ext, p_num, p_chan = P["external_id"], P["number"], P["channel"]
        p_title, p_content, p_name, p_phone = P["title"], P["content"], P["citizen_name"], P["citizen_phone"]
        p_addr, p_cat, p_result = P["address"], P["category_code"], P["result"]
        p_type, p_urg, p_status, p_sat, p_conf, p_coord = (
            P["order_type"],
            P["urgency"],
            P["status"],
            P["satisfaction"],
            P["confidential"],
            P["coord_system"],
        )
        p_lat, p_lon = P["latitude"], P["longitude"]
        p_reg_unit, p_resp_unit = P["registered_unit"], P["responsible_unit"]
        p_reg, p_rep, p_clo = P["registered_at"], P["replied_at"], P["closed_at"]
        has_external = "external_id" in self.fields
        m_type, m_urg, m_status = enum_maps["order_type"], enum_maps["urgency"], enum_maps["status"]
        m_sat, m_conf, m_coord = (
            enum_maps["satisfaction"],
            enum_maps["confidential"],
            enum_maps["coord_system"],
        )
        default_coord = mapping.coord_system
        tz = ZoneInfo(mapping.timezone)
        numbering_tz = mapping.timezone == str(LOCAL_TZ)
        latest = self.now + FUTURE_SLACK
        registered_default = self.root_id
        finished, pending = FINISHED, OrderStatus.PENDING_DISPATCH.value
        importable = FINISHED | {pending}
        gcj02 = CoordSystem.GCJ02.value
        find_unit = units.find
        unit_ids = units.by_key
        fromiso = datetime.fromisoformat
        utc = UTC
        folded = _folded_chars().search
        is_nfc = unicodedata.is_normalized
        limits = MAX_LENGTH

        def enum(
            raw: Any, table: dict[str, str], name: str, default: str | None, errors: RowErrors
        ) -> str | None:
            if raw == "":
                return default
            text = raw if raw.__class__ is str else str(raw)
            found = table.get(text) or table.get(text.lower())
            if found is None:
                errors.append(
                    (
                        name,
                        f"未知的{FIELD_LABELS[name]}「{text[:40]}」（可在映射文件 value_maps.{name} 中对应）",
                    )
                )
            return found

        def when(value: Any, name: str, errors: RowErrors) -> tuple[datetime | None, datetime | None]:
            """(UTC instant, the naive local time it was given as) of a time cell."""
            if value == "":
                return None, None
            naive = None
            try:
                if value.__class__ is str:
                    try:
                        parsed: datetime | None = fromiso(value)
                    except ValueError:
                        parsed = None
                else:
                    parsed = value if isinstance(value, datetime) else None
                if parsed is None:
                    try:
                        parsed = parse_time(value)  # 2019/11/28 9:08:38, 2019年11月28日 9时8分, …
                    except ValueError as exc:
                        errors.append((name, f"{FIELD_LABELS[name]}：{exc}"))
                        return None, None
                if parsed.tzinfo is None or parsed.utcoffset() is None:
                    naive = parsed.replace(tzinfo=None)
                    instant = naive.replace(tzinfo=tz).astimezone(utc)
                else:
                    instant = parsed.astimezone(utc)
            except (OverflowError, ValueError):
                errors.append((name, f"{FIELD_LABELS[name]}超出合理范围"))
                return None, None
            if not MIN_TIME <= instant < MAX_TIME:
                errors.append((name, f"{FIELD_LABELS[name]}超出合理范围（1970—2099 年）"))
                return None, None
            if instant > latest:
                errors.append((name, f"{FIELD_LABELS[name]}晚于当前时间"))
                return None, None
            return instant, naive

        def text(raw: Any, name: str, errors: RowErrors, block: bool = False) -> str | None:
            if raw == "":
                return None
            if raw.__class__ is not str:
                raw = str(raw)
            if raw.isprintable() and "  " not in raw and not folded(raw) and is_nfc("NFC", raw):
                cleaned = raw
            else:
                cleaned = normalize_text(raw) if block else normalize_text(raw, multiline=False)
            limit = limits.get(name)
            if limit is not None and len(cleaned) > limit:
                errors.append((name, f"{FIELD_LABELS[name]}超过 {limit} 字"))
            return cleaned or None

        def unit(raw: Any, name: str, errors: RowErrors) -> int | None:
            if raw == "":
                return None
            found = unit_ids.get(raw)
            if found is not None:
                return found
            reason = find_unit(str(raw))
            if isinstance(reason, str):
                errors.append((name, reason))
                return None
            return reason

        def validate(
            rownum: int, values: tuple[Any, ...], content_key: Callable[[], str]
        ) -> list[Any] | RowErrors:
            if values and values[0].__class__ is _BadLine:
                return RowErrors([("row", values[0].message)])
            vals = [v.strip() if v.__class__ is str else v for v in values]
            vals.extend(extra_t)
            for p, constant in fallbacks:
                if vals[p] == "":
                    vals[p] = constant
            for p, table in free_maps:
                mapped = table.get(vals[p])
                if mapped is not None:
                    vals[p] = mapped
            errors = RowErrors()

            # identity
            if has_external:
                external_id = vals[p_ext]
                if external_id.__class__ is not str:
                    external_id = str(external_id)
                if not external_id:
                    errors.append(("external_id", "外部编号为空"))
                elif len(external_id) > 128:
                    errors.append(("external_id", "外部编号超过 128 个字符"))
            else:
                external_id = (
                    "h:" + hashlib.blake2b(content_key().encode("utf-8"), digest_size=16).hexdigest()
                )
            number = vals[p_num] or None
            if number is not None:
                if number.__class__ is not str:
                    number = str(number)
                if not number.isascii():
                    number = to_halfwidth(number).strip()
                if len(number) > 32:
                    errors.append(("number", "工单编号超过 32 个字符"))
            channel = vals[p_chan]
            if not channel:
                errors.append(("channel", "渠道为空（映射 channel 列，或用 constants / --channel 给出）"))
            elif len(channel) > 32 or not channel.isprintable() or " " in channel:
                errors.append(("channel", f"渠道编码「{channel[:40]}」无效（不超过 32 个字符、不含空格）"))

            # text
            title = text(vals[p_title], "title", errors)
            if not title:
                errors.append(("title", "标题不能为空"))
            elif len(title) > MAX_TITLE:
                errors.append(("title", f"标题超过 {MAX_TITLE} 字"))
            content = text(vals[p_content], "content", errors, True) or title
            if content is not None and len(content) > MAX_CONTENT:
                errors.append(("content", f"诉求内容超过 {MAX_CONTENT} 字"))
            citizen_name = text(vals[p_name], "citizen_name", errors)
            address = text(vals[p_addr], "address", errors)
            category_code = text(vals[p_cat], "category_code", errors)
            result = text(vals[p_result], "result", errors, True)
            phone = vals[p_phone]
            if phone:
                try:
                    phone = clean_phone(phone if phone.__class__ is str else str(phone))
                except ValidationFailed as exc:
                    errors.append(("citizen_phone", f"{exc.message}：{str(phone)[:40]}"))
            phone = phone or None

            # choices
            order_type = enum(vals[p_type], m_type, "order_type", "help", errors)
            urgency = enum(vals[p_urg], m_urg, "urgency", "normal", errors)
            status = enum(vals[p_status], m_status, "status", "closed", errors)
            if status is not None and status not in importable:
                allowed = "、".join(f"{s.label}({s.value})" for s in IMPORT_STATUSES)
                errors.append(
                    ("status", f"历史导入不支持状态「{OrderStatus(status).label}」，只支持：{allowed}")
                )
            satisfaction = enum(vals[p_sat], m_sat, "satisfaction", None, errors)
            confidential = enum(vals[p_conf], m_conf, "confidential", "0", errors) == "1"

            # place
            latitude = longitude = cell = None
            lat_raw, lon_raw = vals[p_lat], vals[p_lon]
            if lat_raw != "" or lon_raw != "":
                if lat_raw == "" or lon_raw == "":
                    errors.append(("location", "经纬度必须同时提供"))
                else:
                    try:
                        la: Any
                        lo: Any
                        try:
                            la, lo = float(lat_raw), float(lon_raw)
                        except (TypeError, ValueError):
                            la, lo = lat_raw, lon_raw  # let validate_coordinates say what is wrong
                        latitude, longitude = validate_coordinates(la, lo)
                        if enum(vals[p_coord], m_coord, "coord_system", default_coord, errors) == gcj02:
                            latitude, longitude = gcj02_to_wgs84(latitude, longitude)
                        cell = geo_cell(latitude, longitude)
                    except ValidationFailed as exc:
                        errors.append((str(exc.details.get("field", "location")), exc.message))
                        latitude = longitude = cell = None
            town_id = village_id = None
            location_source = ""
            if locate is not None and (latitude is not None or address):
                town_id, village_id, location_source = locate(latitude, longitude, address)

            # units
            registered_id = unit(vals[p_reg_unit], "registered_unit", errors) or registered_default
            responsible_id = unit(vals[p_resp_unit], "responsible_unit", errors)
            if responsible_id == registered_id:
                responsible_id = None

            # times
            registered_at, local = when(vals[p_reg], "registered_at", errors)
            if registered_at is None and vals[p_reg] == "":
                errors.append(("registered_at", "登记时间不能为空"))
            replied_at, _ = when(vals[p_rep], "replied_at", errors)
            closed_at, _ = when(vals[p_clo], "closed_at", errors)
            if registered_at is not None:
                if replied_at is not None and replied_at < registered_at:
                    errors.append(("replied_at", "办结时间早于登记时间"))
                if closed_at is not None and closed_at < registered_at:
                    errors.append(("closed_at", "归档时间早于登记时间"))
            if status == pending:
                if responsible_id is not None:
                    errors.append(("responsible_unit", "待分拨的工单不能有承办单位"))
                if replied_at is not None or closed_at is not None:
                    errors.append(("status", "待分拨的工单不能有办结或归档时间"))
            elif status in finished and closed_at is None:
                closed_at = replied_at or registered_at

            if errors or registered_at is None:
                return errors
            day = None
            if number is None:
                d = local if local is not None and numbering_tz else registered_at.astimezone(LOCAL_TZ)
                day = f"{d.year:04d}{d.month:02d}{d.day:02d}"
            return [
                None,
                rownum,
                number,
                day,
                channel,
                external_id,
                citizen_name,
                phone,
                title,
                content,
                order_type,
                urgency,
                category_code,
                address,
                latitude,
                longitude,
                cell,
                town_id,
                village_id,
                location_source,
                confidential,
                status,
                registered_id,
                responsible_id,
                registered_at,
                replied_at,
                closed_at,
                satisfaction,
                result,
            ]

        return validate


# --------------------------------------------------------------------------- report


@dataclass
class Rejection:
    rownum: int
    field: str
    message: str


@dataclass
class ImportProgress:
    """Where an import is: rows read and what became of them, and how far into the file."""

    read: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    position: int = 0
    size: int | None = None


@dataclass
class ImportReport:
    """What an import did. `examples`: the first rejections, for the summary."""

    file: str
    read: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    # the default place of the rejects file (next to the input) when it could not be written
    # there and the file went to the working directory instead
    rejects_moved_from: Path | None = None
    seconds: float = 0.0
    rejected_by_field: Counter[str] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)

    @property
    def orders_per_s(self) -> float:
        return self.imported / self.seconds if self.seconds > 0 else 0.0


class RejectsFile:
    """The rejected rows as CSV (UTF-8 with BOM, for Excel): 行号, 字段, 原因, then the row as read."""

    MAX_EXAMPLES = 20

    def __init__(
        self,
        path: Path,
        header: list[str],
        report: ImportReport,
        *,
        fallback: Path | None = None,
        moved_from: Path | None = None,
    ) -> None:
        """`fallback`: where to write when `path` cannot be opened (the default place next to
        the input only); `moved_from`: the default place, when `path` is already the fallback."""
        self.path = path
        self.header = header
        self.report = report
        self.fallback = fallback
        self.moved_from = moved_from
        self.lock = threading.Lock()
        self._file: IO[str] | None = None
        self._writer: Any = None

    def _open(self) -> IO[str]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self.path.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            if self.fallback is None or self.fallback == self.path:
                raise ValidationFailed(
                    f"无法写入拒绝文件 {self.path}（{exc.strerror or exc}）：请用 --rejects 指定一个可写的位置",
                    field="rejects",
                ) from None
            self.moved_from, self.path, self.fallback = self.path, self.fallback, None
            return self._open()

    def add(self, rownum: int, errors: Sequence[tuple[str, str]], cells: list[str]) -> None:
        with self.lock:
            if self._writer is None:
                self._file = self._open()
                self._writer = csv.writer(self._file)
                self._writer.writerow(["行号", "字段", "原因", *self.header])
                self.report.rejects_path = self.path
                self.report.rejects_moved_from = self.moved_from
            fields = "；".join(dict.fromkeys(f for f, _ in errors))
            self._writer.writerow([rownum, fields, "；".join(m for _, m in errors), *cells])
            report = self.report
            report.rejected += 1
            for f, message in errors:
                report.rejected_by_field[f] += 1
                if len(report.examples) < self.MAX_EXAMPLES:
                    report.examples.append(Rejection(rownum, f, message))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        elif self._stale():
            # the rejects of an earlier run, all of them fixed or imported since
            self.path.unlink(missing_ok=True)

    def _stale(self) -> bool:
        """Whether the path holds a rejects file this importer wrote (its header says so)."""
        try:
            with self.path.open(encoding="utf-8-sig") as f:
                return f.readline().startswith("行号,字段,原因")
        except (OSError, UnicodeDecodeError):
            return False


def default_rejects_path(path: Path) -> Path:
    """Next to the input: orders.csv → orders.rejects.csv."""
    return path.with_name(f"{path.stem}.rejects.csv")


def writable_folder(folder: Path) -> bool:
    """Whether files may be written in `folder`: this process may write there, the folder is not
    read-only for everyone (no write bit at all, as shared data folders are: root honours that
    too, although the system would let it write) and its file system is not mounted read-only."""
    try:
        mode = folder.stat().st_mode
        if not stat.S_ISDIR(mode) or not mode & 0o222 or not os.access(folder, os.W_OK):
            return False
        return not os.statvfs(folder).f_flag & os.ST_RDONLY
    except OSError:
        return False


def rejects_location(path: Path, *, cwd: Path | None = None) -> tuple[Path, Path | None]:
    """Where the rejects of `path` go without --rejects: (the file, the default place passed over).

    Next to the input when its folder is writable; else in the working directory (a data folder
    may be read-only), and the second item names the default place so that the caller can say so.
    """
    default = default_rejects_path(path)
    elsewhere = (cwd or Path.cwd()) / default.name
    if writable_folder(default.parent) or elsewhere.resolve() == default.resolve():
        return default, None
    return elsewhere, default


# --------------------------------------------------------------------------- the import


@dataclass
class _Batch:
    rows: list[list[Any]]
    raws: list[Any]
    read: int  # rows read up to the end of this batch
    position: int
    repeated: int  # rows whose order came earlier in the same batch (counted as already imported)


_DONE = object()


class BulkImporter:
    """Imports a file of historical orders into one database (the use case behind `zhiyun import orders`).

    The calling thread reads and validates; `writers` threads (default: 2 on PostgreSQL,
    each with a connection of its own, so that the server works on two batches while
    Python parses the next; 1 on SQLite, which has a single writer) store the batches.
    """

    def __init__(
        self,
        db: Database,
        *,
        prefix: str = "NH",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        locate: Locate | None = None,
        writers: int | None = None,
    ) -> None:
        self.db = db
        self.prefix = prefix
        self.clock = clock
        self.locate = locate
        self.writers = 1 if db.is_sqlite else max(1, writers or DEFAULT_PG_WRITERS)

    def run(
        self,
        path: str | Path,
        mapping: ImportMapping,
        *,
        channel: str | None = None,
        batch_size: int = DEFAULT_BATCH,
        rejects_path: str | Path | None = None,
        progress: Callable[[ImportProgress], None] | None = None,
    ) -> ImportReport:
        """Import `path`; the good rows are stored, the bad ones written to the rejects file."""
        path = Path(path)
        if not path.is_file():
            raise ValidationFailed(f"文件不存在：{path}", field="file")
        if batch_size < 1:
            raise ValidationFailed("批次大小必须是正整数", field="batch")
        mapping = mapping.with_channel(channel)
        mapping.require_channel()
        started = time.perf_counter()
        with self.db.reading() as session:
            org = load_org(session)
        if not org.units:
            raise ValidationFailed("数据库中还没有组织架构：请先运行 `zhiyun org import`")
        fields = tuple(f for f in FIELDS if f in mapping.columns)
        validator = RowValidator(mapping, fields, org, now=self.clock(), locate=self.locate)
        source = open_source(path, mapping, fields)
        report = ImportReport(file=path.name)
        if rejects_path:
            rejects = RejectsFile(Path(rejects_path), source.header, report)
        else:
            target, passed_over = rejects_location(path)
            rejects = RejectsFile(
                target,
                source.header,
                report,
                fallback=None if passed_over else Path.cwd() / target.name,
                moved_from=passed_over,
            )
        writers: list[BulkOrderWriter] = []
        try:
            for _ in range(self.writers):
                writers.append(bulk_writer(self.db, prefix=self.prefix, clock=self.clock))
            self._pipeline(source, validator, writers, rejects, report, batch_size, progress, path.name)
        finally:
            for writer in writers:
                writer.close()
            source.close()
            rejects.close()
            report.seconds = time.perf_counter() - started
        return report

    def _pipeline(
        self,
        source: Source,
        validator: RowValidator,
        writers: list[BulkOrderWriter],
        rejects: RejectsFile,
        report: ImportReport,
        batch_size: int,
        progress: Callable[[ImportProgress], None] | None,
        label: str,
    ) -> None:
        """Read and validate here, store in the writer threads: the database works while Python parses."""
        batches: queue.Queue[Any] = queue.Queue(maxsize=len(writers) + 1)
        failed = threading.Event()  # a writer failed, or reading did: store nothing more
        errors: list[BaseException] = []
        lock = threading.Lock()
        state = ImportProgress(size=source.size)

        def store(writer: BulkOrderWriter) -> None:
            while True:
                item = batches.get()
                if item is _DONE:
                    return
                if failed.is_set():
                    continue
                try:
                    outcome = writer.write(item.rows, label)
                    with lock:
                        self._account(outcome, item, source, rejects, report)
                        state.read = max(state.read, item.read)
                        state.position = max(state.position, item.position)
                        state.imported, state.already_imported = report.imported, report.already_imported
                        state.rejected = report.rejected
                        if progress is not None:
                            progress(state)
                except BaseException as exc:
                    errors.append(exc)
                    failed.set()

        threads = [
            threading.Thread(target=store, args=(w,), name=f"zhiyun-import-writer-{i}", daemon=True)
            for i, w in enumerate(writers)
        ]
        with short_gil_slices(IMPORT_SWITCH_INTERVAL):
            for thread in threads:
                thread.start()
            try:
                self._feed(self._batches(source, validator, rejects, batch_size), batches, failed, report)
            except BaseException:
                failed.set()
                raise
            finally:
                for _ in threads:
                    batches.put(_DONE)
                for thread in threads:
                    thread.join()
        if errors:
            raise errors[0]

    @staticmethod
    def _feed(
        source: Iterator[_Batch], batches: queue.Queue[Any], failed: threading.Event, report: ImportReport
    ) -> None:
        """Hand the batches to the writers, unless one of them failed."""
        for batch in source:
            while not failed.is_set():
                try:
                    batches.put(batch, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if failed.is_set():
                return
            report.read = batch.read

    @staticmethod
    def _account(
        outcome: BatchResult, batch: _Batch, source: Source, rejects: RejectsFile, report: ImportReport
    ) -> None:
        report.imported += outcome.imported
        report.already_imported += outcome.already_imported + batch.repeated
        if outcome.rejected:
            raw_of = {row[I_ROWNUM]: raw for row, raw in zip(batch.rows, batch.raws, strict=True)}
            for rownum, name, message in outcome.rejected:
                rejects.add(rownum, [(name, message)], source.raw_cells(raw_of[rownum]))

    @staticmethod
    def _batches(
        source: Source, validator: RowValidator, rejects: RejectsFile, batch_size: int
    ) -> Iterator[_Batch]:
        validate = validator.validate
        rows: list[list[Any]] = []
        raws: list[Any] = []
        keys: dict[tuple[str, str], int] = {}
        numbers: dict[str, int] = {}
        read = repeated = 0
        raw_cells = source.raw_cells

        def content_key(raw: Any) -> str:
            cells = raw_cells(raw)
            while cells and cells[-1] == "":
                cells.pop()
            return "\x1f".join(cells)

        for rownum, values, raw in source.records():
            read += 1
            checked = validate(rownum, values, functools.partial(content_key, raw))
            if isinstance(checked, RowErrors):
                rejects.add(rownum, checked, raw_cells(raw))
                continue
            staged: list[Any] = checked
            key = (staged[I_CHANNEL], staged[I_EXTERNAL_ID])
            if key in keys:  # the same order twice in one batch: the first stands
                repeated += 1
                continue
            keys[key] = rownum
            number = staged[I_NUMBER]
            if number is not None:
                first = numbers.get(number)
                if first is not None:
                    rejects.add(rownum, [("number", f"工单编号与第 {first} 行重复")], raw_cells(raw))
                    continue
                numbers[number] = rownum
            rows.append(staged)
            raws.append(raw)
            if len(rows) >= batch_size:
                yield _Batch(rows, raws, read, source.position(), repeated)
                rows, raws, keys, numbers, repeated = [], [], {}, {}, 0
        yield _Batch(rows, raws, read, source.position(), repeated)
