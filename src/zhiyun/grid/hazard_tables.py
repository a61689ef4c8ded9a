"""The grid hazards' table (网格隐患): what a patrol found, the order it became, and its re-check.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the grid
capability's declaration names it) so that the metadata is whole. Migration 0018 creates it.

Indexes, each for a question asked:

- unique `report_key`: the external id the reporter gives (`"{submission}:{item}:{question}"`),
  what makes a report idempotent (the same key again returns the first order);
- `ix_grid_hazard_order_id`: the hazards of an order (its page's panel, the re-check);
- `ix_grid_hazard_object_status` (object_id, status): the open hazards of the objects of a
  visit (the phone's 复查 entries);
- `ix_grid_hazard_village_created` (village_unit_id, created_at): a village's figures over a
  period of registration (a hazard is written with its order).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.domain.grid_items import CODE_MAX, QUESTION_ID_MAX
from zhiyun.store.base import Base, BigId

KEY_MAX = 128  # a work order's external id is at most 128 characters
ANSWER_MAX = 500


class GridHazardRow(Base):
    """A hazard (隐患) a grid worker found on patrol, or a free report (随手报): the work order it
    became (in the `grid` channel, at its grid's village center), the managed object and grid
    (none for a free report without them), the worker, the grid item version and question whose
    answer showed it with its level (none for a free report), when it was found, the visit's
    submission, the rectification deadline (整改期限) the village set, its status
    (`domain.grid_hazards.HazardStatus`), the last re-check (复查: when, by whom, the note), and
    the hazard it follows (a re-check that found the hazard still there after its order had
    ended reports it again)."""

    __tablename__ = "grid_hazard"
    __table_args__ = (
        Index("ix_grid_hazard_order_id", "order_id"),
        Index("ix_grid_hazard_object_status", "object_id", "status"),
        Index("ix_grid_hazard_village_created", "village_unit_id", "created_at"),
        {"info": {"label": "网格隐患"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"))
    report_key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    submission_key: Mapped[str] = mapped_column(String(KEY_MAX))
    object_id: Mapped[int | None] = mapped_column(ForeignKey("managed_object.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    village_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    item_code: Mapped[str | None] = mapped_column(String(CODE_MAX))
    item_version: Mapped[int | None] = mapped_column(Integer)
    question_id: Mapped[str | None] = mapped_column(String(QUESTION_ID_MAX))
    level: Mapped[str | None] = mapped_column(String(10))
    answer: Mapped[str] = mapped_column(String(ANSWER_MAX), default="")
    found_at: Mapped[datetime]
    rectify_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    rechecked_at: Mapped[datetime | None]
    recheck_note: Mapped[str | None] = mapped_column(Text)
    recheck_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("grid_hazard.id"))
    created_at: Mapped[datetime]


__all__ = ["ANSWER_MAX", "KEY_MAX", "GridHazardRow"]
