"""Time limits (时限) by order type and urgency: everyone reads them, admins edit them."""

from __future__ import annotations

from fastapi import APIRouter

from zhiyun.api.deps import ActorDep, CalendarAdmin, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import LimitOut, TimeLimitIn, TimeLimitOut
from zhiyun.domain.deadlines import TimeLimit
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.reference.service import TimeLimitView

router = APIRouter(prefix="/time-limits", tags=["time limits 时限"], responses={401: ERROR_RESPONSES[401]})


def _limit(limit: TimeLimit) -> LimitOut:
    return LimitOut(amount=limit.amount, unit=limit.unit, label=limit.label())


def _out(view: TimeLimitView) -> TimeLimitOut:
    return TimeLimitOut(
        order_type=OrderType(view.order_type),
        order_type_label=view.order_type_label,
        urgency=Urgency(view.urgency),
        urgency_label=view.urgency_label,
        sign=_limit(view.sign),
        reply=_limit(view.reply),
    )


@router.get("", response_model=list[TimeLimitOut], summary="时限标准")
def list_time_limits(actor: ActorDep, services: ServicesDep) -> list[TimeLimitOut]:
    return [_out(v) for v in services.policy.time_limits()]


@router.put(
    "/{order_type}/{urgency}",
    response_model=TimeLimitOut,
    summary="修改时限标准（管理员）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def set_time_limit(
    order_type: OrderType, urgency: Urgency, body: TimeLimitIn, admin: CalendarAdmin, services: ServicesDep
) -> TimeLimitOut:
    """Applies to orders dispatched from now on; existing deadlines stay."""
    view = services.policy.set_time_limit(
        admin,
        order_type.value,
        urgency.value,
        (body.sign.amount, body.sign.unit.value),
        (body.reply.amount, body.reply.unit.value),
    )
    return _out(view)
