"""Tables of the outlook: early warnings (预警) and each step of their life cycle.

Rows share `zhiyun.store.base.Base`; `store/schema.py` includes this module through the
capability's declaration.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, BigId


class OutlookWarningRow(Base):
    """A warning (预警): a category surging in a town over a day or a week, as the daily
    detection found it, and what the town's center did about it — acknowledged (已知悉), turned
    into a proactive order (未诉先办) or dismissed with a reason. One per town × category ×
    window × period (the day, or the week's Monday): detection run again updates the counts of
    a warning still raised and never raises it twice. A warning of a new hot issue growing fast
    (window "hot") names the hot issue (`hot_issue_id`; 0 on a surge of a category): its town and
    category are those of most of its orders, its period the day it was raised."""

    __tablename__ = "outlook_warning"
    __table_args__ = (
        UniqueConstraint(
            "town_unit_id",
            "category_code",
            "window",
            "period_start",
            "hot_issue_id",
            name="uq_outlook_warning_period",
        ),
        Index("ix_outlook_warning_status_raised_at", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    town_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(64))
    window: Mapped[str] = mapped_column(String(10))  # "day" or "week"
    period_start: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)  # the last day counted
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    expected_sd: Mapped[float] = mapped_column(Float)
    interval_low: Mapped[int] = mapped_column(Integer)
    interval_high: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(40))  # "negbin", "poisson", "cusum", joined by "+"
    explanation: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    dismissed_at: Mapped[datetime | None] = mapped_column()
    dismissed_by: Mapped[str | None] = mapped_column(String(100))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    ordered_at: Mapped[datetime | None] = mapped_column()
    ordered_by: Mapped[str | None] = mapped_column(String(100))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    hot_issue_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OutlookWarningStepRow(Base):
    """One step of a warning's life cycle (raised, acknowledged, ordered, dismissed): who, when,
    from and to which status, the note (a dismissal's reason). Append-only (the migration's
    triggers refuse UPDATE and DELETE), written with the warning's version bump in one go
    (`store.lifecycle.AuditedTable`)."""

    __tablename__ = "outlook_warning_step"
    __table_args__ = (Index("ix_outlook_warning_step_warning_id_id", "warning_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    warning_id: Mapped[int] = mapped_column(BigId, ForeignKey("outlook_warning.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_unit_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column()
