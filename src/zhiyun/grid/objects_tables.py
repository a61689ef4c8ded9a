"""The managed objects' table (网格管理对象): buildings, rental houses, shops, enterprises, facilities.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the grid
capability's declaration names it) so that the metadata is whole. Migration 0016 creates it.

Indexes, each for a question the lists and the import ask:

- `ix_managed_object_grid_kind_risk` (grid_id, kind, risk): the counts per grid by kind and
  risk, read from the index alone, and every lookup by grid (a grid worker's list; geo's
  check that a grid it would delete is still referred to);
- `ix_managed_object_village_kind_risk_id` (village_unit_id, kind, risk, id): a village's
  list by kind and risk, newest first, and the counts per village;
- `ix_managed_object_ungridded` (lat, lon) for the objects in no grid only (partial): the map
  finds the others through the grids whose boxes meet its view;
- `ix_managed_object_search_trgm` (PostgreSQL, pg_trgm): substrings of name + " " + address
  (`SEARCH_TEXT`), a GIN index whose pending list is large so that a bulk import appends
  to it in big sorted runs; on SQLite the search scans the (smaller) table;
- unique `source_key` (what makes an import idempotent) and unique `component_id` (NULLs
  allowed: most objects have none).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.domain.grid import COMPONENT_ID_LENGTH
from zhiyun.domain.managed_objects import ADDRESS_MAX, NAME_MAX, SOURCE_KEY_MAX
from zhiyun.store.base import Base, table_of, utcnow

SOURCE_KEY_COLUMN = SOURCE_KEY_MAX + 2  # "h:" + 32 hex digits fits in the file's own ids' length
# The GIN index's pending list, in kB: a bulk import's batches append to it and it is merged
# into the index in large sorted runs (and at the end of an import).
GIN_PENDING_LIST_KB = 65536


class ManagedObjectRow(Base):
    """A managed object (网格管理对象): what it is (`kind`), its name and address, its WGS-84
    point, the grid and village it lies in, its component id (部件编码, a facility's), its
    attributes (the schema of its kind, `domain.managed_objects.ATTRIBUTE_SCHEMAS`), its risk
    level, and the key of the import row it came from. No person's data."""

    __tablename__ = "managed_object"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    village_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    component_id: Mapped[str | None] = mapped_column(String(COMPONENT_ID_LENGTH), unique=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    risk: Mapped[str] = mapped_column(String(10), default="low")
    source_key: Mapped[str] = mapped_column(String(SOURCE_KEY_COLUMN), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_managed_object_grid_kind_risk", "grid_id", "kind", "risk"),
        Index("ix_managed_object_village_kind_risk_id", "village_unit_id", "kind", "risk", "id"),
        Index(
            "ix_managed_object_ungridded",
            "lat",
            "lon",
            postgresql_where=text("grid_id IS NULL"),
            sqlite_where=text("grid_id IS NULL"),
        ),
        # what geo names when a grid it would delete still holds objects
        {"info": {"label": "网格管理对象"}},
    )


_c = table_of(ManagedObjectRow).c

# The text a search looks in: the expression of the trigram index, so that PostgreSQL matches
# a query's LIKE to it (the space is a literal, not a parameter). The index states the same
# expression with its grouping written out, as PostgreSQL reports it back (the drift test).
SEARCH_TEXT: Any = _c.name + literal_column("' '") + _c.address
_INDEXED_TEXT: Any = literal_column("(name || ' ') || address").label("search_text")

SEARCH_INDEX = Index(
    "ix_managed_object_search_trgm",
    _INDEXED_TEXT,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
    postgresql_with={"gin_pending_list_limit": GIN_PENDING_LIST_KB},
    _table=table_of(ManagedObjectRow),
).ddl_if(dialect="postgresql")


__all__ = ["GIN_PENDING_LIST_KB", "SEARCH_INDEX", "SEARCH_TEXT", "ManagedObjectRow"]
