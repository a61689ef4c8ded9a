"""Tables and indexes of the analytics: what the leader dashboard needs beyond the hot path.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module so that the metadata is whole.

- ix_work_order_closed_at_closed: closed orders by the instant they were closed (the 30-day
  trend's "closed per day", counted live for today); partial, only status 'closed'.
- dashboard_day / dashboard_rollup: the days before today, counted once per refresh
  instead of on every dashboard request (see zhiyun.analytics.rollup for who refreshes them
  and how stale they may be).
- rate_definition: the versions of what the rates count (zhiyun.domain.rate_definitions).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, table_of
from zhiyun.store.tables import WorkOrderRow

_CLOSED = text("status = 'closed'")

CLOSED_AT_INDEX = Index(
    "ix_work_order_closed_at_closed",
    table_of(WorkOrderRow).c.closed_at,
    postgresql_where=_CLOSED,
    sqlite_where=_CLOSED,
)


class DashboardDayRow(Base):
    """One local day and one route of orders, counted for the dashboard (a rollup of `work_order`).

    For the orders *registered* that day with this route (registering unit, unit first
    dispatched to, current holder): how many (`new`) and the numerators and denominators of
    the rates as they stood at the last refresh; for the orders *closed* that day with this
    route: how many (`closed`). Rebuilt for the last days before today by
    `zhiyun.analytics.rollup.refresh`; today is always counted live.
    """

    __tablename__ = "dashboard_day"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    registered_unit_id: Mapped[int] = mapped_column(Integer)
    responsible_unit_id: Mapped[int | None] = mapped_column(Integer)
    current_unit_id: Mapped[int] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    response_due: Mapped[int] = mapped_column(Integer, default=0)
    response_on_time: Mapped[int] = mapped_column(Integer, default=0)
    reply_due: Mapped[int] = mapped_column(Integer, default=0)
    replied_on_time: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DashboardRollupRow(Base):
    """When the dashboard's day rollup was last rebuilt, and which local days it holds (one row)."""

    __tablename__ = "dashboard_rollup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    refreshed_at: Mapped[datetime]
    definition_version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1"
    )  # the rate definition it counted by


class RateDefinitionRow(Base):
    """One version of the rate definition (统计口径: which orders the rates leave out), kept for
    good: the highest version is in force (`zhiyun.domain.rate_definitions`). Version 1, the
    built-in default, has no row."""

    __tablename__ = "rate_definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    content: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(String(500))
    defined_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    defined_by_name: Mapped[str] = mapped_column(String(100), default="")
    defined_at: Mapped[datetime]


class ReportRow(Base):
    """A report (统计报表) of one unit for one period, as it was made: its figures frozen, with the
    rate definition it counted by (`zhiyun.analytics.reports`). One per unit, kind and period."""

    __tablename__ = "analytics_report"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "first_day", name="uq_analytics_report_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(10))
    first_day: Mapped[date] = mapped_column(Date, index=True)
    last_day: Mapped[date] = mapped_column(Date)
    definition_version: Mapped[int] = mapped_column(Integer)
    generated_at: Mapped[datetime]
    figures: Mapped[dict[str, Any]]


class ReportSubscriptionRow(Base):
    """A user's subscription to one unit's reports of one kind: they are listed as the user's own
    and marked new until read (`seen_at`)."""

    __tablename__ = "analytics_report_subscription"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id", "kind", name="uq_analytics_report_subscription"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]
