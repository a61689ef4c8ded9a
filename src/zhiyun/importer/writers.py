"""Bulk writes of imported historical orders: many orders per transaction, each with its trail.

A writer takes batches of validated rows (lists in `STAGED_COLUMNS` order, built by
`zhiyun.importer.pipeline`) and stores each batch in one transaction:

- rows whose (channel, external id) is already stored are skipped and counted as already
  imported, so that running an import again stores nothing twice and a run cut short
  resumes where it stopped;
- rows without a number get NH + local registration date + a per-day sequence; the range
  of each day is reserved from `order_number_counter` with one upsert per day per batch
  (historical numbers of the same shape push the counter past them first);
- every stored order gets version 1 and one audit row, as the domain describes it
  (`domain.workorder.import_record`: action "import", actor 历史数据导入, details {file,
  row}; SQLite's writer stores the record it returns for each row, PostgreSQL's builds the
  same rows in SQL from the records it returns for the batch, see `AuditPlan`), and a
  `work_order_unit` row for each unit on its chain (registering center, responsible unit),
  so that scoped readers see it;
- a row whose historical number belongs to another order is refused with a reason.

PostgreSQL: binary COPY into a temporary staging table, then one statement that numbers the
staged rows and inserts the orders, their audit rows and unit rows (`_insert_batch`); on a
unique conflict, from a savepoint, the careful path with ON CONFLICT DO NOTHING. SQLite:
executemany inserts under the write lock.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Protocol, cast

from psycopg.errors import UniqueViolation
from psycopg.types.json import Json
from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhiyun.domain.workorder import (
    OrderStatus,
    SystemEvent,
    TransitionRecord,
    import_actor,
    import_chain,
    import_record,
)
from zhiyun.orders.repo import audit_row_values
from zhiyun.store.db import Database
from zhiyun.store.tables import OrderNumberCounterRow, TransitionRow, WorkOrderRow, WorkOrderUnitRow

IMPORT_ACTOR = import_actor()
IMPORT_ACTION = SystemEvent.IMPORT.value
IMPORT_ACTOR_NAME = IMPORT_ACTOR.name
IMPORT_ACTOR_ROLE = IMPORT_ACTOR.role.value

# The values of one validated row, in this order (see zhiyun.importer.pipeline). A row is a
# list: the SQLite writer fills in `id` and, where the source had none, `number` (the PostgreSQL
# writer gives both in SQL, see `_NUMBERED`).
STAGED_COLUMNS: tuple[str, ...] = (
    "id",  # None until an id is taken from the order sequence
    "rownum",  # the row's number in the source file (for the audit row and the report)
    "number",  # the historical order number, or None: one is generated
    "day",  # local registration date YYYYMMDD (for generated numbers)
    "channel",
    "external_id",
    "citizen_name",
    "citizen_phone",
    "title",
    "content",
    "order_type",
    "urgency",
    "category_code",
    "address",
    "latitude",
    "longitude",
    "geo_cell",
    "town_unit_id",
    "village_unit_id",
    "location_source",
    "confidential",
    "status",
    "registered_unit_id",
    "responsible_unit_id",  # None when the order stayed at the registering center
    "registered_at",  # aware UTC datetimes from here on
    "replied_at",
    "closed_at",
    "satisfaction",
    "result",
)
COL = {name: i for i, name in enumerate(STAGED_COLUMNS)}
I_ID, I_ROWNUM, I_NUMBER, I_DAY = COL["id"], COL["rownum"], COL["number"], COL["day"]
I_CHANNEL, I_EXTERNAL_ID, I_REGISTERED_AT = COL["channel"], COL["external_id"], COL["registered_at"]

NUMBER_TAKEN = "工单编号已被另一张工单使用"
GENERATED_NUMBER_TAKEN = (
    "生成的工单编号已被另一张工单使用（文件中的历史编号与自动编号冲突），重新导入即可为该行另取编号"
)


@dataclass
class BatchResult:
    """What became of one batch: stored, skipped as already imported, refused (row, field, reason)."""

    imported: int = 0
    already_imported: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


class BulkOrderWriter(Protocol):
    """Stores batches of validated rows, one transaction per batch."""

    def write(self, rows: Sequence[list[Any]], source: str) -> BatchResult: ...

    def close(self) -> None: ...


def bulk_writer(
    db: Database, *, prefix: str = "NH", clock: Callable[[], datetime] | None = None
) -> BulkOrderWriter:
    """The writer for `db`'s dialect: COPY on PostgreSQL, executemany on SQLite."""
    now = clock or (lambda: datetime.now(UTC))
    if db.dialect == "postgresql":
        return PostgresBulkWriter(db, prefix=prefix, clock=now)
    return SqliteBulkWriter(db, prefix=prefix, clock=now)


