"""Grid hazards in the database: find, add, change and count them.

Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.domain.grid_hazards import OPEN_STATUSES
from zhiyun.geo.tables import GridRow
from zhiyun.grid.hazard_tables import GridHazardRow
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.store.tables import UserRow, WorkOrderRow, WorkOrderUnitRow

CHUNK = 1000  # ids per IN (…) list

__all__ = [
    "HazardRead",
    "add",
    "by_key",
    "figures_rows",
    "get",
    "grid",
    "involved_units",
    "of_objects_open",
    "of_order",
    "read",
    "statuses",
]


def by_key(session: Session, key: str) -> GridHazardRow | None:
    """The hazard reported under `key` (the report's external id)."""
    return session.scalars(select(GridHazardRow).where(GridHazardRow.report_key == key)).first()


def get(session: Session, hazard_id: int, *, for_update: bool = False) -> GridHazardRow | None:
    """One hazard; locked for the rest of the transaction when `for_update` (a re-check)."""
    stmt = select(GridHazardRow).where(GridHazardRow.id == hazard_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def add(session: Session, **columns: Any) -> GridHazardRow:
    row = GridHazardRow(**columns)
    session.add(row)
    session.flush()
    return row


def grid(session: Session, grid_id: int) -> GridRow | None:
    return session.get(GridRow, grid_id)


def of_order(session: Session, order_id: int) -> list[GridHazardRow]:
    stmt = select(GridHazardRow).where(GridHazardRow.order_id == order_id).order_by(GridHazardRow.id)
    return list(session.scalars(stmt))


def of_objects_open(
    session: Session, object_ids: Iterable[int], free_in_grids: Iterable[int] = ()
) -> list[GridHazardRow]:
    """The open hazards (待整改, 复查未整改) of some managed objects, and those reported without an
    object in some grids (free reports), by object then age."""
    open_statuses = sorted(s.value for s in OPEN_STATUSES)
    found: list[GridHazardRow] = []
    for column, values in ((GridHazardRow.object_id, object_ids), (GridHazardRow.grid_id, free_in_grids)):
        ids = sorted(set(values))
        for start in range(0, len(ids), CHUNK):
            stmt = select(GridHazardRow).where(
                column.in_(ids[start : start + CHUNK]), GridHazardRow.status.in_(open_statuses)
            )
            if column is GridHazardRow.grid_id:
                stmt = stmt.where(GridHazardRow.object_id.is_(None))
            found.extend(session.scalars(stmt))
    return sorted(found, key=lambda r: (r.object_id or 0, r.found_at, r.id))


class HazardRead:
    """A hazard with what its views name: its order's number and status, the object's name,
    the grid's code, the worker's and the re-checker's names."""

    __slots__ = ("checker", "grid_code", "object_name", "order_number", "order_status", "row", "worker")

    def __init__(
        self,
        row: GridHazardRow,
        order_number: str,
        order_status: str,
        object_name: str | None,
        grid_code: str | None,
        worker: str,
        checker: str | None,
    ) -> None:
        self.row = row
        self.order_number = order_number
        self.order_status = order_status
        self.object_name = object_name
        self.grid_code = grid_code
        self.worker = worker
        self.checker = checker


def read(session: Session, rows: Sequence[GridHazardRow]) -> list[HazardRead]:
    """The rows with what their views name (four look-ups in all, whatever their number)."""
    if not rows:
        return []
    orders = _pairs(
        session, WorkOrderRow.id, (WorkOrderRow.number, WorkOrderRow.status), {r.order_id for r in rows}
    )
    objects = _pairs(session, ManagedObjectRow.id, (ManagedObjectRow.name,), {r.object_id for r in rows})
    grids = _pairs(session, GridRow.id, (GridRow.code,), {r.grid_id for r in rows})
    users = _pairs(
        session,
        UserRow.id,
        (UserRow.display_name,),
        {*(r.worker_id for r in rows), *(r.recheck_by for r in rows)},
    )
    out = []
    for r in rows:
        number, status = orders.get(r.order_id, ("", ""))
        out.append(
            HazardRead(
                r,
                str(number),
                str(status),
                str(objects[r.object_id][0]) if r.object_id in objects else None,
                str(grids[r.grid_id][0]) if r.grid_id in grids else None,
                str(users.get(r.worker_id, ("",))[0]),
                str(users[r.recheck_by][0]) if r.recheck_by in users else None,
            )
        )
    return out


def _pairs(
    session: Session, key: Any, columns: tuple[Any, ...], ids: set[int | None]
) -> dict[Any, tuple[Any, ...]]:
    wanted = sorted(i for i in ids if i is not None)
    found: dict[Any, tuple[Any, ...]] = {}
    for start in range(0, len(wanted), CHUNK):
        for row in session.execute(select(key, *columns).where(key.in_(wanted[start : start + CHUNK]))):
            found[row[0]] = tuple(row[1:])
    return found


def figures_rows(
    session: Session, since: datetime, until: datetime, village_ids: Iterable[int] | None
) -> list[GridHazardRow]:
    """The hazards registered in [since, until) (of some villages)."""
    stmt = select(GridHazardRow).where(GridHazardRow.created_at >= since, GridHazardRow.created_at < until)
    if village_ids is not None:
        ids = sorted(set(village_ids))
        if not ids:
            return []
        stmt = stmt.where(GridHazardRow.village_unit_id.in_(ids))
    return list(session.scalars(stmt.order_by(GridHazardRow.id)))


def statuses(session: Session, order_ids: Iterable[int]) -> dict[int, str]:
    """order id → its status."""
    return {
        k: str(v[0])
        for k, v in _pairs(session, WorkOrderRow.id, (WorkOrderRow.status,), set(order_ids)).items()
    }


def involved_units(session: Session, order_ids: Iterable[int]) -> dict[int, set[int]]:
    """order id → every unit it has been at."""
    ids = sorted(set(order_ids))
    found: dict[int, set[int]] = {i: set() for i in ids}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(WorkOrderUnitRow.order_id, WorkOrderUnitRow.unit_id).where(
                WorkOrderUnitRow.order_id.in_(ids[start : start + CHUNK])
            )
        )
        for order_id, unit_id in rows:
            found[order_id].add(unit_id)
    return found
