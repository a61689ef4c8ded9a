"""The grids (单元网格) tables: one row per grid polygon, and the 12-digit prefix of each village.

A grid is geography, like a unit boundary: a WGS-84 GeoJSON polygon with its bounding box and
its area, inside one village/community, named by a 15-digit code (`domain.grid.GridCode`).
Every grid of a village shares the village's 12-digit division prefix (county 6 + town 3 +
village 3), kept once per village in `grid_village`, so that a village's codes cannot drift
apart and one prefix never names two villages.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the geo
capability's declaration names it) so that the metadata is whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.domain.grid import GRID_CODE_LENGTH, GRID_NAME_MAX
from zhiyun.store.base import Base, utcnow

VILLAGE_PREFIX_LENGTH = 12


class GridRow(Base):
    """A grid (单元网格): a polygon inside one village/community, with its 15-digit code, its
    WGS-84 geometry (GeoJSON Polygon or MultiPolygon), bounding box and area in square metres."""

    __tablename__ = "grid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(GRID_CODE_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(GRID_NAME_MAX))
    village_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GridVillageRow(Base):
    """The 12-digit division prefix (county + town + village) that every grid code of one
    village/community starts with; set by the village's first grid import, unique."""

    __tablename__ = "grid_village"

    village_unit_id: Mapped[int] = mapped_column(
        ForeignKey("org_unit.id"), primary_key=True, autoincrement=False
    )
    prefix: Mapped[str] = mapped_column(String(VILLAGE_PREFIX_LENGTH), unique=True)


__all__ = ["VILLAGE_PREFIX_LENGTH", "GridRow", "GridVillageRow"]