def format_number(prefix: str, day: str, seq: int) -> str:
    """The same shape as store.orders.next_order_number: NH202611260001."""
    return f"{prefix}{day}{seq:04d}"


def historical_sequence_pattern(prefix: str) -> re.Pattern[str]:
    """Numbers of the generated shape (prefix + YYYYMMDD + at least four digits)."""
    return re.compile(rf"^{re.escape(prefix)}(\d{{8}})(\d{{4,9}})$")


def chain_of(registered: int, responsible: int | None) -> list[int]:
    """The route of an imported order (`domain.workorder.import_chain`)."""
    return list(import_chain(registered, responsible))


_STATUS = {s.value: s for s in OrderStatus}
_I_STATUS = COL["status"]
_I_REGISTERED_UNIT, _I_RESPONSIBLE_UNIT = COL["registered_unit_id"], COL["responsible_unit_id"]


def audit_record(row: list[Any], source: str) -> TransitionRecord:
    """The audit record of a staged row, imported from `source` (`domain.workorder.import_record`)."""
    chain = import_chain(row[_I_REGISTERED_UNIT], row[_I_RESPONSIBLE_UNIT])
    return import_record(_STATUS[row[_I_STATUS]], chain, file=source, row=row[I_ROWNUM])


# Where a record's row number goes, in the records an audit plan asks the domain for: no file
# has such a row (rows are counted from 1).
ROW_PLACEHOLDER = -1
_AUDIT_GROUP_FIELDS = ("action", "from_status", "to_status", "from_unit_id", "to_unit_id", "note")


@dataclass(frozen=True)
class AuditPlan:
    """How the PostgreSQL writer builds a batch's audit rows in SQL, from the domain's records.

    An imported order's record depends on its status and chain and on its row (`audit_record`).
    The plan asks the domain once for each (status, registering unit, responsible unit) in the
    batch, with the row number left as ROW_PLACEHOLDER; each staged row carries its group's
    number (`groups`), and SQL puts the row's own number where the placeholder stood (in the
    details, `details_sql`). `audit_plan` checks, on the batch's first row, that this is the
    record the domain gives for it, so that every audit row is the domain's record — at the
    cost of one dictionary look-up per row instead of a record per row.
    """

    groups: list[int]  # per staged row: its group, counted from 1
    params: dict[str, Any]  # the groups' fields as arrays, and the details' keys and constant values
    details_sql: str  # the details of staged row `s`, as SQL


def _details_sql(details: Mapping[str, Any], params: dict[str, Any]) -> str:
    parts = []
    for i, (key, value) in enumerate(details.items()):
        params[f"dk{i}"] = key
        if value == ROW_PLACEHOLDER and not isinstance(value, bool):
            parts.append(f"%(dk{i})s::text, s.rownum")
        elif isinstance(value, str):
            params[f"dv{i}"] = value
            parts.append(f"%(dk{i})s::text, %(dv{i})s::text")
        else:
            params[f"dv{i}"] = Json(value)
            parts.append(f"%(dk{i})s::text, %(dv{i})s::json")
    return f"json_build_object({', '.join(parts)})"


def audit_plan(rows: Sequence[list[Any]], source: str) -> AuditPlan:
    """The audit plan of a batch (see AuditPlan); AssertionError if the domain's record of its
    first row is not the one the plan would store (the record then depends on the row in a way
    the writer cannot put in SQL: the writer must be changed with the domain)."""
    keys: dict[tuple[str, int, int | None], int] = {}
    records: list[TransitionRecord] = []
    groups: list[int] = []
    for row in rows:
        key = (row[_I_STATUS], row[_I_REGISTERED_UNIT], row[_I_RESPONSIBLE_UNIT])
        group = keys.get(key)
        if group is None:
            group = keys[key] = len(records) + 1
            chain = import_chain(key[1], key[2])
            records.append(import_record(_STATUS[key[0]], chain, file=source, row=ROW_PLACEHOLDER))
        groups.append(group)
    details = records[0].details
    if any(r.details != details for r in records):
        raise AssertionError("an import record's details depend on more than its row: store them per row")
    first = rows[0]
    template = records[groups[0] - 1]
    filled = {k: first[I_ROWNUM] if v == ROW_PLACEHOLDER else v for k, v in template.details.items()}
    if audit_record(first, source) != replace(template, details=filled):
        raise AssertionError("the domain's import record is not its template with the row filled in")
    params: dict[str, Any] = {
        f"g_{name}": [getattr(getattr(r, name), "value", getattr(r, name)) for r in records]
        for name in _AUDIT_GROUP_FIELDS
    }
    return AuditPlan(groups, params, _details_sql(details, params))


