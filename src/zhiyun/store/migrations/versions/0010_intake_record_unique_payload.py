"""Intake records: one row per distinct payload of an order.

Under concurrency two posts of the same payload could both find its hash unknown and both
record it as an update of the order (security probe F12). A unique index on
(order_id, payload_hash) lets the database settle the race: the second insert of a known
payload does nothing. Rows that repeat a payload already stored for the same order (the same
bytes, received twice by that race) are removed first, keeping the earliest of each.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM intake_record WHERE id NOT IN ("
        " SELECT keep FROM (SELECT MIN(id) AS keep FROM intake_record GROUP BY order_id, payload_hash) AS firsts"
        ")"
    )
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_record_order_id")
        batch_op.create_index("uq_intake_record_order_payload", ["order_id", "payload_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.drop_index("uq_intake_record_order_payload")
        batch_op.create_index("ix_intake_record_order_id", ["order_id"], unique=False)
