"""Unit boundaries and grids in the database: WGS-84 GeoJSON geometries with their bounding boxes.

Changing any boundary bumps the "boundaries" revision, changing any grid the "grids"
revision, so that cached locators rebuild. Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from zhiyun.geo.tables import GridRow, GridVillageRow
from zhiyun.reference.repo import bump_revision
from zhiyun.store.base import Base, table_of
from zhiyun.store.tables import UnitBoundaryRow, WorkOrderRow

BOUNDARIES_REVISION_KEY = "boundaries"
GRIDS_REVISION_KEY = "grids"

BBox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)


@dataclass(frozen=True)
class StoredBoundary:
    """A unit's boundary as stored."""

    unit_id: int
    geometry: dict[str, Any]
    bbox: BBox


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def _bbox(row: UnitBoundaryRow) -> BBox:
    return (row.min_lon, row.min_lat, row.max_lon, row.max_lat)


def load_boundaries(session: Session) -> dict[int, StoredBoundary]:
    """Every stored boundary by unit id."""
    return {
        row.unit_id: StoredBoundary(row.unit_id, dict(row.geometry), _bbox(row))
        for row in session.scalars(select(UnitBoundaryRow))
    }


def load_geometries(session: Session) -> dict[int, dict[str, Any]]:
    """unit id → GeoJSON geometry (what a locator is built from)."""
    rows = session.execute(select(UnitBoundaryRow.unit_id, UnitBoundaryRow.geometry))
    return {unit_id: dict(geometry) for unit_id, geometry in rows}


def upsert_boundaries(
    session: Session,
    boundaries: Mapping[int, tuple[dict[str, Any], BBox]],
    *,
    replace: bool = False,
) -> UpsertCounts:
    """Insert or update boundaries (unit id → (geometry, bbox)); with `replace`, delete the others.

    Unchanged geometries are left alone, and the revision moves only when something changed,
    so importing the same file twice writes nothing the second time.
    """
    counts = UpsertCounts()
    existing = {row.unit_id: row for row in session.scalars(select(UnitBoundaryRow))}
    for unit_id, (geometry, bbox) in boundaries.items():
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
        row = existing.get(unit_id)
        if row is None:
            session.add(
                UnitBoundaryRow(
                    unit_id=unit_id,
                    geometry=geometry,
                    min_lon=min_lon,
                    min_lat=min_lat,
                    max_lon=max_lon,
                    max_lat=max_lat,
                )
            )
            counts.created += 1
        elif row.geometry != geometry:
            row.geometry = geometry
            row.min_lon, row.min_lat, row.max_lon, row.max_lat = min_lon, min_lat, max_lon, max_lat
            counts.updated += 1
        else:
            counts.unchanged += 1
    if replace:
        for unit_id, row in existing.items():
            if unit_id not in boundaries:
                session.delete(row)
                counts.removed += 1
    if counts.changed:
        session.flush()
        bump_revision(session, BOUNDARIES_REVISION_KEY)
    return counts


def delete_boundaries(session: Session, unit_ids: list[int]) -> int:
    """Remove the boundaries of some units; the number removed."""
    removed = 0
    for row in session.scalars(select(UnitBoundaryRow).where(UnitBoundaryRow.unit_id.in_(unit_ids))):
        session.delete(row)
        removed += 1
    if removed:
        session.flush()
        bump_revision(session, BOUNDARIES_REVISION_KEY)
    return removed


# --------------------------------------------------------------------------- grids


@dataclass(frozen=True)
class StoredGridRow:
    """A grid as stored (geometry as GeoJSON)."""

    id: int
    code: str
    name: str
    village_unit_id: int
    geometry: dict[str, Any]
    bbox: BBox
    area_m2: float


@dataclass(frozen=True)
class GridWrite:
    """A grid to insert or update: its code, name, village, GeoJSON geometry, bbox and area."""

    code: str
    name: str
    village_unit_id: int
    geometry: dict[str, Any]
    bbox: BBox
    area_m2: float

    def values(self) -> dict[str, Any]:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in self.bbox)
        return {
            "code": self.code,
            "name": self.name,
            "village_unit_id": self.village_unit_id,
            "geometry": self.geometry,
            "min_lon": min_lon,
            "min_lat": min_lat,
            "max_lon": max_lon,
            "max_lat": max_lat,
            "area_m2": float(self.area_m2),
        }


