"""Taxonomy (category tree) and the responsibility list (权责清单) with its change history.

Also the dispatch suggestion of each order and the training feedback of manual corrections
(issue 4, automatic dispatch).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("default_type", sa.String(length=20), nullable=True),
        sa.Column("time_limit_days", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "responsibility_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=True),
        sa.Column("area_unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("order_type", sa.String(length=20), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("responsibility_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_responsibility_rule_category_code"), ["category_code"], unique=False
        )

    op.create_table(
        "list_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("list_change", schema=None) as batch_op:
        batch_op.create_index("ix_list_change_subject_key", ["subject", "key"], unique=False)

    op.create_table(
        "dispatch_suggestion",
        sa.Column("order_id", _BIG_ID, nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("category_code", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("target_unit_id", sa.Integer(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("urgent_signals", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("dispatch_suggestion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatch_suggestion_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index("ix_dispatch_suggestion_created_at", ["created_at"], unique=False)

    op.create_table(
        "dispatch_feedback",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("order_id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("predicted_category", sa.String(length=64), nullable=True),
        sa.Column("corrected_category", sa.String(length=64), nullable=True),
        sa.Column("predicted_unit_id", sa.Integer(), nullable=True),
        sa.Column("corrected_unit_id", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("after_automatic", sa.Boolean(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispatch_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_feedback_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_dispatch_feedback_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dispatch_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_feedback_created_at")
        batch_op.drop_index(batch_op.f("ix_dispatch_feedback_order_id"))
    op.drop_table("dispatch_feedback")
    with op.batch_alter_table("dispatch_suggestion", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_suggestion_created_at")
        batch_op.drop_index(batch_op.f("ix_dispatch_suggestion_category_code"))
    op.drop_table("dispatch_suggestion")
    with op.batch_alter_table("list_change", schema=None) as batch_op:
        batch_op.drop_index("ix_list_change_subject_key")
    op.drop_table("list_change")
    with op.batch_alter_table("responsibility_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responsibility_rule_category_code"))
    op.drop_table("responsibility_rule")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_parent_code"))
    op.drop_table("category")
