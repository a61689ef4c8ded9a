"""The part of a work order that the life-cycle rules read and write (`OrderState`), and its parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from zhiyun.domain.deadlines import Deadline, DeadlineState
from zhiyun.domain.workorder.choices import CancelReason, OrderStatus, OrderType, Satisfaction, Urgency


class RequestKind(StrEnum):
    """A request from the handling unit that its dispatching center must decide."""

    EXTENSION = "extension"
    SUSPENSION = "suspension"


@dataclass(frozen=True)
class PendingRequest:
    """An extension or suspension request awaiting the dispatching center's decision."""

    kind: RequestKind
    reason: str
    requested_at: datetime
    requested_by_unit_id: int
    new_due_at: datetime | None = None


class AlertLevel(StrEnum):
    """What the deadline sweep has announced of a deadline: nothing yet, near (预警) or past (超时)."""

    NONE = ""
    WARNING = "warning"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class OrderState:
    """The part of a work order that the life-cycle rules read and write."""

    status: OrderStatus
    chain: tuple[int, ...]
    order_type: OrderType
    urgency: Urgency
    registered_at: datetime
    sign_deadline: Deadline | None = None
    reply_deadline: Deadline | None = None
    pending: PendingRequest | None = None
    first_dispatched_at: datetime | None = None
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    suspended_at: datetime | None = None
    closed_at: datetime | None = None
    extension_count: int = 0
    reopen_count: int = 0
    rework_count: int = 0
    return_count: int = 0
    callback_attempts: int = 0
    urge_count: int = 0
    satisfaction: Satisfaction | None = None
    cancel_reason: CancelReason | None = None
    master_id: int | None = None
    supervised: bool = False
    has_instruction: bool = False
    result: str | None = None
    # what system events change: the category (taxonomy code), the flag of a possible
    # duplicate awaiting a dispatcher, and what the sweep announced of each deadline
    category_code: str | None = None
    possible_duplicate: bool = False
    sign_alert: AlertLevel = AlertLevel.NONE
    reply_alert: AlertLevel = AlertLevel.NONE

    @property
    def current_unit_id(self) -> int:
        return self.chain[-1]

    @property
    def dispatching_unit_id(self) -> int | None:
        """The center that dispatched the current holder (it reviews and approves)."""
        return self.chain[-2] if len(self.chain) > 1 else None

    @property
    def registering_unit_id(self) -> int:
        return self.chain[0]

    def deadline_states(self, now: datetime) -> tuple[DeadlineState | None, DeadlineState | None]:
        """(sign-for, reply) deadline states at `now`; None where there is no deadline."""
        return sign_deadline_state(self, now), reply_deadline_state(self, now)


def sign_deadline_state(state: OrderState, now: datetime) -> DeadlineState | None:
    """How the sign-for deadline stands: it runs while the order waits to be signed for."""
    if state.sign_deadline is None:
        return None
    if state.status is OrderStatus.DISPATCHED:
        return state.sign_deadline.state(now)
    return DeadlineState.MET


def reply_deadline_state(state: OrderState, now: datetime) -> DeadlineState | None:
    """How the reply deadline stands: it runs until the reply, and stands still while suspended."""
    if state.reply_deadline is None:
        return None
    if state.status is OrderStatus.SUSPENDED:
        return DeadlineState.PAUSED
    if state.status in (OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS):
        return state.reply_deadline.state(now)
    return DeadlineState.MET


# How pressing each state is: the order stands as its most pressing deadline.
_PRESSURE = {
    DeadlineState.OVERDUE: 4,
    DeadlineState.WARNING: 3,
    DeadlineState.ON_TIME: 2,
    DeadlineState.PAUSED: 1,
    DeadlineState.MET: 0,
}
_LIVE = frozenset({DeadlineState.ON_TIME, DeadlineState.WARNING, DeadlineState.OVERDUE})


@dataclass(frozen=True)
class OrderDeadline:
    """The deadline an order is judged by now: which one (`sign` 签收 or `reply` 办理), the
    deadline itself, and how it stands."""

    kind: str
    deadline: Deadline
    state: DeadlineState

    @property
    def label(self) -> str:
        return "签收" if self.kind == "sign" else "办理"

    @property
    def live(self) -> bool:
        """The deadline still runs (on time, warning or overdue)."""
        return self.state in _LIVE


def order_deadline(state: OrderState, now: datetime) -> OrderDeadline | None:
    """The order's one deadline state at `now`: the most pressing of its deadlines (overdue,
    then warning, then on time, then paused, then met; of two running deadlines in the same
    state, the one due first; of two that no longer run, the reply deadline). None when the
    order has no deadline.

    The one rule every face follows: the 即将超时 and 已超时 queues (`orders.worklists.deadline_clause`
    says the same in SQL), the list's badge, the exports and the API's `deadline`.
    """
    found = [
        OrderDeadline(kind, deadline, judged)
        for kind, deadline, judged in (
            ("sign", state.sign_deadline, sign_deadline_state(state, now)),
            ("reply", state.reply_deadline, reply_deadline_state(state, now)),
        )
        if deadline is not None and judged is not None
    ]
    if not found:
        return None

    def urgency(d: OrderDeadline) -> tuple[int, float]:
        second = d.deadline.due_at.timestamp() if d.live else (0.0 if d.kind == "reply" else 1.0)
        return (-_PRESSURE[d.state], second)

    return min(found, key=urgency)
