"""Bulk writes of imported historical orders: many orders per transaction, each with its trail.

A writer takes batches of validated rows (lists in `STAGED_COLUMNS` order, see
`zhiyun.importer.staged_row`, built by `zhiyun.importer.pipeline`) and stores each batch in
one transaction:

- rows whose (channel, external id) is already stored are skipped and counted as already
  imported, so that running an import again stores nothing twice and a run cut short
  resumes where it stopped;
- rows without a number get NH + local registration date + a per-day sequence; the range
  of each day is reserved from `order_number_counter` with one upsert per day per batch
  (historical numbers of the same shape push the counter past them first);
- every stored order gets version 1 and one audit row, as the domain describes it
  (`domain.workorder.import_record`: action "import", actor 历史数据导入, details {file,
  row}; SQLite's writer stores the record it returns for each row, PostgreSQL's builds the
  same rows in SQL from the records it returns for the batch, see `audit_trail.AuditPlan`),
  and a `work_order_unit` row for each unit on its chain (registering center, responsible
  unit), so that scoped readers see it;
- a row whose historical number belongs to another order is refused with a reason.

PostgreSQL (`postgres.py`, its SQL in `postgres_sql.py`): binary COPY into a temporary staging
table, then one statement that numbers the staged rows and inserts the orders, their audit
rows and unit rows (`insert_batch`); on a unique conflict, from a savepoint, the careful path
with ON CONFLICT DO NOTHING. SQLite (`sqlite.py`): executemany inserts under the write lock.
Both share what a batch gives back (`batch.py`), the numbering (`numbering.py`) and the audit
trail (`audit_trail.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from zhiyun.importer.writers.batch import BulkOrderWriter
from zhiyun.importer.writers.postgres import PostgresBulkWriter
from zhiyun.importer.writers.sqlite import SqliteBulkWriter
from zhiyun.store.db import Database


def bulk_writer(
    db: Database, *, prefix: str = "NH", clock: Callable[[], datetime] | None = None
) -> BulkOrderWriter:
    """The writer for `db`'s dialect: COPY on PostgreSQL, executemany on SQLite."""
    now = clock or (lambda: datetime.now(UTC))
    if db.dialect == "postgresql":
        return PostgresBulkWriter(db, prefix=prefix, clock=now)
    return SqliteBulkWriter(db, prefix=prefix, clock=now)
