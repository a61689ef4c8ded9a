"""Geo use cases: import unit boundaries and grids from GeoJSON, locate points and addresses.

`GeoService.locator()` is cached by the revision stamp of the reference data (the "org",
"boundaries" and "grids" entries): an intake request pays one light query, and the STRtrees
and the gazetteer are rebuilt only after an org, boundary or grid import changed something.

Grids (单元网格, docs/grid.md): `import_grids` checks a file (`geo/grids.py`) against the org
tree, the village boundaries and prefixes and the stored grids, and writes it in one
transaction — all of it, or nothing when any problem was found; `export_grids` writes them
back as GeoJSON; `grids` lists them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_administer_boundaries, may_administer_grids, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.org import Unit, UnitKind
from zhiyun.geo import repo as store
from zhiyun.geo.grids import (
    CheckedGrid,
    GridFileRefused,
    GridPlan,
    GridProblem,
    StoredGrid,
    UnitRef,
    grid_feature_collection,
    parse_grid_features,
    plan_grids,
)
from zhiyun.geo.locator import Location, Locator, ParsedBoundary, feature_collection, parse_boundaries
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, validate_coordinates
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database

# Kinds of unit that have a territory (departments and offices have none).
TERRITORIAL_KINDS = frozenset({UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE})
# The revision entries a locator depends on.
LOCATOR_REVISION_KEYS = ("org", store.BOUNDARIES_REVISION_KEY, store.GRIDS_REVISION_KEY)
# Share of a village's area that may lie outside its town's boundary before a warning.
OUTSIDE_TOWN_TOLERANCE = 0.05


@dataclass
class BoundaryImportReport:
    """What a boundary import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class GridImportReport:
    """What a grid import did (or, with `dry_run`, would do): counts, the codes deleted, the
    gaps and other warnings."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    deleted_codes: list[str] = field(default_factory=list)
    villages: int = 0  # villages the file's grids lie in
    new_prefixes: dict[str, str] = field(default_factory=dict)  # village code → its new prefix
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class GridView:
    """A stored grid as lists show it (no geometry)."""

    id: int
    code: str
    name: str
    village_unit_id: int
    area_m2: float
    bbox: tuple[float, float, float, float]


def read_geojson(path: str | Path) -> Any:
    """The parsed JSON of a file; ValidationFailed for a missing, non-UTF-8 or malformed file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ValidationFailed(f"文件不存在：{path}") from exc
    except IsADirectoryError as exc:
        raise ValidationFailed(f"不是文件：{path}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"文件不是 UTF-8 编码：{path}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from exc


class GeoService:
    """Unit boundaries and the locator built from them."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock
        self._locator: tuple[tuple[int, ...], Locator] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ import

    def import_geojson(
        self,
        actor: Actor,
        source: str | Path | Mapping[str, Any],
        *,
        gcj02: bool = False,
        replace: bool = False,
    ) -> BoundaryImportReport:
        """Store the boundaries of a GeoJSON FeatureCollection, keyed by the units' codes.

        Each feature carries `properties.code` (or `unit_code`) of a district, town or village
        and a Polygon or MultiPolygon in WGS-84 (`gcj02=True`: GCJ-02, converted). Any error
        (not a FeatureCollection, malformed JSON, unknown codes, a department's code, a bad
        geometry) raises ValidationFailed and nothing is written. Idempotent: importing the
        same file again changes nothing. `replace`: boundaries of units absent from the file
        are deleted. Only who may administer boundaries (`domain.access.may_administer_boundaries`).
        """
        require(may_administer_boundaries, actor)
        data = read_geojson(source) if isinstance(source, str | Path) else source
        parsed = parse_boundaries(data, gcj02=gcj02)
        report = BoundaryImportReport(warnings=list(parsed.warnings))
        with self.db.transaction() as session:
            org = ref.load_org(session)
            by_code = {u.code: u for u in org.units.values()}
            unknown = [b.code for b in parsed.boundaries if b.code not in by_code]
            if unknown:
                raise ValidationFailed(
                    f"单位编码不存在：{'、'.join(unknown[:30])}" + ("等" if len(unknown) > 30 else ""),
                    codes=unknown,
                )
            wrong_kind = [
                f"{b.code}（{by_code[b.code].kind.label}）"
                for b in parsed.boundaries
                if by_code[b.code].kind not in TERRITORIAL_KINDS
            ]
            if wrong_kind:
                raise ValidationFailed(
                    f"只能导入区、镇街、村居的边界：{'、'.join(wrong_kind)}",
                    codes=[w.split("（")[0] for w in wrong_kind],
                )
            items = {by_code[b.code].id: (b.geojson(), b.bbox) for b in parsed.boundaries}
            report.warnings.extend(self._nesting_warnings(session, parsed.boundaries, by_code))
            counts = store.upsert_boundaries(session, items, replace=replace)
        report.created, report.updated = counts.created, counts.updated
        report.unchanged, report.removed = counts.unchanged, counts.removed
        return report

    @staticmethod
    def _nesting_warnings(
        session: Session, boundaries: list[ParsedBoundary], by_code: Mapping[str, Unit]
    ) -> list[str]:
        """Warnings for villages lying largely outside their town's boundary (from the file or stored)."""
        by_unit = {by_code[b.code].id: b.geometry for b in boundaries}
        units = {u.id: u for u in by_code.values()}
        stored: dict[int, dict[str, Any]] | None = None
        warnings: list[str] = []
        for b in boundaries:
            unit = by_code[b.code]
            if unit.kind is not UnitKind.VILLAGE or unit.parent_id is None:
                continue
            town_geom = by_unit.get(unit.parent_id)
            if town_geom is None:
                if stored is None:
                    stored = store.load_geometries(session)
                if unit.parent_id not in stored:
                    continue
                town_geom = shape(stored[unit.parent_id])
            area = b.geometry.area
            if area <= 0:
                continue
            outside = b.geometry.difference(town_geom).area / area
            if outside > OUTSIDE_TOWN_TOLERANCE:
                town = units[unit.parent_id]
                warnings.append(
                    f"{b.code}：{outside:.0%} 的范围在所属镇街 {town.name}（{town.code}）的边界之外"
                )
        return warnings

    # ------------------------------------------------------------------ grids

    def import_grids(
        self,
        actor: Actor,
        source: str | Path | Mapping[str, Any],
        *,
        crs: CoordSystem = CoordSystem.WGS84,
        strict: bool = False,
        replace: bool = False,
        dry_run: bool = False,
    ) -> GridImportReport:
        """Store the grids of a GeoJSON FeatureCollection (docs/grid.md), upserted by code.

        Everything is checked first (`geo/grids.py`): any problem raises GridFileRefused (a
        ValidationFailed listing every reason) and nothing is written. A grid already stored
        keeps its id; `replace` deletes the stored grids of the file's villages that the file
        lacks, unless orders or other rows still refer to them (refused, naming them);
        `strict` refuses gaps instead of warning; `crs` GCJ-02 converts the coordinates;
        `dry_run` checks and reports without writing. Who may administer grids only.
        """
        require(may_administer_grids, actor)
        data = read_geojson(source) if isinstance(source, str | Path) else source
        features, problems = parse_grid_features(data, crs=crs)
        with self.db.transaction() as session:
            org = ref.load_org(session)
            prefixes = store.village_prefixes(session)
            boundaries = store.load_geometries(session)
            units = [
                UnitRef(
                    u.id,
                    u.code,
                    u.name,
                    u.kind.label,
                    u.kind is UnitKind.VILLAGE,
                    prefixes.get(u.id),
                    shape(boundaries[u.id]) if u.kind is UnitKind.VILLAGE and u.id in boundaries else None,
                )
                for u in org.units.values()
            ]
            stored = [
                StoredGrid(g.id, g.code, g.name, g.village_unit_id, shape(g.geometry))
                for g in store.load_grids(session)
            ]
            plan = plan_grids(features, units, stored, replace=replace, strict=strict)
            plan.problems[:0] = problems
            if plan.delete:
                plan.problems.extend(self._still_referenced(session, plan))
            if plan.problems:
                raise GridFileRefused(plan.problems)
            report = GridImportReport(
                created=len(plan.create),
                updated=len(plan.update),
                unchanged=len(plan.unchanged),
                deleted=len(plan.delete),
                deleted_codes=sorted(g.code for g in plan.delete),
                villages=len({g.village_unit_id for g in plan.grids}),
                new_prefixes={org.units[v].code: p for v, p in sorted(plan.prefixes.items())},
                warnings=list(plan.warnings),
                dry_run=dry_run,
            )
            if not dry_run:
                store.write_grids(
                    session,
                    create=[_write(g) for g in plan.create],
                    update=[(gid, _write(g)) for gid, g in plan.update],
                    delete_ids=[g.id for g in plan.delete],
                    prefixes=plan.prefixes,
                    at=self.clock(),
                )
        return report

    @staticmethod
    def _still_referenced(session: Session, plan: GridPlan) -> list[GridProblem]:
        """Refusals for grids `replace` would delete while orders or other rows refer to them."""
        references = store.grid_references(session, [g.id for g in plan.delete])
        problems = []
        for grid in plan.delete:
            uses = references.get(grid.id)
            if uses:
                what = "、".join(
                    f"{label} {n} 条" if label != "工单" else f"工单 {n} 件" for label, n in uses.items()
                )
                problems.append(
                    GridProblem(f"网格 {grid.code}（{grid.name}）不在文件中但仍被引用（{what}），不能删除")
                )
        return problems

    def export_grids(
        self, *, village: str | None = None, crs: CoordSystem = CoordSystem.WGS84
    ) -> dict[str, Any]:
        """The stored grids (of one village: its unit code or name) as a FeatureCollection that
        `import_grids` takes back: code, name, village (the unit's code), village_name, area_m2."""
        with self.db.reading() as session:
            org = ref.load_org(session)
            village_id = self._village_id(org.units.values(), village) if village else None
            rows = store.load_grids(session, village_id)
        items = []
        for g in rows:
            unit = org.units.get(g.village_unit_id)
            extra = {
                "village": unit.code if unit else None,
                "village_name": unit.name if unit else None,
                "area_m2": round(g.area_m2, 1),
            }
            items.append((StoredGrid(g.id, g.code, g.name, g.village_unit_id, shape(g.geometry)), extra))
        return grid_feature_collection(items, crs=crs)

    @staticmethod
    def _village_id(units: Iterable[Unit], reference: str) -> int:
        for unit in units:
            if unit.kind is UnitKind.VILLAGE and reference in (unit.code, unit.name):
                return unit.id
        raise NotFound(f"村居 {reference} 不存在", village=reference)

    def grids(self, village_unit_id: int | None = None) -> list[GridView]:
        """The stored grids (of one village), by code, without their geometry."""
        with self.db.reading() as session:
            rows = store.load_grids(session, village_unit_id)
        return [GridView(g.id, g.code, g.name, g.village_unit_id, g.area_m2, g.bbox) for g in rows]

    # ------------------------------------------------------------------ read

    def export_geojson(self, kinds: frozenset[UnitKind] = TERRITORIAL_KINDS) -> dict[str, Any]:
        """The stored boundaries as a FeatureCollection (code, name, kind in the properties)."""
        with self.db.reading() as session:
            org = ref.load_org(session)
            geometries = store.load_geometries(session)
        rows = []
        for unit_id, geom in sorted(
            geometries.items(), key=lambda kv: org.units[kv[0]].code if kv[0] in org.units else ""
        ):
            unit = org.units.get(unit_id)
            if unit is None or unit.kind not in kinds:
                continue
            rows.append((unit.code, geom, {"name": unit.name, "kind": unit.kind.value}))
        return feature_collection(rows)

    def locator(self, session: Session | None = None, revision: Mapping[str, int] | None = None) -> Locator:
        """The locator for the current org tree and boundaries (rebuilt only when they change).

        `session`: read through an open unit of work; `revision`: the stamp, when already read.
        """
        if session is None:
            with self.db.reading() as own:
                return self.locator(own, revision)
        stamp = ref.revision(session) if revision is None else revision
        key = tuple(int(stamp.get(k, 0)) for k in LOCATOR_REVISION_KEYS)
        cached = self._locator
        if cached is not None and cached[0] == key:
            return cached[1]
        with self._lock:
            cached = self._locator
            if cached is not None and cached[0] == key:
                return cached[1]
            locator = Locator.from_geojson(
                store.load_geometries(session), ref.load_org(session), store.load_grid_shapes(session)
            )
            self._locator = (key, locator)
            return locator

    def locate(
        self,
        lat: float | None,
        lon: float | None,
        address: str | None = None,
        *,
        coord_system: CoordSystem = CoordSystem.WGS84,
    ) -> Location:
        """Validate and convert a point (GCJ-02 → WGS-84), then place it (or the address)."""
        if (lat is None) != (lon is None):
            raise ValidationFailed("经纬度必须同时提供", field="location")
        if lat is not None and lon is not None:
            lat, lon = validate_coordinates(lat, lon)
            if coord_system is CoordSystem.GCJ02:
                lat, lon = gcj02_to_wgs84(lat, lon)
        return self.locator().locate(lat, lon, address)

    def clear(self) -> None:
        self._locator = None


def _write(grid: CheckedGrid) -> store.GridWrite:
    return store.GridWrite(
        grid.code, grid.name, grid.village_unit_id, grid.geojson(), grid.bbox, grid.area_m2
    )


__all__ = ["BoundaryImportReport", "GeoService", "GridImportReport", "GridView", "read_geojson"]
