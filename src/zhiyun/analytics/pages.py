"""The leader dashboard page (领导驾驶舱): one big-screen page that refreshes itself.

GET /dashboard renders the page with the figures embedded (the first paint needs no
second request); its script asks GET /dashboard/data for fresh figures every 60 seconds
and redraws the charts without reloading the page. Both read `services.dashboard`, scoped
to the signed-in user; roles without a dashboard get the console's 403 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from zhiyun.analytics.periods import DEFAULT_RATE_DAYS, MAX_RATE_DAYS
from zhiyun.domain.access import Actor, may_view_dashboard
from zhiyun.domain.errors import ValidationFailed
from zhiyun.web.deps import PageActor, PageForbidden, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 60
RATE_CHOICES = (7, 30, 90)
Days = Annotated[int, Query(ge=1, le=MAX_RATE_DAYS)]


def _figures(services: ServicesDep, actor: Actor, days: int) -> dict[str, Any]:
    if not may_view_dashboard(actor):
        raise PageForbidden("领导驾驶舱仅供领导、质检员、派单员和管理员查看")
    try:
        return services.dashboard.dashboard(actor, rate_days=days).as_dict()
    except ValidationFailed as exc:  # pragma: no cover - Query bounds catch it first
        raise PageForbidden(exc.message) from exc


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, services: ServicesDep, actor: PageActor, days: Days = DEFAULT_RATE_DAYS
) -> HTMLResponse:
    data = _figures(services, actor, days)
    return render(
        request,
        "dashboard.html",
        {
            "title": "领导驾驶舱",
            "data": data,
            "definitions": data["definitions"],  # DEFINITIONS and the rate definition in force
            "refresh_seconds": REFRESH_SECONDS,
            "days": days,
            "day_choices": RATE_CHOICES,
            "panels": services.dashboard.panels.views(actor),  # other capabilities' (analytics/panels.py)
        },
    )


@router.get("/dashboard/data")
def dashboard_data(services: ServicesDep, actor: PageActor, days: Days = DEFAULT_RATE_DAYS) -> JSONResponse:
    return JSONResponse(_figures(services, actor, days), headers={"Cache-Control": "no-store"})
