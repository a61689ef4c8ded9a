"""The dashboard's rates and counts, defined on one order at a time (pure, standard library only).

These functions are the definitions; `zhiyun.analytics.dashboard` computes the same in SQL
over many orders, and the integration tests check that both agree. docs/dashboard.md
states them in words.

Population of every rate: the *valid* orders registered in the period — those the rate
definition in force does not leave out (`zhiyun.domain.rate_definitions`: by default cancelled
and merged orders are left out). For each order:

- response (响应率): counted when it has a sign-for deadline of its current dispatch and was
  either signed or is past that deadline; on time when signed by the deadline.
- on time (按时办结率): counted when it has been replied (办结反馈, or resolved on intake), or
  its reply deadline has passed while it is still being handled (not suspended); on time when
  replied by the reply deadline (after approved extensions and suspensions), or replied
  with no deadline (resolved on intake).
- resolution (解决率): same orders as on time; resolved when its reply passed review
  (awaiting callback, or closed) and the citizen's final callback rating is not unsatisfied.
- satisfaction (满意率): counted when closed with a rating of satisfied, basically satisfied or
  unsatisfied (unreachable citizens and closures without callback are not rated);
  satisfied for satisfied and basically satisfied.
- overdue (超时): an open order whose live sign-for deadline (status dispatched) or reply
  deadline (pending dispatch, dispatched, in progress) has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zhiyun.domain.org import OrgTree
from zhiyun.domain.rate_definitions import DEFAULT, RateDefinition
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus, Satisfaction

INVALID_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.MERGED})
REPLY_LIVE_STATUSES = frozenset(
    {OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS}
)
SIGN_LIVE_STATUSES = frozenset({OrderStatus.DISPATCHED})
RESOLVED_STATUSES = frozenset({OrderStatus.AWAITING_CALLBACK, OrderStatus.CLOSED})
RATED = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED})
CONTENT = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})


@dataclass(frozen=True)
class OrderFacts:
    """What the rates read of one order (the columns of `work_order` of the same names)."""

    status: OrderStatus
    sign_due_at: datetime | None = None
    signed_at: datetime | None = None
    reply_due_at: datetime | None = None
    replied_at: datetime | None = None
    satisfaction: Satisfaction | None = None
    category_code: str | None = None


def is_valid(o: OrderFacts, definition: RateDefinition = DEFAULT) -> bool:
    return not definition.leaves_out(
        cancelled=o.status is OrderStatus.CANCELLED,
        merged=o.status is OrderStatus.MERGED,
        category_code=o.category_code,
    )


def response_counted(o: OrderFacts, now: datetime, definition: RateDefinition = DEFAULT) -> bool:
    if not is_valid(o, definition) or o.sign_due_at is None:
        return False
    return o.signed_at is not None or o.sign_due_at <= now


def responded_on_time(o: OrderFacts, now: datetime, definition: RateDefinition = DEFAULT) -> bool:
    return (
        response_counted(o, now, definition)
        and o.signed_at is not None
        and o.sign_due_at is not None
        and o.signed_at <= o.sign_due_at
    )


def reply_counted(o: OrderFacts, now: datetime, definition: RateDefinition = DEFAULT) -> bool:
    """Due to be replied (应办结): replied, or past its reply deadline while being handled."""
    if not is_valid(o, definition):
        return False
    if o.replied_at is not None:
        return True
    return o.status in REPLY_LIVE_STATUSES and o.reply_due_at is not None and o.reply_due_at <= now


def replied_on_time(o: OrderFacts, now: datetime, definition: RateDefinition = DEFAULT) -> bool:
    if not reply_counted(o, now, definition) or o.replied_at is None:
        return False
    return o.reply_due_at is None or o.replied_at <= o.reply_due_at


def resolved(o: OrderFacts, now: datetime, definition: RateDefinition = DEFAULT) -> bool:
    return (
        reply_counted(o, now, definition)
        and o.status in RESOLVED_STATUSES
        and o.satisfaction is not Satisfaction.UNSATISFIED
    )


def satisfaction_counted(o: OrderFacts, definition: RateDefinition = DEFAULT) -> bool:
    return is_valid(o, definition) and o.status is OrderStatus.CLOSED and o.satisfaction in RATED


def content_ratings(definition: RateDefinition = DEFAULT) -> frozenset[Satisfaction]:
    """The ratings the satisfaction rate counts as satisfied under `definition`."""
    return CONTENT if definition.basic_counts_satisfied else frozenset({Satisfaction.SATISFIED})


def satisfied(o: OrderFacts, definition: RateDefinition = DEFAULT) -> bool:
    return satisfaction_counted(o, definition) and o.satisfaction in content_ratings(definition)


def is_open(o: OrderFacts) -> bool:
    return o.status in OPEN_STATUSES


def is_overdue(o: OrderFacts, now: datetime) -> bool:
    sign = o.status in SIGN_LIVE_STATUSES and o.sign_due_at is not None and o.sign_due_at <= now
    reply = o.status in REPLY_LIVE_STATUSES and o.reply_due_at is not None and o.reply_due_at <= now
    return sign or reply


@dataclass
class RateCounts:
    """Numerators and denominators of the four rates for one group of orders."""

    valid: int = 0
    response_due: int = 0
    response_on_time: int = 0
    reply_due: int = 0
    replied_on_time: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    excluded: int = 0  # the period's orders the rate definition left out

    def add(self, other: RateCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def response_rate(self) -> float | None:
        return ratio(self.response_on_time, self.response_due)

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self.resolved, self.reply_due)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.rated)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.replied_on_time, self.reply_due)


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when nothing was counted (shown as "—", ranked last)."""
    return part / whole if whole else None


