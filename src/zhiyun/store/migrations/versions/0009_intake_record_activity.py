"""Channel activity: when each channel last delivered and how much in the last day.

The admins' channel list shows, per channel, the time of its latest payload and how many it
delivered in the last 24 hours, so that an integration that has gone quiet is noticed. Both
read intake_record by (channel, received_at): a backward step for the latest, a range for
the count.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 05:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intake_record_channel_received_at", ["channel", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_record", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_record_channel_received_at")
