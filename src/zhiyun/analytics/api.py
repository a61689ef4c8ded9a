"""The leader dashboard's figures as JSON (the console's big screen reads the same service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from zhiyun.analytics.definitions import RateDefinitionService
from zhiyun.analytics.periods import DEFAULT_RATE_DAYS, MAX_RATE_DAYS
from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor, may_define_rates, require

router = APIRouter(
    prefix="/stats",
    tags=["stats 统计"],
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)


@router.get("/dashboard", summary="领导驾驶舱（统计大屏）数据")
def dashboard(
    actor: ActorDep,
    services: ServicesDep,
    days: Annotated[
        int, Query(ge=1, le=MAX_RATE_DAYS, description="三率与按时办结率的统计天数（含今日）")
    ] = DEFAULT_RATE_DAYS,
) -> dict[str, Any]:
    """Volume today and this week (by channel, category, type, unit), the response, resolution,
    satisfaction and on-time rates by unit, backlog and overdue, a 30-day trend and the
    categories rising fastest, scoped to the caller: the district for leaders, inspectors and
    admins, their own unit and below for dispatchers (403 for other roles). `definitions`
    gives every rate's definition in Chinese."""
    return services.dashboard.dashboard(actor, rate_days=days).as_dict()


class RateDefinitionBody(BaseModel):
    """The next version of the rate definition (统计口径)."""

    model_config = ConfigDict(extra="forbid")

    exclusions: list[str] = Field(
        description="不计入统计的工单：invalid（无效件）、repeat（重复件）、not_duty（非政府职责）"
    )
    not_duty_categories: list[str] = Field(
        default_factory=list, max_length=200, description="非政府职责事项的类别编码"
    )
    basic_counts_satisfied: bool = Field(True, description="满意率中「基本满意」是否计为满意")
    note: str = Field(max_length=500, description="修改理由（必填）")


@router.get("/rate-definitions", summary="统计口径的历次版本（最新在前）")
def rate_definitions(actor: ActorDep, services: ServicesDep) -> list[dict[str, Any]]:
    """Every version of the rate definition with what it changed; the first is in force."""
    return [v.as_dict() for v in services.get(RateDefinitionService).history(actor)]


def definer(actor: ActorDep) -> Actor:
    """The acting user, if they may define the rates (403 before the body is parsed)."""
    require(may_define_rates, actor)
    return actor


@router.post(
    "/rate-definitions",
    status_code=201,
    summary="启用统计口径的新版本（管理员）",
    responses={422: ERROR_RESPONSES[422]},
)
def define_rates(
    actor: Annotated[Actor, Depends(definer)], services: ServicesDep, body: RateDefinitionBody
) -> dict[str, Any]:
    """A new version, in force at once (the dashboard's rollup is counted again on its next read)."""
    return services.get(RateDefinitionService).define(actor, body.model_dump()).as_dict()
