"""The 热点问题 pages: the ranking (热点问题表) and one issue with its orders (明细) and actions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiyun.domain.access import Actor, may_act_on_hot_issues, may_view_dashboard
from zhiyun.domain.errors import DomainError, NotFound
from zhiyun.hotspots.service import HotIssueService
from zhiyun.web.admin import FormDep, text
from zhiyun.web.deps import CsrfChecked, PageActor, PageForbidden, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)
IssueId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _reader(actor: Actor) -> Actor:
    if not may_view_dashboard(actor):
        raise PageForbidden("热点问题仅供领导、质检员、派单员和管理员查看")
    return actor


@router.get("/hotspots", response_class=HTMLResponse)
def hotspots_page(request: Request, services: ServicesDep, actor: PageActor) -> HTMLResponse:
    issues = services.get(HotIssueService).issues(_reader(actor))
    return render(request, "hotspots/list.html", {"title": "热点问题", "issues": issues})


def _detail(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    issue_id: int,
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    try:
        found = services.get(HotIssueService).detail(actor, issue_id)
    except NotFound as exc:
        return render(request, "error.html", {"title": "未找到", "message": exc.message}, status_code=404)
    return render(
        request,
        "hotspots/detail.html",
        {
            "title": found.issue.title,
            "d": found,
            "may_act": may_act_on_hot_issues(actor) and found.issue.status not in ("merged", "ordered"),
            "error": error,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/hotspots/{issue_id}", response_class=HTMLResponse)
def hotspot_page(
    request: Request, issue_id: IssueId, services: ServicesDep, actor: PageActor
) -> HTMLResponse:
    return _detail(request, services, _reader(actor), issue_id)


@router.post("/hotspots/{issue_id}", dependencies=[CsrfChecked])
def hotspot_post(
    request: Request, issue_id: IssueId, services: ServicesDep, actor: PageActor, form: FormDep
) -> Response:
    _reader(actor)
    op = text(form, "op")
    service = services.get(HotIssueService)
    try:
        if op == "merge":
            done = service.merge(actor, issue_id, text(form, "note"))
        elif op == "proactive":
            done = service.proactive_order(actor, issue_id, text(form, "note"))
        else:
            return _detail(request, services, actor, issue_id, error="未知的操作", status_code=422)
    except DomainError as exc:
        return _detail(request, services, actor, issue_id, error=exc.message, status_code=exc.http_status)
    message = f"{op}:{done.order_number}:{len(done.merged)}:{len(done.not_merged)}"
    return RedirectResponse(f"/hotspots/{issue_id}?done={quote(message)}", status_code=303)
