"""The storage half of the life-cycle kit (store/lifecycle.py), on SQLite and PostgreSQL.

A patrol task, declared the way a later capability would: its own table with `id` and
`version`, its audit table from `audit_table`, made append-only by `append_only_statements`,
and each step stored by `AuditedTable.step`: the changed columns and version + 1 only at the
version that was read, exactly one audit row, the link rows once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.store.base import UTCDateTime
from zhiyun.store.db import Database
from zhiyun.store.lifecycle import (
    AUDIT_FIELDS,
    AuditedTable,
    append_only_statements,
    audit_table,
    audit_values,
)

META = MetaData()
TASK = Table(
    "patrol_task_kit_test",
    META,
    Column("id", Integer, primary_key=True),
    Column("state", String(20), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("urgent", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
)
TASK_AUDIT = audit_table(META, "patrol_task_kit_test_audit", TASK, "task_id")
TASK_GRID = Table(
    "patrol_task_kit_test_grid",
    META,
    Column("task_id", Integer, ForeignKey("patrol_task_kit_test.id"), primary_key=True),
    Column("grid_id", Integer, primary_key=True),
)
STEPS = AuditedTable(TASK, TASK_AUDIT, audit_key="task_id", links=(TASK_GRID, "task_id", "grid_id"))
WORKER = Actor(7, Role.GRID_WORKER, 3, "网格员甲")
AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    META.create_all(database.engine)
    with database.engine.begin() as conn:
        for statement in append_only_statements(TASK_AUDIT.name, database.dialect):
            conn.exec_driver_sql(statement)
        conn.execute(insert(TASK), [{"id": 1, "state": "planned", "version": 1}])
    try:
        yield database
    finally:
        with database.engine.begin() as conn:
            if database.dialect == "postgresql":
                conn.exec_driver_sql(f"DROP TABLE {TASK_AUDIT.name} CASCADE")
                conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {TASK_AUDIT.name}_append_only()")
        META.drop_all(database.engine)


def step(
    db: Database, version: int, changes: dict[str, object], record: AuditRecord, links: tuple[int, ...] = ()
) -> int | None:
    with db.transaction() as session:
        return STEPS.step(session, 1, version, changes, audit_values(record, WORKER, AT), links)


def stored(db: Database) -> tuple[dict[str, object], list[dict[str, object]], set[int]]:
    with db.engine.connect() as conn:
        task = dict(conn.execute(select(TASK)).one()._mapping)
        audit = [dict(r._mapping) for r in conn.execute(select(TASK_AUDIT).order_by(TASK_AUDIT.c.id))]
        grids = set(conn.execute(select(TASK_GRID.c.grid_id)).scalars())
    return task, audit, grids


def test_a_step_changes_the_thing_bumps_its_version_and_leaves_one_audit_row(db: Database) -> None:
    start = AuditRecord("start", "planned", "underway", "开始巡查", {"route": [1, 2]})
    audit_id = step(db, 1, {"state": "underway", "urgent": True}, start, links=(11, 12))
    task, audit, grids = stored(db)
    assert (task["state"], task["urgent"], task["version"]) == ("underway", True, 2)
    assert [a["id"] for a in audit] == [audit_id]
    row = audit[0]
    assert {k: row[k] for k in AUDIT_FIELDS} == {
        "action": "start",
        "from_status": "planned",
        "to_status": "underway",
        "actor_user_id": 7,
        "actor_name": "网格员甲",
        "actor_role": "grid_worker",
        "actor_unit_id": 3,
        "note": "开始巡查",
        "details": {"route": [1, 2]},
        "created_at": AT,
    }
    assert row["task_id"] == 1 and grids == {11, 12}

    finish = AuditRecord("finish", "underway", "done")
    assert step(db, 2, {"state": "done", "finished_at": AT}, finish, links=(12, 13)) is not None
    task, audit, grids = stored(db)
    assert (task["state"], task["finished_at"], task["version"]) == ("done", AT, 3)
    assert [a["action"] for a in audit] == ["start", "finish"] and grids == {11, 12, 13}


def test_a_step_on_a_version_someone_else_changed_writes_nothing(db: Database) -> None:
    assert step(db, 1, {"state": "underway"}, AuditRecord("start", "planned", "underway")) is not None
    stale = step(db, 1, {"state": "cancelled"}, AuditRecord("cancel", "planned", "cancelled"), links=(99,))
    assert stale is None
    task, audit, grids = stored(db)
    assert (task["state"], task["version"]) == ("underway", 2)
    assert [a["action"] for a in audit] == ["start"] and grids == set()


def test_times_are_stored_as_utc_and_read_back_aware(db: Database) -> None:
    shanghai_noon = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
    step(db, 1, {"state": "done", "finished_at": shanghai_noon}, AuditRecord("finish", "planned", "done"))
    task, _, _ = stored(db)
    assert task["finished_at"] == shanghai_noon and task["finished_at"].tzinfo is not None  # type: ignore[union-attr]


def test_the_audit_table_refuses_update_and_delete_in_the_database(db: Database) -> None:
    step(db, 1, {"state": "underway"}, AuditRecord("start", "planned", "underway"))
    for statement in (f"UPDATE {TASK_AUDIT.name} SET note = 'x'", f"DELETE FROM {TASK_AUDIT.name}"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TASK_AUDIT)).scalar_one() == 1


def test_a_thing_without_a_link_table_refuses_links() -> None:
    plain = AuditedTable(TASK, TASK_AUDIT, audit_key="task_id")
    with pytest.raises(ValueError, match="no link table"):
        plain.step(None, 1, 1, {}, {}, links=(1,))  # type: ignore[arg-type]
