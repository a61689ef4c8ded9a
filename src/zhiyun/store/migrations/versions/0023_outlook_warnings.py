"""Outlook (issue 19 parts 3–4): early warnings (预警) and the steps of their life cycle.

`outlook_warning` (one per town × category × window × period, unique; its status, the who and
when of each step, the proactive order made from it) and `outlook_warning_step` (append-only:
triggers refuse UPDATE and DELETE).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STEP_MESSAGE = "the audit trail (outlook_warning_step) is append-only"


def upgrade() -> None:
    op.create_table(
        "outlook_warning",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("town_unit_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("window", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("expected_sd", sa.Float(), nullable=False),
        sa.Column("interval_low", sa.Integer(), nullable=False),
        sa.Column("interval_high", sa.Integer(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("explanation", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(), nullable=True),
        sa.Column("dismissed_by", sa.String(length=100), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(), nullable=True),
        sa.Column("ordered_by", sa.String(length=100), nullable=True),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.ForeignKeyConstraint(["town_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "town_unit_id", "category_code", "window", "period_start", name="uq_outlook_warning_period"
        ),
    )
    op.create_index("ix_outlook_warning_town_unit_id", "outlook_warning", ["town_unit_id"], unique=False)
    op.create_index(
        "ix_outlook_warning_status_raised_at", "outlook_warning", ["status", "raised_at"], unique=False
    )
    op.create_table(
        "outlook_warning_step",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("warning_id", BIG_ID, nullable=False),
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
        sa.ForeignKeyConstraint(["warning_id"], ["outlook_warning.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outlook_warning_step_warning_id_id", "outlook_warning_step", ["warning_id", "id"], unique=False
    )
    _append_only()


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION outlook_warning_step_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{STEP_MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER outlook_warning_step_no_update_delete BEFORE UPDATE OR DELETE "
            "ON outlook_warning_step FOR EACH ROW EXECUTE FUNCTION outlook_warning_step_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER outlook_warning_step_no_{verb.lower()} BEFORE {verb} ON outlook_warning_step "
            f"BEGIN SELECT RAISE(ABORT, '{STEP_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outlook_warning_step_no_update_delete ON outlook_warning_step")
        op.execute("DROP FUNCTION IF EXISTS outlook_warning_step_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS outlook_warning_step_no_update")
        op.execute("DROP TRIGGER IF EXISTS outlook_warning_step_no_delete")
    op.drop_index("ix_outlook_warning_step_warning_id_id", table_name="outlook_warning_step")
    op.drop_table("outlook_warning_step")
    op.drop_index("ix_outlook_warning_status_raised_at", table_name="outlook_warning")
    op.drop_index("ix_outlook_warning_town_unit_id", table_name="outlook_warning")
    op.drop_table("outlook_warning")
