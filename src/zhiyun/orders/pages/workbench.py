"""The workbench: the user's queues with their counts, filters, sorting and the order list.

GET /workbench renders the page; an htmx request (filters, next page) gets only the
results fragment. GET /workbench/live is what the open page polls (static/js/live.js):
every queue's count and the arrival marks of 待分拨/待签收, in one query. POST
/workbench/bulk dispatches or urges the ticked orders, one audited action per order through
WorkOrderService, and shows each order's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse

from zhiyun.domain.access import Actor, Role, may_urge_in_bulk
from zhiyun.domain.errors import DomainError
from zhiyun.domain.workorder import Command, Dispatch, OrderStatus, OrderType, Urgency
from zhiyun.domain.workorder import Urge as UrgeCommand
from zhiyun.orders.pages.forms import list_query, query_string
from zhiyun.orders.pages.printing import center_name, list_filters
from zhiyun.orders.worklists import SORTS
from zhiyun.web.deps import CsrfChecked, PageActor, PageUser, ServicesDep
from zhiyun.web.templating import render
from zhiyun.web.views import category_choices, channel_names, dispatch_targets, filter_units, org_tree

router = APIRouter(include_in_schema=False)

DEFAULT_QUEUE = {
    Role.DISPATCHER: "to_dispatch",
    Role.AGENT: "to_dispatch",
    Role.HANDLER: "to_sign",
    Role.GRID_WORKER: "to_sign",
    Role.LEADER: "overdue",
    Role.INSPECTOR: "to_callback",
    Role.ADMIN: "all",
}
PAGE_SIZE = 50
LIVE_SECONDS = 30  # how often an open workbench refreshes its counts and list (data-live-interval)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


@router.get("/workbench", response_class=HTMLResponse)
def workbench(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    params = request.query_params
    query, errors = list_query(params, DEFAULT_QUEUE.get(actor.role, "all"))
    cursor = params.get("cursor") or None
    page = None
    try:
        page = services.worklists.page(actor, query, cursor=cursor, limit=PAGE_SIZE)
    except DomainError as exc:
        errors["list"] = exc.message
    context = {
        "title": "工作台",
        "query": query,
        "params": params,
        "errors": errors,
        "page": page,
        "cursor": cursor,
        "qs": lambda **changes: query_string(params, **changes),
        "channels": channel_names(services),
        "bulk": _bulk_options(services, actor),
        "list_filters": list_filters(services, query),
        "center_name": center_name(org_tree(services)),
        "printed_at": services.clock(),
    }
    if _is_htmx(request) and request.headers.get("hx-target") == "results":
        return render(request, "_order_list.html", context)
    context.update(
        queues=services.worklists.queues(actor),
        counts={},  # filled in by /workbench/counts once the page is up
        sorts=[(key, label) for key, (label, _, _) in SORTS.items()],
        statuses=[(s.value, s.label) for s in OrderStatus],
        order_types=[(t.value, t.label) for t in OrderType],
        urgencies=[(u.value, u.label) for u in Urgency],
        units=filter_units(services, actor),
        categories=category_choices(services),
        live_seconds=LIVE_SECONDS,
    )
    return render(request, "workbench.html", context)


@router.get("/workbench/live")
def live_pulse(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> JSONResponse:
    """The open workbench's poll: every queue's count under the list's filters, and the marks
    of the arrival queues (待分拨, 待签收) that tell the page when a new order came in.
    `counts=0` asks for the marks alone (the page's first look, which has its counts already)."""
    params = request.query_params
    query, errors = list_query(params, DEFAULT_QUEUE.get(actor.role, "all"))
    if errors:
        return JSONResponse({"error": "；".join(errors.values())}, status_code=422)
    try:
        pulse = services.live.pulse(actor, query, counts=params.get("counts") != "0")
    except DomainError as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.http_status)
    return JSONResponse(
        {
            "counts": [
                {"key": c.key, "label": c.label, "count": c.count, "more": c.more} for c in pulse.counts
            ],
            "arrivals": [
                {
                    "key": a.key,
                    "label": a.label,
                    "count": a.count,
                    "more": a.more,
                    "top": a.top,
                    "total": a.total,
                }
                for a in pulse.arrivals
            ],
        }
    )


@router.get("/workbench/counts", response_class=HTMLResponse)
def queue_counts(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    """The queue tabs with their counts: loaded after the list, since counting costs more than a page."""
    params = request.query_params
    query, errors = list_query(params, DEFAULT_QUEUE.get(actor.role, "all"))
    counts = {}
    if not errors:
        try:
            counts = {c.key: c for c in services.worklists.counts(actor, query)}
        except DomainError:
            counts = {}
    return render(
        request,
        "_queues.html",
        {
            "queues": services.worklists.queues(actor),
            "counts": counts,
            "query": query,
            "qs": lambda **changes: query_string(params, **changes),
        },
    )


@dataclass(frozen=True)
class BulkOptions:
    can_dispatch: bool
    can_urge: bool
    targets: list[tuple[int, str]]


def _bulk_options(services: ServicesDep, actor: Actor) -> BulkOptions:
    targets = dispatch_targets(services, actor)
    return BulkOptions(
        can_dispatch=bool(targets),
        can_urge=may_urge_in_bulk(actor),
        targets=targets,
    )


@dataclass(frozen=True)
class BulkResult:
    key: str
    number: str
    ok: bool
    message: str


@router.post("/workbench/bulk", response_class=HTMLResponse, dependencies=[CsrfChecked])
def bulk_action(
    request: Request,
    user: PageUser,
    actor: PageActor,
    services: ServicesDep,
    action: Annotated[str, Form()] = "",
    ids: Annotated[list[str] | None, Form()] = None,
    target_unit_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> HTMLResponse:
    keys = [k for k in (ids or []) if k.strip()]
    error = None
    results: list[BulkResult] = []
    command: Command | None = None
    if not keys:
        error = "请先勾选工单"
    elif action == "dispatch":
        if not target_unit_id.strip().isdigit():
            error = "请选择派往的单位"
        else:
            command = Dispatch(note=note.strip(), target_unit_id=int(target_unit_id))
    elif action == "urge":
        command = UrgeCommand(note=note.strip())
    else:
        error = "请选择批量操作"
    if command is not None:
        for key in keys[:200]:
            try:
                detail = services.orders.act(actor, key, command)
                results.append(BulkResult(key, detail.summary.number, True, f"已{command.action.label}"))
            except DomainError as exc:
                results.append(BulkResult(key, _number_of(services, actor, key), False, exc.message))
    # 200 even for a refused form: htmx swaps only successful answers, and the message must show
    return render(
        request,
        "_bulk_results.html",
        {"error": error, "results": results, "action_label": command.action.label if command else ""},
    )


def _number_of(services: ServicesDep, actor: Actor, key: str) -> str:
    try:
        return services.orders.get(actor, key).summary.number
    except DomainError:
        return f"#{key}"
