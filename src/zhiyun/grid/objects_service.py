"""Managed objects (网格管理对象) use cases: import them in bulk, list and count them, one object,
the map's objects in a box — each as far as the reader may see (docs/grid-objects.md).

Who sees which objects is the domain's rule (`domain.managed_objects.object_scope`, built on
the grid rule `domain.grid.visible_grid_ids`): a grid worker the objects of their posts'
grids (a chief: the whole village), a village's staff their village's, a town's its
villages', the district-wide readers every object. An object out of sight does not exist for
the reader: `get` answers NotFound, never PermissionDenied. Importing is for those who may
(`domain.access.may_import_managed_objects`).

The grids come from geo (`GeoService.grids`, `export_grids`, `export_geojson`), cached here by
the revision of the org tree, the boundaries and the grids, like geo's own locator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry import shape
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, Role, may_import_managed_objects, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.grid import GridCode, GridPlace, ObjectKind, RiskLevel
from zhiyun.domain.managed_objects import ObjectScope, object_scope
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.geo.service import LOCATOR_REVISION_KEYS, GeoService, GridView
from zhiyun.grid import objects_repo as repo
from zhiyun.grid import repo as posts_repo
from zhiyun.grid.objects_import import (
    DEFAULT_BATCH,
    BulkLocator,
    GridRef,
    ObjectImportProgress,
    ObjectImportReport,
    ObjectMapping,
    run_import,
)
from zhiyun.grid.objects_repo import BBox, ObjectFilter
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.geo import CoordSystem
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

MAX_LIMIT = 500
COUNT_CAP = 10_000
MAP_CAP = 2_000
TEXT_MAX = 100
MAX_BOX_DEGREES = 2.0  # a map view wider than this (a province) is refused: zoom in


# --------------------------------------------------------------------------- what the reads give


@dataclass(frozen=True)
class ObjectSummary:
    """An object as lists show it, with the names of its grid, village and town."""

    id: int
    kind: ObjectKind
    name: str
    address: str
    lon: float | None
    lat: float | None
    grid_id: int | None
    grid_code: str | None
    grid_name: str | None
    village_unit_id: int | None
    village_name: str | None
    town_name: str | None
    component_id: str | None
    risk: RiskLevel
    active: bool

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def risk_label(self) -> str:
        return self.risk.label


@dataclass(frozen=True)
class ObjectDetail:
    """One object with its attributes and the key of the import row it came from."""

    summary: ObjectSummary
    attributes: dict[str, Any]
    source_key: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ObjectPage:
    """One page of a list; `next_cursor` is None on the last page; `total` counted up to
    COUNT_CAP (`more`: there are more)."""

    items: list[ObjectSummary]
    next_cursor: str | None
    total: int
    more: bool


@dataclass
class ObjectCounts:
    """The objects of one grid (or of one village), by kind and by risk. `grid_code` None in a
    per-grid count: the village's objects that lie in no grid."""

    village_unit_id: int | None
    village_code: str | None
    village_name: str | None
    town_name: str | None
    grid_id: int | None = None
    grid_code: str | None = None
    grid_name: str | None = None
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in ObjectKind})
    by_risk: dict[str, int] = field(default_factory=lambda: {r.value: 0 for r in RiskLevel})


@dataclass(frozen=True)
class MapObject:
    id: int
    kind: ObjectKind
    name: str
    risk: RiskLevel
    lon: float
    lat: float
    grid_code: str | None


@dataclass(frozen=True)
class ObjectQuery:
    """A list's question in the readers' words: kind, risk, grid (15-digit code), village (unit
    code or id), words of the name or address, and whether inactive objects count."""

    kind: ObjectKind | None = None
    risk: RiskLevel | None = None
    grid: str | None = None
    village: str | None = None
    text: str | None = None
    include_inactive: bool = False

    def validated(self) -> ObjectQuery:
        text = " ".join((self.text or "").split()) or None
        if text is not None and len(text) > TEXT_MAX:
            raise ValidationFailed(f"搜索词不能超过 {TEXT_MAX} 个字符", field="q")
        grid = GridCode.parse(self.grid).value if self.grid and self.grid.strip() else None
        village = (self.village or "").strip() or None
        if village is not None and len(village) > 64:
            raise ValidationFailed("村居编码过长", field="village")
        return ObjectQuery(self.kind, self.risk, grid, village, text, self.include_inactive)


