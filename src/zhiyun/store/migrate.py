"""Schema migrations with Alembic: `zhiyun db upgrade` and the demo call `upgrade`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from zhiyun.store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema of `db` up to `revision`."""
    _migrate(db, lambda config: command.upgrade(config, revision))


def downgrade(db: Database, revision: str) -> None:
    """Take the schema of `db` back to `revision` (tests and rollbacks)."""
    _migrate(db, lambda config: command.downgrade(config, revision))


def _migrate(db: Database, run: Callable[[Config], None]) -> None:
    """Run migrations in one transaction. On SQLite, foreign keys are off meanwhile and checked
    whole before the commit: a migration that rebuilds a table others refer to (batch mode:
    copy, drop, rename) would otherwise count the old table's implicit delete as violations
    (SQLite's own procedure for such changes, "Making Other Kinds Of Table Schema Changes")."""
    config = alembic_config(db)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # on the driver's connection: outside any transaction, or SQLite ignores it
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                run(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows whose references are missing: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()
