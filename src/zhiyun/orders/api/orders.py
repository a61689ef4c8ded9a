"""Work orders: register, list, read, and one POST route per workflow action.

(No `from __future__ import annotations` here: the action routes are built in a loop
and FastAPI must see each route's body class itself, not its name.)
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import (
    ActionOut,
    NewOrderIn,
    OrderDetailOut,
    OrderPageOut,
    OrderSummaryOut,
    TransitionOut,
)
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Action, OrderStatus, OrderType, Urgency
from zhiyun.orders.api.bodies import ACTION_BODIES, ActionBody, Lookups, to_instant
from zhiyun.orders.service import NewOrder, reference_snapshot

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

router = APIRouter(
    prefix="/orders",
    tags=["orders 工单"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 404)},
)

MAX_UNIT_ID = 2**31 - 1  # unit ids are INTEGER columns
OrderKey = Annotated[str, Path(description="工单 id 或编号（如 NH202611260001）", max_length=64)]


def _instant_param(value: str | None, field: str, *, end_of_day: bool) -> datetime | None:
    """A query parameter that is a date (YYYY-MM-DD) or an ISO 8601 instant."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return to_instant(day + timedelta(days=1) if end_of_day else day)
        return to_instant(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        raise ValidationFailed(f"{field} 须为日期（YYYY-MM-DD）或 ISO 8601 时间", field=field) from None
    except ValidationFailed as exc:
        raise ValidationFailed(f"{field}：{exc.message}", field=field) from None


@router.post(
    "",
    response_model=OrderDetailOut,
    status_code=status.HTTP_201_CREATED,
    summary="受理（登记）工单",
    responses={
        200: {"model": OrderDetailOut, "description": "同一渠道同一外部编号已登记过：返回已有工单"},
        403: ERROR_RESPONSES[403],
        422: ERROR_RESPONSES[422],
    },
)
def register_order(body: NewOrderIn, response: Response, actor: ActorDep, services: ServicesDep) -> Any:
    """Registers (受理) an order at the actor's center. Idempotent on (channel, external_id):
    repeating it answers 200 with the order registered the first time."""
    result = services.orders.register(actor, NewOrder(**body.model_dump()))
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return OrderDetailOut.of_detail(result.order)


@router.get("", response_model=OrderPageOut, summary="工单列表（按受理时间倒序，游标分页）")
def list_orders(
    actor: ActorDep,
    services: ServicesDep,
    status_: Annotated[list[OrderStatus] | None, Query(alias="status", description="可重复")] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    order_type: OrderType | None = None,
    urgency: Urgency | None = None,
    category: Annotated[str | None, Query(max_length=64, description="分类编码（含下级分类）")] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_UNIT_ID, description="经过该单位的工单")] = None,
    current_unit_id: Annotated[
        int | None, Query(ge=1, le=MAX_UNIT_ID, description="当前在该单位的工单")
    ] = None,
    supervised: bool | None = None,
    has_instruction: bool | None = None,
    deadline: Annotated[Literal["warning", "overdue"] | None, Query(description="即将超时或已超时")] = None,
    registered_from: Annotated[
        str | None, Query(max_length=64, description="受理时间起（含），日期或 ISO 8601")
    ] = None,
    registered_to: Annotated[str | None, Query(max_length=64, description="受理时间止（日期含当天）")] = None,
    q: Annotated[str | None, Query(max_length=200, description="标题和内容中的词或编号")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> OrderPageOut:
    flt = OrderQuery(
        statuses=tuple(s.value for s in status_ or []),
        channel=channel or None,
        order_type=order_type.value if order_type else None,
        urgency=urgency.value if urgency else None,
        category_code=category or None,
        unit_id=unit_id,
        current_unit_id=current_unit_id,
        supervised=supervised,
        has_instruction=has_instruction,
        deadline_alert=deadline,
        registered_from=_instant_param(registered_from, "registered_from", end_of_day=False),
        registered_to=_instant_param(registered_to, "registered_to", end_of_day=True),
        text=(q or "").strip() or None,
    )
    page = services.worklists.page(actor, flt, limit=limit, cursor=cursor)
    return OrderPageOut(items=[OrderSummaryOut.of(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/{key}", response_model=OrderDetailOut, summary="工单详情")
def get_order(key: OrderKey, actor: ActorDep, services: ServicesDep) -> OrderDetailOut:
    """The order with what the reader may see of it (contact masked for some roles) and the
    actions the reader may take now. Another unit's order answers 404."""
    return OrderDetailOut.of_detail(services.orders.get(actor, key))


@router.get("/{key}/transitions", response_model=list[TransitionOut], summary="流转记录")
def list_transitions(key: OrderKey, actor: ActorDep, services: ServicesDep) -> list[TransitionOut]:
    return [TransitionOut.of(t) for t in services.orders.transitions(actor, key)]


@router.get("/{key}/actions", response_model=list[ActionOut], summary="当前用户可执行的操作")
def list_actions(key: OrderKey, actor: ActorDep, services: ServicesDep) -> list[ActionOut]:
    return [
        ActionOut(action=a, label=a.label, path=f"/api/v1/orders/{key}/{a.value}")
        for a in services.orders.allowed(actor, key)
    ]


def _lookups(services: "Services", actor: Actor) -> Lookups:
    def unit_id_for_code(code: str) -> int:
        org = reference_snapshot(services.orders).org
        try:
            return org.by_code(code.strip()).id
        except NotFound:
            raise ValidationFailed(f"单位编码 {code} 不存在", field="target_unit_code") from None

    def order_id_for_key(key: str) -> int:
        try:
            return services.orders.get(actor, key).summary.id
        except NotFound:
            raise ValidationFailed("主工单不存在", field="master") from None

    return Lookups(unit_id_for_code=unit_id_for_code, order_id_for_key=order_id_for_key)


def _action_endpoint(action: Action, body_type: type[ActionBody]) -> Callable[..., OrderDetailOut]:
    def endpoint(key: OrderKey, body: ActionBody, actor: ActorDep, services: ServicesDep) -> OrderDetailOut:
        command = body.command(_lookups(services, actor))
        detail = services.orders.act(
            actor, key, command, expected_version=body.version, attachment_ids=body.attachment_ids
        )
        return OrderDetailOut.of_detail(detail)

    endpoint.__annotations__["body"] = body_type  # FastAPI reads the action's own body model
    endpoint.__name__ = f"order_{action.value}"
    endpoint.__doc__ = (body_type.__doc__ or "") + "\n\n成功时返回工单的新详情。"
    return endpoint


for _action, _body in ACTION_BODIES.items():
    router.add_api_route(
        f"/{{key}}/{_action.value}",
        _action_endpoint(_action, _body),
        methods=["POST"],
        response_model=OrderDetailOut,
        summary=f"{_action.label}（{_action.value}）",
        operation_id=f"order_{_action.value}",
        tags=["order actions 工单操作"],
        responses={k: ERROR_RESPONSES[k] for k in (403, 409, 422)},
    )


# Registered after every other route (also the attachments'): any other POST
# /orders/{key}/{name} is an unknown action.
unknown_action_router = APIRouter(prefix="/orders")


@unknown_action_router.post("/{key}/{action}", include_in_schema=False)
def unknown_action(key: str, action: str) -> None:
    raise NotFound(
        f"未知的工单操作 {action}",
        action=action,
        actions=[a.value for a in ACTION_BODIES],
    )
