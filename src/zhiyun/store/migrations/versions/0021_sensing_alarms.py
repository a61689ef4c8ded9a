"""Sensing (issue 18, parts 2–5): devices, alarms, evidence, events and verification tasks.

`sensing_device` (the registry, heartbeats and the fault order raised for a silence),
`sensing_alarm` (every alarm once, unique by its id, with its outcome), `sensing_evidence` (its
images, by content hash), `sensing_event` (repeats of one scene from one device folded into one;
`open_key` unique while the event takes repeats), `sensing_verification` (the check a grid worker
owes an event group, one per event). Indexes for the questions each is asked (see
`zhiyun.sensing.device_tables` and `zhiyun.sensing.alarm_tables`).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sensing_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=False),
        sa.Column("scenes", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_unit_id", sa.Integer(), nullable=True),
        sa.Column("owner_unit_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("heartbeat_s", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("fault_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["fault_order_id"],
            ["work_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_unit_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_sensing_device_grid_id", "sensing_device", ["grid_id"], unique=False)
    op.create_index(
        "ix_sensing_device_status_seen", "sensing_device", ["status", "last_seen_at"], unique=False
    )
    op.create_table(
        "sensing_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("scene_code", sa.String(length=16), nullable=False),
        sa.Column("scene_version", sa.Integer(), nullable=False),
        sa.Column("algorithm_version", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("longest_s", sa.Integer(), nullable=False),
        sa.Column("best_score", sa.Float(), nullable=False),
        sa.Column("best_alarm_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("first_alarm_at", sa.DateTime(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_unit_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("ordered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["sensing_device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_unit_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_sensing_event_device_id", "sensing_event", ["device_id", "first_seen"], unique=False)
    op.create_index("ix_sensing_event_group_id", "sensing_event", ["group_id"], unique=False)
    op.create_index("ix_sensing_event_order_id", "sensing_event", ["order_id"], unique=False)
    op.create_index(
        "ix_sensing_event_scene_status", "sensing_event", ["scene_code", "status", "last_seen"], unique=False
    )
    op.create_table(
        "sensing_alarm",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alarm_id", sa.String(length=100), nullable=False),
        sa.Column("device_code", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("scene_code", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("algorithm_version", sa.String(length=40), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("limit", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["sensing_device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["sensing_event.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alarm_id"),
    )
    op.create_index("ix_sensing_alarm_event_id", "sensing_alarm", ["event_id"], unique=False)
    op.create_index("ix_sensing_alarm_received_at", "sensing_alarm", ["received_at"], unique=False)
    op.create_table(
        "sensing_verification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_unit_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_to", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["escalated_to"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["sensing_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
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
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("submission_id"),
    )
    op.create_index(
        "ix_sensing_verification_status_due", "sensing_verification", ["status", "due_at"], unique=False
    )
    op.create_index(
        "ix_sensing_verification_worker_status", "sensing_verification", ["worker_id", "status"], unique=False
    )
    op.create_table(
        "sensing_evidence",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alarm_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"],
            ["sensing_alarm.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sensing_evidence_alarm_id", "sensing_evidence", ["alarm_id"], unique=False)


def downgrade() -> None:
    for table in (
        "sensing_evidence",
        "sensing_verification",
        "sensing_alarm",
        "sensing_event",
        "sensing_device",
    ):
        op.drop_table(table)
