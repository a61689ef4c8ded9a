"""Migration 0011 on SQLite and PostgreSQL: tokens issued to live forever get an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from zhiyun.store.db import Database
from zhiyun.store.migrate import alembic_config, upgrade


def downgrade(db: Database, revision: str) -> None:
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_upgrading_gives_every_live_never_expiring_token_an_expiry_of_365_days(database: Database) -> None:
    downgrade(database, "0010")
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (id, username, display_name, password_hash, role, active, created_at) "
                "VALUES (1, 'gateway', 'gateway', '$argon2id$x', 'admin', true, '2026-01-01 00:00:00')"
            )
        )
        for id_, expires, revoked in (
            (1, None, None),
            (2, "2027-01-01 00:00:00", None),
            (3, None, "2026-06-01 00:00:00"),
        ):
            conn.execute(
                text(
                    "INSERT INTO api_token (id, user_id, name, token_hash, prefix, created_at, expires_at, "
                    "revoked_at) VALUES (:id, 1, 't', :hash, 'zy_x', '2026-01-01 00:00:00', :expires, :revoked)"
                ),
                {"id": id_, "hash": f"{id_:064d}", "expires": expires, "revoked": revoked},
            )

    upgrade(database)

    with database.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, expires_at FROM api_token")).all())
        assert conn.execute(text("SELECT count(*) FROM login_throttle")).scalar() == 0
    legacy = rows[1] if isinstance(rows[1], datetime) else datetime.fromisoformat(rows[1])
    expected = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=365)
    assert abs(legacy - expected) < timedelta(minutes=5)
    assert str(rows[2]).startswith("2027-01-01")
    assert rows[3] is None  # revoked already: nothing to bound
