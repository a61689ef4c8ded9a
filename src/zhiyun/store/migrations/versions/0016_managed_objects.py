"""Managed objects (网格管理对象, issue 17): the `managed_object` table.

One row per building, rental house, shop (三小场所), enterprise or facility (部件): kind, name,
address, WGS-84 point, grid and village, 16-digit component id (unique when present), the
attributes of its kind (JSON), risk level, the key of the import row it came from (unique:
importing a file twice stores nothing twice), active, and when it was created and updated.
Indexes for the counts per grid, a village's lists by kind and risk, the map's objects in no
grid, and, on PostgreSQL, substrings of name and address (pg_trgm, GIN).

Revision ID: 0016
Revises: 0014 (the integrator re-chains it after the grid items' 0015)
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEARCH_TEXT = "((name)::text || ' ' || (address)::text)"
_GIN_PENDING_LIST_KB = 65536


def upgrade() -> None:
    op.create_table(
        "managed_object",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_unit_id", sa.Integer(), nullable=True),
        sa.Column("component_id", sa.String(length=16), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("risk", sa.String(length=10), nullable=False),
        sa.Column("source_key", sa.String(length=66), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"]),
        sa.ForeignKeyConstraint(["village_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("component_id"),
        sa.UniqueConstraint("source_key"),
    )
    with op.batch_alter_table("managed_object", schema=None) as batch_op:
        batch_op.create_index("ix_managed_object_grid_kind_risk", ["grid_id", "kind", "risk"], unique=False)
        batch_op.create_index(
            "ix_managed_object_village_kind_risk_id", ["village_unit_id", "kind", "risk", "id"], unique=False
        )
        where = sa.text("grid_id IS NULL")
        batch_op.create_index(
            "ix_managed_object_ungridded",
            ["lat", "lon"],
            unique=False,
            postgresql_where=where,
            sqlite_where=where,
        )
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX ix_managed_object_search_trgm ON managed_object USING gin ({_SEARCH_TEXT} gin_trgm_ops) "
            f"WITH (gin_pending_list_limit = {_GIN_PENDING_LIST_KB})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_managed_object_search_trgm")
    with op.batch_alter_table("managed_object", schema=None) as batch_op:
        batch_op.drop_index("ix_managed_object_ungridded")
        batch_op.drop_index("ix_managed_object_village_kind_risk_id")
        batch_op.drop_index("ix_managed_object_grid_kind_risk")
    op.drop_table("managed_object")
