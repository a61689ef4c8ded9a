"""The leader dashboard's figures as JSON (the console's big screen reads the same service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from zhiyun.analytics.periods import DEFAULT_RATE_DAYS, MAX_RATE_DAYS
from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES

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
