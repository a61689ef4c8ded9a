"""Tables of 小南: every conversation with its outcome, and every turn of it.

- assistant_conversation: one conversation, reached by an unguessable token (the citizen's
  page holds it; no login), its channel, its outcome (open → answered / handed over / urgent),
  the hand-over's reason and work order, and a hash of the client's address (throttles).
- assistant_turn: what the citizen said and what 小南 answered — the kind of answer, the
  knowledge item and its score, the citizen's thumbs up or down on an answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, BigId


class AssistantConversationRow(Base):
    """A conversation with 小南 (see the module's note)."""

    __tablename__ = "assistant_conversation"
    __table_args__ = (
        Index("ix_assistant_conversation_started_at", "started_at"),
        Index("ix_assistant_conversation_client_started", "client_hash", "started_at"),
        {"info": {"label": "小南对话"}},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(20))  # portal | api
    client_hash: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime]
    last_at: Mapped[datetime]
    questions: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(20))  # open | answered | handover | urgent
    handover_reason: Mapped[str | None] = mapped_column(String(20))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("work_order.id"))


class AssistantTurnRow(Base):
    """One turn of a conversation: the citizen's words or 小南's answer."""

    __tablename__ = "assistant_turn"
    __table_args__ = (Index("ix_assistant_turn_conversation_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigId, ForeignKey("assistant_conversation.id"))
    role: Mapped[str] = mapped_column(String(10))  # citizen | assistant
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # question | answer | clarify | handover | urgent | registered
    reason: Mapped[str | None] = mapped_column(String(20))  # a hand-over's reason
    item_id: Mapped[int | None] = mapped_column(Integer)  # the knowledge item answered with
    score: Mapped[float | None] = mapped_column(Float)
    options: Mapped[str] = mapped_column(String(200), default="")  # item ids offered, "12,34"
    feedback: Mapped[int | None] = mapped_column(Integer)  # +1 / -1 on an answer
    created_at: Mapped[datetime]
