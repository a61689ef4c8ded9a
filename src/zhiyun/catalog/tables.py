"""Tables of the taxonomy (category tree) and the responsibility list (权责清单).

Also what automatic dispatch leaves behind: the dispatch suggestion of each order and the
training feedback that every manual correction produces.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module so that the metadata is whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, utcnow

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class CategoryRow(Base):
    """A category of the event taxonomy (事项分类), one of three levels."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(64), index=True)
    level: Mapped[int] = mapped_column(Integer)
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    default_type: Mapped[str | None] = mapped_column(String(20))
    time_limit_days: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResponsibilityRuleRow(Base):
    """A rule of the responsibility list: (category, area, conditions) → responsible unit."""

    __tablename__ = "responsibility_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_code: Mapped[str | None] = mapped_column(String(64), index=True)
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    order_type: Mapped[str | None] = mapped_column(String(20))
    urgent: Mapped[bool | None] = mapped_column(Boolean)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListChangeRow(Base):
    """One versioned change of the taxonomy or the responsibility list: who, what, when, before/after.

    `subject` is "rule" or "category"; `key` the rule id or category code; `action` is
    create, update, delete or import; `before`/`after` are the row as it was and became.
    """

    __tablename__ = "list_change"
    __table_args__ = (Index("ix_list_change_subject_key", "subject", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DispatchSuggestionRow(Base):
    """What automatic dispatch concluded for one order at registration.

    The top three categories with their confidences and the unit the responsibility list
    gives for each, the rule that fired, and whether the order was dispatched automatically
    (`applied`) or waits for a dispatcher (`decision` says why).
    """

    __tablename__ = "dispatch_suggestion"
    __table_args__ = (Index("ix_dispatch_suggestion_created_at", "created_at"),)

    order_id: Mapped[int] = mapped_column(_BigId, ForeignKey("work_order.id"), primary_key=True)
    model_version: Mapped[str | None] = mapped_column(String(64))
    category_code: Mapped[str | None] = mapped_column(String(64), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    suggestions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    target_unit_id: Mapped[int | None] = mapped_column(Integer)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str] = mapped_column(String(32))
    urgent_signals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DispatchFeedbackRow(Base):
    """A manual correction of what the system predicted or did: training feedback.

    `kind`: "dispatch" (a dispatcher chose another unit than suggested), "redispatch" or
    "return" after an automatic dispatch, "category" (a person changed the category).
    """

    __tablename__ = "dispatch_feedback"
    __table_args__ = (Index("ix_dispatch_feedback_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(_BigId, ForeignKey("work_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    predicted_category: Mapped[str | None] = mapped_column(String(64))
    corrected_category: Mapped[str | None] = mapped_column(String(64))
    predicted_unit_id: Mapped[int | None] = mapped_column(Integer)
    corrected_unit_id: Mapped[int | None] = mapped_column(Integer)
    model_version: Mapped[str | None] = mapped_column(String(64))
    after_automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "CategoryRow",
    "DispatchFeedbackRow",
    "DispatchSuggestionRow",
    "ListChangeRow",
    "ResponsibilityRuleRow",
]
