"""小南 over REST.

Public (no login; a conversation is its unguessable token):

- `POST /assistant/ask` `{"question", "conversation_id"?}`: one answer (an item with its source
  and department, a clarifying question, a hand-over, or an urgent warning);
- `POST /assistant/feedback` `{"conversation_id", "turn_id", "helpful"}`: thumbs up or down;
- `POST /assistant/handover` `{"conversation_id", "name", "phone", "description", "address"?,
  "latitude"?, "longitude"?, "category_code"?}`: a work order with the transcript.

Staff (`may_read_assistant`): `GET /assistant/conversations`, `GET /assistant/conversations/{id}`,
`GET /assistant/report`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from zhiyun.accounts.client_address import client_address
from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.assistant.service import AssistantService
from zhiyun.domain.access import Actor, may_read_assistant
from zhiyun.domain.assistant import MAX_QUESTION_CHARS, HandoverForm
from zhiyun.domain.errors import PermissionDenied

CITIZEN = Actor.citizen(None, "市民")  # 小南 is public: whoever asks is a citizen
router = APIRouter(
    prefix="/assistant", tags=["assistant 小南"], responses={k: ERROR_RESPONSES[k] for k in (404, 422)}
)


def reader(actor: ActorDep) -> Actor:
    if not may_read_assistant(actor):
        raise PermissionDenied("小南对话仅供管理员、领导和质检员查看", role=actor.role.value)
    return actor


Reader = Annotated[Actor, Depends(reader)]
Token = Annotated[str, Field(min_length=8, max_length=64, description="对话 id（首次提问时返回）")]


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="市民的问题")
    conversation_id: Token | None = None


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: Token
    turn_id: int = Field(ge=1, le=2**62)
    helpful: bool


class HandoverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: Token
    name: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    description: str = Field(max_length=2000)
    address: str = Field("", max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    category_code: str | None = Field(None, max_length=64)


def _assistant(services: ServicesDep) -> AssistantService:
    return services.get(AssistantService)


@router.post("/ask", summary="向小南提问（无需登录）")
def ask(body: AskBody, request: Request, services: ServicesDep) -> dict[str, Any]:
    client = client_address(request, services.settings.trusted_proxies)
    reply = _assistant(services).ask(
        CITIZEN, body.question, body.conversation_id, channel="api", client=client
    )
    data = asdict(reply)
    data["conversation_id"] = data.pop("token")
    return data


@router.post("/feedback", summary="评价小南的回答（有用 / 没用）")
def feedback(body: FeedbackBody, services: ServicesDep) -> dict[str, Any]:
    _assistant(services).feedback(CITIZEN, body.conversation_id, body.turn_id, body.helpful)
    return {"ok": True}


@router.post("/handover", status_code=201, summary="转人工：登记为工单（附对话记录）")
def handover(body: HandoverBody, services: ServicesDep) -> dict[str, Any]:
    form = HandoverForm(
        body.name,
        body.phone,
        body.description,
        body.address,
        body.latitude,
        body.longitude,
        body.category_code,
    )
    done = _assistant(services).handover(CITIZEN, body.conversation_id, form)
    return {"order_number": done.number, "merged_into": done.merged_into}


@router.get(
    "/conversations",
    summary="小南对话（最新在前）",
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)
def conversations(
    actor: Reader,
    services: ServicesDep,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    return [asdict(c) for c in _assistant(services).conversations(actor, outcome, limit)]


@router.get(
    "/conversations/{conversation_id}",
    summary="一次对话的全部记录",
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)
def conversation(
    actor: Reader, services: ServicesDep, conversation_id: Annotated[int, Path(ge=1, le=2**62)]
) -> dict[str, Any]:
    return asdict(_assistant(services).conversation(actor, conversation_id))


@router.get(
    "/report",
    summary="小南报告：回答率、转人工原因、未能回答的问题",
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)
def report(
    actor: Reader,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> dict[str, Any]:
    until = services.clock()
    return _assistant(services).report(actor, until - timedelta(days=days), until).as_dict()


__all__ = ["router"]
