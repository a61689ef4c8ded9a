"""ORM tables. Each class is one table; its docstring says what a row is in the domain.

Timestamps are stored in UTC (naive in the database, aware in Python).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.domain.workorder import OPEN_STATUSES
from zhiyun.store.base import Base, BigId, utcnow


class OrgUnitRow(Base):
    """An org unit: the district center, a town/street, a village/community, a department or an office."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserRow(Base):
    """A person who logs in: dispatcher, handler, inspector, leader, grid worker or admin."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiTokenRow(Base):
    """A bearer token for an integration acting as a user; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginSessionRow(Base):
    """A console login; the cookie holds the secret, the table holds its SHA-256."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WorkOrderRow(Base):
    """A work order (工单): one citizen request or one problem found, from intake to archive."""

    __tablename__ = "work_order"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_work_order_channel_external_id"),
        Index("ix_work_order_status_current_unit", "status", "current_unit_id"),
        Index("ix_work_order_registered_at_id", "registered_at", "id"),
        # Partial: most orders have no warning time (closed, imported) and no master; queries
        # compare these columns to a value, which PostgreSQL and SQLite take to imply NOT NULL.
        Index(
            "ix_work_order_reply_warn_at",
            "reply_warn_at",
            postgresql_where=text("reply_warn_at IS NOT NULL"),
            sqlite_where=text("reply_warn_at IS NOT NULL"),
        ),
        Index(
            "ix_work_order_sign_warn_at",
            "sign_warn_at",
            postgresql_where=text("sign_warn_at IS NOT NULL"),
            sqlite_where=text("sign_warn_at IS NOT NULL"),
        ),
        Index(
            "ix_work_order_master_id",
            "master_id",
            postgresql_where=text("master_id IS NOT NULL"),
            sqlite_where=text("master_id IS NOT NULL"),
        ),
        Index("ix_work_order_geo_cell_registered_at", "geo_cell", "registered_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32), default="manual")
    external_id: Mapped[str | None] = mapped_column(String(128))
    citizen_name: Mapped[str | None] = mapped_column(String(100))
    citizen_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    order_type: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    category_code: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where intake placed the order: the town and village whose boundary or name matched,
    # the grid (单元网格, geo's `grid` table) whose polygon holds its point, how ("gps",
    # "address" or ""), and a ~500 m look-up cell for nearby-duplicate look-ups.
    town_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    village_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    grid_id: Mapped[int | None] = mapped_column(Integer, index=True)
    location_source: Mapped[str] = mapped_column(String(10), default="", server_default="")
    geo_cell: Mapped[int | None] = mapped_column(BigInteger)
    # The segmented text (words joined by spaces) for full-text search and duplicate scoring.
    search_text: Mapped[str | None] = mapped_column(Text)
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    status: Mapped[str] = mapped_column(String(20))
    chain: Mapped[list[Any]] = mapped_column(JSON)
    registered_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    current_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    master_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))

    registered_at: Mapped[datetime]
    first_dispatched_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    sign_due_at: Mapped[datetime | None]
    sign_warn_at: Mapped[datetime | None]
    sign_limit_unit: Mapped[str | None] = mapped_column(String(10))
    sign_budget_seconds: Mapped[float | None] = mapped_column(Float)
    sign_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_due_at: Mapped[datetime | None]
    reply_warn_at: Mapped[datetime | None]
    reply_limit_unit: Mapped[str | None] = mapped_column(String(10))
    reply_budget_seconds: Mapped[float | None] = mapped_column(Float)
    reply_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the deadline sweep has already announced: "", "warning" or "overdue".
    sign_alert: Mapped[str] = mapped_column(String(10), default="")
    reply_alert: Mapped[str] = mapped_column(String(10), default="")

    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    cancel_reason: Mapped[str | None] = mapped_column(String(24))
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    has_instruction: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[str | None] = mapped_column(Text)

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


OPEN_STATUS_VALUES = tuple(sorted(s.value for s in OPEN_STATUSES))


class WorkOrderUnitRow(Base):
    """That an order has been at a unit: the basis of who may read it."""

    __tablename__ = "work_order_unit"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True, index=True)


class TransitionRow(Base):
    """One entry of an order's audit trail: who did what, when, from which status and unit to which.

    Append-only: triggers refuse UPDATE and DELETE (see the initial migration).
    """

    __tablename__ = "transition"
    __table_args__ = (
        Index("ix_transition_order_id_id", "order_id", "id"),
        Index("ix_transition_action_from_unit", "action", "from_unit_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    from_unit_id: Mapped[int | None] = mapped_column(Integer)
    to_unit_id: Mapped[int | None] = mapped_column(Integer)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_unit_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttachmentRow(Base):
    """A file attached to an order (photo, recording, document), stored in the attachment directory."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"), index=True)
    transition_id: Mapped[int | None] = mapped_column(BigId)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeRow(Base):
    """A notice to a unit: an urge notice when an order goes overdue, a warning before; or a
    notice of an early warning (预警) to the center of its town (no order; `link` names its page)."""

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", "deadline", "due_at", name="uq_notice_once_per_deadline"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("work_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime]
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    link: Mapped[str | None] = mapped_column(String(200))


