"""What the faces show of an order: built from rows, with the reader's masking applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zhiyun.domain.access import (
    Actor,
    can_see_contact,
    mask_name,
    mask_personal_numbers,
    mask_phone,
    text_for,
)
from zhiyun.domain.calendar import WorkCalendar, local_date
from zhiyun.domain.deadlines import Deadline, DeadlineState
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import (
    Action,
    CancelReason,
    OrderState,
    OrderStatus,
    OrderType,
    Satisfaction,
    event_label,
    order_deadline,
    reply_deadline_state,
    sign_deadline_state,
)
from zhiyun.store.tables import AttachmentRow, NoticeRow, TransitionRow, WorkOrderRow


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class DeadlineView:
    """A deadline as the console shows it: when, how it stands, how much time is left."""

    due_at: datetime
    state: str
    state_label: str
    remaining: str
    provisional: bool
    kind: str = ""  # the order's own deadline: which one it is judged by ("签收" or "办理")

    @property
    def summary_label(self) -> str:
        """The order's deadline state in a word, as exports write it: "已超时（签收）"."""
        live = self.state in ("on_time", "warning", "overdue")
        return f"{self.state_label}（{self.kind}）" if live and self.kind else self.state_label


@dataclass(frozen=True)
class OrderSummary:
    """One line of a list of orders."""

    id: int
    number: str
    version: int
    channel: str
    title: str
    order_type: str
    order_type_label: str
    urgency: str
    status: str
    status_label: str
    category_code: str | None
    current_unit: UnitRef | None
    responsible_unit: UnitRef | None
    registered_at: datetime
    sign_deadline: DeadlineView | None
    reply_deadline: DeadlineView | None
    supervised: bool
    has_instruction: bool
    master_id: int | None
    # the order's one deadline state (domain.workorder.order_deadline): what its queue, the
    # list's badge on a small screen and the exports show
    deadline: DeadlineView | None = None


@dataclass(frozen=True)
class TransitionView:
    """One entry of the audit trail."""

    id: int
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    from_unit: UnitRef | None
    to_unit: UnitRef | None
    actor_name: str
    actor_role: str
    note: str
    details: dict[str, Any]
    created_at: datetime
    actor_unit: UnitRef | None = None  # the actor's own unit when they acted (None: the system)

    @property
    def by_system(self) -> bool:
        """The platform acted by itself (智能分拨, a channel's interface, the sweep): shown by
        its name, never as an administrator."""
        return self.actor_role == "system"


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    transition_id: int | None = None  # the audit entry that recorded the upload (who, when)


@dataclass(frozen=True)
class NoticeView:
    """A notice to a unit: an urge notice when an order went overdue, or an early warning (预警)
    of its town (no order; `link` is the warning's page)."""

    id: int
    order_id: int | None
    kind: str
    deadline: str
    due_at: datetime
    unit: UnitRef | None
    message: str
    created_at: datetime
    link: str | None = None


@dataclass(frozen=True)
class OrderDetail:
    """Everything about one order that its reader may see."""

    summary: OrderSummary
    external_id: str | None
    citizen_name: str | None
    citizen_phone: str | None
    contact_masked: bool
    content: str
    address: str | None
    latitude: float | None
    longitude: float | None
    confidential: bool
    chain: list[UnitRef]
    dispatching_unit: UnitRef | None
    registered_unit: UnitRef | None
    pending: dict[str, Any] | None
    counters: dict[str, int]
    satisfaction: str | None
    satisfaction_label: str | None
    cancel_reason: str | None
    cancel_reason_label: str | None
    result: str | None
    first_dispatched_at: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[str]
    # the other things the reader may do now, by the policies of domain.order_access
    may_attach: bool = False
    may_change_category: bool = False
    may_decide_duplicate: bool = False
    duplicates: list[OrderSummary] = field(default_factory=list)
    master: OrderSummary | None = None
    attachments: list[AttachmentView] = field(default_factory=list)


def unit_ref(org: OrgTree, unit_id: int | None) -> UnitRef | None:
    if unit_id is None or unit_id not in org.units:
        return None
    unit = org.units[unit_id]
    return UnitRef(unit.id, unit.code, unit.name)


