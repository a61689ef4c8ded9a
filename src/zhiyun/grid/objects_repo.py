"""Managed objects in the database: the lists, counts, the map's points and one object, each
narrowed to what the reader may see (`domain.managed_objects.ObjectScope`).

Nothing here commits: the caller's unit of work does. The bulk import writes through its own
writers (`grid/objects_import.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.managed_objects import ObjectScope
from zhiyun.grid.objects_tables import SEARCH_TEXT, ManagedObjectRow
from zhiyun.store.base import table_of

_c = table_of(ManagedObjectRow).c


@dataclass(frozen=True)
class ObjectFilter:
    """What a list asks for besides the reader's scope: kind, risk, grid (id), village (unit
    id), words of the name or address, active or not (None: both)."""

    kind: ObjectKind | None = None
    risk: RiskLevel | None = None
    grid_id: int | None = None
    village_unit_id: int | None = None
    text: str | None = None
    active: bool | None = True


BBox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)


def scope_clause(scope: ObjectScope) -> Any:
    """The objects a scope holds, as a WHERE clause (None: every object)."""
    if scope.everywhere:
        return None
    parts = []
    if scope.grid_ids:
        parts.append(_c.grid_id.in_(sorted(scope.grid_ids)))
    if scope.village_ids:
        parts.append(_c.village_unit_id.in_(sorted(scope.village_ids)))
    return or_(*parts) if parts else false()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_clauses(flt: ObjectFilter) -> list[Any]:
    where: list[Any] = []
    if flt.kind is not None:
        where.append(_c.kind == flt.kind.value)
    if flt.risk is not None:
        where.append(_c.risk == flt.risk.value)
    if flt.grid_id is not None:
        where.append(_c.grid_id == flt.grid_id)
    if flt.village_unit_id is not None:
        where.append(_c.village_unit_id == flt.village_unit_id)
    if flt.text:
        for word in flt.text.split():
            where.append(SEARCH_TEXT.like(_like(word), escape="\\"))
    if flt.active is not None:
        where.append(_c.active.is_(flt.active))
    return where


def _scoped(scope: ObjectScope, *where: Any) -> list[Any]:
    clause = scope_clause(scope)
    return [*([] if clause is None else [clause]), *where]


def page(
    session: Session, scope: ObjectScope, flt: ObjectFilter, *, after_id: int | None, limit: int
) -> list[ManagedObjectRow]:
    """Up to `limit` objects, newest first (by id), after the object `after_id`."""
    where = _scoped(scope, *filter_clauses(flt))
    if after_id is not None:
        where.append(_c.id < after_id)
    query = select(ManagedObjectRow).where(*where).order_by(_c.id.desc()).limit(limit)
    return list(session.scalars(query))


def count(session: Session, scope: ObjectScope, flt: ObjectFilter, *, cap: int) -> int:
    """How many objects the list holds, counted up to `cap` (a large list says "more than")."""
    inner = select(_c.id).where(*_scoped(scope, *filter_clauses(flt))).limit(cap)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def one(session: Session, object_id: int) -> ManagedObjectRow | None:
    return session.get(ManagedObjectRow, object_id)


def counts(
    session: Session, scope: ObjectScope, flt: ObjectFilter, *, by: str
) -> list[tuple[int | None, int | None, str, str, int]]:
    """(grid id, village unit id, kind, risk, count) — per grid (`by` "grid": the village is
    given only for objects in no grid) or per village (`by` "village": the grid is None)."""
    where = _scoped(scope, *filter_clauses(flt))
    if by == "grid":
        query = (
            select(_c.grid_id, _c.kind, _c.risk, func.count())
            .where(*where, _c.grid_id.is_not(None))
            .group_by(_c.grid_id, _c.kind, _c.risk)
        )
        loose = (
            select(_c.village_unit_id, _c.kind, _c.risk, func.count())
            .where(*where, _c.grid_id.is_(None))
            .group_by(_c.village_unit_id, _c.kind, _c.risk)
        )
        rows: list[tuple[int | None, int | None, str, str, int]] = [
            (g, None, k, r, int(n)) for g, k, r, n in session.execute(query)
        ]
        rows.extend((None, v, k, r, int(n)) for v, k, r, n in session.execute(loose))
        return rows
    query = (
        select(_c.village_unit_id, _c.kind, _c.risk, func.count())
        .where(*where)
        .group_by(_c.village_unit_id, _c.kind, _c.risk)
    )
    return [(None, v, k, r, int(n)) for v, k, r, n in session.execute(query)]


def in_box(
    session: Session,
    scope: ObjectScope,
    flt: ObjectFilter,
    box: BBox,
    grid_ids: Sequence[int],
    *,
    limit: int,
) -> list[tuple[int, str, str, str, float, float, int | None]]:
    """(id, kind, name, risk, lon, lat, grid id) of up to `limit` objects whose point lies in
    the box; `grid_ids` are the grids whose boxes meet it (found through the grid index), the
    objects in no grid through the partial index of their points."""
    min_lon, min_lat, max_lon, max_lat = box
    inside = and_(_c.lon.between(min_lon, max_lon), _c.lat.between(min_lat, max_lat))
    placed = _c.grid_id.in_(list(grid_ids)) if grid_ids else false()
    query = (
        select(_c.id, _c.kind, _c.name, _c.risk, _c.lon, _c.lat, _c.grid_id)
        .where(*_scoped(scope, *filter_clauses(flt)), inside, or_(placed, _c.grid_id.is_(None)))
        .limit(limit)
    )
    return [(i, k, n, r, float(x), float(y), g) for i, k, n, r, x, y, g in session.execute(query)]


__all__ = [
    "BBox",
    "ObjectFilter",
    "count",
    "counts",
    "filter_clauses",
    "in_box",
    "one",
    "page",
    "scope_clause",
]