def _counter_changes(
    rows: Sequence[list[Any]], pattern: re.Pattern[str]
) -> tuple[dict[str, int], Counter[str]]:
    """(day → highest historical sequence of the generated shape, day → rows that need a number)."""
    highest: dict[str, int] = {}
    per_day: Counter[str] = Counter()
    for r in rows:
        number = r[I_NUMBER]
        if number is None:
            per_day[r[I_DAY]] += 1
        else:
            m = pattern.match(number)
            if m:
                highest[m[1]] = max(highest.get(m[1], 0), int(m[2]))
    return highest, per_day


# Rows in order of registration time, then of their row in the file.
_registration_order = itemgetter(I_REGISTERED_AT, I_ROWNUM)


def _assign_numbers(rows: Sequence[list[Any]], prefix: str, first_seq: dict[str, int]) -> set[int]:
    """Give each row without a number the next of its day's reserved range; their row numbers."""
    generated: set[int] = set()
    for r in rows:
        if r[I_NUMBER] is None:
            day = r[I_DAY]
            seq = first_seq[day]
            first_seq[day] = seq + 1
            r[I_NUMBER] = format_number(prefix, day, seq)
            generated.add(r[I_ROWNUM])
    return generated


# --------------------------------------------------------------------------- PostgreSQL

STAGING = "zhiyun_import_staging"

_STAGING_TYPES = {
    "id": "bigint",
    "rownum": "integer",
    "number": "text",
    "day": "text",
    "channel": "text",
    "external_id": "text",
    "citizen_name": "text",
    "citizen_phone": "text",
    "title": "text",
    "content": "text",
    "order_type": "text",
    "urgency": "text",
    "category_code": "text",
    "address": "text",
    "latitude": "double precision",
    "longitude": "double precision",
    "geo_cell": "bigint",
    "town_unit_id": "integer",
    "village_unit_id": "integer",
    "location_source": "text",
    "confidential": "boolean",
    "status": "text",
    "registered_unit_id": "integer",
    "responsible_unit_id": "integer",
    "registered_at": "timestamptz",
    "replied_at": "timestamptz",
    "closed_at": "timestamptz",
    "satisfaction": "text",
    "result": "text",
}
# Each staged row carries, after the columns of the order, the group of its audit record (AuditPlan).
_STAGING_COLUMNS = (*STAGED_COLUMNS, "audit_group")
_COPY_STAGING = f"COPY {STAGING} ({', '.join(_STAGING_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_STAGING_COPY_TYPES = [*(_STAGING_TYPES[c] for c in STAGED_COLUMNS), "integer"]

_STORED_KEYS = """
SELECT w.channel, w.external_id
FROM work_order w JOIN unnest(%(channels)s::text[], %(ids)s::text[]) AS k(channel, external_id)
  ON w.channel = k.channel AND w.external_id = k.external_id
"""
_KEY_SEPARATOR = "\x1f"  # the unit separator: never in a validated external id (checked per batch)
_STORED_KEYS_OF_CHANNEL = """
SELECT w.channel, w.external_id
FROM work_order w JOIN unnest(string_to_array(%(ids)s::text, E'\\x1f')) AS k(external_id)
  ON w.channel = %(channel)s AND w.external_id = k.external_id
"""
_STORED_NUMBERS = "SELECT number FROM work_order WHERE number = ANY(%(numbers)s::text[])"

