"""The PostgreSQL writer: binary COPY into a temporary staging table, then set-based inserts.

The statements are in `zhiyun.importer.writers.postgres_sql`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg.errors import UniqueViolation

from zhiyun.importer.staged_row import COL, I_CHANNEL, I_EXTERNAL_ID, I_NUMBER, I_ROWNUM, STAGED_COLUMNS
from zhiyun.importer.writers.audit_trail import IMPORT_ACTOR, IMPORT_ACTOR_NAME, IMPORT_ACTOR_ROLE, audit_plan
from zhiyun.importer.writers.batch import GENERATED_NUMBER_TAKEN, NUMBER_TAKEN, BatchResult
from zhiyun.importer.writers.numbering import counter_changes, historical_sequence_pattern
from zhiyun.importer.writers.postgres_sql import (
    BACK_TO_SAVEPOINT,
    BUMP_COUNTERS,
    COPY_STAGING,
    INSERT_ORDERS_SKIPPING_CONFLICTS,
    INSERT_UNITS,
    KEY_SEPARATOR,
    LOCK_UNITS,
    NUMBER_STAGED,
    RESERVE_NUMBERS,
    SAVEPOINT,
    SKIP_FK_TRIGGERS,
    SKIPPED,
    STAGING,
    STAGING_COPY_TYPES,
    STAGING_TYPES,
    STORED_KEYS,
    STORED_KEYS_OF_CHANNEL,
    STORED_NUMBERS,
    UNSTAGE,
    insert_audit,
    insert_batch,
)
from zhiyun.store.db import Database


def referenced_units(rows: Sequence[list[Any]]) -> list[int]:
    """Every unit a batch's orders, audit rows and unit rows refer to by foreign key."""
    ids = {r[COL["registered_unit_id"]] for r in rows}
    ids.update(r[COL["responsible_unit_id"]] for r in rows if r[COL["responsible_unit_id"]] is not None)
    return sorted(ids)


