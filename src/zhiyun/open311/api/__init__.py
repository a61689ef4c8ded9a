"""Open311 GeoReport v2 at /open311/v2, to the letter of http://wiki.open311.org/GeoReport_v2.

Existing GeoReport v2 clients and apps work unchanged: every resource in XML (the required
format) and JSON (the Spark convention: the XML's container elements become arrays, the root
list is the document), UTF-8, dates in W3C/ISO 8601 with the +08:00 offset, and errors in the
spec's own shape (`[{"code", "description"}]`, `<errors><error><code/><description/></error></errors>`)
with 404 for what does not exist, 403 for a missing or invalid api_key and 400 for anything else.

    GET  discovery.{fmt}              the service discovery document
    GET  services.{fmt}               the service list
    GET  services/{code}.{fmt}        a service definition (its attributes)
    POST requests.{fmt}               a new request (api_key: a key of the `open311` channel)
    GET  requests.{fmt}               requests: service_request_id, service_code, start_date,
                                      end_date, status (defaults: the last 90 days, at most 1000)
    GET  requests/{id}.{fmt}          one request
    GET  tokens/{token}.{fmt}         the request id of a batch service's token

A request is a work order: service_request_id is the order number, status is open until the
order is closed, cancelled or merged into another (then closed), expected_datetime is its
reply deadline and agency_responsible the unit responsible for it. Open311 is public: only
orders that are not confidential are shown, and never the citizen's name, phone or e-mail
(phone numbers and e-mail addresses inside the text are masked too).

Settings read when present (ZHIYUN_OPEN311_…): `open311_jurisdiction_id` (default
nanhai.gov.cn), `open311_base_url` (the public URL in front of /open311/v2 when behind a
proxy), `open311_contact`.

This package holds the routes; `errors.py` the spec's errors, `rendering.py` XML and JSON,
`parameters.py` the checked arguments and settings, `resources.py` the documents that
describe the endpoint, `posting.py` what a POST becomes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from zhiyun.api.deps import ServicesDep
from zhiyun.open311 import catalog as spec
from zhiyun.open311.api.errors import Open311Error, Open311Route, error_response, fmt_of
from zhiyun.open311.api.parameters import check_jurisdiction, checked_format, comma_list, param, w3c_param
from zhiyun.open311.api.posting import post_request, read_form
from zhiyun.open311.api.rendering import render
from zhiyun.open311.api.resources import PREFIX, discovery_document, service_definition, service_list_item
from zhiyun.open311.public import DEFAULT_SPAN, PublicRequests, RequestQuery

MAX_IDS = 1000

router = APIRouter(prefix=PREFIX, tags=["open311 GeoReport v2"], route_class=Open311Route)

_POST_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {
                        name: {"type": "string"}
                        for name in (
                            "api_key",
                            "jurisdiction_id",
                            "service_code",
                            "lat",
                            "long",
                            "address_string",
                            "address_id",
                            "email",
                            "device_id",
                            "account_id",
                            "first_name",
                            "last_name",
                            "phone",
                            "description",
                            "media_url",
                        )
                    },
                    "additionalProperties": {"type": "string", "description": "attribute[code]=value"},
                }
            }
        },
    }
}


@router.get("/discovery.{fmt}", summary="服务发现文档（Service Discovery）")
def get_discovery(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Where the endpoint is, which formats it speaks, how to get an api_key."""
    return render(checked_format(fmt), "discovery", discovery_document(services, request))


@router.get("/services.{fmt}", summary="服务类型列表（GET Service List）")
def get_services(
    fmt: str, services: ServicesDep, request: Request, jurisdiction_id: str | None = None
) -> Response:
    """Every kind of request the district accepts; metadata=true ones have attributes to fetch."""
    fmt = checked_format(fmt)
    check_jurisdiction(services, jurisdiction_id)
    return render(fmt, "services", [service_list_item(s) for s in spec.SERVICES])


@router.get("/services/{service_code}.{fmt}", summary="服务定义（GET Service Definition）")
def get_service_definition(
    service_code: str, fmt: str, services: ServicesDep, jurisdiction_id: str | None = None
) -> Response:
    """The attributes a request of this service carries (attribute[code]=value in the POST)."""
    fmt = checked_format(fmt)
    check_jurisdiction(services, jurisdiction_id)
    svc = spec.SERVICES_BY_CODE.get(service_code)
    if svc is None:
        raise Open311Error(404, (404, f"service_code {service_code[:64]} 不存在"))
    return render(fmt, "service_definition", service_definition(svc))


