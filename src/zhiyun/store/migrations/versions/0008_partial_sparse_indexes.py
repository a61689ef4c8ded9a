"""Partial indexes on columns most orders leave empty: fewer index entries per stored order.

The warning times (empty once an order is closed, and on every imported order), the master
of a duplicate (empty on all but duplicates) and the full-text document (empty on imported
orders until the search backfill segments them) were indexed for every row. Every query on
them compares the column to a value (or states SEARCH_INDEXED), which implies NOT NULL, so
the partial indexes serve the same queries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPARSE = {
    "ix_work_order_reply_warn_at": "reply_warn_at",
    "ix_work_order_sign_warn_at": "sign_warn_at",
    "ix_work_order_master_id": "master_id",
}
_SEARCH_DOCUMENT = "to_tsvector('simple', coalesce(search_text, ''))"


def upgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        for name, column in _SPARSE.items():
            batch_op.drop_index(name)
            where = sa.text(f"{column} IS NOT NULL")
            batch_op.create_index(name, [column], unique=False, postgresql_where=where, sqlite_where=where)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_work_order_search_tsv")
        op.execute(
            f"CREATE INDEX ix_work_order_search_tsv ON work_order USING gin ({_SEARCH_DOCUMENT}) "
            "WHERE search_text IS NOT NULL"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_work_order_search_tsv")
        op.execute(f"CREATE INDEX ix_work_order_search_tsv ON work_order USING gin ({_SEARCH_DOCUMENT})")
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        for name, column in reversed(_SPARSE.items()):
            batch_op.drop_index(name)
            batch_op.create_index(name, [column], unique=False)
