"""Merged patrols written in bulk (issue 17): `patrol_task` without foreign keys, one index less;
`patrol_visit.task_id` indexed.

A month's plan writes millions of tasks at once (4.2 M for the seed's 2.03 M objects): on
PostgreSQL each row's three foreign-key checks cost more than everything else the write does.
The planner takes every object, grid and worker id from those very tables in the transaction
that writes the tasks, objects and users are deactivated rather than deleted, and a grid with
objects cannot be deleted, so the checks guard nothing the planner does not. `(grid_id, day)`
served no query that `(period, grid_id)` does not. A re-plan deletes the month's untouched
tasks, which asks whether a visit names each: `patrol_visit.task_id` is indexed for it.

On SQLite the table is rebuilt without the references (its foreign keys have no names to drop
them by); `store.migrate` runs migrations there with foreign keys off and checks them whole
before the commit, as visits name its tasks.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFERENCES = (("object_id", "managed_object"), ("grid_id", "grid"), ("worker_id", "app_user"))


def _task_table(with_references: bool) -> sa.Table:
    def ref(column: str) -> list[sa.ForeignKey]:
        target = dict(_REFERENCES).get(column)
        return [sa.ForeignKey(f"{target}.id")] if with_references and target else []

    return sa.Table(
        "patrol_task",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("object_id", sa.Integer(), *ref("object_id"), nullable=False),
        sa.Column("grid_id", sa.Integer(), *ref("grid_id"), nullable=False),
        sa.Column("worker_id", sa.Integer(), *ref("worker_id"), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_of", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Index("ix_patrol_task_object_id", "object_id"),
        sa.Index("ix_patrol_task_period_grid", "period", "grid_id"),
        sa.Index("ix_patrol_task_worker_day", "worker_id", "day"),
        *([sa.Index("ix_patrol_task_grid_day", "grid_id", "day")] if with_references else []),
    )


def _rebuild_on_sqlite(with_references: bool) -> None:
    """Rebuild the table in the shape wanted: batch mode copies the rows into a table made from
    `copy_from` (the new shape, its indexes included) and puts it in the old one's place."""
    with op.batch_alter_table("patrol_task", recreate="always", copy_from=_task_table(with_references)):
        pass


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(with_references=False)
    else:
        for column, _target in _REFERENCES:
            op.drop_constraint(f"patrol_task_{column}_fkey", "patrol_task", type_="foreignkey")
        op.drop_index("ix_patrol_task_grid_day", table_name="patrol_task")
    op.create_index("ix_patrol_visit_task_id", "patrol_visit", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_patrol_visit_task_id", table_name="patrol_visit")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(with_references=True)
    else:
        op.create_index("ix_patrol_task_grid_day", "patrol_task", ["grid_id", "day"])
        for column, target in _REFERENCES:
            op.create_foreign_key(f"patrol_task_{column}_fkey", "patrol_task", target, [column], ["id"])
