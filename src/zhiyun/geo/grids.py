"""Grids (单元网格) from GeoJSON: read a file, check it against the villages and the stored grids.

Pure: no database, no I/O. `GeoService.import_grids` loads what the checks need (the org
tree, village boundaries, village prefixes, stored grids), calls `parse_grid_features` and
`plan_grids`, and writes the plan in one transaction — or nothing, when any problem was found.

The file (docs/grid.md) is a FeatureCollection of Polygon/MultiPolygon features whose
properties give `code` (15 digits, `domain.grid.GridCode`), optionally `name`, and `village`:
the code or the name of the village/community unit the grid lies in (optional when the code's
12-digit prefix already belongs to a village). What refuses a file, feature by feature
(number and code in every reason, in Chinese): a ring that is not closed, an invalid polygon
(shapely's reason: self-intersection, …), a bad or duplicate code, a village that does not
exist or is not a village, a code whose prefix is not its village's (or is another village's),
a grid outside its village's boundary beyond the tolerance, and an overlap of at least
`OVERLAP_MIN_M2` with another grid of the file or with a stored grid that stays. Gaps (the
part of a village's boundary no grid covers) are warnings, refusals only with `strict`.
Overlaps and gaps are measured without their slivers narrower than about 0.2 m
(`SLIVER_DEG`): a shared edge digitized twice, or rounded to 1e-7°, leaves millimetre-wide
slivers that are noise, not land.

Areas are in square metres by a local equal-area approximation: a square degree at latitude
φ is (π/180)²·M(φ)·N(φ)·cos φ m² (M, N: the WGS-84 ellipsoid's meridional and prime-vertical
radii of curvature), taken at the geometry's centroid; for shapes of a few kilometres it is
within a few parts per million of the ellipsoidal area. Pieces (the part of a grid outside
its village, an overlap, a gap) are measured as geometries of their own, never as a
difference of two large areas.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import GRID_NAME_MAX, GridCode
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, wgs84_to_gcj02

# A grid may stick out of its village by at most this share of its area AND this many m².
OUTSIDE_SHARE_TOLERANCE = 0.01
OUTSIDE_AREA_TOLERANCE_M2 = 50.0
# Overlaps from this area on are refused; gaps from this area on are reported.
OVERLAP_MIN_M2 = 1.0
GAP_MIN_M2 = 1.0
# Overlaps and gaps narrower than twice this (degrees: about 0.2 m) are not counted: two
# neighbours whose shared edge was digitized or rounded twice leave slivers millimetres wide.
SLIVER_DEG = 1e-6
# Stored coordinates are rounded to 1e-7 degrees (about 1 cm).
COORDINATE_DECIMALS = 7
# Geometries that differ by less than this (degrees, per vertex) are the same grid: an export
# converted to GCJ-02 and imported back changes nothing.
SAME_GEOMETRY_DEG = 2e-7
MAX_PROBLEMS_SHOWN = 20

_WGS84_A = 6_378_137.0
_WGS84_E2 = 0.00669437999014


# --------------------------------------------------------------------------- areas


def square_metres_per_square_degree(lat: float | np.ndarray) -> Any:
    """m² of one square degree at latitude `lat` (local equal-area scaling on WGS-84)."""
    phi = np.radians(lat)
    w = 1.0 - _WGS84_E2 * np.sin(phi) ** 2
    m = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5  # meridional radius of curvature
    n = _WGS84_A / np.sqrt(w)  # prime-vertical radius of curvature
    return (math.pi / 180.0) ** 2 * m * n * np.cos(phi)


def area_m2(geom: BaseGeometry) -> float:
    """The area of a lon/lat geometry in m² (see the module's note)."""
    if geom.is_empty:
        return 0.0
    lat = shapely.get_y(shapely.centroid(geom))
    return float(geom.area * square_metres_per_square_degree(lat))


def areas_m2(geoms: Sequence[BaseGeometry] | np.ndarray) -> np.ndarray:
    """`area_m2` of many geometries at once."""
    array = np.asarray(geoms, dtype=object)
    if array.size == 0:
        return np.zeros(0)
    raw = shapely.area(array)
    lat = np.nan_to_num(shapely.get_y(shapely.centroid(array)))
    return np.where(raw > 0, raw * square_metres_per_square_degree(lat), 0.0)


def without_slivers(geom: BaseGeometry) -> BaseGeometry:
    """The geometry less its parts narrower than 2 × SLIVER_DEG (a morphological opening)."""
    if geom.is_empty:
        return geom
    return geom.buffer(-SLIVER_DEG, join_style="mitre").buffer(SLIVER_DEG, join_style="mitre")


def _m2(value: float) -> str:
    return f"{value:,.1f} m²" if value < 100 else f"{value:,.0f} m²"


# --------------------------------------------------------------------------- coordinates


def _convert(geom: BaseGeometry, fn: Callable[[float, float], tuple[float, float]]) -> BaseGeometry:
    """A geometry converted vertex by vertex by `fn(lat, lon) -> (lat, lon)`."""

    def convert(xy: Any) -> Any:  # an (n, 2) array of [lon, lat]
        out = xy.copy()
        for i, (lon, lat) in enumerate(xy.tolist()):
            n_lat, n_lon = fn(lat, lon)
            out[i, 0], out[i, 1] = n_lon, n_lat
        return out

    return shapely.transform(geom, convert)


def to_wgs84(geom: BaseGeometry, crs: CoordSystem) -> BaseGeometry:
    """A geometry in `crs` as WGS-84."""
    return geom if crs is CoordSystem.WGS84 else _convert(geom, gcj02_to_wgs84)


def from_wgs84(geom: BaseGeometry, crs: CoordSystem) -> BaseGeometry:
    """A WGS-84 geometry in `crs` (GCJ-02 for Chinese web maps)."""
    return geom if crs is CoordSystem.WGS84 else _convert(geom, wgs84_to_gcj02)


def rounded(geom: BaseGeometry, decimals: int = COORDINATE_DECIMALS) -> BaseGeometry:
    """The geometry with every coordinate rounded to `decimals` places."""
    return shapely.transform(geom, lambda xy: np.round(xy, decimals))


def geojson_of(geom: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry made of plain lists (JSON round-trips to the same value)."""
    result: dict[str, Any] = json.loads(json.dumps(mapping(geom)))
    return result


def bbox_of(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)"""
    min_x, min_y, max_x, max_y = geom.bounds
    return float(min_x), float(min_y), float(max_x), float(max_y)


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class GridProblem:
    """Why a file is refused: the feature's number (1-based) and code when it is one feature's."""

    message: str
    index: int | None = None
    code: str = ""

    def __str__(self) -> str:
        if self.index is None:
            return self.message
        where = f"第 {self.index} 个要素" + (f"（{self.code}）" if self.code else "")
        return f"{where}：{self.message}"


class GridFileRefused(ValidationFailed):
    """A grid file with problems: nothing of it is written. `problems` lists every reason."""

    def __init__(self, problems: Sequence[GridProblem]) -> None:
        texts = [str(p) for p in problems]
        shown = "；".join(texts[:MAX_PROBLEMS_SHOWN])
        more = f"；另有 {len(texts) - MAX_PROBLEMS_SHOWN} 处" if len(texts) > MAX_PROBLEMS_SHOWN else ""
        super().__init__(f"网格文件未导入（{len(texts)} 处问题）：{shown}{more}", problems=texts)
        self.problems = list(problems)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class GridFeature:
    """One feature of a grid file that is well formed: its code, name, village reference (as
    given: a unit code or name, "" when absent) and its valid polygon geometry in WGS-84."""

    index: int
    code: GridCode
    name: str
    village: str
    geometry: BaseGeometry


_VALIDITY_WORDS = (
    ("Ring Self-intersection", "环自相交"),
    ("Self-intersection", "边自相交"),
    ("Too few points", "点数过少"),
    ("Hole lies outside shell", "内环在外环之外"),
    ("Nested holes", "内环互相嵌套"),
    ("Interior is disconnected", "内部不连通"),
    ("Nested shells", "多个外环互相嵌套"),
    ("Duplicate Rings", "环重复"),
    ("Invalid Coordinate", "坐标无效"),
    ("Ring is not closed", "环未闭合"),
)


def validity_reason(geom: BaseGeometry) -> str:
    """shapely's reason why a geometry is invalid, in Chinese with the original in brackets."""
    reason = str(shapely.is_valid_reason(geom))
    for english, chinese in _VALIDITY_WORDS:
        if reason.startswith(english):
            return f"{chinese}（{reason}）"
    return reason


def _ring_problems(raw: Mapping[str, Any]) -> list[str]:
    """Rings that are not lists of ≥ 4 numeric positions whose first and last are the same."""
    coordinates = raw.get("coordinates")
    polygons = [coordinates] if raw.get("type") == "Polygon" else coordinates
    if not isinstance(polygons, list | tuple) or not polygons:
        return ["坐标为空或格式错误"]
    problems: list[str] = []
    for p, rings in enumerate(polygons, start=1):
        if not isinstance(rings, list | tuple) or not rings:
            problems.append("多边形没有环")
            continue
        for r, ring in enumerate(rings, start=1):
            where = (f"第 {p} 个多边形的" if len(polygons) > 1 else "") + (
                "外环" if r == 1 else f"第 {r - 1} 个内环"
            )
            if not isinstance(ring, list | tuple) or not all(
                isinstance(pt, list | tuple)
                and len(pt) >= 2
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in pt[:2]
                )
                for pt in ring
            ):
                problems.append(f"{where}坐标格式错误（须为 [经度, 纬度] 数字对）")
                continue
            if len(ring) < 4:
                problems.append(f"{where}少于 4 个坐标点")
            elif list(ring[0][:2]) != list(ring[-1][:2]):
                problems.append(f"{where}未闭合（首尾坐标不同）")
    return problems


def _looks_like_degrees(geom: BaseGeometry) -> bool:
    min_x, min_y, max_x, max_y = geom.bounds
    return bool(-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90)


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | float | dict | list):
        return "" if value is None else str(value)
    return str(value).strip()


