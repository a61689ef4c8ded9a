"""Quick replies (常用语): per-unit and personal text snippets with placeholders (issue 15, item 2).

One table, `quick_reply`: a snippet belongs to a unit's set (`scope` 'unit', `unit_id`) or to
one user's own (`scope` 'personal', `user_id`) — a check constraint keeps exactly one owner.
`title` is the keyword typed after "/" in a note field; `sort_order` places it in its set;
`active` offers it or not; who made and last changed it, and when, are kept beside it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quick_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(scope = 'unit' AND unit_id IS NOT NULL AND user_id IS NULL)"
            " OR (scope = 'personal' AND user_id IS NOT NULL AND unit_id IS NULL)",
            name="ck_quick_reply_owner",
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quick_reply", schema=None) as batch_op:
        batch_op.create_index("ix_quick_reply_unit_id", ["unit_id"], unique=False)
        batch_op.create_index("ix_quick_reply_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quick_reply", schema=None) as batch_op:
        batch_op.drop_index("ix_quick_reply_user_id")
        batch_op.drop_index("ix_quick_reply_unit_id")
    op.drop_table("quick_reply")