def load_grids(session: Session, village_unit_id: int | None = None) -> list[StoredGridRow]:
    """Every stored grid (of one village), by code."""
    query = select(GridRow).order_by(GridRow.code)
    if village_unit_id is not None:
        query = query.where(GridRow.village_unit_id == village_unit_id)
    return [
        StoredGridRow(
            r.id,
            r.code,
            r.name,
            r.village_unit_id,
            dict(r.geometry),
            (r.min_lon, r.min_lat, r.max_lon, r.max_lat),
            r.area_m2,
        )
        for r in session.scalars(query)
    ]


def load_grid_shapes(session: Session) -> dict[int, tuple[int, str, dict[str, Any]]]:
    """grid id → (village unit id, code, GeoJSON geometry): what a locator is built from."""
    rows = session.execute(select(GridRow.id, GridRow.village_unit_id, GridRow.code, GridRow.geometry))
    return {gid: (village, code, dict(geometry)) for gid, village, code, geometry in rows}


def village_prefixes(session: Session) -> dict[int, str]:
    """village unit id → the 12-digit prefix of its grid codes."""
    return dict(session.execute(select(GridVillageRow.village_unit_id, GridVillageRow.prefix)).all())


def grid_counts_by_village(session: Session) -> dict[int, int]:
    """village unit id → how many grids it has."""
    rows = session.execute(select(GridRow.village_unit_id, func.count()).group_by(GridRow.village_unit_id))
    return {village: int(n) for village, n in rows.all()}


def grid_references(session: Session, grid_ids: list[int]) -> dict[int, dict[str, int]]:
    """grid id → {what refers to it: how many rows}: the orders located in it (`work_order.grid_id`)
    and the rows of every table with a foreign key to `grid` (grid workers, objects, …, named
    by their table's `info["label"]`, else the table's name)."""
    if not grid_ids:
        return {}
    found: dict[int, dict[str, int]] = {}
    columns = [("工单", table_of(WorkOrderRow).c.grid_id)]
    grid_table = table_of(GridRow)
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is grid_table:
                columns.append((str(table.info.get("label", table.name)), fk.parent))
    for label, column in columns:
        query = select(column, func.count()).where(column.in_(grid_ids)).group_by(column)
        for grid_id, n in session.execute(query).all():
            found.setdefault(int(grid_id), {})[label] = int(n)
    return found


def write_grids(
    session: Session,
    *,
    create: list[GridWrite],
    update: list[tuple[int, GridWrite]],
    delete_ids: list[int],
    prefixes: Mapping[int, str],
    at: Any,
) -> None:
    """Store an import's grids (in bulk), its villages' new prefixes, and delete what it replaces;
    bumps the "grids" revision when anything changed."""
    if prefixes:
        session.execute(
            insert(GridVillageRow), [{"village_unit_id": v, "prefix": p} for v, p in sorted(prefixes.items())]
        )
    if delete_ids:
        session.execute(delete(GridRow).where(GridRow.id.in_(delete_ids)))
    if create:
        session.execute(insert(GridRow), [{**g.values(), "created_at": at, "updated_at": at} for g in create])
    for grid_id, grid in update:
        session.execute(
            sql_update(GridRow).where(GridRow.id == grid_id).values(**grid.values(), updated_at=at)
        )
    if create or update or delete_ids or prefixes:
        session.flush()
        bump_revision(session, GRIDS_REVISION_KEY)


__all__ = [
    "BOUNDARIES_REVISION_KEY",
    "GRIDS_REVISION_KEY",
    "BBox",
    "GridWrite",
    "StoredBoundary",
    "StoredGridRow",
    "UpsertCounts",
    "delete_boundaries",
    "grid_counts_by_village",
    "grid_references",
    "load_boundaries",
    "load_geometries",
    "load_grid_shapes",
    "load_grids",
    "upsert_boundaries",
    "village_prefixes",
    "write_grids",
]
