"""Fixtures shared by every layer: databases (SQLite and PostgreSQL) and wired services.

PostgreSQL tests use ZHIYUN_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test):
each test session creates a database of its own next to it and drops it at the end. When
CI=true they must run: an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade


def pytest_configure(config: pytest.Config) -> None:
    """Cheap argon2 for every test and every process a test starts (a hash still verifies the
    same way): the real costs spend half a second per password on purpose."""
    os.environ.setdefault("ZHIYUN_PASSWORD_TIME_COST", "1")
    os.environ.setdefault("ZHIYUN_PASSWORD_MEMORY_KIB", "8")
    os.environ.setdefault("ZHIYUN_PASSWORD_PARALLELISM", "1")


PG_ADMIN_URL = os.environ.get("ZHIYUN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_admin_conninfo() -> str:
    return PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    import psycopg

    name = f"zhiyun_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_pg_admin_conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = _pg_admin_conninfo().rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(_pg_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_pg(db: Database) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


_SCHEMA_FINGERPRINT = """
SELECT md5(
  coalesce((SELECT string_agg(d, ',' ORDER BY d) FROM (
      SELECT table_name || '.' || column_name || ':' || data_type AS d
      FROM information_schema.columns WHERE table_schema = 'public') c), '')
  || coalesce((SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'), '')
  || coalesce((SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal), ''))
"""


@dataclass
class _MigratedPg:
    """The PostgreSQL test database as the migrations left it: its schema's fingerprint, its
    tables, and the rows the migrations themselves wrote (in dependency order)."""

    fingerprint: str
    tables: list[str]
    sequences: list[str]
    seed: list[tuple[Any, list[dict[str, Any]]]]


_migrated_pg: dict[str, _MigratedPg] = {}


def _fresh_pg(db: Database) -> None:
    """An empty, migrated PostgreSQL database for the next test.

    Migrating from nothing takes about a second; emptying the tables of a database already at
    head, restarting its sequences and putting back the rows the migrations wrote takes a few
    hundredths of one. The schema is rebuilt from nothing when a test changed it (a migration
    test, say): its fingerprint (columns, indexes, triggers) then differs.
    """
    from sqlalchemy import MetaData, insert, text

    known = _migrated_pg.get(db.url)
    with db.engine.connect() as conn:
        fingerprint = conn.execute(text(_SCHEMA_FINGERPRINT)).scalar_one()
    if known is None or known.fingerprint != fingerprint:
        _reset_pg(db)
        upgrade(db)
        meta = MetaData()
        meta.reflect(db.engine)
        with db.engine.connect() as conn:
            seed = [(t, [dict(r._mapping) for r in conn.execute(t.select())]) for t in meta.sorted_tables]
            fingerprint = conn.execute(text(_SCHEMA_FINGERPRINT)).scalar_one()
            sequences = list(
                conn.execute(
                    text(
                        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"
                    )
                ).scalars()
            )
        _migrated_pg[db.url] = _MigratedPg(
            fingerprint, [t.name for t, _ in seed], sequences, [(t, rows) for t, rows in seed if rows]
        )
        return
    with db.engine.begin() as conn:
        # DELETE with triggers off (foreign keys and the audit trail's append-only trigger) is
        # several times faster than TRUNCATE on tables this small
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.exec_driver_sql("; ".join(f"DELETE FROM {name}" for name in known.tables))
        if known.sequences:
            conn.exec_driver_sql("; ".join(f"ALTER SEQUENCE {name} RESTART" for name in known.sequences))
        for table, rows in known.seed:
            conn.execute(insert(table), rows)
            keys = list(table.primary_key.columns)
            if len(keys) == 1 and keys[0].type.python_type is int:
                conn.execute(
                    text(
                        f"SELECT setval(seq, (SELECT max({keys[0].name}) FROM {table.name})) "
                        "FROM pg_get_serial_sequence(:table, :column) AS seq WHERE seq IS NOT NULL"
                    ),
                    {"table": table.name, "column": keys[0].name},
                )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite in a temp file, and PostgreSQL."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'zhiyun.db'}")
        upgrade(db)
    else:
        db = Database(request.getfixturevalue("pg_server_url"))
        _fresh_pg(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'zhiyun.db'}")
    upgrade(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(attachment_dir=tmp_path / "attachments")


@pytest.fixture
def services(database: Database, settings: Settings) -> Services:
    return build_services(database, settings)
