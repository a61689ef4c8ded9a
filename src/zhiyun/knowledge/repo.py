"""Queries and writes of the knowledge base (nothing here commits): the items, their history,
the version stamp, and the consultation orders a draft may be proposed from."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder import OrderStatus, OrderType, Satisfaction
from zhiyun.knowledge.tables import KnowledgeItemRow, KnowledgeItemStepRow
from zhiyun.store.base import table_of
from zhiyun.store.lifecycle import AuditedTable, audit_values
from zhiyun.store.tables import WorkOrderRow

K = KnowledgeItemRow
ITEM_STEPS = AuditedTable(table_of(KnowledgeItemRow), table_of(KnowledgeItemStepRow), audit_key="item_id")
ANSWERED = (Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value)


def find(session: Session, item_id: int) -> KnowledgeItemRow | None:
    return session.get(KnowledgeItemRow, item_id)


def by_origin(session: Session, origin: str, refs: Collection[str]) -> dict[str, KnowledgeItemRow]:
    """The items an import made before from these records (origin ref → item)."""
    found: dict[str, KnowledgeItemRow] = {}
    listed = sorted(refs)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        for row in session.scalars(select(K).where(K.origin == origin, K.origin_ref.in_(chunk))):
            assert row.origin_ref is not None
            found[row.origin_ref] = row
    return found


def add(
    session: Session, row: KnowledgeItemRow, records: Iterable[AuditRecord], actor: Actor, at: datetime
) -> None:
    """Store a new item and its first steps (created; an import may review and publish at once)."""
    session.add(row)
    session.flush()
    for record in records:
        session.add(KnowledgeItemStepRow(item_id=row.id, **audit_values(record, actor, at)))
    session.flush()


def write_step(
    session: Session,
    row: KnowledgeItemRow,
    changes: dict[str, Any],
    record: AuditRecord,
    actor: Actor,
    at: datetime,
) -> bool:
    """Store one step of the item `row` as it was read: its changed columns, version + 1 and one
    history row; False, nothing written, when someone changed it first."""
    session.flush()
    step = ITEM_STEPS.step(session, row.id, row.version, changes, audit_values(record, actor, at))
    if step is None:
        return False
    session.expire(row)
    return True


def listed(
    session: Session,
    *,
    statuses: Collection[str] | None = None,
    words: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[KnowledgeItemRow], int]:
    """Items of these statuses (None: all) whose title, answer or category holds `words`, newest
    change first, and how many there are in all."""
    stmt = select(K)
    count = select(func.count()).select_from(K)
    if statuses is not None:
        stmt = stmt.where(K.status.in_(sorted(statuses)))
        count = count.where(K.status.in_(sorted(statuses)))
    if words:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = "%" + escaped + "%"
        cond = or_(
            K.title.like(like, escape="\\"),
            K.category.like(like, escape="\\"),
            K.department.like(like, escape="\\"),
        )
        stmt = stmt.where(cond)
        count = count.where(cond)
    rows = list(session.scalars(stmt.order_by(K.updated_at.desc(), K.id.desc()).limit(limit).offset(offset)))
    return rows, int(session.scalar(count) or 0)


def published(session: Session) -> list[KnowledgeItemRow]:
    """Every published item (the retrieval index's documents), by id."""
    return list(session.scalars(select(K).where(K.status == "published").order_by(K.id)))


def stamp(session: Session) -> int:
    """The knowledge base's version: the id of the last change (0: none yet)."""
    return int(session.scalar(select(func.max(KnowledgeItemStepRow.id))) or 0)


def steps_of(session: Session, item_id: int) -> list[KnowledgeItemStepRow]:
    return list(
        session.scalars(
            select(KnowledgeItemStepRow)
            .where(KnowledgeItemStepRow.item_id == item_id)
            .order_by(KnowledgeItemStepRow.id)
        )
    )


def answered_consultations(session: Session, limit: int) -> list[WorkOrderRow]:
    """Closed consultation orders (咨询) whose reply answered the question — a reply written, the
    citizen satisfied or basically satisfied, or closed at intake without a callback — that no
    item was proposed from yet; newest first."""
    proposed = select(K.origin_ref).where(K.origin == "order", K.origin_ref.is_not(None))
    stmt = (
        select(WorkOrderRow)
        .where(
            WorkOrderRow.order_type == OrderType.CONSULT.value,
            WorkOrderRow.status == OrderStatus.CLOSED.value,
            WorkOrderRow.result.is_not(None),
            func.length(WorkOrderRow.result) >= 10,
            or_(WorkOrderRow.satisfaction.in_(ANSWERED), WorkOrderRow.satisfaction.is_(None)),
            WorkOrderRow.number.not_in(proposed),
        )
        .order_by(WorkOrderRow.closed_at.desc(), WorkOrderRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
