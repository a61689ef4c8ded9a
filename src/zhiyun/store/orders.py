"""Work orders in the database: mapping rows to the domain state, numbering, scoping, listing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zhiyun.domain.access import DISTRICT_WIDE_READERS, Actor, Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.deadlines import Deadline, LimitUnit
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import (
    CancelReason,
    OrderState,
    OrderStatus,
    OrderType,
    PendingRequest,
    RequestKind,
    Satisfaction,
    TransitionRecord,
    Urgency,
)
from zhiyun.store.tables import (
    AttachmentRow,
    NoticeRow,
    OrderNumberCounterRow,
    TransitionRow,
    WorkOrderRow,
    WorkOrderUnitRow,
)

# --------------------------------------------------------------------------- mapping


def _deadline(
    due: datetime | None, warn: datetime | None, unit: str | None, budget: float | None, provisional: bool
) -> Deadline | None:
    if due is None or warn is None or unit is None:
        return None
    return Deadline(due, warn, LimitUnit(unit), budget or 0.0, provisional)


def _pending_from_json(data: dict[str, Any] | None) -> PendingRequest | None:
    if not data:
        return None
    new_due = data.get("new_due_at")
    return PendingRequest(
        kind=RequestKind(data["kind"]),
        reason=data["reason"],
        requested_at=datetime.fromisoformat(data["requested_at"]),
        requested_by_unit_id=int(data["requested_by_unit_id"]),
        new_due_at=datetime.fromisoformat(new_due) if new_due else None,
    )


def pending_to_json(pending: PendingRequest | None) -> dict[str, Any] | None:
    if pending is None:
        return None
    return {
        "kind": pending.kind.value,
        "reason": pending.reason,
        "requested_at": pending.requested_at.isoformat(),
        "requested_by_unit_id": pending.requested_by_unit_id,
        "new_due_at": pending.new_due_at.isoformat() if pending.new_due_at else None,
    }


def state_of(row: WorkOrderRow) -> OrderState:
    """The life-cycle state of a stored order."""
    return OrderState(
        status=OrderStatus(row.status),
        chain=tuple(int(u) for u in row.chain),
        order_type=OrderType(row.order_type),
        urgency=Urgency(row.urgency),
        registered_at=row.registered_at,
        sign_deadline=_deadline(
            row.sign_due_at,
            row.sign_warn_at,
            row.sign_limit_unit,
            row.sign_budget_seconds,
            row.sign_provisional,
        ),
        reply_deadline=_deadline(
            row.reply_due_at,
            row.reply_warn_at,
            row.reply_limit_unit,
            row.reply_budget_seconds,
            row.reply_provisional,
        ),
        pending=_pending_from_json(row.pending),
        first_dispatched_at=row.first_dispatched_at,
        signed_at=row.signed_at,
        replied_at=row.replied_at,
        suspended_at=row.suspended_at,
        closed_at=row.closed_at,
        extension_count=row.extension_count,
        reopen_count=row.reopen_count,
        rework_count=row.rework_count,
        return_count=row.return_count,
        callback_attempts=row.callback_attempts,
        urge_count=row.urge_count,
        satisfaction=Satisfaction(row.satisfaction) if row.satisfaction else None,
        cancel_reason=CancelReason(row.cancel_reason) if row.cancel_reason else None,
        master_id=row.master_id,
        supervised=row.supervised,
        has_instruction=row.has_instruction,
        result=row.result,
    )


def write_state(row: WorkOrderRow, state: OrderState) -> None:
    """Copy a life-cycle state onto a stored order (only the columns that changed are written)."""
    row.status = state.status.value
    row.chain = list(state.chain)
    row.current_unit_id = state.current_unit_id
    row.registered_unit_id = state.registering_unit_id
    row.order_type = state.order_type.value
    row.urgency = state.urgency.value
    row.registered_at = state.registered_at
    for prefix, deadline in (("sign", state.sign_deadline), ("reply", state.reply_deadline)):
        old_due = getattr(row, f"{prefix}_due_at")
        setattr(row, f"{prefix}_due_at", deadline.due_at if deadline else None)
        setattr(row, f"{prefix}_warn_at", deadline.warn_at if deadline else None)
        setattr(row, f"{prefix}_limit_unit", deadline.unit.value if deadline else None)
        setattr(row, f"{prefix}_budget_seconds", deadline.budget_seconds if deadline else None)
        setattr(row, f"{prefix}_provisional", deadline.provisional if deadline else False)
        if (deadline.due_at if deadline else None) != old_due:
            setattr(row, f"{prefix}_alert", "")  # a new deadline is announced afresh
    row.pending = pending_to_json(state.pending)
    row.first_dispatched_at = state.first_dispatched_at
    row.signed_at = state.signed_at
    row.replied_at = state.replied_at
    row.suspended_at = state.suspended_at
    row.closed_at = state.closed_at
    row.extension_count = state.extension_count
    row.reopen_count = state.reopen_count
    row.rework_count = state.rework_count
    row.return_count = state.return_count
    row.callback_attempts = state.callback_attempts
    row.urge_count = state.urge_count
    row.satisfaction = state.satisfaction.value if state.satisfaction else None
    row.cancel_reason = state.cancel_reason.value if state.cancel_reason else None
    row.master_id = state.master_id
    row.supervised = state.supervised
    row.has_instruction = state.has_instruction
    row.result = state.result


def transition_row(order_id: int, record: TransitionRecord, actor: Actor, at: datetime) -> TransitionRow:
    return TransitionRow(
        order_id=order_id,
        action=record.action,
        from_status=record.from_status.value if record.from_status else None,
        to_status=record.to_status.value,
        from_unit_id=record.from_unit_id,
        to_unit_id=record.to_unit_id,
        actor_user_id=actor.user_id,
        actor_name=actor.name or actor.role.label,
        actor_role=actor.role.value,
        actor_unit_id=actor.unit_id,
        note=record.note,
        details=dict(record.details),
        created_at=at,
    )


# --------------------------------------------------------------------------- numbering


def next_order_number(session: Session, prefix: str, at: datetime) -> str:
    """NH + local date + a per-day sequence of at least four digits: NH202611260001."""
    day = at.astimezone(LOCAL_TZ).strftime("%Y%m%d")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OrderNumberCounterRow)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=[OrderNumberCounterRow.day], set_={"last": OrderNumberCounterRow.last + 1}
        )
        .returning(OrderNumberCounterRow.last)
    )
    seq = session.execute(stmt).scalar_one()
    return f"{prefix}{day}{seq:04d}"


def record_involvement(session: Session, order_id: int, unit_ids: Iterable[int]) -> None:
    """Remember that the order has been at these units (for scoping); repeats are ignored."""
    ids = sorted(set(unit_ids))
    if not ids:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(WorkOrderUnitRow)
        .values([{"order_id": order_id, "unit_id": u} for u in ids])
        .on_conflict_do_nothing()
    )


# --------------------------------------------------------------------------- scoping


def scope_clause(actor: Actor, org: OrgTree) -> Any:
    """A WHERE clause limiting work orders to those `actor` may read (None: all)."""
    if actor.role in DISTRICT_WIDE_READERS:
        return None
    if actor.unit_id is None:
        return WorkOrderRow.id.is_(None)
    units = org.subtree_ids(actor.unit_id) if actor.role is Role.DISPATCHER else {actor.unit_id}
    involved = exists().where(
        and_(WorkOrderUnitRow.order_id == WorkOrderRow.id, WorkOrderUnitRow.unit_id.in_(sorted(units)))
    )
    return involved


def find_order(session: Session, key: str | int, *, for_update: bool = False) -> WorkOrderRow | None:
    """An order by id or by number."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        stmt = select(WorkOrderRow).where(WorkOrderRow.id == int(key))
    else:
        stmt = select(WorkOrderRow).where(WorkOrderRow.number == key)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def involved_units(session: Session, order_id: int) -> set[int]:
    return set(session.scalars(select(WorkOrderUnitRow.unit_id).where(WorkOrderUnitRow.order_id == order_id)))


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class OrderFilter:
    """What a list of orders is narrowed to. Every field is optional."""

    statuses: Sequence[str] = ()
    channel: str | None = None
    order_type: str | None = None
    urgency: str | None = None
    category_code: str | None = None
    unit_id: int | None = None
    current_unit_id: int | None = None
    supervised: bool | None = None
    has_instruction: bool | None = None
    deadline_alert: str | None = None  # "warning" | "overdue"
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    text: str | None = None
    master_id: int | None = None
    now: datetime | None = None  # the instant deadline_alert is judged at (default: now)


