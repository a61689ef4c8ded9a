"""Bulk import of managed objects (网格管理对象) from CSV or XLSX: the machinery under
`ManagedObjectService.import_file` (docs/grid-objects.md has the format).

- **Columns** (`ObjectMapping`): Chinese headers by default — 类型, 名称, 地址, 经度, 纬度,
  坐标系, 网格编码, 风险等级, 部件编码, 编号 — or the English field names, or a mapping file's
  own headers; every other column is an attribute (the header is its name). A header naming
  an identity card refuses the file before a row is read.
- **Rows** are read as a stream (csv reader in any encoding a district exports, openpyxl
  read-only) and checked by the domain (`domain.managed_objects.validate_object`); a bad row
  goes to the rejects file with its row number, field and reason, the good ones are stored
  in batches, one transaction each.
- **Place**: a row's 网格编码 names its grid (a code that does not exist is a rejection);
  otherwise its point (WGS-84, or GCJ-02 by the 坐标系 column or `crs`, converted for the
  whole batch at once) is located in bulk (`BulkLocator`: one vectorized STRtree query over
  every point of the batch, the same rule as geo's `Locator`: the smaller grid, then the
  lower id, wins on a shared edge, and the grid's village is the object's). A point in no
  grid keeps no grid and takes its village from the village boundaries, if any; the report
  counts those rows and names the first.
- **Idempotent**: every row has a source key (its 编号, or a hash of kind + name + address);
  a key stored already is skipped, so a second run stores nothing twice. A component id
  (部件编码) another object holds is a rejection.
- **Writers**: on PostgreSQL, COPY (text format, one buffer per batch) into a temporary
  staging table, then INSERT … SELECT … ON CONFLICT (source_key) DO NOTHING; on SQLite,
  executemany with the same ON CONFLICT clause. The calling thread reads, checks and
  locates while a writer thread stores the batch before.
"""

from __future__ import annotations

import contextlib
import csv
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import GridCode
from zhiyun.domain.managed_objects import (
    ID_CARD_REFUSAL,
    hashed_source_key,
    id_card_header,
    parse_source_key,
    validate_object,
)
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.kernel.files import detect_encoding
from zhiyun.kernel.geo import CoordSystem, out_of_china
from zhiyun.kernel.geo_arrays import gcj02_to_wgs84_arrays
from zhiyun.kernel.gil import short_gil_slices
from zhiyun.kernel.normalize import to_halfwidth
from zhiyun.store.base import table_of
from zhiyun.store.db import Database

DEFAULT_BATCH = 20_000
DEFAULT_PG_WRITERS = 2
# GIL slices while the reading thread parses beside the writers: a writer whose statement has
# returned gets on at once (kernel.gil).
SWITCH_INTERVAL = 0.0002
MAX_EXAMPLES = 20
COORDINATE_DIGITS = 7  # about 1 cm

# --------------------------------------------------------------------------- columns

FIELDS = (
    "kind",
    "name",
    "address",
    "lon",
    "lat",
    "crs",
    "grid_code",
    "risk",
    "component_id",
    "source_key",
)
# The headers each field is found under without a mapping: the Chinese first, then the English.
DEFAULT_HEADERS: Mapping[str, tuple[str, ...]] = {
    "kind": ("类型", "对象类型", "kind"),
    "name": ("名称", "name"),
    "address": ("地址", "address"),
    "lon": ("经度", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "crs": ("坐标系", "crs"),
    "grid_code": ("网格编码", "grid_code"),
    "risk": ("风险等级", "risk"),
    "component_id": ("部件编码", "component_id"),
    "source_key": ("编号", "source_key", "id"),
}
FIELD_LABELS: Mapping[str, str] = {
    "kind": "类型",
    "name": "名称",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "crs": "坐标系",
    "grid_code": "网格编码",
    "risk": "风险等级",
    "component_id": "部件编码",
    "source_key": "编号",
    "attributes": "属性",
    "location": "坐标",
    "row": "行",
}
_CRS_NAMES: Mapping[str, CoordSystem] = {
    "wgs84": CoordSystem.WGS84,
    "wgs-84": CoordSystem.WGS84,
    "wgs 84": CoordSystem.WGS84,
    "gps": CoordSystem.WGS84,
    "cgcs2000": CoordSystem.WGS84,  # the national datum: within centimetres of WGS-84
    "天地图": CoordSystem.WGS84,
    "gcj02": CoordSystem.GCJ02,
    "gcj-02": CoordSystem.GCJ02,
    "火星坐标": CoordSystem.GCJ02,
    "高德": CoordSystem.GCJ02,
    "腾讯": CoordSystem.GCJ02,
}
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}


