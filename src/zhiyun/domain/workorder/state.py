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
    if state.sign_deadline is None:
        return None
    if state.status is OrderStatus.DISPATCHED:
        return state.sign_deadline.state(now)
    return DeadlineState.MET


def reply_deadline_state(state: OrderState, now: datetime) -> DeadlineState | None:
    if state.reply_deadline is None:
        return None
    if state.status is OrderStatus.SUSPENDED:
        return DeadlineState.PAUSED
    if state.status in (OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS):
        return state.reply_deadline.state(now)
    return DeadlineState.MET
