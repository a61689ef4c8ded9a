"""The order's one deadline state (`order_deadline`): the most pressing of its live deadlines.

The queues (即将超时, 已超时), the list's badge and the exports all show this one state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zhiyun.domain.deadlines import Deadline, DeadlineState, LimitUnit
from zhiyun.domain.workorder import OrderState, OrderStatus, OrderType, Urgency, order_deadline

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def _deadline(hours_left: float, budget_hours: float = 24) -> Deadline:
    due = NOW + timedelta(hours=hours_left)
    return Deadline(due, due - timedelta(hours=0.2 * budget_hours), LimitUnit.HOURS, budget_hours * 3600)


def _state(status: OrderStatus, sign: Deadline | None = None, reply: Deadline | None = None) -> OrderState:
    return OrderState(
        status=status,
        chain=(1, 2),
        order_type=OrderType.HELP,
        urgency=Urgency.URGENT,
        registered_at=NOW - timedelta(hours=3),
        sign_deadline=sign,
        reply_deadline=reply,
    )


def test_an_overdue_sign_deadline_makes_the_order_overdue_whatever_the_reply_deadline() -> None:
    found = order_deadline(_state(OrderStatus.DISPATCHED, _deadline(-2, 1), _deadline(21)), NOW)
    assert found is not None
    assert found.state is DeadlineState.OVERDUE
    assert found.kind == "sign" and found.label == "签收"


def test_an_overdue_reply_deadline_wins_over_a_sign_deadline_in_warning() -> None:
    found = order_deadline(_state(OrderStatus.DISPATCHED, _deadline(0.1, 1), _deadline(-1)), NOW)
    assert found is not None and (found.state, found.kind) == (DeadlineState.OVERDUE, "reply")


def test_a_warning_wins_over_on_time() -> None:
    found = order_deadline(_state(OrderStatus.DISPATCHED, _deadline(0.1, 1), _deadline(20)), NOW)
    assert found is not None and (found.state, found.kind) == (DeadlineState.WARNING, "sign")


def test_when_both_are_on_time_the_earlier_one_decides() -> None:
    found = order_deadline(_state(OrderStatus.DISPATCHED, _deadline(5, 24), _deadline(100, 240)), NOW)
    assert found is not None and (found.state, found.kind) == (DeadlineState.ON_TIME, "sign")


def test_a_signed_order_is_judged_by_its_reply_deadline_only() -> None:
    found = order_deadline(_state(OrderStatus.IN_PROGRESS, _deadline(-2, 1), _deadline(21)), NOW)
    assert found is not None and (found.state, found.kind) == (DeadlineState.ON_TIME, "reply")


def test_suspended_closed_and_deadline_free_orders() -> None:
    paused = order_deadline(_state(OrderStatus.SUSPENDED, _deadline(-2, 1), _deadline(-1)), NOW)
    assert paused is not None and paused.state is DeadlineState.PAUSED
    done = order_deadline(_state(OrderStatus.CLOSED, _deadline(-2, 1), _deadline(-1)), NOW)
    assert done is not None and done.state is DeadlineState.MET
    assert order_deadline(_state(OrderStatus.PENDING_DISPATCH), NOW) is None


def test_at_the_due_instant_the_order_is_not_yet_overdue() -> None:
    """A step taken at the due instant is on time (Deadline.state): the order too."""
    reply = _deadline(0)
    found = order_deadline(_state(OrderStatus.IN_PROGRESS, None, reply), NOW)
    assert found is not None and found.state is DeadlineState.WARNING
    later = order_deadline(_state(OrderStatus.IN_PROGRESS, None, reply), NOW + timedelta(microseconds=1))
    assert later is not None and later.state is DeadlineState.OVERDUE
