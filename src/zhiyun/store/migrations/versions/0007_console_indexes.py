"""Console: indexes behind the workbench queues, sorts and Chinese search (zhiyun.orders.list_indexes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = {
    "ix_work_order_possible_duplicate": "possible_duplicate",
    "ix_work_order_supervised": "supervised",
    "ix_work_order_instructed": "has_instruction",
    "ix_work_order_unsegmented": "search_text IS NULL",
}


def upgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.create_index("ix_work_order_updated_at_id", ["updated_at", "id"], unique=False)
        batch_op.create_index("ix_work_order_reply_due_at_id", ["reply_due_at", "id"], unique=False)
        for name, condition in _PARTIAL.items():
            where = sa.text(condition)
            batch_op.create_index(
                name, ["registered_at", "id"], unique=False, postgresql_where=where, sqlite_where=where
            )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_work_order_search_tsv ON work_order "
            "USING gin (to_tsvector('simple', coalesce(search_text, '')))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_work_order_search_tsv")
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        for name in reversed(list(_PARTIAL)):
            batch_op.drop_index(name)
        batch_op.drop_index("ix_work_order_reply_due_at_id")
        batch_op.drop_index("ix_work_order_updated_at_id")