@dataclass(frozen=True)
class ObjectMapping:
    """Which header holds which field (`columns`: field → header; the rest from
    `DEFAULT_HEADERS`), the text encoding of a CSV ("auto": detected) and an XLSX sheet."""

    columns: Mapping[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    sheet: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> ObjectMapping:
        """A mapping file: JSON {"columns": {"name": "场所名称", …}, "encoding": …, "sheet": …}."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise ValidationFailed(f"映射文件不存在：{path}", field="mapping") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationFailed(f"映射文件不是有效的 UTF-8 JSON：{exc}", field="mapping") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
            raise ValidationFailed("映射文件须为 JSON 对象，columns 为“字段 → 表头”", field="mapping")
        columns = {str(k): str(v) for k, v in data.get("columns", {}).items()}
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise ValidationFailed(
                f"映射文件中有未知字段：{'、'.join(unknown)}（可用：{'、'.join(FIELDS)}）", field="mapping"
            )
        return cls(columns, str(data.get("encoding") or "auto"), data.get("sheet"))


@dataclass(frozen=True)
class ColumnPlan:
    """Where each field is in a file's header (-1: absent) and which columns are attributes."""

    header: list[str]
    index: dict[str, int]
    attributes: list[tuple[int, str]]


def plan_columns(header: Sequence[str], mapping: ObjectMapping, name: str) -> ColumnPlan:
    """The columns of a file's header, or ValidationFailed (the whole file refused) for a
    header naming an identity card, a repeated header, a mapped header that is missing, or no
    column of a required field (类型, 名称, and 经度 + 纬度 or 网格编码)."""
    header = [h.strip().lstrip("\ufeff") for h in header]
    problems: list[str] = []
    for position, text in enumerate(header, start=1):
        if id_card_header(text):
            problems.append(f"第 {position} 列「{text}」是身份证号码：{ID_CARD_REFUSAL}，请删除该列后再导入")
    seen: dict[str, int] = {}
    for position, text in enumerate(header, start=1):
        if text and text in seen:
            problems.append(f"第 {seen[text]} 列和第 {position} 列的表头都是「{text}」")
        seen.setdefault(text, position)
    positions = {text: i for i, text in enumerate(header) if text}
    index: dict[str, int] = {}
    for f in FIELDS:
        if f in mapping.columns:
            wanted = mapping.columns[f]
            if wanted not in positions:
                problems.append(f"映射的列「{wanted}」（{FIELD_LABELS[f]}）在文件中不存在")
            index[f] = positions.get(wanted, -1)
        else:
            index[f] = next((positions[h] for h in DEFAULT_HEADERS[f] if h in positions), -1)
    for f in ("kind", "name"):
        if index[f] < 0 and f not in mapping.columns:
            problems.append(f"缺少「{FIELD_LABELS[f]}」列")
    has_point = index["lon"] >= 0 and index["lat"] >= 0
    if not has_point and index["grid_code"] < 0:
        problems.append("缺少「经度」「纬度」列和「网格编码」列：至少要有其一，才能确定对象所在网格")
    if (index["lon"] >= 0) != (index["lat"] >= 0):
        problems.append("「经度」和「纬度」列须同时提供")
    if problems:
        shown = "、".join(h for h in header[:30] if h)
        raise ValidationFailed(
            f"{name} 不能导入：" + "；".join(problems) + f"（文件的列：{shown}）", problems=problems
        )
    used = {i for i in index.values() if i >= 0}
    attributes = [(i, text) for i, text in enumerate(header) if i not in used and text]
    return ColumnPlan(header, index, attributes)


# --------------------------------------------------------------------------- reading


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


class ObjectSource:
    """A file of objects read as a stream of (row number, cells); `position`/`size` measure progress."""

    header: list[str]
    size: int | None

    def rows(self) -> Iterator[tuple[int, list[str]]]:  # pragma: no cover - interface
        raise NotImplementedError

    def position(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class CsvObjectSource(ObjectSource):
    def __init__(self, path: Path, mapping: ObjectMapping) -> None:
        self.path = path
        self.encoding = detect_encoding(path) if mapping.encoding == "auto" else mapping.encoding
        self.size = path.stat().st_size
        try:
            self._file: IO[str] = path.open("r", encoding=self.encoding, newline="")
        except LookupError:
            raise ValidationFailed(f"未知的编码：{mapping.encoding}", field="mapping") from None
        try:
            first = self._file.readline()
            if not first.strip():
                raise ValidationFailed(f"文件为空或第一行不是表头：{path.name}", field="file")
            delimiter = max(",\t;|", key=first.count)
            self.header = next(csv.reader([first], delimiter=delimiter))
            self._reader = csv.reader(self._file, delimiter=delimiter)
        except UnicodeDecodeError:
            self._file.close()
            raise ValidationFailed(f"{path.name} 的表头无法按 {self.encoding} 解码", field="file") from None
        except BaseException:
            self._file.close()
            raise
        self._raw = self._file.buffer.raw  # type: ignore[attr-defined]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        rownum = 1
        try:
            for row in self._reader:
                rownum += 1
                if row and any(row):
                    yield rownum, row
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                f"{self.path.name} 第 {rownum + 1} 行附近有无法按 {self.encoding} 解码的字节（{exc.reason}）："
                "已导入的批次保留，修正编码后重新运行会跳过它们",
                field="file",
            ) from None
        except csv.Error as exc:
            raise ValidationFailed(f"CSV 格式错误（第 {rownum + 1} 行附近）：{exc}", field="file") from None

    def position(self) -> int:
        return int(self._raw.tell())

    def close(self) -> None:
        self._file.close()


class XlsxObjectSource(ObjectSource):
    def __init__(self, path: Path, mapping: ObjectMapping) -> None:
        from openpyxl import load_workbook
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        self.path = path
        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ValidationFailed(f"无法读取 Excel 文件 {path.name}：{exc}", field="file") from None
        try:
            if mapping.sheet is not None and mapping.sheet not in self._book.sheetnames:
                raise ValidationFailed(
                    f"工作表「{mapping.sheet}」不存在（文件中有：{'、'.join(self._book.sheetnames)}）",
                    field="mapping",
                )
            sheet = self._book[mapping.sheet] if mapping.sheet is not None else self._book.worksheets[0]
            if not isinstance(sheet, ReadOnlyWorksheet):
                raise ValidationFailed(f"工作表「{sheet.title}」不是数据表", field="mapping")
            self._rows = sheet.iter_rows(values_only=True)
            first = next(self._rows, None)
            if first is None:
                raise ValidationFailed(f"工作表为空：{path.name}", field="file")
            self.header = [_cell(v) for v in first]
            self.size = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 1 else None
        except BaseException:
            self._book.close()
            raise
        self._rownum = 1

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for values in self._rows:
            self._rownum += 1
            cells = [_cell(v) for v in values]
            if any(cells):
                yield self._rownum, cells

    def position(self) -> int:
        return self._rownum

    def close(self) -> None:
        self._book.close()


def open_object_source(path: Path, mapping: ObjectMapping) -> ObjectSource:
    """The source for `path` by its extension (.csv .txt .tsv, .xlsx)."""
    if not path.is_file():
        raise ValidationFailed(f"文件不存在：{path}", field="file")
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationFailed(f"无法从扩展名判断文件格式：{path.name}（支持 .csv .xlsx）", field="file")
    return CsvObjectSource(path, mapping) if fmt == "csv" else XlsxObjectSource(path, mapping)


# --------------------------------------------------------------------------- locating


@dataclass(frozen=True)
class GridRef:
    """A stored grid as the importer needs it: id, 15-digit code, village, polygon (WGS-84)."""

    id: int
    code: str
    village_unit_id: int
    geometry: BaseGeometry


class BulkLocator:
    """Places whole arrays of WGS-84 points in the grids (and, outside them, the villages).

    One STRtree over the grid polygons and one over the village boundaries; a batch of points
    is one `query(points, predicate="intersects")` each (boundary included, as geo's Locator's
    prepared `intersects_xy`). Where several grids hold a point (a shared edge), the smaller,
    then the lower id, wins; a grid's village is the point's; a point in no grid takes the
    smallest village boundary that holds it, if any.
    """

    def __init__(self, grids: Sequence[GridRef], villages: Mapping[int, BaseGeometry]) -> None:
        self.grids = list(grids)
        self.by_code = {g.code: g for g in self.grids}
        self._grid_tree = STRtree([g.geometry for g in self.grids]) if self.grids else None
        self._grid_ids = np.array([g.id for g in self.grids], dtype=np.int64)
        self._grid_villages = np.array([g.village_unit_id for g in self.grids], dtype=np.int64)
        self._grid_rank = _ranks([(g.geometry.area, g.id) for g in self.grids])
        village_items = sorted((vid, geom) for vid, geom in villages.items() if not geom.is_empty)
        self._village_tree = STRtree([geom for _, geom in village_items]) if village_items else None
        self._village_ids = np.array([vid for vid, _ in village_items], dtype=np.int64)
        self._village_rank = _ranks([(geom.area, vid) for vid, geom in village_items])

    @property
    def county(self) -> str | None:
        """The county of the grid codes (their first 6 digits), when every grid agrees."""
        counties = {g.code[:6] for g in self.grids}
        return counties.pop() if len(counties) == 1 else None

    def locate(
        self, lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], ...]:
        """(grid id, village unit id) per point, -1 where none holds it."""
        count = len(lon)
        grid_ids = np.full(count, -1, dtype=np.int64)
        village_ids = np.full(count, -1, dtype=np.int64)
        if not count:
            return grid_ids, village_ids
        points: np.ndarray[Any, Any] = np.asarray(shapely.points(lon, lat))
        if self._grid_tree is not None:
            which, hit = _first_hits(self._grid_tree, points, self._grid_rank)
            grid_ids[which] = self._grid_ids[hit]
            village_ids[which] = self._grid_villages[hit]
        if self._village_tree is not None:
            rest = np.flatnonzero(grid_ids < 0)
            if len(rest):
                which, hit = _first_hits(self._village_tree, points[rest], self._village_rank)
                village_ids[rest[which]] = self._village_ids[hit]
        return grid_ids, village_ids