# Historical numbers of the generated shape push their day's counter past them; then each
# day's range is reserved with one upsert per day (all days in one statement, in day order
# so that concurrent importers never deadlock).
_BUMP_COUNTERS = """
INSERT INTO order_number_counter AS c (day, last)
SELECT day, last FROM unnest(%(days)s::text[], %(lasts)s::integer[]) AS b(day, last) ORDER BY day
ON CONFLICT (day) DO UPDATE SET last = GREATEST(c.last, excluded.last)
"""
_RESERVE_NUMBERS = """
INSERT INTO order_number_counter AS c (day, last)
SELECT day, n FROM unnest(%(days)s::text[], %(counts)s::integer[]) AS b(day, n) ORDER BY day
ON CONFLICT (day) DO UPDATE SET last = c.last + excluded.last
RETURNING c.day, c.last
"""

# Ids and generated numbers are given in SQL, from the staged rows: the next value of the order
# sequence, and prefix + day + the day's reserved range in order of registration (then of the
# row in the file), as `format_number` writes them. `firsts` pairs each day with the first
# number of its range.
_NUMBERED = f"""
SELECT s.*, nextval(%(sequence)s::regclass) AS order_id,
       COALESCE(s.number, %(prefix)s || s.day || CASE WHEN s.seq < 10000 THEN lpad(s.seq::text, 4, '0')
                                                      ELSE s.seq::text END) AS order_number
FROM (
    SELECT s.*, f.first + row_number() OVER (PARTITION BY s.day ORDER BY s.registered_at, s.rownum) - 1 AS seq
    FROM {STAGING} s LEFT JOIN unnest(%(days)s::text[], %(firsts)s::bigint[]) AS f(day, first) ON f.day = s.day
) AS s
ORDER BY s.registered_at, s.rownum
"""

_ORDER_COLUMNS = """
    id, number, channel, external_id, citizen_name, citizen_phone, title, content,
    order_type, urgency, category_code, address, latitude, longitude, confidential,
    town_unit_id, village_unit_id, location_source, geo_cell, possible_duplicate,
    status, chain, registered_unit_id, current_unit_id, responsible_unit_id,
    registered_at, replied_at, closed_at,
    sign_provisional, reply_provisional, sign_alert, reply_alert,
    extension_count, reopen_count, rework_count, return_count, callback_attempts, urge_count,
    satisfaction, supervised, has_instruction, result, version, created_at, updated_at
"""
_ORDER_VALUES = """
    {id}, {number}, channel, external_id, citizen_name, citizen_phone, title, content,
    order_type, urgency, category_code, address, latitude, longitude, confidential,
    town_unit_id, village_unit_id, location_source, geo_cell, false,
    status,
    CASE WHEN responsible_unit_id IS NULL THEN json_build_array(registered_unit_id)
         ELSE json_build_array(registered_unit_id, responsible_unit_id) END,
    registered_unit_id, COALESCE(responsible_unit_id, registered_unit_id), responsible_unit_id,
    registered_at AT TIME ZONE 'UTC', replied_at AT TIME ZONE 'UTC', closed_at AT TIME ZONE 'UTC',
    false, false, '', '',
    0, 0, 0, 0, 0, 0,
    satisfaction, false, false, result, 1, %(now)s, %(now)s
"""
_AUDIT_COLUMNS = (
    "order_id, action, from_status, to_status, from_unit_id, to_unit_id, "
    "actor_user_id, actor_name, actor_role, actor_unit_id, note, details, created_at"
)
_AUDIT_GROUPS = """
unnest(%(g_action)s::text[], %(g_from_status)s::text[], %(g_to_status)s::text[],
       %(g_from_unit_id)s::integer[], %(g_to_unit_id)s::integer[], %(g_note)s::text[])
  WITH ORDINALITY AS g(action, from_status, to_status, from_unit_id, to_unit_id, note, n)
"""


def _insert_audit(source: str, id_column: str, details_sql: str) -> str:
    """The audit rows of the staged rows in `source` (alias s), from their AuditPlan groups."""
    return (
        f"INSERT INTO transition ({_AUDIT_COLUMNS}) "
        f"SELECT s.{id_column}, g.action, g.from_status, g.to_status, g.from_unit_id, g.to_unit_id, "
        "%(actor_user_id)s::integer, %(actor)s, %(role)s, %(actor_unit_id)s::integer, g.note, "
        f"{details_sql}, %(now)s FROM {source} s JOIN {_AUDIT_GROUPS} ON g.n = s.audit_group"
    )


_UNIT_VALUES = """
SELECT {id}, registered_unit_id FROM {source}
UNION ALL
SELECT {id}, responsible_unit_id FROM {source} WHERE responsible_unit_id IS NOT NULL
"""


