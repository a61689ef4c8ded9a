"""The console's sensing pages, for the staff of the district, towns and villages (not grid
workers: their checks are on the patrol phone page).

- `/sensing/events` (感知事件): the events the reader sees — filters status, scene, town or
  village, device code and days; 50 a page; each row its scene, device, place, count, first and
  last seen, status and the order it became (a link to the order page);
- `/sensing/events/{id}`: one event — its alarms, the best evidence image (served by the
  verification part at /api/v1/sensing/evidence/{id}), the check and its answer, the order;
  another unit's event is 404, as one that does not exist;
- `/sensing/figures` (感知统计): the funnel, precision per scene, algorithm version and device with
  the vendor flags, hot spots, time to order, verification timeliness, orders per month and
  silent devices.

Everything is read through `SensingFigures`, which keeps each reader to their villages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError, NotFound
from zhiyun.domain.sensing_figures import SENSING_REFUSAL, may_read_sensing
from zhiyun.sensing.figures import PLACE_MAX, EventQuery, SensingFigures
from zhiyun.web.deps import PageActor, PageForbidden, PageUser, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)
FIELD_MAX = 64


def _reader(actor: Actor) -> Actor:
    if not may_read_sensing(actor):
        raise PageForbidden(SENSING_REFUSAL)
    return actor


def _day(value: str | None, label: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.append(f"{label}格式应为 YYYY-MM-DD")
        return None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 120:
        return f"{value / 60:.1f} 小时"
    return f"{value:.0f} 分钟"


@router.get("/sensing/events", response_class=HTMLResponse)
def events_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    _reader(actor)
    figures = services.get(SensingFigures)
    params = request.query_params
    form = {
        k: (params.get(k) or "")[:FIELD_MAX] for k in ("status", "scene", "place", "device", "from", "to")
    }
    problems: list[str] = []
    start, end = _day(form["from"], "开始日期", problems), _day(form["to"], "结束日期", problems)
    raw_page = params.get("page") or "1"
    page_no = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else 1
    page = None
    status = 200
    if problems:
        status = 422
    else:
        try:
            query = EventQuery.parse(
                status=form["status"],
                scene=form["scene"],
                place=form["place"][:PLACE_MAX],
                device=form["device"],
                start=start,
                end=end,
            )
            page = figures.events(actor, query, page=page_no)
        except DomainError as exc:
            problems.append(exc.message)
            status = exc.http_status
    kept = {k: v for k, v in form.items() if v}
    return render(
        request,
        "sensing_events/list.html",
        {
            "title": "感知事件",
            "form": form,
            "choices": figures.choices(actor),
            "page": page,
            "problems": problems,
            "previous": {**kept, "page": str(page.page - 1)} if page and page.page > 1 else None,
            "next": {**kept, "page": str(page.page + 1)} if page and page.page < page.pages else None,
        },
        status_code=status,
    )


@router.get("/sensing/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, event_id: str, user: PageUser, actor: PageActor, services: ServicesDep
) -> HTMLResponse:
    _reader(actor)
    try:
        if not event_id.isdigit() or not 0 < int(event_id) < 2**62:
            raise NotFound("感知事件不存在")
        detail = services.get(SensingFigures).event(actor, int(event_id))
    except NotFound:
        return render(
            request,
            "error.html",
            {"title": "事件不存在", "message": "感知事件不存在或您无权查看"},
            status_code=404,
        )
    return render(
        request,
        "sensing_events/event.html",
        {"title": f"感知事件 {detail.line.id}", "e": detail, "line": detail.line},
    )


@router.get("/sensing/figures", response_class=HTMLResponse)
def figures_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    _reader(actor)
    params = request.query_params
    form = {k: (params.get(k) or "")[:FIELD_MAX] for k in ("from", "to", "town")}
    problems: list[str] = []
    start, end = _day(form["from"], "开始日期", problems), _day(form["to"], "结束日期", problems)
    report = None
    status = 200
    if problems:
        status = 422
    else:
        try:
            report = services.get(SensingFigures).figures(
                actor, start=start, end=end, place=form["town"][:PLACE_MAX] or None
            )
        except DomainError as exc:
            problems.append(exc.message)
            status = exc.http_status
    context: dict[str, Any] = {
        "title": "感知统计",
        "form": form,
        "report": report,
        "problems": problems,
        "pct": _pct,
        "minutes": _minutes,
        "max_month": max((n for _, n in report.months), default=0) if report else 0,
    }
    return render(request, "sensing_events/figures.html", context, status_code=status)


__all__ = ["router"]