# --------------------------------------------------------------------------- the cursor

_CURSOR_CHECK = b"zhiyun managed object list cursor 1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if _b64(raw) != text:
        raise ValueError("not as written")
    return raw


def _query_key(query: ObjectQuery) -> bytes:
    values = {f.name: getattr(query, f.name) for f in fields(query)}
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode()


def _check(query: ObjectQuery, payload: bytes) -> bytes:
    return hashlib.sha256(b"\0".join((_CURSOR_CHECK, _query_key(query), payload))).digest()[:12]


def encode_cursor(query: ObjectQuery, last_id: int) -> str:
    """Where the page after the object `last_id` of `query` starts (opaque, checked)."""
    payload = json.dumps([last_id]).encode()
    return f"{_b64(payload)}.{_b64(_check(query, payload))}"


def decode_cursor(query: ObjectQuery, cursor: str) -> int:
    """The id a cursor of `query` holds; ValidationFailed for one this service did not write
    for this list (altered, cut, or another list's), before any query runs."""
    try:
        body, dot, check = cursor.partition(".")
        payload = _unb64(body)
        if not dot or not hmac.compare_digest(_unb64(check), _check(query, payload)):
            raise ValueError("altered, or another list's cursor")
        (last_id,) = json.loads(payload)
        if isinstance(last_id, bool) or not isinstance(last_id, int) or not 0 < last_id < 2**31:
            raise ValueError("out of range")
        return last_id
    except (ValueError, TypeError, binascii.Error, RecursionError) as exc:
        raise ValidationFailed("分页游标无效", field="cursor") from exc


# --------------------------------------------------------------------------- the grids, cached


@dataclass
class _Grids:
    """The stored grids by id and code (and, built on the first import, the bulk locator)."""

    by_id: dict[int, GridView]
    by_code: dict[str, GridView]
    locator: BulkLocator | None = None
    outlines: dict[str, Any] | None = None  # geo's FeatureCollection of the grids


