"""The portal's queries and writes (nothing commits): throttle windows, ratings, and the order
as the public may read it (its row, its public steps, the unit names)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zhiyun.domain.portal import Hits, Window, after_hit
from zhiyun.portal.tables import PortalRatingRow, PortalThrottleRow
from zhiyun.store.tables import TransitionRow, WorkOrderRow

MAX_NUMBER = 40  # longer than any order number: not looked up at all


def hit(session: Session, key: str, window: Window, now: datetime) -> Hits:
    """Count one hit on `key` and return its window after it. The key's row is created if
    missing (a concurrent creation is no error) and then locked, so that concurrent hits from
    several processes are counted one after the other (PostgreSQL: the row lock; SQLite: the
    database's one writer)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(PortalThrottleRow)
        .values(key=key, started_at=now, hits=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalars(
        select(PortalThrottleRow).where(PortalThrottleRow.key == key).with_for_update()
    ).one()
    current = None if row.hits == 0 else Hits(row.started_at, row.hits)
    after = after_hit(window, current, now)
    row.started_at, row.hits = after.started_at, after.count
    session.flush()
    return after


def prune_throttles(session: Session, before: datetime) -> int:
    """Delete the windows that began before `before` (all of them long over); how many."""
    result = session.execute(delete(PortalThrottleRow).where(PortalThrottleRow.started_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def order_by_number(session: Session, number: str, *, lock: bool = False) -> WorkOrderRow | None:
    if not number or len(number) > MAX_NUMBER:
        return None
    stmt = select(WorkOrderRow).where(WorkOrderRow.number == number)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def number_of(session: Session, order_id: int | None) -> str | None:
    if order_id is None:
        return None
    return session.scalar(select(WorkOrderRow.number).where(WorkOrderRow.id == order_id))


def trail(session: Session, order_id: int) -> list[TransitionRow]:
    """The order's audit rows, oldest first."""
    return list(
        session.scalars(
            select(TransitionRow).where(TransitionRow.order_id == order_id).order_by(TransitionRow.id)
        )
    )


def rating(session: Session, order_id: int, round_: int) -> PortalRatingRow | None:
    return session.scalars(
        select(PortalRatingRow).where(PortalRatingRow.order_id == order_id, PortalRatingRow.round == round_)
    ).first()


def ratings(session: Session, order_id: int) -> list[PortalRatingRow]:
    return list(
        session.scalars(
            select(PortalRatingRow).where(PortalRatingRow.order_id == order_id).order_by(PortalRatingRow.id)
        )
    )


def add_rating(session: Session, row: PortalRatingRow) -> None:
    session.add(row)
    session.flush()
