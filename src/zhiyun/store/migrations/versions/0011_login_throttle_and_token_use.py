"""Login throttling, and no API token that lives forever.

The security probe of 2026-12 (F5) sent 200 + 200 wrong passwords to the API and the
console; every one was answered 401 after a full argon2 check, and the right password
worked afterwards. Failed logins are now counted per account name and per client address
(domain/throttle.py) and a run of them locks the key for a while. The API runs as several
stateless processes behind a load balancer on one database, so the counts live in the
database: `login_throttle`, one row per key with its current run of failures and the lock
it earned. `last_failure_at` is indexed so that forgotten rows are pruned cheaply.

Tokens (F6): `POST /auth/tokens` without `days` issued tokens that never expire. New tokens
always get an expiry; the ones already issued without one get 365 days from this upgrade
(the default longest lifetime, ZHIYUN_TOKEN_DAYS_MAX), so that no token outlives every
password reset. `api_token.last_used_at` has existed since 0001 but was never written; the
service now records it (at most once a minute per token), for the token lists of the
console and `zhiyun user tokens`. The downgrade drops the throttle table and leaves the
expiries (which token had none is not remembered).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_TOKEN_DAYS = 365


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )
    # stored as naive UTC, as every timestamp column is
    expiry = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=LEGACY_TOKEN_DAYS)
    op.get_bind().execute(
        sa.text("UPDATE api_token SET expires_at = :expiry WHERE expires_at IS NULL AND revoked_at IS NULL"),
        {"expiry": expiry},
    )


def downgrade() -> None:
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_last_failure_at"))
    op.drop_table("login_throttle")
