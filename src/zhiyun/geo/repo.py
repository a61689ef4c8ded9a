"""Unit boundaries in the database: one WGS-84 GeoJSON geometry (and its bounding box) per unit.

Changing any boundary bumps the "boundaries" revision so that cached locators rebuild.
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.reference.repo import bump_revision
from zhiyun.store.tables import UnitBoundaryRow

BOUNDARIES_REVISION_KEY = "boundaries"

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


__all__ = [
    "BOUNDARIES_REVISION_KEY",
    "BBox",
    "StoredBoundary",
    "UpsertCounts",
    "delete_boundaries",
    "load_boundaries",
    "load_geometries",
    "upsert_boundaries",
]