def _ranks(keys: Sequence[tuple[float, int]]) -> np.ndarray[Any, Any]:
    """Each item's place when sorted by its key (area, id): the lower wins a shared edge."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    return rank


def _first_hits(
    tree: STRtree, points: np.ndarray[Any, Any], rank: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(point index, tree index) of the best-ranked geometry holding each point that one holds."""
    pairs = tree.query(points, predicate="intersects")
    if not pairs.shape[1]:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    point_index, tree_index = pairs[0], pairs[1]
    order = np.lexsort((rank[tree_index], point_index))
    point_index, tree_index = point_index[order], tree_index[order]
    first = np.flatnonzero(np.r_[True, point_index[1:] != point_index[:-1]])
    return point_index[first], tree_index[first]


# --------------------------------------------------------------------------- checking a batch


class Staged(NamedTuple):
    """A row checked, located and ready to store."""

    rownum: int
    kind: str
    name: str
    address: str
    lon: float | None
    lat: float | None
    grid_id: int | None
    village_unit_id: int | None
    component_id: str | None
    attributes: dict[str, Any]
    risk: str
    source_key: str


RowProblems = list[tuple[str, str]]


@dataclass
class CheckedBatch:
    """A batch of rows checked and located: what to store, what was refused, how each was placed."""

    staged: list[Staged] = field(default_factory=list)
    rejected: list[tuple[int, RowProblems, list[str]]] = field(default_factory=list)
    cells: dict[int, list[str]] = field(default_factory=dict)  # the staged rows as read (rejects)
    repeated: int = 0  # rows whose key came earlier in the same batch
    by_point: int = 0
    by_code: int = 0
    outside_grids: int = 0  # a point in no grid, placed in a village by its boundary
    outside_villages: int = 0  # a point in no grid and no village
    code_point_mismatch: int = 0  # a grid code whose grid does not hold the row's point
    outside_rows: list[int] = field(default_factory=list)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float(to_halfwidth(text).strip())