# The usual batch: orders, their audit rows and unit rows in one statement, without ON
# CONFLICT, whose check of the three unique indexes before every row is a tenth of the
# database's work. A conflict is rare (stored keys and numbers were set aside already): if one
# comes up (another importer of the same rows, a generated number that a historical one
# took), the batch goes back to a savepoint and takes the careful path below.
@functools.cache
def _insert_batch(details_sql: str) -> str:
    return f"""
WITH staged AS MATERIALIZED ({_NUMBERED}),
orders AS (
    INSERT INTO work_order ({_ORDER_COLUMNS})
    SELECT {_ORDER_VALUES.format(id="order_id", number="order_number")} FROM staged
),
audit AS ({_insert_audit("staged", "order_id", details_sql)}),
units AS (
    INSERT INTO work_order_unit (order_id, unit_id) {_UNIT_VALUES.format(id="order_id", source="staged")}
)
SELECT count(*) FROM staged
"""


_SAVEPOINT = "SAVEPOINT zhiyun_import_orders"
_BACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT zhiyun_import_orders"

# The careful path: ids and numbers written into the staging table, the orders inserted
# skipping conflicts, the rows skipped (looked up, reported, unstaged), then the trail of the
# orders stored.
_NUMBER_STAGED = f"""
UPDATE {STAGING} t SET id = n.order_id, number = n.order_number
FROM ({_NUMBERED}) AS n WHERE t.rownum = n.rownum
"""
_INSERT_ORDERS_SKIPPING_CONFLICTS = f"""
WITH inserted AS (
    INSERT INTO work_order ({_ORDER_COLUMNS})
    SELECT {_ORDER_VALUES.format(id="id", number="number")} FROM {STAGING}
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT count(*) FROM inserted
"""
_SKIPPED = f"""
SELECT s.id, s.rownum,
       EXISTS (SELECT 1 FROM work_order w WHERE w.channel = s.channel AND w.external_id = s.external_id)
FROM {STAGING} s
WHERE NOT EXISTS (SELECT 1 FROM work_order w WHERE w.id = s.id)
"""
_UNSTAGE = f"DELETE FROM {STAGING} WHERE id = ANY(%(ids)s::bigint[])"
_INSERT_UNITS = (
    f"INSERT INTO work_order_unit (order_id, unit_id) {_UNIT_VALUES.format(id='id', source=STAGING)}"
)


# The units a batch refers to, locked as PostgreSQL's own foreign-key checks lock them (FOR KEY
# SHARE: nobody deletes them or changes their id until the batch commits); their count says
# whether all of them exist.
_LOCK_UNITS = (
    "SELECT count(*) FROM (SELECT id FROM org_unit WHERE id = ANY(%(ids)s::integer[]) FOR KEY SHARE) AS u"
)
_SKIP_FK_TRIGGERS = "SET LOCAL session_replication_role = replica"


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
                    [f"{name} {_STAGING_TYPES[name]}" for name in STAGED_COLUMNS] + ["audit_group integer"]
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
                cur.execute(_SKIP_FK_TRIGGERS)
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
        joined = _KEY_SEPARATOR.join(ids)
        if len(channels) == 1 and joined.count(_KEY_SEPARATOR) == len(ids) - 1:
            # The usual batch (one channel): the ids as one string, split by PostgreSQL, instead
            # of an array that psycopg would dump element by element in Python.
            (channel,) = channels
            cur.execute(_STORED_KEYS_OF_CHANNEL, {"channel": channel, "ids": joined})
        else:
            keys = {"channels": [r[I_CHANNEL] for r in rows], "ids": ids}
            cur.execute(_STORED_KEYS, keys, binary=True)  # binary arrays: no quoting of 2 × n strings
        stored = set(cur.fetchall())
        fresh = [r for r in rows if (r[I_CHANNEL], r[I_EXTERNAL_ID]) not in stored] if stored else list(rows)
        result.already_imported = len(rows) - len(fresh)
        numbers = [r[I_NUMBER] for r in fresh if r[I_NUMBER] is not None]
        if numbers:
            cur.execute(_STORED_NUMBERS, {"numbers": numbers}, binary=True)
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
        highest, per_day = _counter_changes(rows, self.pattern)
        if highest:
            days = sorted(highest)
            cur.execute(_BUMP_COUNTERS, {"days": days, "lasts": [highest[d] for d in days]})
        if not per_day:
            return {}
        days = sorted(per_day)
        cur.execute(_RESERVE_NUMBERS, {"days": days, "counts": [per_day[d] for d in days]})
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
            cur.execute(_LOCK_UNITS, {"ids": units})
            if cur.fetchone()[0] == len(units):
                cur.execute(_SKIP_FK_TRIGGERS)
        plan = audit_plan(rows, source)
        with cur.copy(_COPY_STAGING) as copy:
            copy.set_types(_STAGING_COPY_TYPES)
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
        cur.execute(_SAVEPOINT)
        try:
            cur.execute(_insert_batch(plan.details_sql), params)
            result.imported = cur.fetchone()[0]
            return
        except UniqueViolation:
            cur.execute(_BACK_TO_SAVEPOINT)
        cur.execute(_NUMBER_STAGED, params)
        cur.execute(_INSERT_ORDERS_SKIPPING_CONFLICTS, params)
        result.imported = cur.fetchone()[0]
        if result.imported < len(rows):
            cur.execute(_SKIPPED)
            skipped = cur.fetchall()
            generated = {r[I_ROWNUM] for r in rows if r[I_NUMBER] is None}
            for _, rownum, stored in skipped:
                if stored:
                    result.already_imported += 1
                else:
                    message = GENERATED_NUMBER_TAKEN if rownum in generated else NUMBER_TAKEN
                    result.rejected.append((rownum, "number", message))
            cur.execute(_UNSTAGE, {"ids": [order_id for order_id, _, _ in skipped]})
        cur.execute(_insert_audit(STAGING, "id", plan.details_sql), params)
        cur.execute(_INSERT_UNITS)

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