SIGN_LIVE_STATUSES = (OrderStatus.DISPATCHED.value,)
REPLY_LIVE_STATUSES = (
    OrderStatus.PENDING_DISPATCH.value,
    OrderStatus.DISPATCHED.value,
    OrderStatus.IN_PROGRESS.value,
)


def deadline_clause(level: str, now: datetime) -> Any:
    """Orders whose live sign-for or reply deadline is at `level` ("warning" or "overdue") at `now`."""
    if level == "overdue":
        sign = WorkOrderRow.sign_due_at <= now
        reply = WorkOrderRow.reply_due_at <= now
    elif level == "warning":
        sign = and_(WorkOrderRow.sign_warn_at <= now, WorkOrderRow.sign_due_at > now)
        reply = and_(WorkOrderRow.reply_warn_at <= now, WorkOrderRow.reply_due_at > now)
    else:
        raise ValueError(level)
    return or_(
        and_(WorkOrderRow.status.in_(SIGN_LIVE_STATUSES), sign),
        and_(WorkOrderRow.status.in_(REPLY_LIVE_STATUSES), reply),
    )


def filtered_query(flt: OrderFilter, scope: Any) -> Select[tuple[WorkOrderRow]]:
    stmt = select(WorkOrderRow)
    if scope is not None:
        stmt = stmt.where(scope)
    if flt.statuses:
        stmt = stmt.where(WorkOrderRow.status.in_(list(flt.statuses)))
    if flt.channel:
        stmt = stmt.where(WorkOrderRow.channel == flt.channel)
    if flt.order_type:
        stmt = stmt.where(WorkOrderRow.order_type == flt.order_type)
    if flt.urgency:
        stmt = stmt.where(WorkOrderRow.urgency == flt.urgency)
    if flt.category_code:
        stmt = stmt.where(WorkOrderRow.category_code.startswith(flt.category_code, autoescape=True))
    if flt.current_unit_id is not None:
        stmt = stmt.where(WorkOrderRow.current_unit_id == flt.current_unit_id)
    if flt.unit_id is not None:
        stmt = stmt.where(
            exists().where(
                and_(WorkOrderUnitRow.order_id == WorkOrderRow.id, WorkOrderUnitRow.unit_id == flt.unit_id)
            )
        )
    if flt.supervised is not None:
        stmt = stmt.where(WorkOrderRow.supervised.is_(flt.supervised))
    if flt.has_instruction is not None:
        stmt = stmt.where(WorkOrderRow.has_instruction.is_(flt.has_instruction))
    if flt.deadline_alert:
        stmt = stmt.where(deadline_clause(flt.deadline_alert, flt.now or datetime.now(UTC)))
    if flt.registered_from is not None:
        stmt = stmt.where(WorkOrderRow.registered_at >= flt.registered_from)
    if flt.registered_to is not None:
        stmt = stmt.where(WorkOrderRow.registered_at < flt.registered_to)
    if flt.master_id is not None:
        stmt = stmt.where(WorkOrderRow.master_id == flt.master_id)
    if flt.text:
        like = f"%{flt.text.strip()}%"
        stmt = stmt.where(
            or_(
                WorkOrderRow.title.like(like),
                WorkOrderRow.content.like(like),
                WorkOrderRow.number == flt.text.strip(),
                WorkOrderRow.address.like(like),
            )
        )
    return stmt