def _crs(text: str, default: CoordSystem) -> CoordSystem:
    if not text:
        return default
    found = _CRS_NAMES.get(text.strip().lower())
    if found is None:
        raise ValueError(f"坐标系「{text[:20]}」不认识（可用：wgs84、gcj02）")
    return found


class BatchChecker:
    """Checks and locates the rows of a file, batch by batch (the calling thread's work)."""

    def __init__(
        self, plan: ColumnPlan, locator: BulkLocator, *, crs: CoordSystem = CoordSystem.WGS84
    ) -> None:
        self.plan = plan
        self.locator = locator
        self.crs = crs
        self.county = locator.county
        width = len(plan.header)
        self._width = width
        self._get = {f: plan.index[f] for f in FIELDS}

    def check(self, rows: Sequence[tuple[int, list[str]]]) -> CheckedBatch:
        batch = CheckedBatch()
        get = self._get
        i_kind, i_name, i_address = get["kind"], get["name"], get["address"]
        i_lon, i_lat, i_crs, i_grid = get["lon"], get["lat"], get["crs"], get["grid_code"]
        i_risk, i_component, i_key = get["risk"], get["component_id"], get["source_key"]
        attributes = self.plan.attributes
        width = self._width
        by_code = self.locator.by_code
        county = self.county
        default_crs = self.crs
        # per good row: (rownum, valid, key, lon, lat, gcj, grid)
        good: list[tuple[int, Any, str, float | None, float | None, bool, GridRef | None]] = []
        keys: set[str] = set()
        components: set[str] = set()
        for rownum, cells in rows:
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            problems: RowProblems = []
            try:
                valid = validate_object(
                    cells[i_kind] if i_kind >= 0 else "",
                    cells[i_name] if i_name >= 0 else "",
                    cells[i_address] if i_address >= 0 else "",
                    component_id=cells[i_component] if i_component >= 0 else "",
                    attributes={name: cells[i] for i, name in attributes if cells[i]},
                    risk=cells[i_risk] if i_risk >= 0 else "",
                    county=county,
                )
            except ValidationFailed as exc:
                problems.extend(exc.details.get("problems") or [("row", exc.message)])  # type: ignore[arg-type]
                valid = None
            key = ""
            if i_key >= 0 and cells[i_key].strip():
                try:
                    key = parse_source_key(cells[i_key])
                except ValidationFailed as exc:
                    problems.append(("source_key", exc.message))
            lon = lat = None
            gcj = False
            lon_text = cells[i_lon].strip() if i_lon >= 0 else ""
            lat_text = cells[i_lat].strip() if i_lat >= 0 else ""
            if lon_text or lat_text:
                try:
                    if not (lon_text and lat_text):
                        raise ValueError("经度和纬度须同时填写")
                    try:
                        lon, lat = _float(lon_text), _float(lat_text)
                    except ValueError:
                        raise ValueError("经纬度必须是数字") from None
                    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        hint = "（经纬度是否填反？）" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
                        raise ValueError(f"经纬度超出范围{hint}")
                    if out_of_china(lat, lon):
                        raise ValueError(
                            f"坐标 ({lon:.6f}, {lat:.6f}) 不在中国境内（须为 [经度, 纬度] 的 WGS-84 或 GCJ-02）"
                        )
                    gcj = _crs(cells[i_crs] if i_crs >= 0 else "", default_crs) is CoordSystem.GCJ02
                except ValueError as exc:
                    problems.append(("location", str(exc)))
                    lon = lat = None
            grid: GridRef | None = None
            grid_text = cells[i_grid].strip() if i_grid >= 0 else ""
            if grid_text:
                try:
                    code = GridCode.parse(grid_text).value
                except ValidationFailed as exc:
                    problems.append(("grid_code", exc.message))
                else:
                    grid = by_code.get(code)
                    if grid is None:
                        problems.append(("grid_code", f"网格编码 {code} 不存在"))
            elif lon is None and not any(f == "location" for f, _ in problems):
                problems.append(("location", "缺少坐标和网格编码：无法确定所在网格"))
            if valid is not None and not problems:
                if not key:
                    key = hashed_source_key(valid.kind, valid.name, valid.address)
                if key in keys:
                    batch.repeated += 1
                    continue
                if valid.component_id is not None:
                    if valid.component_id in components:
                        problems.append(("component_id", f"部件编码 {valid.component_id} 在本批中重复"))
                    components.add(valid.component_id)
            if problems or valid is None:
                batch.rejected.append((rownum, problems, cells))
                continue
            keys.add(key)
            batch.cells[rownum] = cells
            good.append((rownum, valid, key, lon, lat, gcj, grid))
        self._place(good, batch)
        return batch

    def _place(
        self,
        good: list[tuple[int, Any, str, float | None, float | None, bool, GridRef | None]],
        batch: CheckedBatch,
    ) -> None:
        """Convert GCJ-02 points, locate every point at once, and stage the rows."""
        with_point = [i for i, g in enumerate(good) if g[3] is not None]
        lon = np.array([good[i][3] for i in with_point], dtype=np.float64)
        lat = np.array([good[i][4] for i in with_point], dtype=np.float64)
        gcj = np.array([good[i][5] for i in with_point], dtype=bool)
        if gcj.any():
            w_lat, w_lon = gcj02_to_wgs84_arrays(lat[gcj], lon[gcj])
            lat[gcj], lon[gcj] = w_lat, w_lon
        grid_ids, village_ids = self.locator.locate(lon, lat)
        lon = np.round(lon, COORDINATE_DIGITS)
        lat = np.round(lat, COORDINATE_DIGITS)
        point_of = {row: k for k, row in enumerate(with_point)}
        lons, lats, grids, villages = lon.tolist(), lat.tolist(), grid_ids.tolist(), village_ids.tolist()
        staged = batch.staged
        for i, (rownum, valid, key, _, _, _, grid) in enumerate(good):
            k = point_of.get(i)
            p_lon = p_lat = None
            grid_id = village_id = None
            if k is not None:
                p_lon, p_lat = lons[k], lats[k]
                if grids[k] >= 0:
                    grid_id, village_id = grids[k], villages[k]
            if grid is not None:
                batch.by_code += 1
                if k is not None and grid_id != grid.id:
                    batch.code_point_mismatch += 1
                grid_id, village_id = grid.id, grid.village_unit_id
            elif grid_id is not None:
                batch.by_point += 1
            else:
                if village_id is None and k is not None and villages[k] >= 0:
                    village_id = villages[k]
                if village_id is None:
                    batch.outside_villages += 1
                else:
                    batch.outside_grids += 1
                if len(batch.outside_rows) < MAX_EXAMPLES:
                    batch.outside_rows.append(rownum)
            staged.append(
                Staged(
                    rownum,
                    valid.kind,  # a StrEnum: the string itself
                    valid.name,
                    valid.address,
                    p_lon,
                    p_lat,
                    grid_id,
                    village_id,
                    valid.component_id,
                    valid.attributes,
                    valid.risk,
                    key,
                )
            )


