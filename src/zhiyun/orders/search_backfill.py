"""Search words for orders stored without them: bulk-imported history and orders registered by hand.

Intake segments each new order's title and content into `work_order.search_text` (space-joined
words, what the console's Chinese full-text search reads). Bulk import leaves it empty so that a
million historical orders load at COPY speed, and a few other paths (manual registration) do
too. This fills it in afterwards, in small batches, oldest first: the worker runs it every
minute and `zhiyun import backfill-search` runs it to the end. Finding the rows is cheap: the
partial index `ix_work_order_unsegmented` holds exactly the orders still without words.

`search_text` is derived from the order's own text (like an index entry), so filling it is not
a change of the order and leaves no transition. Each batch is one transaction; an UPDATE only
touches rows still empty, so two backfills at once never overwrite each other's work.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update

from zhiyun.kernel.text import Segmenter, default_segmenter
from zhiyun.store.base import table_of
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

__all__ = ["DEFAULT_BATCH", "SearchTextBackfill"]

DEFAULT_BATCH = 2000

_ORDER = table_of(WorkOrderRow).c
_PENDING = (
    select(_ORDER.id, _ORDER.title, _ORDER.content)
    .where(_ORDER.search_text.is_(None))
    .order_by(_ORDER.registered_at, _ORDER.id)
    .limit(bindparam("rows"))
)
_FILL = (
    update(table_of(WorkOrderRow))
    .where(_ORDER.id == bindparam("b_id"), _ORDER.search_text.is_(None))
    .values(search_text=bindparam("b_text"))
)


@dataclass
class SearchTextBackfill:
    """Fills `work_order.search_text` where it is empty, a batch per transaction."""

    db: Database
    segmenter: Segmenter | None = None

    def run_batch(self, rows: int = DEFAULT_BATCH) -> int:
        """Segment up to `rows` orders still without search words; returns how many were filled."""
        if rows <= 0:
            raise ValueError("rows must be positive")
        segmenter = self.segmenter or default_segmenter()
        with self.db.transaction() as session:
            conn = session.connection()
            pending = conn.execute(_PENDING, {"rows": rows}).all()
            if not pending:
                return 0
            values = [
                {"b_id": r.id, "b_text": segmenter.search_text(r.title or "", r.content or "")}
                for r in pending
            ]
            conn.execute(_FILL, values)
            return len(values)

    def run(self, *, limit: int | None = None, batch: int = DEFAULT_BATCH) -> int:
        """Batches until nothing is left (or `limit` orders were filled); returns how many were filled."""
        done = 0
        while limit is None or done < limit:
            n = self.run_batch(batch if limit is None else min(batch, limit - done))
            if n == 0:
                break
            done += n
        return done

    def pending(self) -> int:
        """How many orders are still without search words."""
        with self.db.reading() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(WorkOrderRow).where(WorkOrderRow.search_text.is_(None))
                )
                or 0
            )