def count_rates(orders: list[OrderFacts], now: datetime, definition: RateDefinition = DEFAULT) -> RateCounts:
    """The rate counts of `orders` (all of the period's population, valid or not) under
    `definition`."""
    counts = RateCounts()
    for o in orders:
        valid = is_valid(o, definition)
        counts.valid += valid
        counts.excluded += not valid
        counts.response_due += response_counted(o, now, definition)
        counts.response_on_time += responded_on_time(o, now, definition)
        counts.reply_due += reply_counted(o, now, definition)
        counts.replied_on_time += replied_on_time(o, now, definition)
        counts.resolved += resolved(o, now, definition)
        counts.rated += satisfaction_counted(o, definition)
        counts.satisfied += satisfied(o, definition)
    return counts


# --------------------------------------------------------------------------- attribution


def attribute(org: OrgTree, scope_id: int, route: tuple[int | None, ...]) -> int | None:
    """The child of `scope_id` an order is counted for, from the units of its route.

    `route` is (registering unit, first unit dispatched to, current holder): the first of
    them that lies strictly below the scope names the child (its ancestor just below the
    scope). An order only at the scope unit itself gives `scope_id` (本级); one with no unit
    within the scope gives None.
    """
    inside = False
    for unit_id in route:
        if unit_id is None or unit_id not in org.units:
            continue
        if unit_id == scope_id:
            inside = True
            continue
        child = _child_of(org, scope_id, unit_id)
        if child is not None:
            return child
    return scope_id if inside else None


def _child_of(org: OrgTree, scope_id: int, unit_id: int) -> int | None:
    previous = unit_id
    for ancestor in org.ancestors(unit_id):
        if ancestor.id == scope_id:
            return previous
        previous = ancestor.id
    return None


def growth(this_week: int, last_week: int) -> float | None:
    """Relative change this week vs the same span of last week; None when last week had none."""
    if last_week == 0:
        return None
    return (this_week - last_week) / last_week


__all__ = [
    "OrderFacts",
    "RateCounts",
    "attribute",
    "count_rates",
    "growth",
    "is_open",
    "is_overdue",
    "ratio",
]
