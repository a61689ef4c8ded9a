"""The grid capability's tables: grid workers (网格员) and their posts.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the grid
capability's declaration names it) so that the metadata is whole. The grids themselves are
geo's (`zhiyun.geo.tables`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base


class GridWorkerRow(Base):
    """A grid worker's post (网格员): the user, the village/community, the grid they work (none
    for a chief, 网格长, whose post is the whole village), full-time (专职) or part-time (兼职),
    whether the post is active, and since when."""

    __tablename__ = "grid_worker"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'chief' AND grid_id IS NULL) OR (kind <> 'chief' AND grid_id IS NOT NULL)",
            name="ck_grid_worker_post",
        ),
        Index("ix_grid_worker_user_id", "user_id"),
        Index("ix_grid_worker_village_unit_id", "village_unit_id"),
        Index("ix_grid_worker_grid_id", "grid_id"),
        # what geo names when a grid it would delete still has workers
        {"info": {"label": "网格员"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    village_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    since: Mapped[date] = mapped_column(Date)


__all__ = ["GridWorkerRow"]
