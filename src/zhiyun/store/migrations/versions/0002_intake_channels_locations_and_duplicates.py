"""intake channels, locations and duplicates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:39:55.625469
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "channel",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("default_type", sa.String(length=20), nullable=False),
        sa.Column("default_urgency", sa.String(length=10), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "channel_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_code", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_code"],
            ["channel.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("channel_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_key_channel_code"), ["channel_code"], unique=False)

    op.create_table(
        "unit_boundary",
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("unit_id"),
    )
    op.create_table(
        "duplicate_candidate",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("candidate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("text_similarity", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("same_caller", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["work_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "candidate_id", name="uq_duplicate_candidate_pair"),
    )
    with op.batch_alter_table("duplicate_candidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_candidate_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duplicate_candidate_order_id"), ["order_id"], unique=False)

    op.create_table(
        "intake_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intake_record_channel_external_id", ["channel", "external_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_intake_record_order_id"), ["order_id"], unique=False)

    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("town_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("village_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("location_source", sa.String(length=10), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("geo_cell", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("possible_duplicate", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "ix_work_order_geo_cell_registered_at", ["geo_cell", "registered_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_work_order_town_unit_id"), ["town_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_village_unit_id"), ["village_unit_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_village_unit_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_town_unit_id"))
        batch_op.drop_index("ix_work_order_geo_cell_registered_at")
        batch_op.drop_column("possible_duplicate")
        batch_op.drop_column("search_text")
        batch_op.drop_column("geo_cell")
        batch_op.drop_column("location_source")
        batch_op.drop_column("village_unit_id")
        batch_op.drop_column("town_unit_id")

    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_record_order_id"))
        batch_op.drop_index("ix_intake_record_channel_external_id")

    op.drop_table("intake_record")
    with op.batch_alter_table("duplicate_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_candidate_order_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_candidate_candidate_id"))

    op.drop_table("duplicate_candidate")
    op.drop_table("unit_boundary")
    with op.batch_alter_table("channel_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_key_channel_code"))

    op.drop_table("channel_key")
    op.drop_table("channel")
