"""Intake: channels post their payloads here, each authenticated by its own key.

`POST /api/v1/intake/{channel}` with the channel's JSON payload and the header
`X-Channel-Key`. Idempotent by (channel, external id): a repeat answers 200 with the same
order; a repeat with changed content is recorded on it as an update. Also the dispatcher's
decision on an order flagged as a possible duplicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.intake_lane import parse_payload, read_body, receipt
from zhiyun.api.schemas import OrderDetailOut, Schema
from zhiyun.domain.errors import ValidationFailed
from zhiyun.intake.channels import CHANNEL_SPECS

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

channel_key_scheme = APIKeyHeader(
    name="X-Channel-Key",
    auto_error=False,
    scheme_name="channel_key",
    description="渠道密钥：`zhiyun channel key 渠道编码` 签发",
)

router = APIRouter(tags=["intake 一站接诉"])

_EXAMPLES = {
    code: {"summary": spec.name, "description": spec.description, "value": spec.example}
    for code, spec in CHANNEL_SPECS.items()
    if spec.payload is not None
}


class IntakeReceiptOut(Schema):
    """What the channel gets back: the order it became, and whether it was new."""

    order_id: int
    order_number: str
    status: str
    status_label: str
    created: bool = Field(description="true：新建工单；false：同一外部编号的重复推送")
    updated: bool = Field(description="重复推送且内容有变化，已记录为诉求更新")
    duplicate_of: str | None = Field(description="接诉时自动合并到的主工单编号")
    possible_duplicates: list[str] = Field(description="疑似重复的工单编号，待派单员确认")


_PAYLOAD_DOC = {
    "required": True,
    "description": "渠道自己格式的报文（见 docs/channels.md）",
    "content": {"application/json": {"schema": {"type": "object"}, "examples": _EXAMPLES}},
}


# Every channel message comes through here. `zhiyun.api.intake_lane` answers it before FastAPI
# routes it (same contract, same pieces: read_body, parse_payload, receipt); this route documents
# it in OpenAPI and answers when the lane is off. The body is parsed with json.loads and the
# receipt written as a plain dict (FastAPI's body and response models would validate both again).
@router.post(
    "/intake/{channel}",
    response_model=IntakeReceiptOut,
    status_code=201,
    summary="渠道推送诉求（按渠道的报文格式）",
    responses={
        200: {"model": IntakeReceiptOut, "description": "同一外部编号的重复推送：返回原工单"},
        401: ERROR_RESPONSES[401],
        404: ERROR_RESPONSES[404],
        422: ERROR_RESPONSES[422],
    },
    openapi_extra={"requestBody": _PAYLOAD_DOC},
)
async def receive(
    request: Request,
    channel: Annotated[str, Path(description="渠道编码：" + "、".join(_EXAMPLES))],
    key: Annotated[str | None, Depends(channel_key_scheme)],
) -> Response:
    services: Services = request.app.state.services
    await run_in_threadpool(services.intake.admit, channel, key)  # the key before the body
    body = await read_body(request.receive)
    if body is None:  # the client went away
        return Response(status_code=400)
    payload = parse_payload(body)
    result = await run_in_threadpool(services.intake.receive, channel, payload, key=key)
    return JSONResponse(receipt(result), status_code=201 if result.created else 200)


class DuplicateCandidateOut(Schema):
    candidate_id: int
    number: str
    title: str
    status: str
    score: float
    text_similarity: float
    distance_m: float | None
    same_caller: bool
    decision: str


class DuplicateDecisionIn(Schema):
    decision: Literal["merge", "dismiss"] = Field(description="merge：合并到 master；dismiss：不是重复件")
    master: str | None = Field(default=None, description="主工单编号或 id（merge 时必填）")
    note: str = Field(default="", max_length=2000)


@router.get(
    "/orders/{key}/duplicate-candidates",
    response_model=list[DuplicateCandidateOut],
    summary="疑似重复的候选工单",
    responses={401: ERROR_RESPONSES[401], 404: ERROR_RESPONSES[404]},
)
def duplicate_candidates(key: str, actor: ActorDep, services: ServicesDep) -> list[DuplicateCandidateOut]:
    return [DuplicateCandidateOut.model_validate(c) for c in services.duplicates.candidates(actor, key)]


@router.post(
    "/orders/{key}/duplicate-decision",
    response_model=OrderDetailOut,
    summary="确认疑似重复：合并或排除",
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 409, 422)},
)
def duplicate_decision(
    key: str, body: DuplicateDecisionIn, actor: ActorDep, services: ServicesDep
) -> OrderDetailOut:
    if body.decision == "merge" and not body.master:
        raise ValidationFailed("合并时须指定主工单 master", field="master")
    detail = services.duplicates.decide(
        actor, key, merge_into=body.master if body.decision == "merge" else None, note=body.note
    )
    return OrderDetailOut.of_detail(detail)