# --------------------------------------------------------------------------- writing

COMPONENT_TAKEN = "部件编码 {} 已属于另一个对象"


@dataclass
class WriteResult:
    """What became of one batch: stored, skipped as stored already, refused (row, field, reason)."""

    imported: int = 0
    already_imported: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


_OBJECT = table_of(ManagedObjectRow)
_COLUMNS = (
    "kind",
    "name",
    "address",
    "lon",
    "lat",
    "grid_id",
    "village_unit_id",
    "component_id",
    "attributes",
    "risk",
    "source_key",
)
_IN_CHUNK = 500


def _taken_components(rows: Sequence[Staged], stored: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """Rejections for rows whose component id another object (another source key) holds."""
    return [
        (r.rownum, "component_id", COMPONENT_TAKEN.format(r.component_id))
        for r in rows
        if r.component_id is not None and stored.get(r.component_id, r.source_key) != r.source_key
    ]


class ObjectWriter:
    """Stores batches of staged objects, one transaction each. `copies_text`: the writer takes
    each batch's rows also as COPY text (`copy_line`), made by the reading thread."""

    copies_text = False

    def write(self, rows: Sequence[Staged], copy_data: str | None = None) -> WriteResult:  # pragma: no cover
        raise NotImplementedError

    def finish(self) -> None:
        """After the last batch (PostgreSQL: merge the search index's pending entries)."""

    def close(self) -> None:
        """Give the connection back."""


class SqliteObjectWriter(ObjectWriter):
    """executemany INSERT … ON CONFLICT (source_key) DO NOTHING under SQLite's write lock."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime], dry_run: bool = False) -> None:
        self.db = db
        self.clock = clock
        self.dry_run = dry_run
        statement = sqlite_insert(_OBJECT).on_conflict_do_nothing(index_elements=[_OBJECT.c.source_key])
        self._insert = statement

    def write(self, rows: Sequence[Staged], copy_data: str | None = None) -> WriteResult:
        result = WriteResult()
        if not rows:
            return result
        now = self.clock()  # aware: the UTC columns store it as naive UTC
        engine = self.db.read_engine if self.dry_run else self.db.engine
        with engine.begin() as conn:
            components = sorted({r.component_id for r in rows if r.component_id is not None})
            stored: dict[str, str] = {}
            for start in range(0, len(components), _IN_CHUNK):
                chunk = components[start : start + _IN_CHUNK]
                query = select(_OBJECT.c.component_id, _OBJECT.c.source_key).where(
                    _OBJECT.c.component_id.in_(chunk)
                )
                stored.update({c: k for c, k in conn.execute(query)})
            result.rejected = _taken_components(rows, stored)
            refused = {r[0] for r in result.rejected}
            fresh = [r for r in rows if r.rownum not in refused]
            keys = sorted({r.source_key for r in fresh})
            known: set[str] = set()
            for start in range(0, len(keys), _IN_CHUNK):
                chunk = keys[start : start + _IN_CHUNK]
                known.update(
                    conn.scalars(select(_OBJECT.c.source_key).where(_OBJECT.c.source_key.in_(chunk)))
                )
            new = [r for r in fresh if r.source_key not in known]
            result.already_imported = len(fresh) - len(new)
            if new and not self.dry_run:
                values = [
                    {
                        **dict(zip(_COLUMNS, r[1:], strict=True)),
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for r in new
                ]
                outcome = conn.execute(self._insert, values)
                result.imported = outcome.rowcount if outcome.rowcount >= 0 else len(new)
                result.already_imported += len(new) - result.imported
            else:
                result.imported = len(new)
        return result


STAGING = "zhiyun_object_staging"
_STAGING_DDL = (
    f"CREATE TEMPORARY TABLE {STAGING} (rownum integer, kind text, name text, address text, "
    "lon double precision, lat double precision, grid_id integer, village_unit_id integer, "
    "component_id text, attributes text, risk text, source_key text) ON COMMIT DELETE ROWS"
)
_COPY = f"COPY {STAGING} (rownum, {', '.join(_COLUMNS)}) FROM STDIN"
_INSERT = (
    f"INSERT INTO managed_object ({', '.join(_COLUMNS)}, active, created_at, updated_at) "
    "SELECT kind, name, address, lon, lat, grid_id, village_unit_id, component_id, attributes::json, "
    f"risk, source_key, true, %(now)s, %(now)s FROM {STAGING} ORDER BY rownum "
    "ON CONFLICT (source_key) DO NOTHING"
)
_STORED_COMPONENTS = "SELECT component_id, source_key FROM managed_object WHERE component_id = ANY(%(ids)s)"
_STORED_KEYS = "SELECT source_key FROM managed_object WHERE source_key = ANY(%(keys)s)"
# Foreign keys checked once per batch instead of by a trigger per row (two per object, a
# quarter of the database's work), where the role may switch the triggers off: the grids and
# villages a batch names are locked as PostgreSQL's own checks lock them (FOR KEY SHARE: nobody
# deletes them until the batch commits) and counted; only when all exist are the triggers off.
_LOCK_GRIDS = (
    "SELECT count(*) FROM (SELECT id FROM grid WHERE id = ANY(%(ids)s::integer[]) FOR KEY SHARE) AS g"
)
_LOCK_UNITS = (
    "SELECT count(*) FROM (SELECT id FROM org_unit WHERE id = ANY(%(ids)s::integer[]) FOR KEY SHARE) AS u"
)
_SKIP_FK_TRIGGERS = "SET LOCAL session_replication_role = replica"
_CLEAN_PENDING = "SELECT gin_clean_pending_list('ix_managed_object_search_trgm'::regclass)"
_HAS_SEARCH_INDEX = "SELECT to_regclass('ix_managed_object_search_trgm') IS NOT NULL"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def copy_line(row: Staged) -> str:
    """One staged object as a line of COPY's text format (tab-separated, \\N for NULL)."""
    rownum, kind, name, address, lon, lat, grid_id, village_id, component, attributes, risk, key = row
    if "\\" in name:
        name = name.translate(_COPY_ESCAPES)
    if "\\" in address:
        address = address.translate(_COPY_ESCAPES)
    if attributes:
        document = json.dumps(attributes, ensure_ascii=False, separators=(",", ":"))
        if "\\" in document:
            document = document.replace("\\", "\\\\")
    else:
        document = "{}"
    return (
        f"{rownum}\t{kind}\t{name}\t{address}\t"
        f"{_NULL if lon is None else repr(lon)}\t{_NULL if lat is None else repr(lat)}\t"
        f"{_NULL if grid_id is None else grid_id}\t{_NULL if village_id is None else village_id}\t"
        f"{_NULL if component is None else component}\t{document}\t{risk}\t{key.translate(_COPY_ESCAPES)}\n"
    )


class PostgresObjectWriter(ObjectWriter):
    """One connection: COPY (text) into a temporary staging table, then one INSERT … SELECT …
    ON CONFLICT (source_key) DO NOTHING. Before it, the batch's component ids are looked up
    (one index probe each, facilities only) and the rows whose id another object holds are
    refused; a component id taken meanwhile by a concurrent import sends the batch round
    once more."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime], dry_run: bool = False) -> None:
        self.clock = clock
        self.dry_run = dry_run
        self.copies_text = not dry_run
        self._raw = db.engine.raw_connection()
        conn = self._raw.driver_connection
        assert conn is not None
        self.conn: Any = conn
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {STAGING}")
                cur.execute(_STAGING_DDL)
                cur.execute(_HAS_SEARCH_INDEX)
                self._has_search_index = bool(cur.fetchone()[0])
            self.conn.commit()
            self.checks_own_references = self._may_skip_fk_triggers()
        except BaseException:
            self._raw.close()
            raise

    def _may_skip_fk_triggers(self) -> bool:
        """Whether this connection's role may set session_replication_role (a superuser, or a
        role granted SET on it): then each batch checks its own references (see `_write`)."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(_SKIP_FK_TRIGGERS)
            self.conn.rollback()
            return True
        except self.conn.ProgrammingError:  # insufficient privilege
            self.conn.rollback()
            return False

    def _check_references(self, cur: Any, rows: Sequence[Staged]) -> None:
        """Lock and count the batch's grids and villages; all there: the FK triggers go off."""
        grids = sorted({r.grid_id for r in rows if r.grid_id is not None})
        units = sorted({r.village_unit_id for r in rows if r.village_unit_id is not None})
        cur.execute(_LOCK_GRIDS, {"ids": grids})
        if cur.fetchone()[0] != len(grids):
            return
        cur.execute(_LOCK_UNITS, {"ids": units})
        if cur.fetchone()[0] != len(units):
            return
        cur.execute(_SKIP_FK_TRIGGERS)

    def write(self, rows: Sequence[Staged], copy_data: str | None = None) -> WriteResult:
        from psycopg.errors import UniqueViolation

        if not rows:
            return WriteResult()
        for attempt in (1, 2):
            try:
                result = self._write(rows, copy_data)
                self.conn.commit()
                return result
            except UniqueViolation:
                self.conn.rollback()
                if attempt == 2:
                    raise
            except BaseException:
                self.conn.rollback()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, rows: Sequence[Staged], copy_data: str | None) -> WriteResult:
        result = WriteResult()
        with self.conn.cursor() as cur:
            components = [r.component_id for r in rows if r.component_id is not None]
            if components:
                cur.execute(_STORED_COMPONENTS, {"ids": components})
                result.rejected = _taken_components(rows, dict(cur.fetchall()))
            if result.rejected:
                refused = {r[0] for r in result.rejected}
                rows = [r for r in rows if r.rownum not in refused]
                copy_data = None  # made again without the refused rows
            if self.dry_run:
                cur.execute(_STORED_KEYS, {"keys": [r.source_key for r in rows]})
                result.already_imported = len(cur.fetchall())
                result.imported = len(rows) - result.already_imported
                return result
            data = copy_data if copy_data is not None else "".join(map(copy_line, rows))
            if self.checks_own_references:
                self._check_references(cur, rows)
            with cur.copy(_COPY) as copy:
                copy.write(data)
            now = self.clock().astimezone(UTC).replace(tzinfo=None)
            cur.execute(_INSERT, {"now": now})
            result.imported = cur.rowcount
            result.already_imported = len(rows) - result.imported
        return result

    def finish(self) -> None:
        if self.dry_run or not self._has_search_index:
            return
        with self.conn.cursor() as cur:
            cur.execute(_CLEAN_PENDING)
        self.conn.commit()

    def close(self) -> None:
        try:
            if not self.conn.closed:
                self.conn.rollback()
                with self.conn.cursor() as cur:
                    cur.execute(f"DROP TABLE IF EXISTS {STAGING}")
                self.conn.commit()
        except Exception:  # pragma: no cover - the connection is going anyway
            pass
        finally:
            self._raw.close()


