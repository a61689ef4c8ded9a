"""An order's dispatch suggestion (the top three categories with their confidences, the rule
that fired, whether it was dispatched automatically) and a dispatcher's change of its category."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/orders", tags=["orders 工单"], responses={401: ERROR_RESPONSES[401]})


class SuggestionItemOut(BaseModel):
    category_code: str | None
    category_name: str | None
    confidence: float | None
    unit_id: int | None
    unit_name: str | None
    outcome: str
    rule_id: int | None
    reason: str


class FeedbackOut(BaseModel):
    kind: str
    predicted_category: str | None
    corrected_category: str | None
    predicted_unit_id: int | None
    corrected_unit_id: int | None
    after_automatic: bool
    actor_name: str
    at: datetime


class DispatchSuggestionOut(BaseModel):
    order_id: int
    number: str
    category_code: str | None
    confidence: float | None
    threshold: float | None
    suggestions: list[SuggestionItemOut]
    outcome: str
    rule_id: int | None
    reason: str
    target_unit_id: int | None
    target_unit_name: str | None
    auto_dispatched: bool
    decision: str
    decision_label: str
    urgent_signals: list[str]
    model_version: str | None
    created_at: datetime
    feedback: list[FeedbackOut]


class CategoryChangeIn(BaseModel):
    category_code: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=500)


@router.get(
    "/{key}/dispatch-suggestion",
    response_model=DispatchSuggestionOut,
    summary="工单的智能分拨建议：前三个分类及置信度、命中规则、是否已自动派单",
    responses={404: ERROR_RESPONSES[404]},
)
def dispatch_suggestion(
    actor: ActorDep, services: ServicesDep, key: str = Path(description="工单 id 或编号", max_length=64)
) -> DispatchSuggestionOut:
    v = services.dispatch.suggestion(actor, key)
    data: dict[str, Any] = dict(v.__dict__)
    data["auto_dispatched"] = data.pop("applied")
    data["suggestions"] = [SuggestionItemOut(**s) for s in v.suggestions]
    data["feedback"] = [FeedbackOut(**{**f.__dict__}) for f in v.feedback]
    return DispatchSuggestionOut(**data)


@router.post(
    "/{key}/category",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="修改工单分类（派单员；记为训练反馈）",
    responses={403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def change_category(
    body: CategoryChangeIn,
    actor: ActorDep,
    services: ServicesDep,
    key: str = Path(description="工单 id 或编号", max_length=64),
) -> Response:
    services.dispatch.change_category(actor, key, body.category_code.strip(), body.note)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
