"""Analytics (issue 19, part 6): scheduled reports (`analytics_report`, one per unit, kind and
period, their figures frozen) and subscriptions to them (`analytics_report_subscription`).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 14:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("generated_at", sa.DateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "kind", "first_day", name="uq_analytics_report_period"),
    )
    op.create_index("ix_analytics_report_first_day", "analytics_report", ["first_day"], unique=False)
    op.create_table(
        "analytics_report_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "unit_id", "kind", name="uq_analytics_report_subscription"),
    )
    op.create_index(
        "ix_analytics_report_subscription_user_id", "analytics_report_subscription", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_report_subscription_user_id", table_name="analytics_report_subscription")
    op.drop_table("analytics_report_subscription")
    op.drop_index("ix_analytics_report_first_day", table_name="analytics_report")
    op.drop_table("analytics_report")
