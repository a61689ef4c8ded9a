"""The seat's reads: a caller's orders by phone number, scoped to what the agent may read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiyun.store.tables import WorkOrderRow


def orders_of_caller(
    session: Session, phone: str, scope: Any, *, with_confidential: bool, limit: int
) -> tuple[list[WorkOrderRow], int, int]:
    """The caller's latest orders (newest first, at most `limit`), how many they have in all
    within `scope`, and how many confidential ones were left out (when not `with_confidential`)."""
    where = [WorkOrderRow.citizen_phone == phone]
    if scope is not None:
        where.append(scope)
    shown = [*where] if with_confidential else [*where, WorkOrderRow.confidential.is_(False)]
    rows = list(
        session.scalars(
            select(WorkOrderRow)
            .where(*shown)
            .order_by(WorkOrderRow.registered_at.desc(), WorkOrderRow.id.desc())
            .limit(limit)
        )
    )
    total = session.scalar(select(func.count()).select_from(WorkOrderRow).where(*shown)) or 0
    hidden = 0
    if not with_confidential:
        hidden = (
            session.scalar(
                select(func.count())
                .select_from(WorkOrderRow)
                .where(*where, WorkOrderRow.confidential.is_(True))
            )
            or 0
        )
    return rows, int(total), int(hidden)
