"""小南 (issue 20, part 3): `assistant_conversation` and `assistant_turn`.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assistant_conversation",
        sa.Column("id", BIG, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("handover_reason", sa.String(length=20), nullable=True),
        sa.Column("order_id", BIG, nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_assistant_conversation_started_at", "assistant_conversation", ["started_at"])
    op.create_index(
        "ix_assistant_conversation_client_started", "assistant_conversation", ["client_hash", "started_at"]
    )
    op.create_table(
        "assistant_turn",
        sa.Column("id", BIG, nullable=False),
        sa.Column("conversation_id", BIG, nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("options", sa.String(length=200), nullable=False),
        sa.Column("feedback", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["assistant_conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_turn_conversation_id", "assistant_turn", ["conversation_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_assistant_turn_conversation_id", table_name="assistant_turn")
    op.drop_table("assistant_turn")
    op.drop_index("ix_assistant_conversation_client_started", table_name="assistant_conversation")
    op.drop_index("ix_assistant_conversation_started_at", table_name="assistant_conversation")
    op.drop_table("assistant_conversation")
