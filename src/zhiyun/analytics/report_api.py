"""The reports (统计报表) over REST: list, read, have one made, download its spreadsheet, subscribe."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from zhiyun.analytics.report_xlsx import report_xlsx
from zhiyun.analytics.reports import ReportService
from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor, may_view_dashboard
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.reports import ReportKind, parse_period

ReportId = Annotated[int, Path(ge=1, le=2**31 - 1, description="报表 id")]
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="订阅 id")]

router = APIRouter(
    prefix="/reports",
    tags=["reports 统计报表"],
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)


def reader(actor: ActorDep) -> Actor:
    """The acting user, if they have a dashboard and so reports (403 before anything is parsed)."""
    if not may_view_dashboard(actor):
        raise PermissionDenied("您的角色不能查看统计报表", role=actor.role.value)
    return actor


Reader = Annotated[Actor, Depends(reader)]


class MakeReport(BaseModel):
    """A unit's report of one complete period."""

    model_config = ConfigDict(extra="forbid")

    unit_id: int
    kind: ReportKind
    period: str = Field(max_length=10, description="周期内任一日期 YYYY-MM-DD（月报可为 YYYY-MM）")


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: int
    kind: ReportKind


@router.get("", summary="可查看的统计报表（最新周期在前）")
def reports(
    actor: Reader,
    services: ServicesDep,
    unit_id: int | None = None,
    kind: ReportKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Reports of the units the caller's dashboard covers; subscribed ones made since the caller
    last read the list are marked `new`."""
    listed = services.get(ReportService).reports(actor, unit_id=unit_id, kind=kind, limit=limit)
    return [r.as_dict() for r in listed]


@router.post(
    "", status_code=201, summary="生成某单位某个已结束周期的报表", responses={422: ERROR_RESPONSES[422]}
)
def make(actor: Reader, services: ServicesDep, body: MakeReport) -> dict[str, Any]:
    try:
        period = parse_period(body.kind, body.period)
    except ValueError:
        raise ValidationFailed("日期格式须为 YYYY-MM-DD（月报可为 YYYY-MM）", field="period") from None
    return services.get(ReportService).make(actor, body.unit_id, body.kind, period).as_dict()


@router.get("/subscriptions", summary="我的报表订阅")
def subscriptions(actor: Reader, services: ServicesDep) -> list[dict[str, Any]]:
    return services.get(ReportService).subscriptions(actor)


@router.post("/subscriptions", status_code=201, summary="订阅某单位的日报、周报或月报")
def subscribe(actor: Reader, services: ServicesDep, body: Subscription) -> dict[str, int]:
    return {"id": services.get(ReportService).subscribe(actor, body.unit_id, body.kind)}


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="取消订阅")
def unsubscribe(actor: Reader, services: ServicesDep, subscription_id: SubscriptionId) -> Response:
    services.get(ReportService).unsubscribe(actor, subscription_id)
    return Response(status_code=204)


@router.get("/{report_id}", summary="一份报表及其数据", responses={404: ERROR_RESPONSES[404]})
def report(actor: Reader, services: ServicesDep, report_id: ReportId) -> dict[str, Any]:
    return services.get(ReportService).report(actor, report_id).as_dict()


@router.get("/{report_id}/xlsx", summary="报表的 Excel 文件", responses={404: ERROR_RESPONSES[404]})
def report_file(actor: Reader, services: ServicesDep, report_id: ReportId) -> Response:
    made = services.get(ReportService).report(actor, report_id)
    return Response(
        report_xlsx(made.summary.title, made.figures),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": (
                f"attachment; filename=report-{report_id}.xlsx; filename*=UTF-8''{quote(made.summary.title + '.xlsx')}"
            )
        },
    )