class PostgresBulkWriter:
    """One connection: binary COPY into a temporary staging table, then set-based inserts.

    Per batch: (1) the stored keys and historical numbers among the batch are looked up
    (index probes from unnest arrays) and those rows set aside; (2) in a short transaction
    of its own, each day's range of numbers is reserved; (3) in the batch's transaction, the
    rows are copied into the staging table and one statement gives them ids and numbers and
    inserts them with their audit and unit rows. A unique conflict there (a concurrent
    importer of the same rows, a generated number a historical one holds) sends the batch
    back to a savepoint and through INSERT … ON CONFLICT DO NOTHING, which loses nothing and
    duplicates nothing. Several writers may run at once on connections of their own: the
    counters are held only for the reservation.
    """

    def __init__(self, db: Database, *, prefix: str, clock: Callable[[], datetime]) -> None:
        self.prefix = prefix
        self.clock = clock
        self.pattern = historical_sequence_pattern(prefix)
        self.checks_own_references = False  # set below when the role may switch the FK triggers off
        self._raw = db.engine.raw_connection()
        conn = self._raw.driver_connection
        assert conn is not None
        self.conn: Any = conn
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_get_serial_sequence('work_order', 'id')")
                self.sequence = cur.fetchone()[0]
                columns = ", ".join(
                    [f"{name} {STAGING_TYPES[name]}" for name in STAGED_COLUMNS] + ["audit_group integer"]
                )
                cur.execute(f"DROP TABLE IF EXISTS {STAGING}")
                cur.execute(f"CREATE TEMPORARY TABLE {STAGING} ({columns}) ON COMMIT DELETE ROWS")
            self.conn.commit()
            self.checks_own_references = self._may_skip_fk_triggers()
        except BaseException:
            self._raw.close()
            raise

    def _may_skip_fk_triggers(self) -> bool:
        """Whether this connection's role may set session_replication_role (a superuser, or a role
        granted SET on it): then the writer checks the batch's references itself (see `_store`)."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(SKIP_FK_TRIGGERS)
            self.conn.rollback()
            return True
        except self.conn.ProgrammingError:  # insufficient privilege
            self.conn.rollback()
            return False

    def write(self, rows: Sequence[list[Any]], source: str) -> BatchResult:
        result = BatchResult()
        if not rows:
            return result
        conn = self.conn
        try:
            with conn.cursor() as cur:
                fresh = self._set_aside(cur, rows, result)
                first_seq = self._reserve(cur, fresh)
            conn.commit()  # the reservation stands on its own: a failed batch leaves a gap, no more
            if fresh:
                with conn.cursor() as cur:
                    self._store(cur, fresh, first_seq, source, result)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        result.rejected.sort()
        return result

    @staticmethod
    def _set_aside(cur: Any, rows: Sequence[list[Any]], result: BatchResult) -> list[list[Any]]:
        """The rows not stored yet whose historical number is free; the others are counted or refused."""
        channels = {r[I_CHANNEL] for r in rows}
        ids = [r[I_EXTERNAL_ID] for r in rows]
        joined = KEY_SEPARATOR.join(ids)
        if len(channels) == 1 and joined.count(KEY_SEPARATOR) == len(ids) - 1:
            # The usual batch (one channel): the ids as one string, split by PostgreSQL, instead
            # of an array that psycopg would dump element by element in Python.
            (channel,) = channels
            cur.execute(STORED_KEYS_OF_CHANNEL, {"channel": channel, "ids": joined})
        else:
            keys = {"channels": [r[I_CHANNEL] for r in rows], "ids": ids}
            cur.execute(STORED_KEYS, keys, binary=True)  # binary arrays: no quoting of 2 × n strings
        stored = set(cur.fetchall())
        fresh = [r for r in rows if (r[I_CHANNEL], r[I_EXTERNAL_ID]) not in stored] if stored else list(rows)
        result.already_imported = len(rows) - len(fresh)
        numbers = [r[I_NUMBER] for r in fresh if r[I_NUMBER] is not None]
        if numbers:
            cur.execute(STORED_NUMBERS, {"numbers": numbers}, binary=True)
            taken = {n for (n,) in cur.fetchall()}
            if taken:
                result.rejected.extend(
                    (r[I_ROWNUM], "number", NUMBER_TAKEN) for r in fresh if r[I_NUMBER] in taken
                )
                fresh = [r for r in fresh if r[I_NUMBER] not in taken]
        return fresh

    def _reserve(self, cur: Any, rows: list[list[Any]]) -> dict[str, int]:
        """Each day's range of new numbers for the rows: day → the first number of its range."""
        if not rows:
            return {}
        highest, per_day = counter_changes(rows, self.pattern)
        if highest:
            days = sorted(highest)
            cur.execute(BUMP_COUNTERS, {"days": days, "lasts": [highest[d] for d in days]})
        if not per_day:
            return {}
        days = sorted(per_day)
        cur.execute(RESERVE_NUMBERS, {"days": days, "counts": [per_day[d] for d in days]})
        return {day: last - per_day[day] + 1 for day, last in cur.fetchall()}

    def _store(
        self, cur: Any, rows: list[list[Any]], first_seq: dict[str, int], source: str, result: BatchResult
    ) -> None:
        now = self.clock().astimezone(UTC).replace(tzinfo=None)
        if self.checks_own_references:
            # Foreign keys checked once per batch instead of by a trigger per row (six per order,
            # half the database's work): every order id is new in this transaction, and every
            # unit the batch names is locked and counted here as the triggers would have done.
            # A unit gone since the importer read the org tree leaves the triggers on.
            units = referenced_units(rows)
            cur.execute(LOCK_UNITS, {"ids": units})
            if cur.fetchone()[0] == len(units):
                cur.execute(SKIP_FK_TRIGGERS)
        plan = audit_plan(rows, source)
        with cur.copy(COPY_STAGING) as copy:
            copy.set_types(STAGING_COPY_TYPES)
            write_row = copy.write_row
            for row, group in zip(rows, plan.groups, strict=True):
                write_row([*row, group])
        days = list(first_seq)
        params = {
            "sequence": self.sequence,
            "prefix": self.prefix,
            "days": days,
            "firsts": [first_seq[d] for d in days],
            "now": now,
            "actor_user_id": IMPORT_ACTOR.user_id,
            "actor": IMPORT_ACTOR_NAME,
            "role": IMPORT_ACTOR_ROLE,
            "actor_unit_id": IMPORT_ACTOR.unit_id,
            **plan.params,
        }
        cur.execute(SAVEPOINT)
        try:
            cur.execute(insert_batch(plan.details_sql), params)
            result.imported = cur.fetchone()[0]
            return
        except UniqueViolation:
            cur.execute(BACK_TO_SAVEPOINT)
        cur.execute(NUMBER_STAGED, params)
        cur.execute(INSERT_ORDERS_SKIPPING_CONFLICTS, params)
        result.imported = cur.fetchone()[0]
        if result.imported < len(rows):
            cur.execute(SKIPPED)
            skipped = cur.fetchall()
            generated = {r[I_ROWNUM] for r in rows if r[I_NUMBER] is None}
            for _, rownum, stored in skipped:
                if stored:
                    result.already_imported += 1
                else:
                    message = GENERATED_NUMBER_TAKEN if rownum in generated else NUMBER_TAKEN
                    result.rejected.append((rownum, "number", message))
            cur.execute(UNSTAGE, {"ids": [order_id for order_id, _, _ in skipped]})
        cur.execute(insert_audit(STAGING, "id", plan.details_sql), params)
        cur.execute(INSERT_UNITS)

    def close(self) -> None:
        try:
            if not self.conn.closed:
                self.conn.rollback()
                with self.conn.cursor() as cur:
                    cur.execute(f"DROP TABLE IF EXISTS {STAGING}")
                self.conn.commit()
        except Exception:  # pragma: no cover - the connection is going anyway
            pass
        finally:
            self._raw.close()
