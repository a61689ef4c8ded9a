"""The knowledge base (issue 20, part 1): `knowledge_item`, the knowledge items (知识点), and
`knowledge_item_step`, the append-only history of every change made to them.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STEP = "knowledge_item_step"
STEP_MESSAGE = f"the audit trail ({STEP}) is append-only"


def upgrade() -> None:
    op.create_table(
        "knowledge_item",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("policy_ref", sa.String(length=300), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("origin_ref", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin", "origin_ref", name="uq_knowledge_item_origin"),
    )
    op.create_index("ix_knowledge_item_status", "knowledge_item", ["status"], unique=False)
    op.create_index("ix_knowledge_item_unit_id", "knowledge_item", ["unit_id"], unique=False)
    op.create_table(
        STEP,
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("item_id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor_unit_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["knowledge_item.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_knowledge_item_step_item_id_id", STEP, ["item_id", "id"], unique=False)
    _append_only()


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {STEP}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{STEP_MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {STEP}_no_update_delete BEFORE UPDATE OR DELETE "
            f"ON {STEP} FOR EACH ROW EXECUTE FUNCTION {STEP}_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {STEP}_no_{verb.lower()} BEFORE {verb} ON {STEP} "
            f"BEGIN SELECT RAISE(ABORT, '{STEP_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {STEP}_no_update_delete ON {STEP}")
        op.execute(f"DROP FUNCTION IF EXISTS {STEP}_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {STEP}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {STEP}_no_delete")
    op.drop_index("ix_knowledge_item_step_item_id_id", table_name=STEP)
    op.drop_table(STEP)
    op.drop_index("ix_knowledge_item_unit_id", table_name="knowledge_item")
    op.drop_index("ix_knowledge_item_status", table_name="knowledge_item")
    op.drop_table("knowledge_item")