def object_writer(db: Database, *, clock: Callable[[], datetime], dry_run: bool = False) -> ObjectWriter:
    if db.is_sqlite:
        return SqliteObjectWriter(db, clock=clock, dry_run=dry_run)
    return PostgresObjectWriter(db, clock=clock, dry_run=dry_run)


# --------------------------------------------------------------------------- the report and the run


@dataclass
class Rejection:
    rownum: int
    field: str
    message: str


@dataclass
class ObjectImportProgress:
    """Where an import is: rows read and what became of them, and how far into the file."""

    read: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    position: int = 0
    size: int | None = None


@dataclass
class ObjectImportReport:
    """What an import did (or, `dry_run`, would do). Of the rows accepted: located in a grid by
    their point (`by_point`) or by their grid code (`by_code`); points in no grid placed in a
    village by its boundary (`outside_grids`) or in no village (`outside_villages`), the
    first of them in `outside_rows`; grid codes whose grid does not hold the row's point
    (`code_point_mismatch`: the code wins)."""

    file: str
    read: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    by_point: int = 0
    by_code: int = 0
    outside_grids: int = 0
    outside_villages: int = 0
    code_point_mismatch: int = 0
    outside_rows: list[int] = field(default_factory=list)
    rejected_by_field: Counter[str] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)
    rejects_path: Path | None = None
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def objects_per_s(self) -> float:
        stored = self.imported
        return stored / self.seconds if self.seconds > 0 else 0.0


