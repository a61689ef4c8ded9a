"""Geo use cases: import unit boundaries from GeoJSON, locate points and addresses.

`GeoService.locator()` is cached by the revision stamp of the reference data (the "org" and
"boundaries" entries): an intake request pays one light query, and the STRtree and the
gazetteer are rebuilt only after an org import or a boundary import changed something.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_administer_boundaries, require
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import Unit, UnitKind
from zhiyun.geo import repo as store
from zhiyun.geo.locator import Location, Locator, ParsedBoundary, feature_collection, parse_boundaries
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, validate_coordinates
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database

# Kinds of unit that have a territory (departments and offices have none).
TERRITORIAL_KINDS = frozenset({UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE})
# The revision entries a locator depends on.
LOCATOR_REVISION_KEYS = ("org", store.BOUNDARIES_REVISION_KEY)
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

    def __init__(self, db: Database) -> None:
        self.db = db
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
            locator = Locator.from_geojson(store.load_geometries(session), ref.load_org(session))
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


__all__ = ["BoundaryImportReport", "GeoService", "read_geojson"]
