"""The storage half of `zhiyun.domain.lifecycle`: one audited step as one write.

An audited thing (a work order; later a patrol task, an alarm, an inspection) is a table
with an `id` and a `version` column, beside an append-only audit table whose rows name it
(`audit_table` declares one, `append_only_statements` gives the triggers that keep it
append-only). `AuditedTable.step` stores one step of its life cycle:

- the thing's changed columns, and its version + 1, only if it is still at the version the
  rules read (optimistic concurrency: nothing is locked while the rules run; a step that
  lost the race writes nothing and says so);
- exactly one audit row;
- optionally, new rows of a link table (the units an order has been at), repeats ignored.

On PostgreSQL that is one statement, and one round trip: a data-modifying CTE whose
`UPDATE … WHERE id = … AND version = … RETURNING id` feeds the audit INSERT (and the link
INSERT), so that a stale version inserts nothing either. It goes through the driver: on a
path taken by every change of every audited thing, SQLAlchemy's share of a statement costs
as much as psycopg's. Its text is built once per set of changed columns (psycopg prepares
it after a few runs). On SQLite, which has no data-modifying CTEs: an UPDATE, an INSERT.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.domain.principals import Actor
from zhiyun.store.base import BigId, UTCDateTime, stored_utc
from zhiyun.store.db import driver_execute

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]

# The columns every audit table has besides its id and the id of the thing it is about.
AUDIT_FIELDS = (
    "action",
    "from_status",
    "to_status",
    "actor_user_id",
    "actor_name",
    "actor_role",
    "actor_unit_id",
    "note",
    "details",
    "created_at",
)


def audit_table(metadata: MetaData, name: str, subject: Table, key: str) -> Table:
    """A new audit table `name` for the things of `subject`, named by its column `key`: the
    columns of `AUDIT_FIELDS`, read in order per thing (index on (key, id)). Make it
    append-only in its migration with `append_only_statements`."""
    return Table(
        name,
        metadata,
        Column("id", BigId, primary_key=True),
        Column(key, BigId, ForeignKey(f"{subject.name}.id"), nullable=False),
        Column("action", String(32), nullable=False),
        Column("from_status", String(20)),
        Column("to_status", String(20), nullable=False),
        Column("actor_user_id", Integer),
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(20), nullable=False),
        Column("actor_unit_id", Integer),
        Column("note", Text, nullable=False, default=""),
        Column("details", JSON, nullable=False, default=dict),
        Column("created_at", UTCDateTime(), nullable=False),
        Index(f"ix_{name}_{key}_id", key, "id"),
    )


def append_only_statements(table: str, dialect: str) -> list[str]:
    """DDL that makes the database itself refuse UPDATE and DELETE on an audit table."""
    message = f"the audit trail ({table}) is append-only"
    if dialect == "postgresql":
        return [
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def audit_values(record: AuditRecord, actor: Actor, at: datetime) -> dict[str, Any]:
    """The `AUDIT_FIELDS` of one audit row: the record, who acted (a system actor has no user), when."""
    return {
        "action": record.action,
        "from_status": record.from_state,
        "to_status": record.to_state,
        "actor_user_id": actor.user_id,
        "actor_name": actor.name or actor.role.label,
        "actor_role": actor.role.value,
        "actor_unit_id": actor.unit_id,
        "note": record.note,
        "details": dict(record.details),
        "created_at": at,
    }


def _pg_cast(column: Column[Any]) -> str:
    """The column's PostgreSQL type for a parameter cast, without a length: a cast to
    varchar(n) would cut a long value short where the column refuses it."""
    return re.sub(r"\(.*\)$", "", column.type.compile(dialect=_PG))


def _identity(value: Any) -> Any:
    return value


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else stored_utc(value)


def _json(value: Any) -> Any:
    return None if value is None else Json(value)


def _driver_value(column: Column[Any]) -> Callable[[Any], Any]:
    """What psycopg is given for a value of `column` (SQLAlchemy's conversions, done by hand)."""
    if isinstance(column.type, UTCDateTime):
        return _utc
    if isinstance(column.type, JSON):
        return _json
    return _identity


class AuditedTable:
    """Audited steps of the things in `subject` (columns `id`, `version`), each with one row of
    `audit` (naming the thing in `audit_key`) and, optionally, rows of a link table
    `links = (table, key column, value column)`."""

    def __init__(
        self,
        subject: Table,
        audit: Table,
        *,
        audit_key: str,
        links: tuple[Table, str, str] | None = None,
    ) -> None:
        self.subject = subject
        self.audit = audit
        self.audit_key = audit_key
        self.links = links
        self.audit_fields = tuple(c.name for c in audit.c if c.name not in ("id", audit_key))
        self._cast = {c.name: _pg_cast(c) for c in subject.c}
        self._to_driver = {c.name: _driver_value(c) for c in subject.c}
        audit_columns = [audit.c[name] for name in self.audit_fields]
        self._audit_params = tuple((c.name, f"a_{c.name}", _driver_value(c)) for c in audit_columns)
        self._audit_select = ", ".join(f"%(a_{c.name})s::{_pg_cast(c)}" for c in audit_columns)
        self._pg_sql: dict[tuple[tuple[str, ...], bool], str] = {}
        self._update = update(subject).where(
            subject.c.id == bindparam("b_id"), subject.c.version == bindparam("b_version")
        )
        self._insert_audit = insert(audit)
        # SQLite's link rows (PostgreSQL's go in the step's statement)
        self._insert_links = None if links is None else sqlite_insert(links[0]).on_conflict_do_nothing()

    def _sql(self, columns: tuple[str, ...], linked: bool) -> str:
        """The step's statement for this set of changed columns (built once, then reused)."""
        key = (columns, linked)
        sql = self._pg_sql.get(key)
        if sql is not None:
            return sql
        sets = "".join(f"{c} = %(s_{c})s::{self._cast[c]}, " for c in columns)
        link = ""
        if linked:
            assert self.links is not None
            table, key_column, value_column = self.links
            link = (
                f"l AS (INSERT INTO {table.name} ({key_column}, {value_column}) "
                f"SELECT s.id, v FROM s, unnest(%(links)s::{_pg_cast(table.c[value_column])}[]) AS v "
                "ON CONFLICT DO NOTHING), "
            )
        sql = (
            f"WITH s AS (UPDATE {self.subject.name} SET {sets}version = %(b_version)s::integer + 1 "
            "WHERE id = %(b_id)s::bigint AND version = %(b_version)s::integer RETURNING id), "
            f"{link}"
            f"a AS (INSERT INTO {self.audit.name} ({self.audit_key}, {', '.join(self.audit_fields)}) "
            f"SELECT s.id, {self._audit_select} FROM s RETURNING id) "
            "SELECT id FROM a"
        )
        self._pg_sql[key] = sql
        return sql

    def step(
        self,
        session: Session,
        subject_id: int,
        version: int,
        changes: Mapping[str, Any],
        audit: Mapping[str, Any],
        links: Iterable[int] = (),
    ) -> int | None:
        """Store one step of the thing `subject_id` read at `version`: its `changes` (column →
        value; every column the step changes, timestamps included) and version + 1, its audit
        row (`audit`: the audit table's columns but its id and key) and its new `links`. The
        audit row's id; None, and nothing written, when another transaction changed the thing
        since it was read."""
        linked = sorted(set(links))
        if self.links is None and linked:
            raise ValueError(f"{self.subject.name} has no link table")
        if session.get_bind().dialect.name == "postgresql":
            columns = tuple(sorted(changes))
            to_driver = self._to_driver
            params: dict[str, Any] = {f"s_{c}": to_driver[c](changes[c]) for c in columns}
            for name, param, convert in self._audit_params:
                params[param] = convert(audit.get(name))
            params["b_id"] = subject_id
            params["b_version"] = version
            if linked:
                params["links"] = linked
            found = driver_execute(session, self._sql(columns, bool(linked)), params).fetchone()
            return None if found is None else int(found[0])
        conn = session.connection()
        result = conn.execute(
            self._update, {**changes, "version": version + 1, "b_id": subject_id, "b_version": version}
        )
        if result.rowcount != 1:
            return None
        inserted = conn.execute(self._insert_audit, {**audit, self.audit_key: subject_id})
        if linked and self.links is not None and self._insert_links is not None:
            _, key_column, value_column = self.links
            conn.execute(self._insert_links, [{key_column: subject_id, value_column: v} for v in linked])
        key = inserted.inserted_primary_key
        assert key is not None
        return int(key[0])


__all__ = [
    "AUDIT_FIELDS",
    "AuditedTable",
    "append_only_statements",
    "audit_table",
    "audit_values",
]
