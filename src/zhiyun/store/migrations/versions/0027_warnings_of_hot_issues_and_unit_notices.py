"""Warnings of new hot issues growing fast, and notices of warnings to the responsible center
(issue 19, part 4).

- outlook_warning.hot_issue_id: the hot issue a warning is about (0: a surge of a category in a
  town); the period key gains it, so two hot issues of one town, category and day each warn.
- notice.order_id may be empty (a notice of a warning is about no order) and notice.link names
  the page the notice is about.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("outlook_warning") as batch:
        batch.add_column(sa.Column("hot_issue_id", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("uq_outlook_warning_period", type_="unique")
        batch.create_unique_constraint(
            "uq_outlook_warning_period",
            ["town_unit_id", "category_code", "window", "period_start", "hot_issue_id"],
        )
    with op.batch_alter_table("notice") as batch:
        batch.alter_column("order_id", existing_type=BIG, nullable=True)
        batch.add_column(sa.Column("link", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM notice WHERE order_id IS NULL")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("link")
        batch.alter_column("order_id", existing_type=BIG, nullable=False)
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM outlook_warning WHERE hot_issue_id <> 0"))
    if held.scalar_one():  # their steps are append-only: a downgrade would have to drop the trail
        raise RuntimeError("warnings of hot issues exist; the downgrade would lose their audit trail")
    with op.batch_alter_table("outlook_warning") as batch:
        batch.drop_constraint("uq_outlook_warning_period", type_="unique")
        batch.create_unique_constraint(
            "uq_outlook_warning_period", ["town_unit_id", "category_code", "window", "period_start"]
        )
        batch.drop_column("hot_issue_id")