def parse_grid_features(
    data: Any, *, crs: CoordSystem = CoordSystem.WGS84
) -> tuple[list[GridFeature], list[GridProblem]]:
    """The well-formed features of a grid file, and the problems of the others.

    A file that is not a FeatureCollection raises ValidationFailed at once; every feature's
    own problems (code, geometry type, unclosed ring, coordinates that are not degrees, an
    invalid polygon, a duplicate code) are collected. `crs` GCJ-02: coordinates are converted
    to WGS-84 (after the ring checks, before the validity check); all are rounded to 1e-7°.
    """
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, Mapping) else type(data).__name__
        raise ValidationFailed(f"网格文件须为 GeoJSON FeatureCollection（实际为 {found}）")
    raw_features = data.get("features")
    if not isinstance(raw_features, list):
        raise ValidationFailed("FeatureCollection 缺少 features 列表")
    features: list[GridFeature] = []
    problems: list[GridProblem] = []
    first_of: dict[str, int] = {}
    for index, feature in enumerate(raw_features, start=1):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.append(GridProblem("不是 GeoJSON Feature", index))
            continue
        properties = feature.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        code_text = _text(properties.get("code"))
        own: list[str] = []
        code: GridCode | None = None
        if not code_text:
            own.append("缺少网格编码属性 code")
        else:
            try:
                code = GridCode.parse(code_text)
            except ValidationFailed as exc:
                own.append(exc.message)
            else:
                if code.value in first_of:
                    own.append(f"网格编码重复（与第 {first_of[code.value]} 个要素相同）")
                else:
                    first_of[code.value] = index
        name = _text(properties.get("name"))
        if len(name) > GRID_NAME_MAX:
            own.append(f"网格名称超过 {GRID_NAME_MAX} 字")
        geometry = _geometry(feature.get("geometry"), crs, own)
        if own or code is None or geometry is None:
            problems.extend(GridProblem(message, index, code_text[:20]) for message in own)
            continue
        features.append(GridFeature(index, code, name, _text(properties.get("village")), geometry))
    return features, problems


