"""Grid workers (网格员, issue 17): the `grid_worker` posts.

One row per post: the user (`app_user`), the village/community, the grid (none for a chief,
网格长, whose post is the whole village — a check constraint keeps chief ⇔ no grid), the kind
(`full_time` 专职, `part_time` 兼职, `chief` 网格长), whether it is active, and since when.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grid_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("village_unit_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'chief' AND grid_id IS NULL) OR (kind <> 'chief' AND grid_id IS NOT NULL)",
            name="ck_grid_worker_post",
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["village_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grid_worker", schema=None) as batch_op:
        batch_op.create_index("ix_grid_worker_grid_id", ["grid_id"], unique=False)
        batch_op.create_index("ix_grid_worker_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_grid_worker_village_unit_id", ["village_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grid_worker", schema=None) as batch_op:
        batch_op.drop_index("ix_grid_worker_village_unit_id")
        batch_op.drop_index("ix_grid_worker_user_id")
        batch_op.drop_index("ix_grid_worker_grid_id")
    op.drop_table("grid_worker")
