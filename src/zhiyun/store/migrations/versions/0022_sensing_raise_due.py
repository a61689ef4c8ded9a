"""Sensing (issue 18): `sensing_event.raise_due_at`, the events whose condition is met but which
are not raised yet (the alarm pipeline's outbox), with its index.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sensing_event") as batch:
        batch.add_column(sa.Column("raise_due_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_sensing_event_raise_due_at", ["raise_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sensing_event") as batch:
        batch.drop_index("ix_sensing_event_raise_due_at")
        batch.drop_column("raise_due_at")
