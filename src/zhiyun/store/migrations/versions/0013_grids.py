"""Grids (单元网格, issue 17 part 1): the `grid` polygons, each village's code prefix, an order's grid.

`grid`: one row per grid — its 15-digit `code` (unique), `name`, the village/community it lies
in (`village_unit_id`), its WGS-84 GeoJSON `geometry` with the bounding box (`min_lon` …
`max_lat`, as `unit_boundary`) and `area_m2`. `grid_village`: the 12-digit division prefix
every grid code of a village starts with (unique: one prefix, one village). `work_order`
gains `grid_id` (nullable, indexed; like `town_unit_id` and `village_unit_id`, no foreign
key): the grid whose polygon held the order's point when it was registered.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("village_unit_id", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["village_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("grid", schema=None) as batch_op:
        batch_op.create_index("ix_grid_village_unit_id", ["village_unit_id"], unique=False)
    op.create_table(
        "grid_village",
        sa.Column("village_unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["village_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("village_unit_id"),
        sa.UniqueConstraint("prefix"),
    )
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grid_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_work_order_grid_id", ["grid_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_grid_id")
        batch_op.drop_column("grid_id")
    op.drop_table("grid_village")
    with op.batch_alter_table("grid", schema=None) as batch_op:
        batch_op.drop_index("ix_grid_village_unit_id")
    op.drop_table("grid")