@router.post(
    "/requests.{fmt}",
    summary="提交诉求（POST Service Request）",
    openapi_extra=_POST_FORM_SCHEMA,
)
async def create_request(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Register a request as a work order of the open311 channel; api_key is required (403 otherwise)."""
    fmt = checked_format(fmt)
    form = await read_form(request)
    created = await run_in_threadpool(post_request, services, form)
    return render(fmt, "service_requests", created)


@router.get("/requests.{fmt}", summary="查询诉求（GET Service Requests）")
def get_requests(
    fmt: str,
    request: Request,
    services: ServicesDep,
    jurisdiction_id: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> Response:
    """Requests newest first: the last 90 days and at most 1000 unless narrowed; service_request_id
    (comma separated) overrides every other argument."""
    fmt = checked_format(fmt)
    check_jurisdiction(services, param(request, "jurisdiction_id"))
    now = services.orders.clock()
    numbers = comma_list(param(request, "service_request_id"))
    if numbers:
        if len(numbers) > MAX_IDS:
            raise Open311Error(400, (400, f"service_request_id 最多 {MAX_IDS} 个"))
        query = RequestQuery(numbers=tuple(dict.fromkeys(numbers)))
    else:
        statuses = [s.lower() for s in comma_list(param(request, "status"))]
        wrong = [s for s in statuses if s not in ("open", "closed")]
        if wrong:
            raise Open311Error(400, (400, f"status 只能是 open 或 closed（收到 {', '.join(wrong)[:60]}）"))
        start = w3c_param(param(request, "start_date"), "start_date")
        end = w3c_param(param(request, "end_date"), "end_date")
        if start is not None and end is None:
            end = start + DEFAULT_SPAN
        elif end is not None and start is None:
            start = end - DEFAULT_SPAN
        if start is not None and end is not None:
            if end < start:
                raise Open311Error(400, (400, "end_date 不能早于 start_date"))
            if end - start > DEFAULT_SPAN:
                raise Open311Error(400, (400, "start_date 与 end_date 的跨度不能超过 90 天"))
        query = RequestQuery(
            service_codes=tuple(comma_list(param(request, "service_code"))),
            statuses=tuple(statuses),
            start=start,
            end=end,
        )
    return render(
        fmt, "service_requests", PublicRequests(services.db, services.orders.reference).find(query, now=now)
    )


@router.get("/requests/{service_request_id}.{fmt}", summary="查询单个诉求（GET Service Request）")
def get_request(
    service_request_id: str, fmt: str, services: ServicesDep, jurisdiction_id: str | None = None
) -> Response:
    fmt = checked_format(fmt)
    check_jurisdiction(services, jurisdiction_id)
    return render(
        fmt,
        "service_requests",
        [PublicRequests(services.db, services.orders.reference).get(service_request_id.strip())],
    )


@router.get("/tokens/{token}.{fmt}", summary="由 token 查询诉求编号（GET service_request_id from a token）")
def get_token(token: str, fmt: str, services: ServicesDep, jurisdiction_id: str | None = None) -> Response:
    fmt = checked_format(fmt)
    check_jurisdiction(services, jurisdiction_id)
    number = (
        PublicRequests(services.db, services.orders.reference).by_token(token.strip())
        if len(token) <= 128
        else None
    )
    if number is None:
        raise Open311Error(404, (404, f"token {token[:64]} 不存在"))
    return render(fmt, "service_requests", [{"service_request_id": number, "token": token}])


_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/{rest:path}", methods=_ALL_METHODS, include_in_schema=False)
def not_found(rest: str, request: Request) -> Response:
    """Anything else under /open311/v2: 405 for a known resource with another method, else 404."""
    allowed: list[str] = []
    for route in router.routes:
        if route is not request.scope.get("route") and isinstance(route, APIRoute):
            match, _ = route.matches({**request.scope, "method": "__none__"})
            if match is Match.PARTIAL and route.path != f"{PREFIX}/{{rest:path}}":
                allowed.extend(sorted(route.methods or ()))
    if allowed:
        response = error_response(
            fmt_of(request),
            Open311Error(405, (405, f"该资源不支持 {request.method}，可用：{', '.join(allowed)}")),
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    raise Open311Error(404, (404, f"资源 /open311/v2/{rest[:80]} 不存在"))


__all__ = ["router"]
