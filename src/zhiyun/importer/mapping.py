"""The mapping file of a historical import: which column holds which order field, constants and value maps (docs/import.md)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import OrderStatus, OrderType, Satisfaction, Urgency
from zhiyun.kernel.geo import CoordSystem

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


def fail_mapping(problems: list[str], where: str) -> None:
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
        fail_mapping(problems, where)
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
