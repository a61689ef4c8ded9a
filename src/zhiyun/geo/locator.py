"""Where an order is: the town and village that contain its point, or that its address names.

`Locator` is built once per revision of the org tree and the unit boundaries:

- point in polygon: a shapely 2 STRtree over the town and village boundaries (WGS-84), then
  the prepared polygons of the candidates (fast even for boundaries of thousands of vertices); the
  village whose boundary holds the point wins, with its town from the org tree; a point that
  only a town boundary holds gives that town;
- grids (单元网格): a second STRtree over the grid polygons. A point in a grid gets the grid,
  and the grid's village wins over the village boundaries (with its town from the org tree):
  a grid lies inside its village by the import's checks (docs/grid.md), so they disagree only
  along an edge or in the tolerance of a grid sticking out by a few square metres, and an
  order's grid and village must never name two villages. A point in no grid is placed by the
  boundaries as before, without a grid;
- gazetteer: without a point, or with a point in no boundary, the address (or any text) is
  matched against the names and aliases of towns and villages: all occurrences are found in
  one scan (terms indexed by first character), a match inside a longer one is dropped, the
  longest village name wins, and when the text names a town only that town's villages count
  (a village of another town leaves just the town).

`parse_boundaries` reads and checks a GeoJSON FeatureCollection of unit boundaries.
Pure: no database, no I/O.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.kernel.geo import gcj02_to_wgs84

SOURCE_GPS = "gps"
SOURCE_ADDRESS = "address"

# Suffixes that people leave out: 桂城街道 → 桂城, 简村村 → 简村, 夏北社区 → 夏北.
NAME_SUFFIXES = ("街道办事处", "街道办", "街道", "镇", "社区居委会", "居委会", "社区", "村委会", "村")
MIN_TERM_LENGTH = 2


@dataclass(frozen=True)
class Location:
    """Where intake placed an order: its town and village (unit ids), how it found them, and
    the grid whose polygon holds its point (id and 15-digit code; None without one)."""

    town_unit_id: int | None = None
    village_unit_id: int | None = None
    source: str = ""  # "gps": the point lies in a boundary; "address": the text named the unit; "": unknown
    grid_id: int | None = None
    grid_code: str | None = None

    @property
    def found(self) -> bool:
        return self.town_unit_id is not None or self.village_unit_id is not None

    @property
    def unit_id(self) -> int | None:
        """The most precise unit: the village, else the town."""
        return self.village_unit_id if self.village_unit_id is not None else self.town_unit_id


NOWHERE = Location()


@dataclass(frozen=True)
class _Term:
    text: str
    unit_id: int
    is_village: bool
    full_name: bool


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    term: _Term

    @property
    def length(self) -> int:
        return self.end - self.start


def _terms_of(unit: Unit) -> set[tuple[str, bool]]:
    """(term, is the unit's full name) for a unit's name, aliases and name without its suffix."""
    terms = {(unit.name.strip(), True)}
    for alias in unit.aliases:
        terms.add((alias.strip(), False))
    for suffix in NAME_SUFFIXES:
        if unit.name.endswith(suffix) and len(unit.name) - len(suffix) >= MIN_TERM_LENGTH:
            terms.add((unit.name[: -len(suffix)], False))
            break
    return {(t, full) for t, full in terms if len(t) >= MIN_TERM_LENGTH}


class Gazetteer:
    """The names and aliases of towns and villages, matched against free text."""

    def __init__(self, org: OrgTree) -> None:
        self.org = org
        by_term: dict[str, list[_Term]] = {}
        for unit in org.units.values():
            if unit.kind not in (UnitKind.TOWN, UnitKind.VILLAGE):
                continue
            for text, full in _terms_of(unit):
                by_term.setdefault(text, []).append(_Term(text, unit.id, unit.kind is UnitKind.VILLAGE, full))
        # A term shared by two units of the same kind names neither when alone; keep them all and
        # let the town (or ambiguity) decide in `match`.
        index: dict[str, list[_Term]] = {}
        for text, terms in by_term.items():
            index.setdefault(text[0], []).extend(terms)
        for terms in index.values():
            terms.sort(key=lambda t: (-len(t.text), t.text, t.unit_id))
        self._index = index

    def _town_of(self, unit_id: int) -> int | None:
        unit = self.org.units.get(unit_id)
        if unit is None:
            return None
        if unit.kind is UnitKind.TOWN:
            return unit.id
        parent = self.org.units.get(unit.parent_id) if unit.parent_id is not None else None
        return parent.id if parent is not None and parent.kind is UnitKind.TOWN else None

    def matches(self, text: str) -> list[_Match]:
        """Every occurrence of a term, minus those lying inside a longer occurrence."""
        index = self._index
        found: list[_Match] = []
        for i, char in enumerate(text):
            terms = index.get(char)
            if not terms:
                continue
            for term in terms:
                if text.startswith(term.text, i):
                    found.append(_Match(i, i + len(term.text), term))
        if len(found) < 2:
            return found
        return [
            m
            for m in found
            if not any(
                o.start <= m.start and m.end <= o.end and o.length > m.length for o in found if o is not m
            )
        ]

    def match(self, text: str | None) -> Location:
        """The village (and its town), or the town, that the text names; NOWHERE when none or unclear."""
        if not text:
            return NOWHERE
        compact = "".join(text.split())
        found = self.matches(compact)
        if not found:
            return NOWHERE
        named_towns = {m.term.unit_id for m in found if not m.term.is_village}
        villages: dict[int, tuple[bool, int, bool, int]] = {}
        for m in found:
            if not m.term.is_village:
                continue
            town_named = self._town_of(m.term.unit_id) in named_towns
            key = (town_named, m.length, m.term.full_name, -m.start)
            if key > villages.get(m.term.unit_id, (False, 0, False, -(10**9))):
                villages[m.term.unit_id] = key
        if named_towns:
            # The address names a town: only its villages count (a village of another town is a
            # contradiction, and the town is the safer answer).
            villages = {v: k for v, k in villages.items() if k[0]}
        if villages:
            best_key = max(villages.values())
            best = [v for v, k in villages.items() if k == best_key]
            towns = {self._town_of(v) for v in best}
            if len(best) == 1:
                return Location(self._town_of(best[0]), best[0], SOURCE_ADDRESS)
            if len(towns) == 1 and None not in towns:
                return Location(towns.pop(), None, SOURCE_ADDRESS)
            return NOWHERE  # the same name in two towns and no town named
        town_matches = sorted((m for m in found if not m.term.is_village), key=lambda m: (-m.length, m.start))
        return Location(town_matches[0].term.unit_id, None, SOURCE_ADDRESS) if town_matches else NOWHERE


@dataclass(frozen=True)
class GridShape:
    """A grid as the locator needs it: its village, its code and its polygon (WGS-84)."""

    village_unit_id: int
    code: str
    geometry: BaseGeometry


class Locator:
    """Places a point or an address in the district's towns, villages and grids (built once per revision)."""

    def __init__(
        self,
        boundaries: Mapping[int, BaseGeometry],
        org: OrgTree,
        grids: Mapping[int, GridShape] | None = None,
    ) -> None:
        self.org = org
        self.gazetteer = Gazetteer(org)
        ids: list[int] = []
        geoms: list[BaseGeometry] = []
        for unit_id, geom in sorted(boundaries.items()):
            unit = org.units.get(unit_id)
            if unit is None or unit.kind not in (UnitKind.TOWN, UnitKind.VILLAGE) or geom.is_empty:
                continue
            shapely.prepare(geom)
            # Build the prepared point-in-area index now rather than on the first request.
            shapely.intersects_xy(geom, *geom.representative_point().coords[0])
            ids.append(unit_id)
            geoms.append(geom)
        self._ids = ids
        self._geoms = geoms
        self._is_village = [org.units[u].kind is UnitKind.VILLAGE for u in ids]
        self._areas = [g.area for g in geoms]
        self._tree = STRtree(geoms) if geoms else None
        grid_ids: list[int] = []
        grid_shapes: list[GridShape] = []
        for grid_id, grid in sorted((grids or {}).items()):
            if grid.village_unit_id not in org.units or grid.geometry.is_empty:
                continue
            shapely.prepare(grid.geometry)
            grid_ids.append(grid_id)
            grid_shapes.append(grid)
        self._grid_ids = grid_ids
        self._grids = grid_shapes
        self._grid_areas = [g.geometry.area for g in grid_shapes]
        self._grid_tree = STRtree([g.geometry for g in grid_shapes]) if grid_shapes else None
        # GEOS prepared geometries are not guaranteed thread-safe: one query at a time (~20 µs).
        self._lock = threading.Lock()

    @classmethod
    def from_geojson(
        cls,
        boundaries: Mapping[int, Mapping[str, Any]],
        org: OrgTree,
        grids: Mapping[int, tuple[int, str, Mapping[str, Any]]] | None = None,
    ) -> Locator:
        """A locator from stored GeoJSON geometries (unit id → geometry; grid id → (village
        unit id, code, geometry))."""
        return cls(
            {uid: shape(dict(geom)) for uid, geom in boundaries.items()},
            org,
            {
                gid: GridShape(village, code, shape(dict(geom)))
                for gid, (village, code, geom) in (grids or {}).items()
            },
        )

    @property
    def boundary_count(self) -> int:
        return len(self._ids)

    @property
    def grid_count(self) -> int:
        return len(self._grid_ids)

    def _grid_at(self, lat: float, lon: float) -> int | None:
        """The index of the grid holding the point (on a shared edge: the smaller, then the lower id)."""
        if self._grid_tree is None:
            return None
        candidates = self._grid_tree.query(shapely.points(lon, lat)).tolist()
        hits = [i for i in candidates if shapely.intersects_xy(self._grids[i].geometry, lon, lat)]
        if not hits:
            return None
        best: int = min(hits, key=lambda i: (self._grid_areas[i], self._grid_ids[i]))
        return best

    def _town_of(self, village_id: int) -> int | None:
        unit = self.org.units.get(village_id)
        return unit.parent_id if unit is not None else None

    def locate_point(self, lat: float, lon: float) -> Location:
        """The grid, village and town that hold a WGS-84 point; NOWHERE outside them all."""
        if (self._tree is None and self._grid_tree is None) or not (
            math.isfinite(lat) and math.isfinite(lon)
        ):
            return NOWHERE
        with self._lock:
            grid = self._grid_at(lat, lon)
            if grid is not None:
                # The grid's village wins (see the module's note).
                village_id = self._grids[grid].village_unit_id
                return Location(
                    self._town_of(village_id),
                    village_id,
                    SOURCE_GPS,
                    self._grid_ids[grid],
                    self._grids[grid].code,
                )
            if self._tree is None:
                return NOWHERE
            # The tree narrows by bounding box; the prepared polygons decide (boundary included).
            candidates = self._tree.query(shapely.points(lon, lat)).tolist()
            hits = [i for i in candidates if shapely.intersects_xy(self._geoms[i], lon, lat)]
        if not hits:
            return NOWHERE
        towns = [i for i in hits if not self._is_village[i]]
        villages = [i for i in hits if self._is_village[i]]
        town_ids = {self._ids[i] for i in towns}
        if villages:
            # On a shared edge, or where boundaries overlap: a village whose town also holds the
            # point, then the smaller village, then the lower id.
            best = min(
                villages,
                key=lambda i: (self._town_of(self._ids[i]) not in town_ids, self._areas[i], self._ids[i]),
            )
            village_id = self._ids[best]
            return Location(self._town_of(village_id), village_id, SOURCE_GPS)
        best_town = min(towns, key=lambda i: (self._areas[i], self._ids[i]))
        return Location(self._ids[best_town], None, SOURCE_GPS)

    def locate(self, lat: float | None, lon: float | None, address: str | None = None) -> Location:
        """The point's village and town; else (no point, or a point in no boundary) the address's.

        A point that only a town boundary holds is refined by the address when the address
        names a village of that same town.
        """
        if lat is not None and lon is not None:
            by_point = self.locate_point(lat, lon)
            if by_point.found:
                if by_point.village_unit_id is None and address:
                    by_text = self.gazetteer.match(address)
                    if by_text.village_unit_id is not None and by_text.town_unit_id == by_point.town_unit_id:
                        return Location(by_point.town_unit_id, by_text.village_unit_id, SOURCE_GPS)
                return by_point
        return self.gazetteer.match(address)


# --------------------------------------------------------------------------- GeoJSON


@dataclass(frozen=True)
class ParsedBoundary:
    """One feature of a boundary file: the unit code and its (valid) polygon geometry."""

    code: str
    geometry: BaseGeometry

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat)"""
        min_x, min_y, max_x, max_y = self.geometry.bounds
        return float(min_x), float(min_y), float(max_x), float(max_y)

    def geojson(self) -> dict[str, Any]:
        """The geometry as a GeoJSON dict made of plain lists (JSON round-trips to the same value)."""
        result: dict[str, Any] = json.loads(json.dumps(mapping(self.geometry)))
        return result


@dataclass
class ParsedBoundaries:
    boundaries: list[ParsedBoundary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry (make_valid may add lines or points), as a Polygon or MultiPolygon."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geom).tolist():
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    if not polygons:
        return Polygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _looks_like_degrees(geom: BaseGeometry) -> bool:
    min_x, min_y, max_x, max_y = geom.bounds
    return bool(-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90)


def _to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """A GCJ-02 geometry converted vertex by vertex to WGS-84."""

    def convert(xy: Any) -> Any:  # an (n, 2) array of [lon, lat]
        out = xy.copy()
        for i, (lon, lat) in enumerate(xy.tolist()):
            w_lat, w_lon = gcj02_to_wgs84(lat, lon)
            out[i, 0], out[i, 1] = w_lon, w_lat
        return out

    return shapely.transform(geom, convert)


def feature_code(properties: Mapping[str, Any]) -> str:
    """The unit code of a feature: `code`, else `unit_code`."""
    for key in ("code", "unit_code"):
        value = properties.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def parse_boundaries(data: Any, *, gcj02: bool = False) -> ParsedBoundaries:
    """Read a GeoJSON FeatureCollection of unit boundaries (Polygon/MultiPolygon, WGS-84).

    Every problem (not a FeatureCollection, a feature without a code, a duplicate code, a
    missing or non-polygonal geometry, coordinates that are not degrees) is collected and
    raised as one ValidationFailed. Invalid polygons (self-intersections, bad rings) are
    repaired with make_valid and reported as warnings. `gcj02`: the coordinates are GCJ-02
    (drawn on a Chinese web map) and are converted to WGS-84.
    """
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, Mapping) else type(data).__name__
        raise ValidationFailed(f"边界文件须为 GeoJSON FeatureCollection（实际为 {found}）")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValidationFailed("FeatureCollection 缺少 features 列表")
    problems: list[str] = []
    result = ParsedBoundaries()
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.append(f"第 {number} 个要素不是 Feature")
            continue
        properties = feature.get("properties") or {}
        code = feature_code(properties) if isinstance(properties, Mapping) else ""
        label = f"第 {number} 个要素" + (f"（{code}）" if code else "")
        if not code:
            problems.append(f"{label}缺少单位编码属性 code")
            continue
        if code in seen:
            problems.append(f"{label}：编码重复")
            continue
        seen.add(code)
        raw = feature.get("geometry")
        if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
            kind = raw.get("type") if isinstance(raw, Mapping) else None
            problems.append(f"{label}：几何类型须为 Polygon 或 MultiPolygon（实际为 {kind}）")
            continue
        try:
            geom = shape(dict(raw))
        except Exception as exc:  # shapely raises several kinds for malformed coordinates
            problems.append(f"{label}：坐标无法解析（{exc}）")
            continue
        if geom.is_empty:
            problems.append(f"{label}：几何为空")
            continue
        if not _looks_like_degrees(geom):
            problems.append(f"{label}：坐标不是经纬度（须为 WGS-84 的 [经度, 纬度]）")
            continue
        if gcj02:
            geom = _to_wgs84(geom)
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = _polygonal(shapely.make_valid(geom))
            if geom.is_empty or geom.area == 0:
                problems.append(f"{label}：边界无效且无法修复（{reason}）")
                continue
            result.warnings.append(f"{code}：边界无效（{reason}），已自动修复")
        result.boundaries.append(ParsedBoundary(code, geom))
    if problems:
        raise ValidationFailed("边界文件有误：" + "；".join(problems[:20]), problems=problems)
    return result


def feature_collection(
    boundaries: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]],
) -> dict[str, Any]:
    """A FeatureCollection from (code, geometry, extra properties) triples."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code, **props}, "geometry": dict(geom)}
            for code, geom, props in boundaries
        ],
    }


__all__ = [
    "NOWHERE",
    "SOURCE_ADDRESS",
    "SOURCE_GPS",
    "Gazetteer",
    "GridShape",
    "Location",
    "Locator",
    "ParsedBoundaries",
    "ParsedBoundary",
    "feature_code",
    "feature_collection",
    "parse_boundaries",
]