# --------------------------------------------------------------------------- SQLite

_WO = cast(Table, WorkOrderRow.__table__)
_SQLITE_INSERT_ORDERS = insert(_WO)
_SQLITE_INSERT_TRANSITIONS = insert(cast(Table, TransitionRow.__table__))
_SQLITE_INSERT_UNITS = insert(cast(Table, WorkOrderUnitRow.__table__))
_COUNTER = cast(Table, OrderNumberCounterRow.__table__)
_UPSERT_COUNTER = sqlite_insert(_COUNTER)
_RESERVE = _UPSERT_COUNTER.on_conflict_do_update(
    index_elements=[_COUNTER.c.day], set_={"last": _COUNTER.c.last + _UPSERT_COUNTER.excluded.last}
).returning(_COUNTER.c.last)
_BUMP = _UPSERT_COUNTER.on_conflict_do_update(
    index_elements=[_COUNTER.c.day], set_={"last": func.max(_COUNTER.c.last, _UPSERT_COUNTER.excluded.last)}
)
_IN_CHUNK = 500


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


class SqliteBulkWriter:
    """executemany inserts under SQLite's write lock; ids are taken after the largest stored one."""

    def __init__(self, db: Database, *, prefix: str, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.prefix = prefix
        self.clock = clock
        self.pattern = historical_sequence_pattern(prefix)

    def write(self, rows: Sequence[list[Any]], source: str) -> BatchResult:
        result = BatchResult()
        if not rows:
            return result
        now = self.clock()
        with self.db.engine.begin() as conn:  # BEGIN IMMEDIATE: nobody else writes until commit
            # 1. already imported: (channel, external id) stored
            stored: set[tuple[str, str]] = set()
            for chunk in _chunks(sorted({r[I_EXTERNAL_ID] for r in rows})):
                query = select(_WO.c.channel, _WO.c.external_id).where(_WO.c.external_id.in_(chunk))
                stored.update((channel, external_id) for channel, external_id in conn.execute(query))
            fresh = [r for r in rows if (r[I_CHANNEL], r[I_EXTERNAL_ID]) not in stored]
            result.already_imported = len(rows) - len(fresh)
            # 2. historical numbers that another order already has
            taken = self._taken(conn, sorted({r[I_NUMBER] for r in fresh if r[I_NUMBER] is not None}))
            if taken:
                result.rejected.extend(
                    (r[I_ROWNUM], "number", NUMBER_TAKEN) for r in fresh if r[I_NUMBER] in taken
                )
                fresh = [r for r in fresh if r[I_NUMBER] not in taken]
            # 3. counters: past the historical numbers of the generated shape, then reserve ranges
            fresh.sort(key=_registration_order)
            highest, per_day = _counter_changes(fresh, self.pattern)
            for day, last in sorted(highest.items()):
                conn.execute(_BUMP, {"day": day, "last": last})
            first_seq: dict[str, int] = {}
            for day, count in sorted(per_day.items()):
                last = conn.execute(_RESERVE, {"day": day, "last": count}).scalar_one()
                first_seq[day] = last - count + 1
            generated = _assign_numbers(fresh, self.prefix, first_seq)
            # 4. generated numbers that a historical one already holds
            clash = self._taken(conn, sorted(r[I_NUMBER] for r in fresh if r[I_ROWNUM] in generated))
            if clash:
                result.rejected.extend(
                    (r[I_ROWNUM], "number", GENERATED_NUMBER_TAKEN) for r in fresh if r[I_NUMBER] in clash
                )
                fresh = [r for r in fresh if r[I_NUMBER] not in clash]
            if fresh:
                first_id = (conn.execute(select(func.max(_WO.c.id))).scalar() or 0) + 1
                orders: list[dict[str, Any]] = []
                audit: list[dict[str, Any]] = []
                units: list[dict[str, int]] = []
                for offset, r in enumerate(fresh):
                    r[I_ID] = order_id = first_id + offset
                    values = self._order_values(r, now)
                    orders.append(values)
                    audit.append(audit_row_values(order_id, audit_record(r, source), IMPORT_ACTOR, now))
                    units.extend({"order_id": order_id, "unit_id": u} for u in values["chain"])
                conn.execute(_SQLITE_INSERT_ORDERS, orders)
                conn.execute(_SQLITE_INSERT_TRANSITIONS, audit)
                conn.execute(_SQLITE_INSERT_UNITS, units)
            result.imported = len(fresh)
        result.rejected.sort()
        return result

    @staticmethod
    def _taken(conn: Any, numbers: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for chunk in _chunks(numbers):
            taken.update(conn.execute(select(_WO.c.number).where(_WO.c.number.in_(chunk))).scalars())
        return taken

    @staticmethod
    def _order_values(r: list[Any], now: datetime) -> dict[str, Any]:
        c = COL
        registered = r[c["registered_unit_id"]]
        responsible = r[c["responsible_unit_id"]]
        chain = chain_of(registered, responsible)
        return {
            "id": r[c["id"]],
            "number": r[c["number"]],
            "channel": r[c["channel"]],
            "external_id": r[c["external_id"]],
            "citizen_name": r[c["citizen_name"]],
            "citizen_phone": r[c["citizen_phone"]],
            "title": r[c["title"]],
            "content": r[c["content"]],
            "order_type": r[c["order_type"]],
            "urgency": r[c["urgency"]],
            "category_code": r[c["category_code"]],
            "address": r[c["address"]],
            "latitude": r[c["latitude"]],
            "longitude": r[c["longitude"]],
            "confidential": r[c["confidential"]],
            "town_unit_id": r[c["town_unit_id"]],
            "village_unit_id": r[c["village_unit_id"]],
            "location_source": r[c["location_source"]],
            "geo_cell": r[c["geo_cell"]],
            "search_text": None,
            "possible_duplicate": False,
            "status": r[c["status"]],
            "chain": chain,
            "registered_unit_id": registered,
            "current_unit_id": chain[-1],
            "responsible_unit_id": chain[1] if len(chain) > 1 else None,
            "master_id": None,
            "registered_at": r[c["registered_at"]],
            "first_dispatched_at": None,
            "signed_at": None,
            "replied_at": r[c["replied_at"]],
            "suspended_at": None,
            "closed_at": r[c["closed_at"]],
            "sign_due_at": None,
            "sign_warn_at": None,
            "sign_limit_unit": None,
            "sign_budget_seconds": None,
            "sign_provisional": False,
            "reply_due_at": None,
            "reply_warn_at": None,
            "reply_limit_unit": None,
            "reply_budget_seconds": None,
            "reply_provisional": False,
            "sign_alert": "",
            "reply_alert": "",
            "pending": None,
            "extension_count": 0,
            "reopen_count": 0,
            "rework_count": 0,
            "return_count": 0,
            "callback_attempts": 0,
            "urge_count": 0,
            "satisfaction": r[c["satisfaction"]],
            "cancel_reason": None,
            "supervised": False,
            "has_instruction": False,
            "result": r[c["result"]],
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }

    def close(self) -> None:
        pass
