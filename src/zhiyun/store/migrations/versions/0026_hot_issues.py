"""Hot issues (issue 19, part 1): `hot_issue`, the ranked groups the worker keeps current, and
`hot_issue_member`, their orders.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hot_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=True),
        sa.Column("matter", sa.JSON(), nullable=False),
        sa.Column("hot_index", sa.Float(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("callers", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("order_id", BIG, nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.Column("handled_by_name", sa.String(length=100), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["handled_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hot_issue_status_rank", "hot_issue", ["status", "rank"], unique=False)
    op.create_table(
        "hot_issue_member",
        sa.Column("order_id", BIG, nullable=False),
        sa.Column("hot_issue_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hot_issue_id"], ["hot_issue.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_hot_issue_member_issue", "hot_issue_member", ["hot_issue_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_hot_issue_member_issue", table_name="hot_issue_member")
    op.drop_table("hot_issue_member")
    op.drop_index("ix_hot_issue_status_rank", table_name="hot_issue")
    op.drop_table("hot_issue")