def _geometry(raw: Any, crs: CoordSystem, problems: list[str]) -> BaseGeometry | None:
    """The feature's polygon in WGS-84, or None after adding its problems."""
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, Mapping) else None
        problems.append(f"几何类型须为 Polygon 或 MultiPolygon（实际为 {kind}）")
        return None
    rings = _ring_problems(raw)
    if rings:
        problems.extend(rings)
        return None
    try:
        geom = shape(dict(raw))
    except Exception as exc:  # shapely raises several kinds for malformed coordinates
        problems.append(f"坐标无法解析（{exc}）")
        return None
    if geom.is_empty:
        problems.append("几何为空")
        return None
    if not _looks_like_degrees(geom):
        problems.append("坐标不是经纬度（须为 [经度, 纬度]）")
        return None
    geom = rounded(to_wgs84(geom, crs))
    if not geom.is_valid:
        problems.append(f"多边形无效：{validity_reason(geom)}")
        return None
    if geom.area <= 0:
        problems.append("多边形面积为 0")
        return None
    return geom


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class UnitRef:
    """What the checks need to know of an org unit a file may name as a grid's village."""

    id: int
    code: str
    name: str
    kind_label: str
    is_village: bool
    prefix: str | None = None  # the village's 12-digit grid-code prefix, once it has one
    boundary: BaseGeometry | None = None  # the village's boundary (WGS-84), when stored

    @property
    def label(self) -> str:
        return f"{self.name}（{self.code}）"


