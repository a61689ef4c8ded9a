"""Merged patrols' tables: the month's visit tasks, the visits submitted, their answers and photos.

- `patrol_task`: one visit task (巡查任务) of a month's plan: a worker visits an object on a
  planned day, inside its window, and answers the checklists of every item it covers (`items`:
  the codes and versions). A visit that satisfied only some items leaves a follow-up task
  (`follow_up_of`). Planning a month again replaces its tasks not yet visited; visited ones
  stay as they were.
- `patrol_visit`: one submission from a worker's phone, kept whatever happens to it: the
  client's own id (`submission_id`, unique: a retry never makes two), when and where it was
  made, the task and object, the items it satisfied, and a conflict when something changed
  between the phone's copy and the server (the object edited, the task done by someone else).
- `patrol_answer`: every answer of a visit, per object, item (code and version) and question,
  with the hazard level its rules give (the electronic ledger reads these).
- `patrol_item_visit`: the items a visit satisfied at its object (the planner's visit history).
- `patrol_photo`: the photos of a visit, stored by content hash in the attachments' store.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the grid
capability's declaration names it) so that the metadata is whole.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, utcnow

SUBMISSION_ID_MAX = 64
QUESTION_ID_MAX = 64
ITEM_CODE_MAX = 32


class PatrolTaskRow(Base):
    """A visit task of a month's plan (see the module's note). Written by the million at once,
    its object, grid and worker ids carry no foreign keys (migration 0019 says why): the planner
    takes them from those tables in the transaction that writes the tasks."""

    __tablename__ = "patrol_task"
    __table_args__ = (
        Index("ix_patrol_task_worker_day", "worker_id", "day"),
        Index("ix_patrol_task_period_grid", "period", "grid_id"),
        Index("ix_patrol_task_object_id", "object_id"),
        {"info": {"label": "巡查任务"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # 2026-12
    object_id: Mapped[int] = mapped_column(Integer)  # managed_object.id
    grid_id: Mapped[int] = mapped_column(Integer)  # grid.id
    worker_id: Mapped[int | None] = mapped_column(Integer)  # app_user.id
    day: Mapped[date] = mapped_column(Date)
    earliest: Mapped[date] = mapped_column(Date)
    latest: Mapped[date] = mapped_column(Date)
    items: Mapped[list[list[Any]]] = mapped_column(JSON)  # [[code, version], ...]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    visited_on: Mapped[date | None] = mapped_column(Date)
    visit_id: Mapped[int | None] = mapped_column(Integer)
    follow_up_of: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PatrolVisitRow(Base):
    """A visit submitted from a worker's phone (see the module's note)."""

    __tablename__ = "patrol_visit"
    __table_args__ = (
        Index("ix_patrol_visit_object_id", "object_id"),
        Index("ix_patrol_visit_task_id", "task_id"),
        Index("ix_patrol_visit_grid_visited", "grid_id", "visited_at"),
        Index("ix_patrol_visit_worker_visited", "worker_id", "visited_at"),
        {"info": {"label": "巡查记录"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(SUBMISSION_ID_MAX), unique=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_task.id"))
    object_id: Mapped[int | None] = mapped_column(ForeignKey("managed_object.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    village_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    visited_at: Mapped[datetime] = mapped_column()  # when the phone says it was made (UTC)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    satisfied: Mapped[list[str]] = mapped_column(JSON, default=list)  # item codes
    note: Mapped[str] = mapped_column(Text, default="")
    conflict: Mapped[str | None] = mapped_column(Text)
    hazards: Mapped[int] = mapped_column(Integer, default=0)
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what a retry is answered


class PatrolAnswerRow(Base):
    """One answer of a visit: object, item (code, version), question, the value (JSON), its
    text as a person reads it, the photos' ids and the hazard level it shows (None: none)."""

    __tablename__ = "patrol_answer"
    __table_args__ = (
        Index("ix_patrol_answer_visit_id", "visit_id"),
        Index("ix_patrol_answer_object_item", "object_id", "item_code"),
        Index("ix_patrol_answer_item_visited", "item_code", "visited_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("patrol_visit.id"))
    object_id: Mapped[int | None] = mapped_column(ForeignKey("managed_object.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    item_code: Mapped[str] = mapped_column(String(ITEM_CODE_MAX))
    item_version: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(QUESTION_ID_MAX))
    value: Mapped[Any] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    hazard_level: Mapped[str | None] = mapped_column(String(10))


class PatrolItemVisitRow(Base):
    """An item a visit satisfied at an object, on a day: what the planner counts as the item's
    last visit, and the ledger's line of "which items this visit satisfied"."""

    __tablename__ = "patrol_item_visit"
    __table_args__ = (
        Index("ix_patrol_item_visit_object_item_day", "object_id", "item_code", "visited_on"),
        Index("ix_patrol_item_visit_visit_id", "visit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("patrol_visit.id"))
    object_id: Mapped[int] = mapped_column(ForeignKey("managed_object.id"))
    item_code: Mapped[str] = mapped_column(String(ITEM_CODE_MAX))
    item_version: Mapped[int] = mapped_column(Integer)
    visited_on: Mapped[date] = mapped_column(Date)


class PatrolPhotoRow(Base):
    """A photo of a visit: the phone's id for it (answers name it), the file as stored (content
    hash, type, size, name) in the attachments' store."""

    __tablename__ = "patrol_photo"
    __table_args__ = (Index("ix_patrol_photo_visit_id", "visit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("patrol_visit.id"))
    client_id: Mapped[str] = mapped_column(String(SUBMISSION_ID_MAX))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))


__all__ = [
    "ITEM_CODE_MAX",
    "QUESTION_ID_MAX",
    "SUBMISSION_ID_MAX",
    "PatrolAnswerRow",
    "PatrolItemVisitRow",
    "PatrolPhotoRow",
    "PatrolTaskRow",
    "PatrolVisitRow",
]
