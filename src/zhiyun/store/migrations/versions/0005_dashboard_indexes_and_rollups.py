"""Indexes and the day rollup of the leader dashboard (see zhiyun.analytics.tables).

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


_COUNTS = (
    "new",
    "closed",
    "valid",
    "response_due",
    "response_on_time",
    "reply_due",
    "replied_on_time",
    "resolved",
    "rated",
    "satisfied",
)


def upgrade() -> None:
    op.create_table(
        "dashboard_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("registered_unit_id", sa.Integer(), nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=True),
        sa.Column("current_unit_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dashboard_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_day_day"), ["day"], unique=False)
    op.create_table(
        "dashboard_rollup",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
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
    op.drop_table("dashboard_rollup")
    with op.batch_alter_table("dashboard_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_day_day"))
    op.drop_table("dashboard_day")
