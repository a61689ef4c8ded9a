"""Merged patrols (issue 17): the month's visit tasks, the visits from the workers' phones, their
answers, the items each satisfied and their photos (`patrol_task`, `patrol_visit`,
`patrol_answer`, `patrol_item_visit`, `patrol_photo`).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("patrol_photo", "patrol_item_visit", "patrol_answer", "patrol_visit", "patrol_task")


def upgrade() -> None:
    op.create_table(
        "patrol_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_of", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["managed_object.id"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        info={"label": "巡查任务"},
    )
    op.create_index("ix_patrol_task_grid_day", "patrol_task", ["grid_id", "day"], unique=False)
    op.create_index("ix_patrol_task_object_id", "patrol_task", ["object_id"], unique=False)
    op.create_index("ix_patrol_task_period_grid", "patrol_task", ["period", "grid_id"], unique=False)
    op.create_index("ix_patrol_task_worker_day", "patrol_task", ["worker_id", "day"], unique=False)
    op.create_table(
        "patrol_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_unit_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("satisfied", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("conflict", sa.Text(), nullable=True),
        sa.Column("hazards", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["managed_object.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["patrol_task.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_unit_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id"),
        info={"label": "巡查记录"},
    )
    op.create_index("ix_patrol_visit_grid_visited", "patrol_visit", ["grid_id", "visited_at"], unique=False)
    op.create_index("ix_patrol_visit_object_id", "patrol_visit", ["object_id"], unique=False)
    op.create_index(
        "ix_patrol_visit_worker_visited", "patrol_visit", ["worker_id", "visited_at"], unique=False
    )
    op.create_table(
        "patrol_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("hazard_level", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["managed_object.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["patrol_visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_patrol_answer_item_visited", "patrol_answer", ["item_code", "visited_on"], unique=False
    )
    op.create_index("ix_patrol_answer_object_item", "patrol_answer", ["object_id", "item_code"], unique=False)
    op.create_index("ix_patrol_answer_visit_id", "patrol_answer", ["visit_id"], unique=False)
    op.create_table(
        "patrol_item_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["managed_object.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["patrol_visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_patrol_item_visit_object_item_day",
        "patrol_item_visit",
        ["object_id", "item_code", "visited_on"],
        unique=False,
    )
    op.create_index("ix_patrol_item_visit_visit_id", "patrol_item_visit", ["visit_id"], unique=False)
    op.create_table(
        "patrol_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["patrol_visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patrol_photo_visit_id", "patrol_photo", ["visit_id"], unique=False)


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
