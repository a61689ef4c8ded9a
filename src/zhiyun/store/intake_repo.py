"""What intake keeps beside a new order: the channel's payload and the order's text weights."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from zhiyun.store.db import driver_execute
from zhiyun.store.tables import DedupeSignatureRow, IntakeRecordRow, stored_utc

_RECORD = IntakeRecordRow.__table__
_SIGNATURE = DedupeSignatureRow.__table__


# PostgreSQL: the payload record as a data-modifying CTE of the signature's insert.
_PG_BOTH = (
    "WITH r AS (INSERT INTO intake_record (channel, external_id, order_id, payload, payload_hash, received_at) "
    "VALUES (%(channel)s, %(external_id)s, %(order_id)s, %(payload)s::json, %(payload_hash)s, %(received_at)s)) "
    "INSERT INTO dedupe_signature (order_id, registered_at, features) "
    "VALUES (%(order_id)s, %(received_at)s, %(features)s)"
)


def store_intake(
    session: Session,
    *,
    channel: str,
    external_id: str,
    order_id: int,
    payload: dict[str, Any],
    payload_hash: str,
    received_at: datetime,
    signature: str,
) -> None:
    """The first payload of a new order (`intake_record`) and its text weights (`dedupe_signature`,
    see `DedupeItem.signature`): one round trip on PostgreSQL, two inserts on SQLite."""
    record = {
        "channel": channel,
        "external_id": external_id,
        "order_id": order_id,
        "payload": payload,
        "payload_hash": payload_hash,
        "received_at": received_at,
    }
    weights = {"order_id": order_id, "registered_at": received_at, "features": signature}
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # one round trip, past SQLAlchemy (store.db.driver_connection)
        params = {
            **record,
            "payload": json.dumps(payload, ensure_ascii=False),
            "received_at": stored_utc(received_at),
            "features": signature,
        }
        driver_execute(session, _PG_BOTH, params)
        return
    conn.execute(insert(_RECORD), record)
    conn.execute(insert(_SIGNATURE), weights)
