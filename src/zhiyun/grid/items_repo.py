"""Queries and writes of the grid items catalogue (入格事项). Nothing here commits: the use
cases of `items_service` hold the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from zhiyun.grid.items_tables import GridItemRow, GridItemVersionRow


def find(session: Session, code: str, *, for_update: bool = False) -> GridItemRow | None:
    """The item of `code`; locked for the transaction with `for_update` (PostgreSQL: two
    publishers of one item take turns; SQLite's writers already do)."""
    query = select(GridItemRow).where(GridItemRow.code == code)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def codes(session: Session) -> set[str]:
    return set(session.scalars(select(GridItemRow.code)))


def items_with_current(
    session: Session, *, active_only: bool = False
) -> Sequence[tuple[GridItemRow, GridItemVersionRow]]:
    """Every item with its current version, by code."""
    query = (
        select(GridItemRow, GridItemVersionRow)
        .join(
            GridItemVersionRow,
            and_(
                GridItemVersionRow.item_id == GridItemRow.id,
                GridItemVersionRow.version == GridItemRow.current_version,
            ),
        )
        .order_by(GridItemRow.code)
    )
    if active_only:
        query = query.where(GridItemRow.active.is_(True))
    return [(item, version) for item, version in session.execute(query)]


def version(session: Session, item_id: int, number: int) -> GridItemVersionRow | None:
    return session.get(GridItemVersionRow, (item_id, number))


def versions(session: Session, item_id: int) -> Sequence[GridItemVersionRow]:
    """Every version of an item, oldest first."""
    query = (
        select(GridItemVersionRow)
        .where(GridItemVersionRow.item_id == item_id)
        .order_by(GridItemVersionRow.version)
    )
    return list(session.scalars(query))


__all__ = ["codes", "find", "items_with_current", "version", "versions"]
