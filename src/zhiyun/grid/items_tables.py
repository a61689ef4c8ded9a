"""The grid items catalogue (入格事项) tables: one row per item, one per published version.

An item's checklist changes only by publishing a new version: `grid_item_version` keeps every
version's whole definition (the JSON of `domain.grid_items.item_to_json`) with who published it
and when, and is never changed afterwards; `grid_item.current_version` names the one new visits
answer. A visit records the version it answered, so the versions before stay readable.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the grid
capability's declaration names it) so that the metadata is whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, utcnow

CODE_MAX = 32
NAME_MAX = 100
DEPARTMENT_MAX = 100
ACTOR_MAX = 100


class GridItemRow(Base):
    """A grid item (入格事项): its code, the name and department of its current version (for
    lists), whether new patrols include it, the version new visits answer, and who last
    published or switched it."""

    __tablename__ = "grid_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(ACTOR_MAX))


class GridItemVersionRow(Base):
    """One published version of an item: its whole definition, who published it and when, and
    why (`note`). Written once, never changed."""

    __tablename__ = "grid_item_version"

    item_id: Mapped[int] = mapped_column(ForeignKey("grid_item.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    published_by_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


__all__ = ["CODE_MAX", "DEPARTMENT_MAX", "NAME_MAX", "GridItemRow", "GridItemVersionRow"]
