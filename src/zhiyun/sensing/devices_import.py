"""The device registry's file forms (设备台账 import and export): CSV or XLSX, one row per device.

Columns, by Chinese header or English name (`COLUMNS`; other columns are ignored):

    设备编码 code · 设备名称 name · 类型 kind (视频/物联感知/无人机/卫星遥感 or camera/iot/drone/
    satellite) · 场景 scenes (codes separated by , or 、; empty: every scene of its kind) ·
    阈值 thresholds (`CAM-07=0.8;CAM-09=0.7`) · 纬度 latitude · 经度 longitude · 坐标系 crs
    (WGS84 or GCJ02; empty: WGS84) · 地址 address · 维护单位 owner (a unit's code or name) ·
    厂商 vendor · 心跳间隔(秒) heartbeat_s (empty: sends none) · 状态 status (启用/停用)

Reading never stops at the first problem: every refused row is reported with its row number,
column and reason (`Reject`); the registry imports nothing from a file with any reject. A
GCJ-02 point (Chinese web maps) is converted to WGS-84 on the way in. The export writes the
same columns (the import reads it back); a text cell a spreadsheet would run as a formula is
prefixed with ' in CSV (and read back without it) and stored as text in XLSX.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_devices import (
    Device,
    parse_kind,
    parse_scene_list,
    parse_status,
    parse_thresholds,
)
from zhiyun.kernel.csv_text import FORMULA_START, safe_cell
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84
from zhiyun.kernel.normalize import to_halfwidth

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
SHEET = "感知设备"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (key, the header the export writes)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "设备编码"),
    ("name", "设备名称"),
    ("kind", "类型"),
    ("scenes", "场景"),
    ("thresholds", "阈值"),
    ("latitude", "纬度"),
    ("longitude", "经度"),
    ("crs", "坐标系"),
    ("address", "地址"),
    ("owner", "维护单位"),
    ("vendor", "厂商"),
    ("heartbeat_s", "心跳间隔(秒)"),
    ("status", "状态"),
)
HEADER: dict[str, str] = dict(COLUMNS)
# More headers each column is found under (besides its export header and its key).
ALIASES: Mapping[str, tuple[str, ...]] = {
    "code": ("编码", "设备编号", "device_id", "id"),
    "name": ("名称",),
    "kind": ("设备类型", "type"),
    "scenes": ("场景编码", "运行场景"),
    "latitude": ("lat",),
    "longitude": ("lon", "lng"),
    "owner": ("维护单位编码", "owner_unit", "owner_unit_code"),
    "heartbeat_s": ("心跳间隔（秒）", "心跳间隔", "heartbeat"),
}
REQUIRED = ("code", "name", "kind")
_CRS_NAMES: Mapping[str, CoordSystem] = {
    "": CoordSystem.WGS84,
    "wgs84": CoordSystem.WGS84,
    "wgs-84": CoordSystem.WGS84,
    "gps": CoordSystem.WGS84,
    "cgcs2000": CoordSystem.WGS84,
    "gcj02": CoordSystem.GCJ02,
    "gcj-02": CoordSystem.GCJ02,
    "火星坐标": CoordSystem.GCJ02,
    "高德": CoordSystem.GCJ02,
}


@dataclass(frozen=True)
class Reject:
    """One refused row: its number in the file (the header is row 1), the column, the reason."""

    row: int
    column: str  # a key of COLUMNS; "" for the whole row
    reason: str
    code: str = ""


@dataclass(frozen=True)
class DeviceLine:
    """A row read: the device as written (owner still the file's text), and its row number."""

    row: int
    device: Device
    owner: str


@dataclass
class ParsedDevices:
    lines: list[DeviceLine] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


# -- reading ------------------------------------------------------------------------------------


def file_format(filename: str, data: bytes) -> str:
    """ "csv" or "xlsx": by the file name's extension, else by the content."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if data.startswith(b"PK"):
        return "xlsx"
    return "csv"


def read_rows(filename: str, data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the (row number, cells) of a CSV or XLSX file; file-level ValidationFailed."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", field="file")
    if not data.strip():
        raise ValidationFailed("文件为空", field="file")
    rows = _xlsx_rows(data) if file_format(filename, data) == "xlsx" else _csv_rows(data)
    first = next(rows, None)
    if first is None:
        raise ValidationFailed("文件为空或第一行不是表头", field="file")
    return first[1], rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("CSV 文件须为 UTF-8 或 GBK 编码", field="file")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first_line.count)
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if number > MAX_ROWS + 1:
                raise ValidationFailed(f"一次最多导入 {MAX_ROWS} 台设备", field="file")
            yield number, row
    except csv.Error as exc:
        raise ValidationFailed(f"CSV 格式错误：{exc}", field="file") from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed(f"无法读取 Excel 文件：{str(exc)[:100]}", field="file") from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        if not hasattr(sheet, "iter_rows"):
            raise ValidationFailed("第一个工作表不是数据表", field="file")
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise ValidationFailed(f"一次最多导入 {MAX_ROWS} 台设备", field="file")
            yield number, [_cell(v) for v in values]
    finally:
        book.close()


def locate_columns(header: Sequence[str]) -> dict[str, int]:
    """Column index by key, from a header of Chinese headers or English keys; ValidationFailed
    naming the required columns that are missing and the columns named twice."""
    names: dict[str, str] = {}
    for key, label in COLUMNS:
        for name in (label, key, *ALIASES.get(key, ())):
            names[name.lower()] = key
    found: dict[str, int] = {}
    twice: list[str] = []
    for index, text in enumerate(header):
        found_key = names.get(text.strip().lstrip("\ufeff").lower())
        if found_key is None:
            continue
        key = found_key
        if key in found:
            twice.append(HEADER[key])
        found[key] = found.get(key, index)
    problems = [f"缺少「{HEADER[k]}」列" for k in REQUIRED if k not in found]
    if ("latitude" in found) != ("longitude" in found):
        problems.append("「纬度」和「经度」列须同时提供")
    if twice:
        problems.append(f"列重复：{'、'.join(twice)}")
    if problems:
        shown = "、".join(h for h in header[:20] if h)
        raise ValidationFailed(
            "设备文件不能导入：" + "；".join(problems) + f"（文件的列：{shown[:200]}）",
            field="file",
            problems=problems,
        )
    return found


def _unescaped(text: str) -> str:
    """A cell as its export wrote it, without the ' that keeps a formula-like text a text."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def _float(text: str, label: str) -> float:
    try:
        value = float(to_halfwidth(text).strip())
    except ValueError:
        raise ValidationFailed(f"{label}「{text[:20]}」不是数字") from None
    if not math.isfinite(value):
        raise ValidationFailed(f"{label}不是有效数字")
    return value


def parse_line(row: int, cells: Sequence[str], columns: Mapping[str, int]) -> DeviceLine | list[Reject]:
    """A row as a device (not yet checked against the catalogue and the org tree), or every
    problem of its cells."""

    def get(key: str) -> str:
        index = columns.get(key)
        if index is None or index >= len(cells):
            return ""
        return _unescaped(cells[index].strip())

    code = get("code")
    rejects: list[Reject] = []
    values: dict[str, Any] = {}

    def take(key: str, parse: Any) -> None:
        try:
            values[key] = parse()
        except ValidationFailed as exc:
            rejects.append(Reject(row, key, exc.message, code[:64]))

    take("kind", lambda: parse_kind(get("kind")))
    take("scenes", lambda: parse_scene_list(get("scenes")))
    take("thresholds", lambda: parse_thresholds(get("thresholds")))
    take("status", lambda: parse_status(get("status")))

    def heartbeat() -> int | None:
        text = get("heartbeat_s")
        if not text:
            return None
        value = _float(text, "心跳间隔")
        if not value.is_integer():
            raise ValidationFailed("心跳间隔应为整数秒")
        return int(value)

    take("heartbeat_s", heartbeat)

    def point() -> tuple[float | None, float | None]:
        lat_text, lon_text = get("latitude"), get("longitude")
        if not lat_text and not lon_text:
            return None, None
        if not lat_text or not lon_text:
            raise ValidationFailed("纬度和经度须同时填写")
        lat, lon = _float(lat_text, "纬度"), _float(lon_text, "经度")
        crs = _CRS_NAMES.get(get("crs").lower())
        if crs is None:
            raise ValidationFailed(f"坐标系「{get('crs')[:20]}」不认识（可用：WGS84、GCJ02）")
        if crs is CoordSystem.GCJ02 and -90 <= lat <= 90 and -180 <= lon <= 180:
            lat, lon = gcj02_to_wgs84(lat, lon)
        return lat, lon

    take("latitude", point)
    if rejects:
        return rejects
    lat, lon = values["latitude"]
    device = Device(
        code=code,
        name=get("name"),
        kind=values["kind"],
        vendor=get("vendor"),
        scenes=values["scenes"],
        thresholds=values["thresholds"],
        latitude=lat,
        longitude=lon,
        address=get("address"),
        status=values["status"],
        heartbeat_s=values["heartbeat_s"],
    )
    return DeviceLine(row, device, get("owner"))


def read_file(filename: str, data: bytes) -> ParsedDevices:
    """The devices of an import file, and every refused row with its reason (codes repeated in
    the file are refused after their first row)."""
    header, rows = read_rows(filename, data)
    columns = locate_columns(header)
    parsed = ParsedDevices()
    first_row: dict[str, int] = {}
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        line = parse_line(number, cells, columns)
        if isinstance(line, list):
            parsed.rejects.extend(line)
            continue
        code = line.device.code
        if code in first_row:
            parsed.rejects.append(
                Reject(number, "code", f"设备编码 {code[:64]} 与第 {first_row[code]} 行重复", code)
            )
            continue
        first_row[code] = number
        parsed.lines.append(line)
    if not parsed.lines and not parsed.rejects:
        raise ValidationFailed("文件中没有设备", field="file")
    return parsed


# -- writing ------------------------------------------------------------------------------------


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return safe_cell("" if value is None else str(value))


def write_csv(rows: Sequence[Sequence[object]]) -> str:
    """The header and `rows` (in COLUMNS order) as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label for _, label in COLUMNS])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def write_xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    """The header and `rows` as a workbook (sheet 感知设备); every text cell is stored as text,
    so that a cell starting with "=" is never run as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    for letter, width in zip(
        "ABCDEFGHIJKLM", (18, 28, 10, 24, 22, 12, 12, 8, 30, 18, 14, 12, 8), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    head = []
    for _, label in COLUMNS:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        head.append(cell)
    sheet.append(head)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value if isinstance(value, str | int | float) else None)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even "=…": never a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = [
    "COLUMNS",
    "HEADER",
    "MAX_FILE_BYTES",
    "XLSX_MEDIA_TYPE",
    "DeviceLine",
    "ParsedDevices",
    "Reject",
    "csv_cell",
    "locate_columns",
    "parse_line",
    "read_file",
    "write_csv",
    "write_xlsx",
]
