"""Queries and writes of quick replies (常用语); nothing here commits."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from zhiyun.replies.tables import QuickReplyRow

UNIT = "unit"
PERSONAL = "personal"


def find(session: Session, reply_id: int) -> QuickReplyRow | None:
    return session.get(QuickReplyRow, reply_id)


def of_sets(
    session: Session, unit_ids: Collection[int], user_id: int | None, *, active_only: bool
) -> list[QuickReplyRow]:
    """The snippets of the units' sets and of the user's own set, in each set's order."""
    owners = []
    if unit_ids:
        owners.append(and_(QuickReplyRow.scope == UNIT, QuickReplyRow.unit_id.in_(list(unit_ids))))
    if user_id is not None:
        owners.append(and_(QuickReplyRow.scope == PERSONAL, QuickReplyRow.user_id == user_id))
    if not owners:
        return []
    stmt = select(QuickReplyRow).where(or_(*owners))
    if active_only:
        stmt = stmt.where(QuickReplyRow.active.is_(True))
    stmt = stmt.order_by(QuickReplyRow.sort_order, QuickReplyRow.title, QuickReplyRow.id)
    return list(session.scalars(stmt))


def units_with_replies(session: Session, unit_ids: Collection[int]) -> set[int]:
    """Which of the units have a set (one snippet or more)."""
    if not unit_ids:
        return set()
    stmt = (
        select(QuickReplyRow.unit_id)
        .where(QuickReplyRow.scope == UNIT, QuickReplyRow.unit_id.in_(list(unit_ids)))
        .distinct()
    )
    return {unit_id for unit_id in session.scalars(stmt) if unit_id is not None}


def _same_set(scope: str, unit_id: int | None, user_id: int | None) -> list[ColumnElement[bool]]:
    if scope == UNIT:
        return [QuickReplyRow.scope == UNIT, QuickReplyRow.unit_id == unit_id]
    return [QuickReplyRow.scope == PERSONAL, QuickReplyRow.user_id == user_id]


def title_taken(
    session: Session,
    scope: str,
    unit_id: int | None,
    user_id: int | None,
    title: str,
    *,
    but: int | None = None,
) -> bool:
    """Whether another snippet of the same set has the keyword `title`."""
    stmt = select(QuickReplyRow.id).where(*_same_set(scope, unit_id, user_id), QuickReplyRow.title == title)
    if but is not None:
        stmt = stmt.where(QuickReplyRow.id != but)
    return session.scalars(stmt.limit(1)).first() is not None


def set_size(session: Session, scope: str, unit_id: int | None, user_id: int | None) -> int:
    stmt = select(func.count()).select_from(QuickReplyRow).where(*_same_set(scope, unit_id, user_id))
    return int(session.scalar(stmt) or 0)
