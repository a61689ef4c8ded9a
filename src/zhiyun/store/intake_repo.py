"""What intake keeps beside a new order: the channel's payload and the order's text weights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from zhiyun.store.orders import CompanionRow
from zhiyun.store.tables import DedupeSignatureRow, IntakeRecordRow

_RECORD = IntakeRecordRow.__table__
_SIGNATURE = DedupeSignatureRow.__table__


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