class ManagedObjectService:
    """Managed objects: bulk import, lists, counts, one object, the map's objects."""

    def __init__(self, db: Database, geo: GeoService, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.geo = geo
        self.clock = clock
        self._grids: tuple[tuple[int, ...], _Grids] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the grids

    def _grid_cache(self, session: Session) -> _Grids:
        stamp = ref.revision(session)
        key = tuple(int(stamp.get(k, 0)) for k in LOCATOR_REVISION_KEYS)
        cached = self._grids
        if cached is not None and cached[0] == key:
            return cached[1]
        with self._lock:
            cached = self._grids
            if cached is not None and cached[0] == key:
                return cached[1]
            views = self.geo.grids()
            grids = _Grids({g.id: g for g in views}, {g.code: g for g in views})
            self._grids = (key, grids)
            return grids

    def _locator(self, session: Session, org: OrgTree) -> BulkLocator:
        grids = self._grid_cache(session)
        if grids.locator is None:
            with self._lock:
                if grids.locator is None:
                    collection = self._outlines(grids)
                    refs = []
                    for feature in collection["features"]:
                        view = grids.by_code.get(feature["properties"]["code"])
                        if view is not None:
                            refs.append(
                                GridRef(view.id, view.code, view.village_unit_id, shape(feature["geometry"]))
                            )
                    by_code = {u.code: u.id for u in org.units.values() if u.kind is UnitKind.VILLAGE}
                    villages = {
                        by_code[f["properties"]["code"]]: shape(f["geometry"])
                        for f in self.geo.export_geojson(frozenset({UnitKind.VILLAGE}))["features"]
                        if f["properties"]["code"] in by_code
                    }
                    grids.locator = BulkLocator(refs, villages)
        return grids.locator

    def _outlines(self, grids: _Grids) -> dict[str, Any]:
        if grids.outlines is None:
            grids.outlines = self.geo.export_grids()
        return grids.outlines

    def _scope(self, session: Session, actor: Actor, org: OrgTree) -> ObjectScope:
        posts = []
        places: list[GridPlace] = []
        if actor.role is Role.GRID_WORKER and actor.user_id is not None:
            posts = [p.post() for p in posts_repo.posts_of_user(session, actor.user_id)]
            places = [GridPlace(g.id, g.village_unit_id) for g in self._grid_cache(session).by_id.values()]
        return object_scope(actor, places, org, posts)

    # ------------------------------------------------------------------ import

    def import_file(
        self,
        actor: Actor,
        path: str | Path,
        *,
        mapping: ObjectMapping | None = None,
        crs: CoordSystem = CoordSystem.WGS84,
        dry_run: bool = False,
        rejects_path: str | Path | None = None,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[ObjectImportProgress], None] | None = None,
        writers: int | None = None,
    ) -> ObjectImportReport:
        """Import the objects of a CSV or XLSX file (docs/grid-objects.md): each row checked
        (bad rows to the rejects file with their row and reason), placed in its grid by its
        grid code or its point, and stored in batches, one transaction each; a row whose
        source key is stored already is skipped (importing twice stores nothing twice).
        `dry_run` checks and counts without writing; `writers`: connections storing batches at
        once (default 2 on PostgreSQL). Who may import managed objects only."""
        require(may_import_managed_objects, actor)
        with self.db.reading() as session:
            org = ref.load_org(session)
            locator = self._locator(session, org)
        return run_import(
            self.db,
            Path(path),
            locator,
            mapping=mapping or ObjectMapping(),
            crs=crs,
            dry_run=dry_run,
            rejects_path=Path(rejects_path) if rejects_path else None,
            batch_size=batch_size,
            clock=self.clock,
            progress=progress,
            writers=writers,
        )

    # ------------------------------------------------------------------ reads

    def _filter(self, session: Session, query: ObjectQuery, org: OrgTree) -> ObjectFilter | None:
        """The stored filter of a validated query; None when its grid or village names nothing."""
        grid_id = village_id = None
        if query.grid is not None:
            grid = self._grid_cache(session).by_code.get(query.grid)
            if grid is None:
                return None
            grid_id = grid.id
        if query.village is not None:
            found = [
                u.id
                for u in org.units.values()
                if u.kind is UnitKind.VILLAGE and query.village in (u.code, str(u.id), u.name)
            ]
            if len(found) != 1:
                return None
            village_id = found[0]
        return ObjectFilter(
            query.kind, query.risk, grid_id, village_id, query.text, None if query.include_inactive else True
        )

    def _summary(self, row: ManagedObjectRow, grids: _Grids, org: OrgTree) -> ObjectSummary:
        grid = grids.by_id.get(row.grid_id) if row.grid_id is not None else None
        village = org.units.get(row.village_unit_id) if row.village_unit_id is not None else None
        town = (
            org.units.get(village.parent_id)
            if village is not None and village.parent_id is not None
            else None
        )
        return ObjectSummary(
            row.id,
            ObjectKind(row.kind),
            row.name,
            row.address,
            row.lon,
            row.lat,
            row.grid_id,
            grid.code if grid else None,
            grid.name if grid else None,
            row.village_unit_id,
            village.name if village else None,
            town.name if town else None,
            row.component_id,
            RiskLevel(row.risk),
            row.active,
        )

    def search(
        self, actor: Actor, query: ObjectQuery, *, cursor: str | None = None, limit: int = 50
    ) -> ObjectPage:
        """One page of the objects `actor` may see that `query` selects, newest first; `cursor`
        (the previous page's `next_cursor`) continues it."""
        query = query.validated()
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(f"每页条数须在 1–{MAX_LIMIT} 之间", field="limit")
        after = decode_cursor(query, cursor) if cursor else None
        with self.db.reading() as session:
            org = ref.load_org(session)
            scope = self._scope(session, actor, org)
            flt = self._filter(session, query, org)
            if flt is None or scope.nothing:
                return ObjectPage([], None, 0, False)
            rows = repo.page(session, scope, flt, after_id=after, limit=limit + 1)
            more = len(rows) > limit
            rows = rows[:limit]
            total = repo.count(session, scope, flt, cap=COUNT_CAP + 1)
            grids = self._grid_cache(session)
            items = [self._summary(r, grids, org) for r in rows]
        next_cursor = encode_cursor(query, items[-1].id) if more and items else None
        return ObjectPage(items, next_cursor, min(total, COUNT_CAP), total > COUNT_CAP)

    def get(self, actor: Actor, object_id: int) -> ObjectDetail:
        """One object with its attributes; NotFound when it does not exist or `actor` may not see it."""
        with self.db.reading() as session:
            row = repo.one(session, object_id) if 0 < object_id < 2**31 else None
            if row is not None:
                org = ref.load_org(session)
                if self._scope(session, actor, org).holds(row.grid_id, row.village_unit_id):
                    summary = self._summary(row, self._grid_cache(session), org)
                    return ObjectDetail(
                        summary, dict(row.attributes or {}), row.source_key, row.created_at, row.updated_at
                    )
        raise NotFound("网格管理对象不存在或您无权查看", object_id=object_id)

    def counts(
        self, actor: Actor, *, by: str = "grid", query: ObjectQuery | None = None
    ) -> list[ObjectCounts]:
        """The objects `actor` may see, counted per grid (`by` "grid"; every grid in view, the
        empty ones too, and per village a row for its objects in no grid) or per village (`by`
        "village"), by kind and by risk; `query` narrows what is counted."""
        if by not in ("grid", "village"):
            raise ValidationFailed("by 须为 grid 或 village", field="by")
        query = (query or ObjectQuery()).validated()
        with self.db.reading() as session:
            org = ref.load_org(session)
            scope = self._scope(session, actor, org)
            flt = self._filter(session, query, org)
            if flt is None or scope.nothing:
                return []
            grids = self._grid_cache(session)
            rows = repo.counts(session, scope, flt, by=by)

        def village_row(village_id: int | None) -> ObjectCounts:
            village = org.units.get(village_id) if village_id is not None else None
            town = org.units.get(village.parent_id) if village and village.parent_id is not None else None
            return ObjectCounts(
                village_id,
                village.code if village else None,
                village.name if village else None,
                town.name if town else None,
            )

        result: dict[tuple[str, int | None], ObjectCounts] = {}
        if by == "grid":
            for grid in grids.by_id.values():
                place = GridPlace(grid.id, grid.village_unit_id)
                if flt.grid_id is not None and grid.id != flt.grid_id:
                    continue
                if flt.village_unit_id is not None and grid.village_unit_id != flt.village_unit_id:
                    continue
                if scope.holds(place.id, place.village_unit_id):
                    entry = village_row(grid.village_unit_id)
                    entry.grid_id, entry.grid_code, entry.grid_name = grid.id, grid.code, grid.name
                    result[("grid", grid.id)] = entry
        elif flt.grid_id is None:
            for unit in org.units.values():
                if unit.kind is not UnitKind.VILLAGE:
                    continue
                if flt.village_unit_id is not None and unit.id != flt.village_unit_id:
                    continue
                if scope.everywhere or unit.id in scope.village_ids:
                    result[("village", unit.id)] = village_row(unit.id)
        for grid_id, village_id, kind, risk, n in rows:
            key = ("grid", grid_id) if by == "grid" and grid_id is not None else ("village", village_id)
            found = result.get(key)
            if found is None:  # a grid gone since the cache was built, or a village's loose objects
                found = result[key] = village_row(village_id)
                found.grid_id = grid_id
            found.total += n
            found.by_kind[kind] = found.by_kind.get(kind, 0) + n
            found.by_risk[risk] = found.by_risk.get(risk, 0) + n
        return sorted(
            result.values(),
            key=lambda c: (c.town_name or "\uffff", c.village_code or "\uffff", c.grid_code or "\uffff"),
        )

    def map_objects(
        self, actor: Actor, box: BBox, *, query: ObjectQuery | None = None, limit: int = MAP_CAP
    ) -> tuple[list[MapObject], bool]:
        """The objects `actor` may see whose point lies in `box` (min lon, min lat, max lon, max
        lat; WGS-84), at most `limit` (≤ MAP_CAP); the flag says there were more (zoom in)."""
        min_lon, min_lat, max_lon, max_lat = box
        if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
            raise ValidationFailed("bbox 须为 最小经度,最小纬度,最大经度,最大纬度（WGS-84）", field="bbox")
        if max_lon - min_lon > MAX_BOX_DEGREES or max_lat - min_lat > MAX_BOX_DEGREES:
            raise ValidationFailed(f"地图范围过大（不超过 {MAX_BOX_DEGREES}°），请放大", field="bbox")
        if not 1 <= limit <= MAP_CAP:
            raise ValidationFailed(f"数量须在 1–{MAP_CAP} 之间", field="limit")
        query = (query or ObjectQuery()).validated()
        with self.db.reading() as session:
            org = ref.load_org(session)
            scope = self._scope(session, actor, org)
            flt = self._filter(session, query, org)
            if flt is None or scope.nothing:
                return [], False
            grids = self._grid_cache(session)
            meeting = [
                g.id
                for g in grids.by_id.values()
                if g.bbox[0] <= max_lon
                and g.bbox[2] >= min_lon
                and g.bbox[1] <= max_lat
                and g.bbox[3] >= min_lat
            ]
            rows = repo.in_box(session, scope, flt, box, meeting, limit=limit + 1)
        items = [
            MapObject(
                i,
                ObjectKind(k),
                n,
                RiskLevel(r),
                x,
                y,
                grids.by_id[g].code if g is not None and g in grids.by_id else None,
            )
            for i, k, n, r, x, y, g in rows[:limit]
        ]
        return items, len(rows) > limit

    def geojson(
        self, actor: Actor, box: BBox, *, query: ObjectQuery | None = None, limit: int = MAP_CAP
    ) -> dict[str, Any]:
        """`map_objects` as a GeoJSON FeatureCollection (WGS-84 points; `truncated` says there
        were more than `limit`)."""
        items, truncated = self.map_objects(actor, box, query=query, limit=limit)
        return feature_collection(items, truncated)

    def grid_outlines(self, actor: Actor) -> dict[str, Any]:
        """The grids whose objects `actor` may see, as a GeoJSON FeatureCollection (WGS-84;
        properties code, name, village_name): the map's outlines."""
        with self.db.reading() as session:
            org = ref.load_org(session)
            scope = self._scope(session, actor, org)
            grids = self._grid_cache(session)
        features = []
        for feature in self._outlines(grids)["features"]:
            grid = grids.by_code.get(feature["properties"]["code"])
            if grid is not None and scope.holds(grid.id, grid.village_unit_id):
                properties = feature["properties"]
                features.append(
                    {
                        "type": "Feature",
                        "properties": {
                            "code": properties["code"],
                            "name": properties.get("name"),
                            "village_name": properties.get("village_name"),
                        },
                        "geometry": feature["geometry"],
                    }
                )
        return {"type": "FeatureCollection", "features": features}

    def villages_in_view(self, actor: Actor) -> list[tuple[int, str, str]]:
        """(unit id, code, name) of the villages whose objects `actor` may see, by code (the
        filters of the console's list)."""
        with self.db.reading() as session:
            org = ref.load_org(session)
            scope = self._scope(session, actor, org)
            grids = self._grid_cache(session)
        ids: set[int] = set(scope.village_ids)
        ids.update(grids.by_id[g].village_unit_id for g in scope.grid_ids if g in grids.by_id)
        villages = [u for u in org.units.values() if u.kind is UnitKind.VILLAGE]
        return sorted(
            ((u.id, u.code, u.name) for u in villages if scope.everywhere or u.id in ids), key=lambda v: v[1]
        )

    def clear(self) -> None:
        self._grids = None


