"""What a list of orders is narrowed to: one filter type for the API, the console, the CLI and storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OrderFilter:
    """What a list of orders is narrowed to. Every field is optional."""

    statuses: Sequence[str] = ()
    channel: str | None = None
    order_type: str | None = None
    urgency: str | None = None
    category_code: str | None = None
    unit_id: int | None = None
    current_unit_id: int | None = None
    supervised: bool | None = None
    has_instruction: bool | None = None
    deadline_alert: str | None = None  # "warning" | "overdue"
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    text: str | None = None
    master_id: int | None = None
    now: datetime | None = None  # the instant deadline_alert is judged at (default: now)
