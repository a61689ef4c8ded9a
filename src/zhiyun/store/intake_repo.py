"""What intake keeps beside a new order: the channel's payload and the order's text weights."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.orm import Session

from zhiyun.store.tables import DedupeSignatureRow, IntakeRecordRow

_RECORD = IntakeRecordRow.__table__
_SIGNATURE = DedupeSignatureRow.__table__
_RECORD_FIELDS = ("channel", "external_id", "order_id", "payload", "payload_hash", "received_at")
_SIGNATURE_FIELDS = ("order_id", "registered_at", "features")


@functools.cache
def _both() -> Any:
    """PostgreSQL: the payload record as a data-modifying CTE of the signature's insert."""
    record = insert(_RECORD).values({f: bindparam(f"r_{f}", type_=_RECORD.c[f].type) for f in _RECORD_FIELDS})
    return (
        insert(_SIGNATURE)
        .values({f: bindparam(f"s_{f}", type_=_SIGNATURE.c[f].type) for f in _SIGNATURE_FIELDS})
        .add_cte(record.cte("r"))
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
    if conn.dialect.name == "postgresql":
        params = {f"r_{k}": v for k, v in record.items()} | {f"s_{k}": v for k, v in weights.items()}
        conn.execute(_both(), params)
        return
    conn.execute(insert(_RECORD), record)
    conn.execute(insert(_SIGNATURE), weights)