def _remaining(calendar: WorkCalendar, deadline: Deadline, now: datetime) -> str:
    seconds = (deadline.due_at - now).total_seconds()
    if seconds < 0:
        hours = int(-seconds // 3600)
        return f"已超时{hours // 24}天{hours % 24}小时" if hours >= 24 else f"已超时{hours}小时"
    if deadline.unit.value == "workdays":
        days = calendar.workdays_between(local_date(now), local_date(deadline.due_at))
        if days >= 1:
            return f"剩余{days}个工作日"
    hours = int(seconds // 3600)
    minutes = int(seconds % 3600 // 60)
    return f"剩余{hours}小时{minutes}分" if hours else f"剩余{minutes}分钟"


def deadline_view(
    calendar: WorkCalendar,
    deadline: Deadline | None,
    state: DeadlineState | None,
    now: datetime,
    kind: str = "",
) -> DeadlineView | None:
    if deadline is None or state is None:
        return None
    live = state in (DeadlineState.ON_TIME, DeadlineState.WARNING, DeadlineState.OVERDUE)
    return DeadlineView(
        due_at=deadline.due_at,
        state=state.value,
        state_label=state.label,
        remaining=_remaining(calendar, deadline, now) if live else "",
        provisional=deadline.provisional,
        kind=kind,
    )


def order_deadline_view(calendar: WorkCalendar, state: OrderState, now: datetime) -> DeadlineView | None:
    """The order's one deadline state (the most pressing of its deadlines), for the faces."""
    found = order_deadline(state, now)
    if found is None:
        return None
    return deadline_view(calendar, found.deadline, found.state, now, kind=found.label)


def summary_of(
    row: WorkOrderRow,
    state: OrderState,
    org: OrgTree,
    calendar: WorkCalendar,
    now: datetime,
    *,
    viewer: Actor,
) -> OrderSummary:
    """The order in a list, as `viewer` may read it (personal numbers in the title masked for
    those who see the citizen's phone masked)."""
    return OrderSummary(
        id=row.id,
        number=row.number,
        version=row.version,
        channel=row.channel,
        title=text_for(viewer, row.confidential, row.title) or "",
        order_type=row.order_type,
        order_type_label=OrderType(row.order_type).label,
        urgency=row.urgency,
        status=row.status,
        status_label=OrderStatus(row.status).label,
        category_code=row.category_code,
        current_unit=unit_ref(org, row.current_unit_id),
        responsible_unit=unit_ref(org, row.responsible_unit_id),
        registered_at=row.registered_at,
        sign_deadline=deadline_view(calendar, state.sign_deadline, sign_deadline_state(state, now), now),
        reply_deadline=deadline_view(calendar, state.reply_deadline, reply_deadline_state(state, now), now),
        supervised=row.supervised,
        has_instruction=row.has_instruction,
        master_id=row.master_id,
        deadline=order_deadline_view(calendar, state, now),
    )


def detail_of(
    row: WorkOrderRow,
    state: OrderState,
    actor: Actor,
    org: OrgTree,
    calendar: WorkCalendar,
    now: datetime,
    allowed: list[Action],
) -> OrderDetail:
    see_contact = can_see_contact(actor, row.confidential)
    pending = dict(row.pending) if row.pending else None
    return OrderDetail(
        summary=summary_of(row, state, org, calendar, now, viewer=actor),
        external_id=row.external_id,
        citizen_name=row.citizen_name if see_contact else mask_name(row.citizen_name),
        citizen_phone=row.citizen_phone if see_contact else mask_phone(row.citizen_phone),
        contact_masked=not see_contact,
        content=text_for(actor, row.confidential, row.content) or "",
        address=text_for(actor, row.confidential, row.address),
        latitude=row.latitude,
        longitude=row.longitude,
        confidential=row.confidential,
        chain=[u for u in (unit_ref(org, uid) for uid in state.chain) if u is not None],
        dispatching_unit=unit_ref(org, state.dispatching_unit_id),
        registered_unit=unit_ref(org, state.registering_unit_id),
        pending=pending,
        counters={
            "extensions": row.extension_count,
            "reopens": row.reopen_count,
            "reworks": row.rework_count,
            "returns": row.return_count,
            "callback_attempts": row.callback_attempts,
            "urges": row.urge_count,
        },
        satisfaction=row.satisfaction,
        satisfaction_label=Satisfaction(row.satisfaction).label if row.satisfaction else None,
        cancel_reason=row.cancel_reason,
        cancel_reason_label=CancelReason(row.cancel_reason).label if row.cancel_reason else None,
        result=text_for(actor, row.confidential, row.result),
        first_dispatched_at=row.first_dispatched_at,
        signed_at=row.signed_at,
        replied_at=row.replied_at,
        closed_at=row.closed_at,
        allowed_actions=[a.value for a in allowed],
    )


def _masked(value: Any, mask: Callable[[str], str]) -> Any:
    """`value` (a transition's details) with `mask` applied to every string in it."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    return value


def transition_view(row: TransitionRow, org: OrgTree, *, viewer: Actor, confidential: bool) -> TransitionView:
    """One audit entry of an order (`confidential`: the order's flag) as `viewer` may read it:
    personal numbers typed into notes and changed texts masked for those who see the
    citizen's phone masked."""
    note = row.note
    details = dict(row.details or {})
    if not can_see_contact(viewer, confidential):
        note = mask_personal_numbers(note or "")
        details = _masked(details, mask_personal_numbers)
    return TransitionView(
        id=row.id,
        action=row.action,
        # a return from the registering center hands the order up (上报)
        action_label="上报" if "handed_up_to_unit_id" in details else event_label(row.action),
        from_status=row.from_status,
        to_status=row.to_status,
        from_unit=unit_ref(org, row.from_unit_id),
        to_unit=unit_ref(org, row.to_unit_id),
        actor_name=row.actor_name,
        actor_role=row.actor_role,
        note=note,
        details=details,
        created_at=row.created_at,
        actor_unit=unit_ref(org, row.actor_unit_id),
    )


def attachment_view(row: AttachmentRow) -> AttachmentView:
    return AttachmentView(
        row.id, row.filename, row.content_type, row.size, row.sha256, row.created_at, row.transition_id
    )


def notice_view(row: NoticeRow, org: OrgTree) -> NoticeView:
    return NoticeView(
        row.id,
        row.order_id,
        row.kind,
        row.deadline,
        row.due_at,
        unit_ref(org, row.unit_id),
        row.message,
        row.created_at,
        row.link,
    )
