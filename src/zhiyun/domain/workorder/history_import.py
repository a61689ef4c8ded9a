"""Orders taken over from another system's history (历史导入): their actor, route, state and audit record."""

from __future__ import annotations

from datetime import datetime

from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder.choices import OrderStatus, OrderType, Satisfaction, SystemEvent, Urgency
from zhiyun.domain.workorder.outcome import Outcome, TransitionRecord
from zhiyun.domain.workorder.state import OrderState

IMPORT_ACTOR_NAME = "历史数据导入"


def import_actor() -> Actor:
    """Who imported orders are recorded as: the system, named for the import."""
    return Actor.system(IMPORT_ACTOR_NAME)


def import_chain(registering_unit_id: int, responsible_unit_id: int | None) -> tuple[int, ...]:
    """The route of an imported order: its registering center, then the unit that handled it."""
    if responsible_unit_id is None or responsible_unit_id == registering_unit_id:
        return (registering_unit_id,)
    return (registering_unit_id, responsible_unit_id)


def import_record(status: OrderStatus, chain: tuple[int, ...], *, file: str, row: int) -> TransitionRecord:
    """The one audit record of an order taken over from a historical export (历史导入): it
    arrived as it stood (no status before it) at the unit that last had it, from `row` of
    `file`. The bulk writers store it as it says (`store.bulk`)."""
    return TransitionRecord(
        action=SystemEvent.IMPORT.value,
        from_status=None,
        to_status=status,
        from_unit_id=None,
        to_unit_id=chain[-1],
        note="",
        details={"file": file, "row": row},
    )


def imported(
    *,
    status: OrderStatus,
    chain: tuple[int, ...],
    order_type: OrderType,
    urgency: Urgency,
    registered_at: datetime,
    file: str,
    row: int,
    replied_at: datetime | None = None,
    closed_at: datetime | None = None,
    satisfaction: Satisfaction | None = None,
    result: str | None = None,
    category_code: str | None = None,
) -> Outcome:
    """An order taken over from another system's history: its state as the export gives it
    (no deadlines: they ran out in the old system) and its one audit record."""
    state = OrderState(
        status=status,
        chain=chain,
        order_type=order_type,
        urgency=urgency,
        registered_at=registered_at,
        replied_at=replied_at,
        closed_at=closed_at,
        satisfaction=satisfaction,
        result=result,
        category_code=category_code,
    )
    return Outcome(state, import_record(status, chain, file=file, row=row))
