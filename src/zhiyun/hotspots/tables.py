"""The platform's hot issues (热点问题): the ranked groups the worker keeps current, and their orders.

- hot_issue: one hot issue as last ranked — title, place, hot index with its parts, time range,
  sizes — and what was done about it (merged into one supervised order, or a proactive order
  made). Its id stays while its group lives, across the worker's rebuilds (matched by members).
- hot_issue_member: the orders of a hot issue (an order is in one hot issue at a time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, BigId


class HotIssueRow(Base):
    """A hot issue (see the module's note)."""

    __tablename__ = "hot_issue"
    __table_args__ = (Index("ix_hot_issue_status_rank", "status", "rank"), {"info": {"label": "热点问题"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64))  # the grouping index's id of its group
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(100))
    matter: Mapped[list[Any]]
    hot_index: Mapped[float] = mapped_column(Float)
    parts: Mapped[dict[str, Any]]
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer)  # orders
    counted: Mapped[int] = mapped_column(Integer)  # after the near-repeat rule
    callers: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int | None] = mapped_column(Integer)  # None: not among the ranked now
    status: Mapped[str] = mapped_column(String(12))  # active | faded | merged | ordered
    order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("work_order.id")
    )  # supervised or proactive
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    handled_by_name: Mapped[str] = mapped_column(String(100), default="")
    handled_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    refreshed_at: Mapped[datetime]


class HotIssueMemberRow(Base):
    """An order of a hot issue."""

    __tablename__ = "hot_issue_member"
    __table_args__ = (Index("ix_hot_issue_member_issue", "hot_issue_id"),)

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"), primary_key=True)
    hot_issue_id: Mapped[int] = mapped_column(ForeignKey("hot_issue.id"))
