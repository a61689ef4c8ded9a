"""The quick replies (常用语) table: one row per snippet, of a unit's set or of one user's own.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the capability's
declaration names it) so that the metadata is whole.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, utcnow

TITLE_MAX = 20  # the keyword typed after "/"
TEXT_MAX = 2000


class QuickReplyRow(Base):
    """One quick reply: its set (`scope` "unit" with `unit_id`, or "personal" with `user_id`),
    the keyword (`title`) typed after "/", its text with placeholders, its place in the set,
    whether it is offered, and who made and last changed it."""

    __tablename__ = "quick_reply"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'unit' AND unit_id IS NOT NULL AND user_id IS NULL)"
            " OR (scope = 'personal' AND user_id IS NOT NULL AND unit_id IS NULL)",
            name="ck_quick_reply_owner",
        ),
        Index("ix_quick_reply_unit_id", "unit_id"),
        Index("ix_quick_reply_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    text: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["TEXT_MAX", "TITLE_MAX", "QuickReplyRow"]
