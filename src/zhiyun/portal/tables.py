"""The portal's tables: its throttles' windows and the citizens' ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, BigId


class PortalThrottleRow(Base):
    """One throttle key's current window (domain.portal.Window): how many reports or look-ups it
    has had since `started_at`. Keys carry a digest, never a phone or a place in the clear.
    Kept in the database so that every web process counts the same hits."""

    __tablename__ = "portal_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    hits: Mapped[int] = mapped_column(Integer)


class PortalRatingRow(Base):
    """A citizen's rating of an order's result on the portal (满意 / 基本满意 / 不满意, with their
    words): one per reply (`round`: the order's reopen count when it was rated); the order's
    audit trail holds it as the callback it counts as."""

    __tablename__ = "portal_rating"
    __table_args__ = (UniqueConstraint("order_id", "round", name="uq_portal_rating_order_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"))
    round: Mapped[int] = mapped_column(Integer)
    satisfaction: Mapped[str] = mapped_column(String(24))
    words: Mapped[str] = mapped_column(String(500))
    reopened: Mapped[bool] = mapped_column(default=False)
    rated_at: Mapped[datetime] = mapped_column()
