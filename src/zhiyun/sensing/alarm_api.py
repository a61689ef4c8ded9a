"""Sensing's webhook: `POST /api/v1/alarms` (alarms) and `POST /api/v1/alarms/heartbeats`
(`{"devices": ["CAM-0231", …]}`: these devices were heard from now).

For vendors' platforms that push over HTTP rather than MQTT. The caller is the `iot` channel
(物联感知), authenticated by its key in `X-Channel-Key` (`zhiyun channel key iot`) before a
byte of the body is read. The body is one alarm object in the schema MQTT uses
(`sensing.alarm_schema`, docs/sensing.md) or a list of at most `ALARMS_PER_CALL` of them; the
answer is a receipt per alarm, in order: 201 when at least one alarm was new, 200 when all were
already stored (a retried call changes nothing). A bad alarm anywhere in the list refuses the
whole call with 422 naming it, and nothing of it is stored; so does a bad evidence image.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field
from pydantic import ValidationError as PydanticError

from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import Schema
from zhiyun.domain.errors import ValidationFailed
from zhiyun.intake.api import channel_key_scheme
from zhiyun.kernel.json_limits import loads_checked
from zhiyun.kernel.pydantic_errors import validation_fields
from zhiyun.sensing.alarm_schema import AlarmMessage, parse_alarm
from zhiyun.sensing.devices import DeviceRegistry
from zhiyun.sensing.pipeline import AlarmPipeline, AlarmReceipt, Received

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

SENSING_CHANNEL = "iot"
ALARMS_PER_CALL = 100
HEARTBEATS_PER_CALL = 1000

router = APIRouter(tags=["sensing 感知"])


class AlarmReceiptOut(Schema):
    alarm_id: str
    outcome: str = Field(
        description="opened 新建事件、folded 归并到事件、below 低于阈值、suppressed 允许时段内……"
    )
    outcome_label: str
    event_id: int | None
    event_status: str | None
    created: bool = Field(description="false：该告警编号已收过（重复推送）")


class AlarmsOut(Schema):
    accepted: int = Field(description="新收的告警数")
    repeats: int = Field(description="已收过的告警数")
    receipts: list[AlarmReceiptOut]


class HeartbeatsIn(Schema):
    devices: list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]] = Field(
        min_length=1, max_length=HEARTBEATS_PER_CALL, description="发出心跳的设备编码"
    )


class HeartbeatsOut(Schema):
    heard: int = Field(description="已登记的设备数")


_ALARM_EXAMPLE = {
    "alarm_id": "CAM-0231-20261207-000815",
    "device_id": "CAM-0231",
    "scene": "CAM-07",
    "at": "2026-12-07T08:15:03+08:00",
    "score": 0.91,
    "algorithm_version": "garbage-v3.2",
    "duration_s": 40,
}


def _receipt(r: AlarmReceipt) -> dict[str, Any]:
    return {
        "alarm_id": r.alarm_id,
        "outcome": r.outcome.value,
        "outcome_label": r.outcome.label,
        "event_id": r.event_id,
        "event_status": r.event_status.value if r.event_status is not None else None,
        "created": r.created,
    }


async def _authenticated_json(request: Request, services: Services, key: str | None) -> Any:
    """The body as JSON, read only once the iot channel's key has passed (401 otherwise)."""
    await run_in_threadpool(services.intake.admit, SENSING_CHANNEL, key)  # the key before the body
    body = await request.body()
    try:
        return loads_checked(body)
    except ValueError as exc:
        raise ValidationFailed(f"请求内容不是合法的 JSON：{exc}"[:200]) from None


def _alarms(payload: object) -> list[AlarmMessage]:
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise ValidationFailed("告警列表为空")
    if len(items) > ALARMS_PER_CALL:
        raise ValidationFailed(f"一次最多推送 {ALARMS_PER_CALL} 条告警")
    alarms: list[AlarmMessage] = []
    for number, item in enumerate(items, start=1):
        try:
            alarms.append(parse_alarm(item))
        except ValidationFailed as exc:
            prefix = f"第 {number} 条：" if len(items) > 1 else ""
            raise ValidationFailed(prefix + exc.message, problems=exc.details.get("problems")) from None
    return alarms


@router.post(
    "/alarms",
    response_model=AlarmsOut,
    status_code=201,
    summary="推送感知告警（一条或一组）",
    responses={
        200: {"model": AlarmsOut, "description": "全部告警都已收过（重复推送）"},
        401: ERROR_RESPONSES[401],
        413: {"description": "请求内容过大"},
        422: ERROR_RESPONSES[422],
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "一条告警，或至多 100 条告警的数组（格式见 docs/sensing.md）",
            "content": {"application/json": {"schema": {"type": "object"}, "example": _ALARM_EXAMPLE}},
        }
    },
)
async def receive_alarms(
    request: Request, key: Annotated[str | None, Depends(channel_key_scheme)]
) -> Response:
    services: Services = request.app.state.services
    payload = await _authenticated_json(request, services, key)
    alarms = _alarms(payload)
    now = datetime.now(UTC)
    pipeline = services.get(AlarmPipeline)
    receipts = await run_in_threadpool(pipeline.take, [Received(a, "http", now) for a in alarms], strict=True)
    accepted = sum(1 for r in receipts if r.created)
    content = {
        "accepted": accepted,
        "repeats": len(receipts) - accepted,
        "receipts": [_receipt(r) for r in receipts],
    }
    return JSONResponse(content, status_code=201 if accepted else 200)


@router.post(
    "/alarms/heartbeats",
    response_model=HeartbeatsOut,
    summary="设备心跳（一组设备编码）",
    responses={401: ERROR_RESPONSES[401], 413: {"description": "请求内容过大"}, 422: ERROR_RESPONSES[422]},
)
async def receive_heartbeats(
    request: Request, key: Annotated[str | None, Depends(channel_key_scheme)]
) -> HeartbeatsOut:
    """The devices named were heard from now: their last-seen time moves forward and the fault
    order of a silence this ends is let go (a later silence raises a new one)."""
    services: Services = request.app.state.services
    payload = await _authenticated_json(request, services, key)
    try:
        beats = HeartbeatsIn.model_validate(payload)
    except PydanticError as exc:
        fields = validation_fields(exc.errors())
        raise ValidationFailed(
            "心跳报文有误：" + "；".join(f"{k}：{v}" for k, v in list(fields.items())[:5]), fields=fields
        ) from None
    registry = services.get(DeviceRegistry)

    def heard() -> int:
        with services.db.transaction() as session:
            return registry.heard_in(session, beats.devices, datetime.now(UTC))

    return HeartbeatsOut(heard=await run_in_threadpool(heard))
