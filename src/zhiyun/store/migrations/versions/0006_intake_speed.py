"""Intake speed: the stored text weights of recent orders for duplicate detection.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dedupe_signature",
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("dedupe_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dedupe_signature_registered_at"), ["registered_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dedupe_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dedupe_signature_registered_at"))
    op.drop_table("dedupe_signature")