class TimeLimitPolicyRow(Base):
    """The sign-for and reply time limits for one order type and urgency."""

    __tablename__ = "time_limit_policy"
    __table_args__ = (UniqueConstraint("order_type", "urgency", name="uq_time_limit_type_urgency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_type: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    sign_amount: Mapped[int] = mapped_column(Integer)
    sign_unit: Mapped[str] = mapped_column(String(10))
    reply_amount: Mapped[int] = mapped_column(Integer)
    reply_unit: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class CalendarOverrideRow(Base):
    """An admin's word on one date: a working day or not, whatever the holiday package says."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CalendarYearRow(Base):
    """A year whose holiday schedule an admin has confirmed as complete."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderNumberCounterRow(Base):
    """The last sequence number given to an order on one local day (NH20261126xxxx)."""

    __tablename__ = "order_number_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class SettingRow(Base):
    """A site setting (workflow policy, revision stamps), JSON valued."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChannelRow(Base):
    """An intake channel (12345, 110 transfers, online opinion, IoT alarms, Open311, …) and its settings."""

    __tablename__ = "channel"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    default_type: Mapped[str] = mapped_column(String(20))
    default_urgency: Mapped[str] = mapped_column(String(10))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChannelKeyRow(Base):
    """An API key of one channel; only its SHA-256 is stored."""

    __tablename__ = "channel_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channel.code"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class IntakeRecordRow(Base):
    """One payload received from a channel for an order: the first, and every changed repeat."""

    __tablename__ = "intake_record"
    __table_args__ = (
        Index("ix_intake_record_channel_external_id", "channel", "external_id"),
        Index("ix_intake_record_channel_received_at", "channel", "received_at"),
        # one row per distinct payload of an order: a concurrent repeat of a known payload adds nothing
        Index("uq_intake_record_order_payload", "order_id", "payload_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitBoundaryRow(Base):
    """The boundary polygon of a town or village (WGS-84 GeoJSON geometry) with its bounding box."""

    __tablename__ = "unit_boundary"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True, autoincrement=False)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DuplicateCandidateRow(Base):
    """A possible duplicate found at intake: the new order, an earlier open one, and how alike they are."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (UniqueConstraint("order_id", "candidate_id", name="uq_duplicate_candidate_pair"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    text_similarity: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    same_caller: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str] = mapped_column(String(12), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DedupeSignatureRow(Base):
    """The weights of a recent order's text, kept so that duplicate detection need not segment it again.

    Written at intake; only orders registered within the duplicate window are ever read, and
    the worker deletes older rows (`prune_signatures`). An order without one is segmented.
    """

    __tablename__ = "dedupe_signature"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_order.id"), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(index=True)
    features: Mapped[str] = mapped_column(Text)


__all__ = [
    "OPEN_STATUS_VALUES",
    "ApiTokenRow",
    "AttachmentRow",
    "Base",
    "CalendarOverrideRow",
    "CalendarYearRow",
    "ChannelKeyRow",
    "ChannelRow",
    "DedupeSignatureRow",
    "DuplicateCandidateRow",
    "IntakeRecordRow",
    "LoginSessionRow",
    "LoginThrottleRow",
    "NoticeRow",
    "OrderNumberCounterRow",
    "OrgUnitRow",
    "SettingRow",
    "TimeLimitPolicyRow",
    "TransitionRow",
    "UnitBoundaryRow",
    "UserRow",
    "WorkOrderRow",
    "WorkOrderUnitRow",
    "func",
]


class LoginThrottleRow(Base):
    """A run of failed logins under one key: an account name (`account:<name>`, whether or not
    such a user exists) or a client address (`address:<ip>`), and the lock it has earned.

    The rules live in domain/throttle.py; the accounts service reads a key before checking a
    password and updates it after a failure. A success deletes the account's row; rows whose
    streak is long forgotten are pruned.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime]
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]
