"""The citizens' portal (issue 20, part 5): `portal_throttle`, the throttles' windows kept in the
database so that every web process counts the same hits, and `portal_rating`, the citizens'
ratings (one per reply, recorded on the order as its callback).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "portal_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_portal_throttle_started_at", "portal_throttle", ["started_at"], unique=False)
    op.create_table(
        "portal_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", BIG, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(length=24), nullable=False),
        sa.Column("words", sa.String(length=500), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "round", name="uq_portal_rating_order_round"),
    )


def downgrade() -> None:
    op.drop_table("portal_rating")
    op.drop_index("ix_portal_throttle_started_at", table_name="portal_throttle")
    op.drop_table("portal_throttle")
