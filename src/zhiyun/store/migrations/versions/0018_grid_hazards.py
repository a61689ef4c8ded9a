"""Grid hazards (网格隐患, issue 17 part 7): the `grid_hazard` table.

One row per hazard a grid worker found on patrol, or per free report (随手报): the work order
it became (the `grid` channel, registered at its grid's village center), its unique report
key (what makes a report idempotent), the visit's submission, the managed object and grid
(none for a free report without them), the village, the worker, the grid item version and
question with the hazard's level and the answer (none for a free report), when it was found,
the rectification deadline (整改期限), its status, the last re-check (复查: when, by whom,
the note) and the hazard it follows (reported again after its order had ended). Indexes for
an order's hazards, the open hazards of a visit's objects and a village's figures.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grid_hazard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_key", sa.String(length=128), nullable=False),
        sa.Column("submission_key", sa.String(length=128), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_unit_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=True),
        sa.Column("item_version", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.String(length=32), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("answer", sa.String(length=500), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("rectify_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rechecked_at", sa.DateTime(), nullable=True),
        sa.Column("recheck_note", sa.Text(), nullable=True),
        sa.Column("recheck_by", sa.Integer(), nullable=True),
        sa.Column("follows_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"]),
        sa.ForeignKeyConstraint(["object_id"], ["managed_object.id"]),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"]),
        sa.ForeignKeyConstraint(["village_unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["worker_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["recheck_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["follows_id"], ["grid_hazard.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_key"),
    )
    with op.batch_alter_table("grid_hazard", schema=None) as batch_op:
        batch_op.create_index("ix_grid_hazard_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_grid_hazard_object_status", ["object_id", "status"], unique=False)
        batch_op.create_index(
            "ix_grid_hazard_village_created", ["village_unit_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("grid_hazard", schema=None) as batch_op:
        batch_op.drop_index("ix_grid_hazard_village_created")
        batch_op.drop_index("ix_grid_hazard_object_status")
        batch_op.drop_index("ix_grid_hazard_order_id")
    op.drop_table("grid_hazard")
