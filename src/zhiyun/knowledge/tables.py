"""Tables of the knowledge base: the knowledge items (知识点) and every change made to them.

Rows share `zhiyun.store.base.Base`; `store/schema.py` includes this module through the
capability's declaration.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.domain.knowledge import (
    CATEGORY_MAX,
    DEPARTMENT_MAX,
    POLICY_MAX,
    SOURCE_MAX,
    TITLE_MAX,
)
from zhiyun.store.base import Base, BigId

ORIGIN_REF_MAX = 100


class KnowledgeItemRow(Base):
    """A knowledge item (知识点, GB/T 44191): a question's title, its answer, similar questions, its
    category, the unit that keeps it and the department the answer is owned by, the source
    document and the policy it rests on, the days it is valid, and its status (草稿 → 已审核 →
    已发布 → 已撤回). `origin` says where it came from (manual, guide, import, order) and
    `origin_ref` which record there (the guide's task code, the order's number): an import run
    again finds the items it made."""

    __tablename__ = "knowledge_item"
    __table_args__ = (
        UniqueConstraint("origin", "origin_ref", name="uq_knowledge_item_origin"),
        Index("ix_knowledge_item_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    answer: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX), default="")
    source: Mapped[str] = mapped_column(String(SOURCE_MAX), default="")
    policy_ref: Mapped[str] = mapped_column(String(POLICY_MAX), default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(20))
    origin_ref: Mapped[str | None] = mapped_column(String(ORIGIN_REF_MAX))
    created_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column()
    updated_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)


class KnowledgeItemStepRow(Base):
    """One change of a knowledge item (created, edited, reviewed, sent back, published, withdrawn):
    who, when, from and to which status, the note, and in `details` what changed (field → [old,
    new]). Append-only (the migration's triggers refuse UPDATE and DELETE), written with the
    item's version bump in one go (`store.lifecycle.AuditedTable`). Its largest id is the
    knowledge base's version stamp: the retrieval index is rebuilt when it moves."""

    __tablename__ = "knowledge_item_step"
    __table_args__ = (Index("ix_knowledge_item_step_item_id_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("knowledge_item.id"))
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
