"""Tables and indexes of the analytics: what the leader dashboard needs beyond the hot path.

Rows share `zhiyun.store.tables.Base`; `tables` imports this module so that the metadata is whole.

The dashboard counts from `work_order` directly (no rollup tables: at 1,000,000 orders every
query stays well under its 500 ms budget with the indexes below and those of the hot path,
see docs/dashboard.md), so nothing here needs keeping current by a worker.

- ix_work_order_closed_at_closed: closed orders by the instant they were closed (the 30-day
  trend's "closed per day"); partial, only status 'closed'.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from zhiyun.store.tables import WorkOrderRow

_CLOSED = text("status = 'closed'")

CLOSED_AT_INDEX = Index(
    "ix_work_order_closed_at_closed",
    WorkOrderRow.__table__.c.closed_at,
    postgresql_where=_CLOSED,
    sqlite_where=_CLOSED,
)
