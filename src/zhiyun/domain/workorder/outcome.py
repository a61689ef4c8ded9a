"""What a step gives back: the order's new state and the one audit record describing the step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zhiyun.domain.workorder.choices import OrderStatus
from zhiyun.domain.workorder.state import OrderState


@dataclass(frozen=True)
class TransitionRecord:
    """One row of the audit trail, as the rules describe it."""

    action: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    from_unit_id: int | None
    to_unit_id: int | None
    note: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """The new state of an order and the audit record of how it got there."""

    state: OrderState
    record: TransitionRecord
