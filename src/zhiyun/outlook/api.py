"""Early warning (预警), forecasts and seasons over REST, under /api/v1/outlook.

- `GET /outlook/warnings[?status=]`: the warnings of the towns the caller sees, newest first.
- `GET /outlook/warnings/{id}`: one warning with its steps (404 outside the caller's towns).
- `POST /outlook/warnings/{id}/acknowledge`, `…/dismiss` (`{"reason": …}`, required),
  `…/order` (a proactive order 未诉先办 registered at the town's center).
- `GET /outlook/forecasts[?town_unit_id=&limit=]`: the next four weeks per category and town.
- `GET /outlook/seasons`: the seasonal calendar (季节提示).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.outlook import REASON_MAX
from zhiyun.outlook.service import OutlookService, WarningView

router = APIRouter(
    prefix="/outlook",
    tags=["outlook 预警与季节提示"],
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)

WarningId = Annotated[int, Path(ge=1, le=2**62, description="预警 id")]


def outlook_service(services: ServicesDep) -> OutlookService:
    return services.get(OutlookService)


OutlookDep = Annotated[OutlookService, Depends(outlook_service)]


class StepOut(BaseModel):
    action: str
    label: str
    to_status: str
    actor_name: str
    at: datetime
    note: str


class WarningOut(BaseModel):
    """A warning (预警): a category surging in a town over a day or a week."""

    id: int
    town_unit_id: int
    town: str
    category_code: str
    category: str
    window: str = Field(description="day 单日 / week 本周（周一至今）")
    period_start: date
    last_day: date
    observed: int
    expected: float
    expected_sd: float
    interval: tuple[int, int] = Field(description="预期件数的 95% 区间")
    p_value: float
    method: str = Field(description="negbin / poisson（尾部检验）、cusum，以 + 连接")
    explanation: str
    status: str = Field(
        description="raised 待处理 / acknowledged 已知悉 / ordered 已转工单 / dismissed 已排除"
    )
    status_label: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    dismissed_at: datetime | None
    dismissed_by: str | None
    dismiss_reason: str | None
    ordered_at: datetime | None
    ordered_by: str | None
    order_id: int | None
    order_number: str | None
    version: int
    actions: list[str] = Field(description="调用者现在可以执行的操作")
    steps: list[StepOut] = Field(default_factory=list)
    hot_issue_id: int = Field(0, description="新热点快速增长预警所指的热点问题（0：某类诉求激增）")

    @classmethod
    def of(cls, v: WarningView) -> WarningOut:
        data: dict[str, Any] = asdict(v)
        data["interval"] = (v.interval_low, v.interval_high)
        data["actions"] = list(v.actions)
        return cls.model_validate(data)


class WarningList(BaseModel):
    warnings: list[WarningOut]


class DismissIn(BaseModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="排除原因（必填）")


@router.get("/warnings", response_model=WarningList, summary="预警列表（本辖区）")
def list_warnings(
    actor: ActorDep,
    outlook: OutlookDep,
    status: Annotated[str | None, Query(pattern="^(raised|acknowledged|ordered|dismissed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> WarningList:
    return WarningList(warnings=[WarningOut.of(v) for v in outlook.warnings(actor, status, limit)])


@router.get(
    "/warnings/{warning_id}",
    response_model=WarningOut,
    summary="一条预警及其处理记录",
    responses={404: ERROR_RESPONSES[404]},
)
def get_warning(actor: ActorDep, outlook: OutlookDep, warning_id: WarningId) -> WarningOut:
    return WarningOut.of(outlook.warning(actor, warning_id))


_STEP_ERRORS: dict[int | str, dict[str, Any]] = {
    404: ERROR_RESPONSES[404],
    409: ERROR_RESPONSES[409],
    422: ERROR_RESPONSES[422],
}


@router.post(
    "/warnings/{warning_id}/acknowledge",
    response_model=WarningOut,
    summary="确认知悉",
    responses=_STEP_ERRORS,
)
def acknowledge(actor: ActorDep, outlook: OutlookDep, warning_id: WarningId) -> WarningOut:
    return WarningOut.of(outlook.acknowledge(actor, warning_id))


@router.post(
    "/warnings/{warning_id}/dismiss",
    response_model=WarningOut,
    summary="排除预警（须填原因）",
    responses=_STEP_ERRORS,
)
def dismiss(actor: ActorDep, outlook: OutlookDep, warning_id: WarningId, body: DismissIn) -> WarningOut:
    return WarningOut.of(outlook.dismiss(actor, warning_id, body.reason))


@router.post(
    "/warnings/{warning_id}/order",
    response_model=WarningOut,
    summary="转为未诉先办工单（在镇街中心登记）",
    responses=_STEP_ERRORS,
)
def make_order(actor: ActorDep, outlook: OutlookDep, warning_id: WarningId) -> WarningOut:
    return WarningOut.of(outlook.make_order(actor, warning_id))


@router.get("/forecasts", summary="未来四周各镇街各类诉求预测")
def forecasts(
    actor: ActorDep,
    outlook: OutlookDep,
    town_unit_id: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    views = outlook.forecasts(actor, town_unit_id, limit)
    return {"forecasts": [asdict(v) for v in views], "level": 0.9}


@router.get("/seasons", summary="季节提示：每年某月某类诉求明显增多")
def seasons(actor: ActorDep, outlook: OutlookDep) -> dict[str, Any]:
    return {"seasons": [asdict(s) for s in outlook.seasons(actor)]}