class RejectsFile:
    """The rejected rows as CSV (UTF-8 with BOM, for Excel): 行号, 字段, 原因, then the row as read.
    Opened at the first rejection: a clean import leaves no file."""

    def __init__(self, path: Path, header: list[str], report: ObjectImportReport) -> None:
        self.path = path
        self.header = header
        self.report = report
        self._file: IO[str] | None = None
        self._writer: Any = None

    def add(self, rownum: int, problems: Sequence[tuple[str, str]], cells: Sequence[str]) -> None:
        if self._writer is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise ValidationFailed(
                    f"无法写入拒绝文件 {self.path}（{exc.strerror or exc}）：请用 --rejects 指定可写的位置",
                    field="rejects",
                ) from None
            self._writer = csv.writer(self._file)
            self._writer.writerow(["行号", "字段", "原因", *self.header])
            self.report.rejects_path = self.path
        fields = "；".join(dict.fromkeys(FIELD_LABELS.get(f, f) for f, _ in problems))
        self._writer.writerow([rownum, fields, "；".join(m for _, m in problems), *cells])
        report = self.report
        report.rejected += 1
        for f, message in problems:
            report.rejected_by_field[f] += 1
            if len(report.examples) < MAX_EXAMPLES:
                report.examples.append(Rejection(rownum, f, message))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def default_rejects_path(path: Path) -> Path:
    """Where the rejected rows of `path` go without --rejects: next to it, `<name>.rejects.csv`."""
    return path.with_name(f"{path.stem}.rejects.csv")


