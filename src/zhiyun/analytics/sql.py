"""The SQL forms of the dashboard's definitions (`zhiyun.analytics.rates`), shared by the live
queries and the day rollup: the eight rate sums, overdue, local days, routes and scopes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, not_, or_

from zhiyun.analytics import rates
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus
from zhiyun.store.tables import WorkOrderRow

W = WorkOrderRow


def sum_of(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = column.in_(sorted(values))
    return clause


_INVALID = [s.value for s in rates.INVALID_STATUSES]
_REPLY_LIVE = [s.value for s in rates.REPLY_LIVE_STATUSES]
_SIGN_LIVE = [s.value for s in rates.SIGN_LIVE_STATUSES]
_RESOLVED = [s.value for s in rates.RESOLVED_STATUSES]
OPEN = [s.value for s in OPEN_STATUSES]
_RATED = [s.value for s in rates.RATED]
_CONTENT = [s.value for s in rates.CONTENT]
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
)


def rate_columns(now: datetime) -> list[Any]:
    """The eight sums of `rates.RateCounts`, in RATE_FIELDS order (see rates for the definitions)."""
    valid = not_(in_(W.status, _INVALID))
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
                in_(W.status, _RESOLVED),
                W.replied_at.is_not(None),
                or_(W.satisfaction.is_(None), W.satisfaction != _UNSATISFIED),
            )
        ),
        sum_of(and_(W.status == CLOSED, in_(W.satisfaction, _RATED))),
        sum_of(and_(W.status == CLOSED, in_(W.satisfaction, _CONTENT))),
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
