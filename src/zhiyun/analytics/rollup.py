"""The dashboard's day rollup: the days before today, counted once per refresh.

`refresh(db, now)` rebuilds `dashboard_day` for the ROLLUP_DAYS local days before today
in one transaction (delete, then two INSERT … SELECT aggregates over `work_order`: orders
registered per day and route with the rate counts as they stand at `now` under the rate
definition in force (whose version it stamps: a newer one makes it stale), and orders
closed per day and route), and stamps `dashboard_rollup`. Today is never in the rollup:
the dashboard counts it live, so new orders show at once.

Who keeps it current: `DashboardService` refreshes it when a dashboard is asked for and the
stamp is older than its `rollup_max_age` (default 5 minutes) or does not reach yesterday;
`zhiyun dashboard refresh` does the same from cron or the worker. In between, the figures
of earlier days are up to `rollup_max_age` old (an order replied five minutes ago may not
count yet in a rate of its registration day); the volume, backlog, overdue and rising
figures are always live. Refreshes that meet are serialized (a transaction-level advisory
lock on PostgreSQL, the write lock on SQLite), so the table never holds a day twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from zhiyun.analytics import sql
from zhiyun.analytics.definitions import current_in
from zhiyun.analytics.periods import MAX_RATE_DAYS, local_midnight, utc_offset_hours
from zhiyun.analytics.tables import DashboardDayRow, DashboardRollupRow
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.store.base import table_of
from zhiyun.store.db import Database

ROLLUP_DAYS = MAX_RATE_DAYS  # every rate period the dashboard offers, and the 30-day trend
STATE_ID = 1
_LOCK_KEY = 0x7A6864  # "zhd"
W = sql.W
_DAY = table_of(DashboardDayRow)
_COUNT_COLUMNS = ("new", "closed", *sql.RATE_FIELDS)


@dataclass(frozen=True)
class RollupState:
    first_day: date
    last_day: date
    refreshed_at: datetime
    definition_version: int = 1  # the rate definition it counted by

    def covers(self, first: date, today: date, definition_version: int | None = None) -> bool:
        """Whether it holds every day from `first` up to yesterday (counted by
        `definition_version`, when given)."""
        if definition_version is not None and definition_version != self.definition_version:
            return False
        return self.first_day <= first and self.last_day >= today - timedelta(days=1)


def state(session: Session) -> RollupState | None:
    row = session.get(DashboardRollupRow, STATE_ID)
    if row is None:
        return None
    return RollupState(row.first_day, row.last_day, row.refreshed_at, row.definition_version)


def refresh(db: Database, now: datetime) -> RollupState:
    """Rebuild the rollup for the ROLLUP_DAYS days before `now`'s local date."""
    today = now.astimezone(LOCAL_TZ).date()
    first = today - timedelta(days=ROLLUP_DAYS)
    start, end = local_midnight(first), local_midnight(today)
    offset = utc_offset_hours(now)
    with db.transaction() as session:
        if db.dialect == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        definition = current_in(session)
        session.execute(delete(_DAY))
        zeros = [literal(0)] * len(sql.RATE_FIELDS)
        registered_day = sql.local_day(W.registered_at, db.dialect, offset)
        closed_day = sql.local_day(W.closed_at, db.dialect, offset)
        columns = ["day", "registered_unit_id", "responsible_unit_id", "current_unit_id", *_COUNT_COLUMNS]
        new = (
            select(
                registered_day.label("day"),
                *sql.ROUTE,
                func.count(),
                literal(0),
                *sql.rate_columns(now, definition),
            )
            .where(W.registered_at >= start, W.registered_at < end)
            .group_by(registered_day, *sql.ROUTE)
        )
        closed = (
            select(closed_day.label("day"), *sql.ROUTE, literal(0), func.count(), *zeros)
            .where(W.status == sql.CLOSED, W.closed_at >= start, W.closed_at < end)
            .group_by(closed_day, *sql.ROUTE)
        )
        session.execute(insert(_DAY).from_select(columns, new))
        session.execute(insert(_DAY).from_select(columns, closed))
        row = session.get(DashboardRollupRow, STATE_ID)
        last = today - timedelta(days=1)
        if row is None:
            session.add(
                DashboardRollupRow(
                    id=STATE_ID,
                    first_day=first,
                    last_day=last,
                    refreshed_at=now,
                    definition_version=definition.version,
                )
            )
        else:
            row.first_day, row.last_day, row.refreshed_at = first, last, now
            row.definition_version = definition.version
    return RollupState(first, last, now, definition.version)


def rate_rows(first: date, before: date, scope: Any) -> Any:
    """Route and the eight rate sums of the orders registered on days [first, before)."""
    d = _DAY.c
    stmt = select(
        d.registered_unit_id,
        d.responsible_unit_id,
        d.current_unit_id,
        *(func.sum(d[c]) for c in sql.RATE_FIELDS),
    )
    stmt = stmt.where(d.day >= first, d.day < before, d.new > 0)
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt.group_by(d.registered_unit_id, d.responsible_unit_id, d.current_unit_id)


def trend_rows(first: date, before: date, scope: Any) -> Any:
    """Day, new and closed orders per day [first, before)."""
    d = _DAY.c
    stmt = select(d.day, func.sum(d.new), func.sum(d.closed)).where(d.day >= first, d.day < before)
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt.group_by(d.day)


def route_columns() -> tuple[Any, Any, Any]:
    d = _DAY.c
    return (d.registered_unit_id, d.responsible_unit_id, d.current_unit_id)
