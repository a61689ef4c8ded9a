"""Analytics (issue 19, part 5): the versions of the rate definition (统计口径, `rate_definition`),
the orders each dashboard day left out (`dashboard_day.excluded`) and the definition the rollup
counted by (`dashboard_rollup.definition_version`).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("defined_by", sa.Integer(), nullable=True),
        sa.Column("defined_by_name", sa.String(length=100), nullable=False),
        sa.Column("defined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["defined_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    with op.batch_alter_table("dashboard_day") as batch:
        batch.add_column(sa.Column("excluded", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("dashboard_rollup") as batch:
        batch.add_column(sa.Column("definition_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("dashboard_rollup") as batch:
        batch.drop_column("definition_version")
    with op.batch_alter_table("dashboard_day") as batch:
        batch.drop_column("excluded")
    op.drop_table("rate_definition")
