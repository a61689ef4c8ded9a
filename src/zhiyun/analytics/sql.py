"""The SQL forms of the dashboard's definitions (`zhiyun.analytics.rates`), shared by the live
queries and the day rollup: the eight rate sums, overdue, local days, routes and scopes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, not_, or_, true

from zhiyun.analytics import rates
from zhiyun.domain.rate_definitions import DEFAULT, Exclusion, RateDefinition
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus
from zhiyun.store.tables import WorkOrderRow

W = WorkOrderRow


def sum_of(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = column.in_(sorted(values))
    return clause


_REPLY_LIVE = [s.value for s in rates.REPLY_LIVE_STATUSES]
_SIGN_LIVE = [s.value for s in rates.SIGN_LIVE_STATUSES]
_RESOLVED = [s.value for s in rates.RESOLVED_STATUSES]
OPEN = [s.value for s in OPEN_STATUSES]
_RATED = [s.value for s in rates.RATED]
_UNSATISFIED = "unsatisfied"
CLOSED = OrderStatus.CLOSED.value

RATE_FIELDS = (
    "valid",
    "response_due",
    "response_on_time",
    "reply_due",
    "replied_on_time",
    "resolved",
    "rated",
    "satisfied",
    "excluded",
)


def valid_clause(definition: RateDefinition) -> ColumnElement[bool]:
    """Orders `definition` does not leave out (`RateDefinition.leaves_out` in SQL)."""
    left_out: list[ColumnElement[bool]] = []
    if Exclusion.INVALID in definition.exclusions:
        left_out.append(W.status == OrderStatus.CANCELLED.value)
    if Exclusion.REPEAT in definition.exclusions:
        left_out.append(W.status == OrderStatus.MERGED.value)
    # category codes are letters and digits only (checked when the definition is made): no wildcard
    left_out += [W.category_code.like(f"{code}%") for code in definition.leaves_out_categories]
    if not left_out:
        return true()
    return and_(*(not_(func.coalesce(c, False)) for c in left_out))


def rate_columns(now: datetime, definition: RateDefinition = DEFAULT) -> list[Any]:
    """The nine sums of `rates.RateCounts`, in RATE_FIELDS order, under `definition` (see rates
    for the definitions)."""
    valid = valid_clause(definition)
    content = [s.value for s in rates.content_ratings(definition)]
    return [
        sum_of(valid),
        sum_of(and_(valid, W.sign_due_at.is_not(None), or_(W.signed_at.is_not(None), W.sign_due_at <= now))),
        sum_of(
            and_(valid, W.signed_at.is_not(None), W.sign_due_at.is_not(None), W.signed_at <= W.sign_due_at)
        ),
        sum_of(
            and_(
                valid,
                or_(W.replied_at.is_not(None), and_(in_(W.status, _REPLY_LIVE), W.reply_due_at <= now)),
            )
        ),
        sum_of(
            and_(
                valid,
                W.replied_at.is_not(None),
                or_(W.reply_due_at.is_(None), W.replied_at <= W.reply_due_at),
            )
        ),
        sum_of(
            and_(
                valid,
                in_(W.status, _RESOLVED),
                W.replied_at.is_not(None),
                or_(W.satisfaction.is_(None), W.satisfaction != _UNSATISFIED),
            )
        ),
        sum_of(and_(valid, W.status == CLOSED, in_(W.satisfaction, _RATED))),
        sum_of(and_(valid, W.status == CLOSED, in_(W.satisfaction, content))),
        sum_of(not_(valid)),
    ]


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(in_(W.status, _SIGN_LIVE), W.sign_due_at <= now),
        and_(in_(W.status, _REPLY_LIVE), W.reply_due_at <= now),
    )


def local_day(column: Any, dialect: str, offset_hours: int) -> Any:
    """The local calendar date of a UTC timestamp column (Asia/Shanghai: a fixed +8 hours)."""
    name = f"{column.table.name}.{column.name}"
    if dialect == "sqlite":
        return literal_column(f"date({name}, '{offset_hours:+d} hours')")
    return literal_column(f"CAST({name} + INTERVAL '{offset_hours} hours' AS DATE)")


ROUTE = (W.registered_unit_id, W.responsible_unit_id, W.current_unit_id)


def route_clause(columns: tuple[Any, Any, Any], unit_ids: Iterable[int] | None) -> ColumnElement[bool] | None:
    """Rows whose route (registering unit, first dispatched to, holder) touches `unit_ids` (None: all)."""
    if unit_ids is None:
        return None
    ids = sorted(unit_ids)
    clause: ColumnElement[bool] = or_(*(c.in_(ids) for c in columns))
    return clause
