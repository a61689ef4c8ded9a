"""Hot issues (热点问题) over REST: the ranking, one issue with its orders, and the two actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor, may_act_on_hot_issues, may_view_dashboard
from zhiyun.domain.errors import PermissionDenied
from zhiyun.hotspots.service import ActionResult, HotIssueService

IssueId = Annotated[int, Path(ge=1, le=2**31 - 1, description="热点问题 id")]

router = APIRouter(
    prefix="/hotspots",
    tags=["hotspots 热点问题"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404)},
)


def reader(actor: ActorDep) -> Actor:
    """The acting user, if they have a dashboard (403 before anything is parsed)."""
    if not may_view_dashboard(actor):
        raise PermissionDenied("热点问题仅供领导、质检员、派单员和管理员查看", role=actor.role.value)
    return actor


def handler(actor: ActorDep) -> Actor:
    """The acting user, if they may act on hot issues (403 before the body is parsed)."""
    if not may_act_on_hot_issues(actor):
        raise PermissionDenied("只有派单员可以处置热点问题", role=actor.role.value)
    return actor


Reader = Annotated[Actor, Depends(reader)]
Handler = Annotated[Actor, Depends(handler)]


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500, description="说明（可选）")


def _result(done: ActionResult) -> dict[str, Any]:
    return {
        "issue": done.issue.as_dict(),
        "order_number": done.order_number,
        "merged": list(done.merged),
        "not_merged": list(done.not_merged),
        "supervised": done.supervised,
    }


@router.get("", summary="热点问题排名（热度由高到低；已处置的排在后面）")
def issues(
    actor: Reader, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[dict[str, Any]]:
    """The ranked hot issues the caller sees (the district's readers: all; a dispatcher: those
    with an order in their unit's subtree); the hot index with its parts (docs/analytics.md)."""
    return [i.as_dict() for i in services.get(HotIssueService).issues(actor, limit=limit)]


@router.get("/{issue_id}", summary="一个热点问题及其工单（明细）")
def issue(actor: Reader, services: ServicesDep, issue_id: IssueId) -> dict[str, Any]:
    found = services.get(HotIssueService).detail(actor, issue_id)
    return {
        **found.issue.as_dict(),
        "orders": [
            {
                "number": m.number,
                "title": m.title,
                "status": m.status.value,
                "registered_at": m.registered_at.isoformat(),
                "village": m.village,
            }
            for m in found.members
        ],
        "hidden_orders": found.hidden,
    }


@router.post(
    "/{issue_id}/merge",
    summary="合并为一件督办工单",
    responses={k: ERROR_RESPONSES[k] for k in (409, 422)},
)
def merge(actor: Handler, services: ServicesDep, issue_id: IssueId, body: ActionBody) -> dict[str, Any]:
    """The issue's open orders merged into its earliest open one (those the caller may merge),
    which is supervised; each an audited transition of its order."""
    return _result(services.get(HotIssueService).merge(actor, issue_id, body.note))


@router.post(
    "/{issue_id}/proactive-order",
    status_code=201,
    summary="生成未诉先办工单",
    responses={k: ERROR_RESPONSES[k] for k in (409, 422)},
)
def proactive_order(
    actor: Handler, services: ServicesDep, issue_id: IssueId, body: ActionBody
) -> dict[str, Any]:
    """A proactive order (channel `proactive`) at the caller's center about the issue."""
    return _result(services.get(HotIssueService).proactive_order(actor, issue_id, body.note))