@dataclass(frozen=True)
class StoredGrid:
    """A grid as stored."""

    id: int
    code: str
    name: str
    village_unit_id: int
    geometry: BaseGeometry


@dataclass(frozen=True)
class CheckedGrid:
    """A grid of the file that passed every check: what is stored."""

    code: str
    name: str
    village_unit_id: int
    geometry: BaseGeometry
    area_m2: float

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return bbox_of(self.geometry)

    def geojson(self) -> dict[str, Any]:
        return geojson_of(self.geometry)

    def same_as(self, stored: StoredGrid) -> bool:
        return (
            self.name == stored.name
            and self.village_unit_id == stored.village_unit_id
            and self.geometry.geom_type == stored.geometry.geom_type
            and bool(shapely.equals_exact(self.geometry, stored.geometry, tolerance=SAME_GEOMETRY_DEG))
        )


@dataclass(frozen=True)
class Gap:
    """Part of a village's boundary that no grid covers."""

    village: UnitRef
    area_m2: float
    share: float

    def __str__(self) -> str:
        return f"村居 {self.village.label} 有 {_m2(self.area_m2)}（{self.share:.2%}）未被网格覆盖"


@dataclass
class GridPlan:
    """What an import would do: grids to create, update (stored id → grid), leave, delete, the
    village prefixes to record, and the warnings and problems found."""

    create: list[CheckedGrid] = field(default_factory=list)
    update: list[tuple[int, CheckedGrid]] = field(default_factory=list)
    unchanged: list[CheckedGrid] = field(default_factory=list)
    delete: list[StoredGrid] = field(default_factory=list)
    prefixes: dict[int, str] = field(default_factory=dict)  # village unit id → new prefix
    gaps: list[Gap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[GridProblem] = field(default_factory=list)

    @property
    def grids(self) -> list[CheckedGrid]:
        return [*self.create, *(g for _, g in self.update), *self.unchanged]


def resolve_village(
    reference: str, by_code: Mapping[str, UnitRef], by_name: Mapping[str, list[UnitRef]]
) -> UnitRef | str:
    """The unit a `village` property names (its code, else its unique name), or why not."""
    unit = by_code.get(reference)
    if unit is None:
        named = by_name.get(reference, [])
        if len(named) > 1:
            return f"名称「{reference}」对应多个单位（{'、'.join(u.code for u in named)}），请改用单位编码"
        unit = named[0] if named else None
    if unit is None:
        return f"村居「{reference[:40]}」不存在"
    if not unit.is_village:
        return f"{unit.label}是{unit.kind_label}，网格只能属于村居"
    return unit


def plan_grids(
    features: Sequence[GridFeature],
    units: Iterable[UnitRef],
    stored: Sequence[StoredGrid],
    *,
    replace: bool = False,
    strict: bool = False,
) -> GridPlan:
    """Check well-formed features against the units and the stored grids; what importing does.

    The plan's `problems` hold every refusal (an import writes nothing when there is one); its
    `warnings` the gaps (also problems when `strict`) and villages without a boundary.
    `replace`: stored grids of the file's villages that the file lacks are deleted (whether
    orders still reference them is the caller's question: it needs the database).
    """
    plan = GridPlan()
    unit_list = list(units)
    by_code = {u.code: u for u in unit_list}
    by_name: dict[str, list[UnitRef]] = {}
    for u in unit_list:
        by_name.setdefault(u.name, []).append(u)
    by_id = {u.id: u for u in unit_list}
    owner_of_prefix = {u.prefix: u for u in unit_list if u.prefix}

    # 1. every feature's village: named, else the one its code's prefix belongs to
    villages: dict[int, UnitRef] = {}
    for f in features:
        if f.village:
            found = resolve_village(f.village, by_code, by_name)
            if isinstance(found, str):
                plan.problems.append(GridProblem(found, f.index, f.code.value))
                continue
            villages[f.index] = found
        else:
            owner = owner_of_prefix.get(f.code.village_prefix)
            if owner is None:
                plan.problems.append(
                    GridProblem(
                        f"缺少所属村居属性 village，且编码前缀 {f.code.village_prefix} 尚未对应任何村居",
                        f.index,
                        f.code.value,
                    )
                )
                continue
            villages[f.index] = owner

    # 2. one prefix per village, one village per prefix (stored, and within the file)
    used: dict[int, set[str]] = {}
    claimed: dict[str, set[int]] = {}
    for f in features:
        village = villages.get(f.index)
        if village is not None:
            used.setdefault(village.id, set()).add(f.code.village_prefix)
            claimed.setdefault(f.code.village_prefix, set()).add(village.id)
    placed: list[tuple[GridFeature, UnitRef]] = []
    for f in features:
        village = villages.get(f.index)
        if village is None:
            continue
        prefix = f.code.village_prefix
        owner = owner_of_prefix.get(prefix)
        problem = ""
        if village.prefix is not None and village.prefix != prefix:
            problem = f"编码前缀 {prefix} 与村居 {village.label}的网格编码前缀 {village.prefix} 不一致"
        elif owner is not None and owner.id != village.id:
            problem = f"编码前缀 {prefix} 已属于村居 {owner.label}，不能用于{village.label}"
        elif len(used[village.id]) > 1:
            problem = f"同一村居的网格编码前缀须相同：本文件中{village.label}的网格用了 {'、'.join(sorted(used[village.id]))}"
        elif len(claimed[prefix]) > 1:
            names = "、".join(sorted(by_id[v].label for v in claimed[prefix]))
            problem = f"编码前缀 {prefix} 在本文件中被多个村居使用：{names}"
        if problem:
            plan.problems.append(GridProblem(problem, f.index, f.code.value))
            continue
        if village.prefix is None:
            plan.prefixes[village.id] = prefix
        placed.append((f, village))

    # 3. inside the village's boundary, within the tolerance
    areas = areas_m2([f.geometry for f, _ in placed])
    checked: list[tuple[GridFeature, CheckedGrid]] = []
    no_boundary: set[int] = set()
    for (f, village), area in zip(placed, areas.tolist(), strict=True):
        if village.boundary is None:
            no_boundary.add(village.id)
        else:
            outside = area_m2(f.geometry.difference(village.boundary))
            if outside > OUTSIDE_AREA_TOLERANCE_M2 or outside > OUTSIDE_SHARE_TOLERANCE * area:
                plan.problems.append(
                    GridProblem(
                        f"有 {_m2(outside)}（{outside / area:.1%}）在村居 {village.label}的边界之外"
                        f"（允许不超过 {OUTSIDE_SHARE_TOLERANCE:.0%} 且不超过 {OUTSIDE_AREA_TOLERANCE_M2:.0f} m²）",
                        f.index,
                        f.code.value,
                    )
                )
                continue
        name = f.name or f"{village.name}第{f.code.sequence}网格"[-GRID_NAME_MAX:]
        checked.append((f, CheckedGrid(f.code.value, name, village.id, f.geometry, area)))
    for village_id in sorted(no_boundary):
        plan.warnings.append(
            f"村居 {by_id[village_id].label} 尚无边界：未检查其网格是否在村居范围内、有无空隙"
        )

    # 4. what stays stored, and what the file changes
    in_file = {f.code.value for f in features}
    file_villages = {v.id for v in villages.values()}
    stored_by_code = {s.code: s for s in stored}
    kept: list[StoredGrid] = []
    for s in stored:
        if s.code in in_file:
            continue
        if replace and s.village_unit_id in file_villages:
            plan.delete.append(s)
        else:
            kept.append(s)
    for _, grid in checked:
        before = stored_by_code.get(grid.code)
        if before is None:
            plan.create.append(grid)
        elif grid.same_as(before):
            plan.unchanged.append(grid)
        else:
            plan.update.append((before.id, grid))

    # 5. overlaps with the file's other grids and with the stored grids that stay
    _overlaps(plan, checked, kept)

    # 6. gaps: each village's boundary that its grids (the file's and those kept) leave bare
    for village_id in sorted({g.village_unit_id for _, g in checked}):
        village = by_id[village_id]
        if village.boundary is None:
            continue
        cover = [g.geometry for _, g in checked if g.village_unit_id == village_id]
        cover += [s.geometry for s in kept if s.village_unit_id == village_id]
        bare = village.boundary.difference(shapely.union_all(cover))
        bare_m2 = area_m2(bare)
        if bare_m2 >= GAP_MIN_M2:
            bare_m2 = area_m2(without_slivers(bare))
        if bare_m2 >= GAP_MIN_M2:
            gap = Gap(village, bare_m2, bare_m2 / max(area_m2(village.boundary), 1e-9))
            plan.gaps.append(gap)
            if strict:
                plan.problems.append(GridProblem(f"{gap}（--strict：空隙不允许）"))
            else:
                plan.warnings.append(str(gap))
    plan.problems.sort(key=lambda p: (p.index is None, p.index or 0))
    return plan


def _overlaps(
    plan: GridPlan, checked: Sequence[tuple[GridFeature, CheckedGrid]], kept: Sequence[StoredGrid]
) -> None:
    """Overlaps of at least OVERLAP_MIN_M2 between the file's grids, and with the kept ones."""
    if not checked:
        return
    geoms = [g.geometry for _, g in checked] + [s.geometry for s in kept]
    codes = [g.code for _, g in checked] + [s.code for s in kept]
    tree = STRtree(geoms)
    n_file = len(checked)
    left, right = tree.query([g.geometry for _, g in checked], predicate="intersects")
    pairs = [
        (i, j)
        for i, j in zip(left.tolist(), right.tolist(), strict=True)
        if i != j and (j >= n_file or i < j)
    ]
    if not pairs:
        return
    a = np.asarray([geoms[i] for i, _ in pairs], dtype=object)
    b = np.asarray([geoms[j] for _, j in pairs], dtype=object)
    shared = shapely.intersection(a, b)
    raw = areas_m2(shared)
    for (i, j), piece, raw_m2 in zip(pairs, shared.tolist(), raw.tolist(), strict=True):
        if raw_m2 < OVERLAP_MIN_M2:
            continue
        m2 = area_m2(without_slivers(piece))
        if m2 < OVERLAP_MIN_M2:
            continue
        if j < n_file:  # two of the file's: said of the later one
            feature, first = checked[j][0], checked[i][0]
            other = f"本文件第 {first.index} 个要素 {first.code.value}"
        else:
            feature, other = checked[i][0], f"已有网格 {codes[j]}"
        plan.problems.append(GridProblem(f"与{other} 重叠 {_m2(m2)}", feature.index, feature.code.value))


# --------------------------------------------------------------------------- export


def grid_feature_collection(
    grids: Iterable[tuple[StoredGrid, Mapping[str, Any]]], *, crs: CoordSystem = CoordSystem.WGS84
) -> dict[str, Any]:
    """A FeatureCollection of stored grids (with extra properties each), in `crs`; importable as is."""
    features = []
    for grid, extra in grids:
        geom = grid.geometry if crs is CoordSystem.WGS84 else rounded(from_wgs84(grid.geometry, crs))
        features.append(
            {
                "type": "Feature",
                "properties": {"code": grid.code, "name": grid.name, **extra},
                "geometry": geojson_of(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


__all__ = [
    "GAP_MIN_M2",
    "OUTSIDE_AREA_TOLERANCE_M2",
    "OUTSIDE_SHARE_TOLERANCE",
    "OVERLAP_MIN_M2",
    "SLIVER_DEG",
    "CheckedGrid",
    "Gap",
    "GridFeature",
    "GridFileRefused",
    "GridPlan",
    "GridProblem",
    "StoredGrid",
    "UnitRef",
    "area_m2",
    "areas_m2",
    "bbox_of",
    "from_wgs84",
    "geojson_of",
    "grid_feature_collection",
    "parse_grid_features",
    "plan_grids",
    "resolve_village",
    "rounded",
    "square_metres_per_square_degree",
    "to_wgs84",
    "validity_reason",
    "without_slivers",
]
