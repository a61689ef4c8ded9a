"""Indexes for the leader dashboard (no rollup tables: see zhiyun.store.analytics_tables).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLOSED = sa.text("status = 'closed'")


def upgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_closed_at_closed",
            ["closed_at"],
            unique=False,
            postgresql_where=_CLOSED,
            sqlite_where=_CLOSED,
        )


def downgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_closed_at_closed")