def list_orders(
    session: Session, flt: OrderFilter, scope: Any, *, limit: int, after: tuple[datetime, int] | None
) -> list[WorkOrderRow]:
    """Newest first, keyset-paginated on (registered_at, id)."""
    stmt = filtered_query(flt, scope)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            or_(
                WorkOrderRow.registered_at < at,
                and_(WorkOrderRow.registered_at == at, WorkOrderRow.id < last_id),
            )
        )
    stmt = stmt.order_by(WorkOrderRow.registered_at.desc(), WorkOrderRow.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def count_orders(session: Session, flt: OrderFilter, scope: Any) -> int:
    stmt = filtered_query(flt, scope).with_only_columns(func.count()).order_by(None)
    return int(session.execute(stmt).scalar_one())


def transitions_of(session: Session, order_id: int) -> list[TransitionRow]:
    stmt = select(TransitionRow).where(TransitionRow.order_id == order_id).order_by(TransitionRow.id)
    return list(session.scalars(stmt))


def attachments_of(session: Session, order_id: int) -> list[AttachmentRow]:
    stmt = select(AttachmentRow).where(AttachmentRow.order_id == order_id).order_by(AttachmentRow.id)
    return list(session.scalars(stmt))


def duplicates_of(session: Session, order_id: int) -> list[WorkOrderRow]:
    stmt = select(WorkOrderRow).where(WorkOrderRow.master_id == order_id).order_by(WorkOrderRow.id)
    return list(session.scalars(stmt))


def notices_for_units(session: Session, unit_ids: Iterable[int], limit: int = 50) -> list[NoticeRow]:
    stmt = (
        select(NoticeRow)
        .where(NoticeRow.unit_id.in_(sorted(set(unit_ids))))
        .order_by(NoticeRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def claim_alert(session: Session, order_id: int, version: int, column: str, value: str) -> bool:
    """Set an order's sign_alert/reply_alert if nobody else did first; True when this call won."""
    col = getattr(WorkOrderRow, column)
    result = session.execute(
        update(WorkOrderRow)
        .where(WorkOrderRow.id == order_id, WorkOrderRow.version == version, col != value)
        .values({column: value, "version": version + 1})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
