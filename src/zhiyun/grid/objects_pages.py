"""The console's 网格对象 page: the managed objects the user may see — a list with filters
(type, risk, village, grid, words), one object with its attributes, and a map layer of the
objects in view (`static/js/grid-objects.js` over the console's Leaflet maps).

Everything goes through `ManagedObjectService`, which scopes each read to the user
(`domain.managed_objects.object_scope`): another village's object is "不存在或您无权查看"
with a 404, as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError, NotFound, ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.managed_objects import may_browse_managed_objects, schema_of
from zhiyun.grid.objects_service import MAP_CAP, ManagedObjectService, ObjectQuery, parse_bbox
from zhiyun.web.deps import PageActor, PageForbidden, PageUser, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _browser(actor: Actor) -> Actor:
    """The page is for those its menu entry is for (grid workers, village and town staff,
    dispatchers, admins); what each sees on it is scoped by the service."""
    if not may_browse_managed_objects(actor):
        raise PageForbidden("网格对象页面仅供网格员、村居和镇街工作人员、派单员和管理员使用")
    return actor


def _query(params: Any) -> tuple[ObjectQuery, dict[str, str]]:
    """The list's question from the page's query string, and the problems of its fields."""
    errors: dict[str, str] = {}
    kind = risk = None
    try:
        kind = ObjectKind.parse(params["kind"]) if params.get("kind") else None
    except ValidationFailed as exc:
        errors["kind"] = exc.message
    try:
        risk = RiskLevel.parse(params["risk"]) if params.get("risk") else None
    except ValidationFailed as exc:
        errors["risk"] = exc.message
    text = (params.get("q") or "")[:200]
    query = ObjectQuery(kind, risk, params.get("grid") or None, params.get("village") or None, text or None)
    try:
        query = query.validated()
    except ValidationFailed as exc:
        errors[str(exc.details.get("field", "q"))] = exc.message
        query = ObjectQuery(kind, risk, None, query.village, None)
    return query, errors


@router.get("/grid/objects", response_class=HTMLResponse)
def objects_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    _browser(actor)
    objects = services.get(ManagedObjectService)
    params = request.query_params
    query, errors = _query(params)
    cursor = params.get("cursor") or None
    page = None
    try:
        page = objects.search(actor, query, cursor=cursor, limit=PAGE_SIZE)
    except DomainError as exc:
        errors["cursor"] = exc.message
    next_params = None
    if page is not None and page.next_cursor:
        next_params = {k: v for k, v in params.items() if k != "cursor" and v}
        next_params["cursor"] = page.next_cursor
    return render(
        request,
        "grid_objects/list.html",
        {
            "title": "网格对象",
            "params": params,
            "query": query,
            "errors": errors,
            "page": page,
            "next_params": next_params,
            "kinds": [(k.value, k.label) for k in ObjectKind],
            "risks": [(r.value, r.label) for r in RiskLevel],
            "villages": objects.villages_in_view(actor),
            "map_cap": MAP_CAP,
        },
    )


@router.get("/grid/objects/map.geojson")
def objects_map(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> JSONResponse:
    """The map layer: the objects in view whose point lies in `bbox`, with the list's filters."""
    _browser(actor)
    params = request.query_params
    query, errors = _query(params)
    if errors:
        return JSONResponse({"error": "validation_failed", "message": "；".join(errors.values())}, 422)
    try:
        collection = services.get(ManagedObjectService).geojson(
            actor, parse_bbox(params.get("bbox", "")), query=query
        )
    except DomainError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, exc.http_status)
    return JSONResponse(collection, media_type="application/geo+json")


@router.get("/grid/objects/grids.geojson")
def objects_grids(user: PageUser, actor: PageActor, services: ServicesDep) -> JSONResponse:
    """The outlines of the grids whose objects the user may see (the map's grid layer)."""
    _browser(actor)
    return JSONResponse(
        services.get(ManagedObjectService).grid_outlines(actor), media_type="application/geo+json"
    )


@router.get("/grid/objects/{object_id}", response_class=HTMLResponse)
def object_page(
    request: Request, object_id: str, user: PageUser, actor: PageActor, services: ServicesDep
) -> HTMLResponse:
    _browser(actor)
    try:
        if not object_id.isdigit() or not 0 < int(object_id) < 2**31:
            raise NotFound("网格管理对象不存在")
        detail = services.get(ManagedObjectService).get(actor, int(object_id))
    except NotFound:
        return render(
            request,
            "error.html",
            {"title": "对象不存在", "message": "网格管理对象不存在或您无权查看"},
            status_code=404,
        )
    kind = detail.summary.kind
    known = [s.name for s in schema_of(kind)]
    attributes = [(name, detail.attributes[name]) for name in known if name in detail.attributes]
    attributes.extend((k, v) for k, v in detail.attributes.items() if k not in known)
    return render(
        request,
        "grid_objects/detail.html",
        {"title": detail.summary.name, "o": detail.summary, "detail": detail, "attributes": attributes},
    )


__all__ = ["router"]
