"""The map page: the user's orders as points and clusters over the unit boundaries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from zhiyun.domain.errors import DomainError
from zhiyun.domain.workorder import OrderStatus, OrderType
from zhiyun.orders.pages.forms import list_query
from zhiyun.web.deps import PageActor, PageUser, ServicesDep
from zhiyun.web.templating import render
from zhiyun.web.views import category_names, channel_names, filter_units

router = APIRouter(include_in_schema=False)
MAP_LIMIT = 5000


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    params = request.query_params
    query, errors = list_query(params, "all")
    return render(
        request,
        "map.html",
        {
            "title": "地图",
            "params": params,
            "query": query,
            "errors": errors,
            "channels": channel_names(services),
            "statuses": [(s.value, s.label) for s in OrderStatus],
            "order_types": [(t.value, t.label) for t in OrderType],
            "units": filter_units(services, actor),
            "queues": services.worklists.queues(actor),
        },
    )


@router.get("/map/points.json")
def map_points(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> JSONResponse:
    query, errors = list_query(request.query_params, "all")
    if errors:
        return JSONResponse({"error": "validation_failed", "message": "；".join(errors.values())}, 422)
    try:
        points, truncated = services.worklists.map_points(actor, query, limit=MAP_LIMIT)
    except DomainError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, exc.http_status)
    names = category_names(services) if points else {}
    body: dict[str, Any] = {
        "truncated": truncated,
        "points": [
            {
                "number": p.number,
                "title": p.title,
                "status": p.status,
                "status_label": p.status_label,
                "category_code": p.category_code,
                # the legend groups by first-level category, by name
                "category_name": names.get(p.category_code or "", ("", ""))[0] or None,
                "category_group": names.get(p.category_code or "", ("", ""))[1] or None,
                "lat": round(p.latitude, 6),
                "lon": round(p.longitude, 6),
            }
            for p in points
        ],
    }
    return JSONResponse(body)


@router.get("/map/boundaries.geojson")
def boundaries(user: PageUser, services: ServicesDep) -> JSONResponse:
    return JSONResponse(services.geo.export_geojson(), media_type="application/geo+json")