def feature_collection(items: list[MapObject], truncated: bool) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "truncated": truncated,
        "features": [
            {
                "type": "Feature",
                "id": o.id,
                "geometry": {"type": "Point", "coordinates": [round(o.lon, 7), round(o.lat, 7)]},
                "properties": {
                    "id": o.id,
                    "name": o.name,
                    "kind": o.kind.value,
                    "kind_label": o.kind.label,
                    "risk": o.risk.value,
                    "risk_label": o.risk.label,
                    "grid_code": o.grid_code,
                },
            }
            for o in items
        ],
    }


def parse_bbox(text: str) -> BBox:
    """ "min_lon,min_lat,max_lon,max_lat" as four floats; ValidationFailed otherwise."""
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        values = [float(p) for p in parts]
    except ValueError:
        raise ValidationFailed("bbox 须为 最小经度,最小纬度,最大经度,最大纬度", field="bbox") from None
    return values[0], values[1], values[2], values[3]


def build(services: Services) -> ManagedObjectService:
    """The capability's service over the process's services (`Capability.services`)."""
    return ManagedObjectService(services.db, services.geo, clock=services.clock)


__all__ = [
    "COUNT_CAP",
    "MAP_CAP",
    "ManagedObjectService",
    "MapObject",
    "ObjectCounts",
    "ObjectDetail",
    "ObjectPage",
    "ObjectQuery",
    "ObjectSummary",
    "build",
    "decode_cursor",
    "encode_cursor",
    "feature_collection",
    "parse_bbox",
]