@dataclass
class _Batch:
    checked: CheckedBatch
    read: int
    position: int
    copy_data: str | None = None


_DONE = object()


def run_import(
    db: Database,
    path: Path,
    locator: BulkLocator,
    *,
    mapping: ObjectMapping,
    crs: CoordSystem,
    dry_run: bool,
    rejects_path: Path | None,
    batch_size: int,
    clock: Callable[[], datetime],
    progress: Callable[[ObjectImportProgress], None] | None = None,
    writers: int | None = None,
) -> ObjectImportReport:
    """Read, check and locate `path` here; store the batches in writer threads, each with a
    connection of its own (`writers`: default 2 on PostgreSQL, so that the server works on
    one batch while it commits another; 1 on SQLite, which has one writer)."""
    if batch_size < 1:
        raise ValidationFailed("批次大小必须是正整数", field="batch")
    started = time.perf_counter()
    source = open_object_source(path, mapping)
    report = ObjectImportReport(file=path.name, dry_run=dry_run)
    rejects: RejectsFile | None = None
    stores: list[ObjectWriter] = []
    count = 1 if db.is_sqlite else max(1, writers or DEFAULT_PG_WRITERS)
    try:
        plan = plan_columns(source.header, mapping, path.name)
        checker = BatchChecker(plan, locator, crs=crs)
        rejects = RejectsFile(rejects_path or default_rejects_path(path), plan.header, report)
        for _ in range(count):
            stores.append(object_writer(db, clock=clock, dry_run=dry_run))
        with short_gil_slices(SWITCH_INTERVAL):
            _pipeline(source, checker, stores, rejects, report, batch_size, progress)
        stores[0].finish()
    finally:
        for store in stores:
            store.close()
        source.close()
        if rejects is not None:
            rejects.close()
        report.seconds = time.perf_counter() - started
    return report


def _pipeline(
    source: ObjectSource,
    checker: BatchChecker,
    writers: list[ObjectWriter],
    rejects: RejectsFile,
    report: ObjectImportReport,
    batch_size: int,
    progress: Callable[[ObjectImportProgress], None] | None,
) -> None:
    batches: queue.Queue[Any] = queue.Queue(maxsize=len(writers) + 1)
    failed = threading.Event()
    errors: list[BaseException] = []
    lock = threading.Lock()
    state = ObjectImportProgress(size=source.size)
    copies_text = writers[0].copies_text

    def store(writer: ObjectWriter) -> None:
        while True:
            item = batches.get()
            if item is _DONE:
                return
            if failed.is_set():
                continue
            try:
                outcome = writer.write(item.checked.staged, item.copy_data)
                with lock:
                    _account(item.checked, outcome, rejects, report)
                    state.read = max(state.read, item.read)
                    state.position = max(state.position, item.position)
                    state.imported, state.already_imported = report.imported, report.already_imported
                    state.rejected = report.rejected
                    if progress is not None:
                        progress(state)
            except BaseException as exc:
                errors.append(exc)
                failed.set()

    def batch(rows: list[tuple[int, list[str]]], read: int) -> _Batch:
        checked = checker.check(rows)
        data = "".join(map(copy_line, checked.staged)) if copies_text else None
        return _Batch(checked, read, source.position(), data)

    threads = [
        threading.Thread(target=store, args=(w,), name=f"zhiyun-object-writer-{i}", daemon=True)
        for i, w in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    try:
        rows: list[tuple[int, list[str]]] = []
        read = 0
        for row in source.rows():
            rows.append(row)
            read += 1
            if len(rows) >= batch_size:
                _hand_over(batches, failed, batch(rows, read))
                rows = []
        if rows and not failed.is_set():
            _hand_over(batches, failed, batch(rows, read))
        report.read = read
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


def _hand_over(batches: queue.Queue[Any], failed: threading.Event, batch: _Batch) -> None:
    while not failed.is_set():
        with contextlib.suppress(queue.Full):
            batches.put(batch, timeout=0.5)
            return


def _account(
    checked: CheckedBatch, outcome: WriteResult, rejects: RejectsFile, report: ObjectImportReport
) -> None:
    """Add a stored batch to the report; its rejected rows to the rejects file, in row order."""
    refused = [(rownum, problems, cells) for rownum, problems, cells in checked.rejected]
    refused.extend((rownum, [(f, message)], checked.cells[rownum]) for rownum, f, message in outcome.rejected)
    for rownum, problems, cells in sorted(refused, key=lambda r: r[0]):
        rejects.add(rownum, problems, cells)
    report.imported += outcome.imported
    report.already_imported += outcome.already_imported + checked.repeated
    report.by_point += checked.by_point
    report.by_code += checked.by_code
    report.outside_grids += checked.outside_grids
    report.outside_villages += checked.outside_villages
    report.code_point_mismatch += checked.code_point_mismatch
    room = MAX_EXAMPLES - len(report.outside_rows)
    if room > 0:
        report.outside_rows.extend(sorted(checked.outside_rows)[:room])


__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_HEADERS",
    "FIELDS",
    "FIELD_LABELS",
    "BulkLocator",
    "ColumnPlan",
    "GridRef",
    "ObjectImportProgress",
    "ObjectImportReport",
    "ObjectMapping",
    "copy_line",
    "default_rejects_path",
    "plan_columns",
    "run_import",
]
