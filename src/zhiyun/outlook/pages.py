"""The console's 预警 page (/outlook): the warnings of the towns the user sees, each with what they
may do now — acknowledge (确认知悉), dismiss with a reason (排除), turn into a proactive order
(转为未诉先办工单) — and the seasonal calendar (季节提示) and the next four weeks' forecasts.

Plain forms (POST, then a redirect back), through `OutlookService`, which asks the policies itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiyun.domain.access import Actor, may_read_outlook
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.domain.outlook import WarningStatus
from zhiyun.knowledge.search import KnowledgeSearch
from zhiyun.outlook.preparation import knowledge_for_seasons
from zhiyun.outlook.service import OutlookService
from zhiyun.web.admin import FormDep, text
from zhiyun.web.deps import CsrfChecked, PageActor, PageForbidden, PageUser, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)

DONE = {"acknowledge": "已确认知悉", "dismiss": "已排除预警", "order": "已转为未诉先办工单"}
FORECASTS_SHOWN = 30


def _page(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    *,
    status: str | None = None,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if not may_read_outlook(actor):
        raise PageForbidden("预警和季节提示仅供领导、质检员、派单员和管理员查看")
    outlook = services.get(OutlookService)
    if status not in {s.value for s in WarningStatus}:
        status = None
    seasons = outlook.seasons(actor, months_ahead=3)
    context: dict[str, Any] = {
        "title": "预警",
        "warnings": outlook.warnings(actor, status),
        "status": status,
        "statuses": list(WarningStatus),
        "seasons": seasons,
        "season_items": knowledge_for_seasons(services.get(KnowledgeSearch), seasons),
        "forecasts": outlook.forecasts(actor, limit=FORECASTS_SHOWN),
        "message": message,
        "error": error,
    }
    return render(request, "outlook/warnings.html", context, status_code=status_code)


@router.get("/outlook", response_class=HTMLResponse)
def outlook_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    params = request.query_params
    return _page(
        request, services, actor, status=params.get("status"), message=DONE.get(params.get("done", ""))
    )


@router.post("/outlook/warnings/{warning_id}", dependencies=[CsrfChecked])
def warning_post(
    request: Request, warning_id: int, user: PageUser, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    outlook = services.get(OutlookService)
    op = text(form, "op")
    try:
        if op == "acknowledge":
            outlook.acknowledge(actor, warning_id)
        elif op == "dismiss":
            outlook.dismiss(actor, warning_id, text(form, "reason"))
        elif op == "order":
            outlook.make_order(actor, warning_id)
        else:
            raise ValidationFailed("未知的操作")
    except DomainError as exc:
        return _page(request, services, actor, error=exc.message, status_code=exc.http_status)
    return RedirectResponse(f"/outlook?done={op}", status_code=303)
