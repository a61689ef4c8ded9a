"""What intake keeps beside a new order: the channel's payload and the order's text weights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zhiyun.orders.repo import CompanionRow
from zhiyun.store.base import table_of
from zhiyun.store.tables import DedupeSignatureRow, IntakeRecordRow

_RECORD = table_of(IntakeRecordRow)
_SIGNATURE = table_of(DedupeSignatureRow)


def intake_companions(
    *,
    channel: str,
    external_id: str,
    payload: dict[str, Any],
    payload_hash: str,
    received_at: datetime,
    signature: str,
) -> list[CompanionRow]:
    """The rows stored with a new order from a channel (`WorkOrderService.register_in`): its
    first payload (`intake_record`) and its text weights (`dedupe_signature`, see
    `DedupeItem.signature`). On PostgreSQL they go in the registration's one statement."""
    record = {
        "channel": channel,
        "external_id": external_id,
        "payload": payload,
        "payload_hash": payload_hash,
        "received_at": received_at,
    }
    weights = {"registered_at": received_at, "features": signature}
    return [CompanionRow(_RECORD, record), CompanionRow(_SIGNATURE, weights)]


def signature_companion(*, registered_at: datetime, signature: str) -> CompanionRow:
    """The text weights stored with an order registered by hand (no channel payload to keep),
    so that later calls and messages find it as a duplicate candidate."""
    return CompanionRow(_SIGNATURE, {"registered_at": registered_at, "features": signature})


def record_repeat_payload(
    session: Session,
    *,
    order_id: int,
    channel: str,
    external_id: str,
    payload: dict[str, Any],
    payload_hash: str,
    received_at: datetime,
) -> bool:
    """Keep a later payload of an order's (channel, external id); False when that very payload
    is stored for the order already (also when a concurrent request stored it a moment ago:
    the unique index on (order_id, payload_hash) settles the race, and the loser inserts
    nothing)."""
    values = {
        "order_id": order_id,
        "channel": channel,
        "external_id": external_id,
        "payload": payload,
        "payload_hash": payload_hash,
        "received_at": received_at,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(_RECORD)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["order_id", "payload_hash"])
        .returning(_RECORD.c.id)
    )
    return session.execute(stmt).first() is not None  # a row back only when one was inserted
