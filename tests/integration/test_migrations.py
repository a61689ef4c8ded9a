"""Schema migrations on SQLite and PostgreSQL: idempotent, at head, and faithful to the models."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from zhiyun.store.db import Database
from zhiyun.store.migrate import current_revision, downgrade, head_revision, upgrade
from zhiyun.store.schema import metadata
from zhiyun.store.tables import SettingRow


def schema_of(db: Database) -> dict[str, Any]:
    """Tables with their columns and indexes, as the database reports them."""
    with db.engine.connect() as conn:
        insp = inspect(conn)
        return {
            table: {
                "columns": sorted(
                    (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)
                ),
                "indexes": sorted(
                    (i["name"] or "", tuple(i["column_names"])) for i in insp.get_indexes(table)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            }
            for table in sorted(insp.get_table_names())
        }


def test_a_migrated_database_is_at_head(database: Database) -> None:
    head = head_revision(database)
    assert head is not None
    assert current_revision(database) == head


def test_upgrading_twice_changes_nothing(database: Database) -> None:
    with database.transaction() as session:
        session.add(SettingRow(key="probe", value={"kept": True}))
    before = schema_of(database)

    upgrade(database)

    assert current_revision(database) == head_revision(database)
    assert schema_of(database) == before
    with database.reading() as session:
        assert session.scalar(select(SettingRow.value).where(SettingRow.key == "probe")) == {"kept": True}


def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata())
    assert differences == []


def test_downgrading_to_nothing_and_upgrading_again_restores_the_schema(database: Database) -> None:
    before = schema_of(database)

    downgrade(database, "base")
    assert current_revision(database) is None
    assert set(schema_of(database)) <= {"alembic_version"}

    upgrade(database)
    assert current_revision(database) == head_revision(database)
    assert schema_of(database) == before
    # the audit trail's triggers came back with the tables
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO org_unit (id, code, name, kind, aliases, active, created_at) "
                "VALUES (1, 'NH', '南海区', 'district', '[]', true, '2026-11-26 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO work_order (id, number, channel, title, content, order_type, urgency, "
                "confidential, status, chain, registered_unit_id, current_unit_id, registered_at, "
                "sign_provisional, reply_provisional, sign_alert, reply_alert, extension_count, "
                "reopen_count, rework_count, return_count, callback_attempts, urge_count, supervised, "
                "has_instruction, version, created_at, updated_at) VALUES (1, 'NH202611260001', "
                "'manual', 't', 'c', 'help', 'normal', false, 'pending_dispatch', '[1]', 1, 1, "
                "'2026-11-26 00:00:00', false, false, '', '', 0, 0, 0, 0, 0, 0, false, false, 1, "
                "'2026-11-26 00:00:00', '2026-11-26 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO transition (order_id, action, to_status, actor_name, actor_role, note, "
                "details, created_at) VALUES (1, 'register', 'pending_dispatch', 'x', 'admin', '', '{}', "
                "'2026-11-26 00:00:00')"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("UPDATE transition SET note = 'changed'"))


def test_a_fresh_database_has_no_revision_until_upgraded(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revision(db) is None
        upgrade(db)
        assert current_revision(db) == head_revision(db)
        upgrade(db)
        assert current_revision(db) == head_revision(db)
    finally:
        db.dispose()


def test_dropping_the_patrol_tasks_references_keeps_the_tasks_and_the_visits_naming_them(
    database: Database, tmp_path: Path
) -> None:
    from tests.patrol_support import JPEG, at, clear_answers, seed_patrol_world
    from tests.support import TEST_SYSTEM

    from zhiyun.bootstrap import build_services
    from zhiyun.config import Settings
    from zhiyun.domain.grid_items import Period
    from zhiyun.domain.patrol_visits import ItemAnswers, VisitSubmission
    from zhiyun.grid.patrol_service import PhotoUpload
    from zhiyun.grid.patrol_tables import PatrolTaskRow, PatrolVisitRow

    downgrade(database, "0018")
    services = build_services(database, Settings(attachment_dir=tmp_path / "files"))
    world = seed_patrol_world(services, tmp_path)
    day = Period.month(2026, 12).start
    patrols = world.patrols(at(day, 20))
    patrols.plan(TEST_SYSTEM, Period.month(2026, 12))
    task = patrols.today(world.worker, day + timedelta(days=6)).tasks[0]
    answers = tuple(ItemAnswers(c.code, c.version, clear_answers(c.item, "p")) for c in task.items)
    sub = VisitSubmission("migration-visit-1", at(day, 19), task_id=task.id, answers=answers)
    photos = [PhotoUpload(p, f"{p}.jpg", io.BytesIO(JPEG)) for p in set(sub.photo_ids())]
    patrols.submit(world.worker, sub, photos)
    with database.reading() as session:
        before = (
            session.scalar(select(func.count()).select_from(PatrolTaskRow)),
            session.scalars(select(PatrolVisitRow.task_id)).all(),
        )

    upgrade(database)

    assert current_revision(database) == head_revision(database)
    assert inspect(database.engine).get_foreign_keys("patrol_task") == []
    assert "ix_patrol_visit_task_id" in {
        i["name"] for i in inspect(database.engine).get_indexes("patrol_visit")
    }
    with database.reading() as session:
        after = (
            session.scalar(select(func.count()).select_from(PatrolTaskRow)),
            session.scalars(select(PatrolVisitRow.task_id)).all(),
        )
    assert after == before and before[1] == [task.id]
