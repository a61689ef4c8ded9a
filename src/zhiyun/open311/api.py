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
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from zhiyun.api.deps import ServicesDep
from zhiyun.domain.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhiyun.intake.draft import IntakeDraft
from zhiyun.kernel.normalize import to_utc
from zhiyun.open311 import catalog as spec
from zhiyun.open311.form import draft_from_form
from zhiyun.open311.public import DEFAULT_SPAN, PublicRequests, RequestQuery

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.open311.api")

PREFIX = "/open311/v2"
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MAX_BODY = 256 * 1024
MAX_IDS = 1000

# --------------------------------------------------------------------------- errors


class Open311Error(Exception):
    """An error answered in the spec's format: HTTP `status` and one or more (code, description)."""

    def __init__(self, status: int, *errors: tuple[int | str, str]) -> None:
        super().__init__(errors[0][1] if errors else str(status))
        self.status = status
        self.errors = list(errors) or [(status, "请求失败")]


def _fmt_of(request: Request) -> str:
    fmt = request.path_params.get("fmt")
    if fmt is None:
        fmt = request.url.path.rsplit(".", 1)[-1] if "." in request.url.path.rsplit("/", 1)[-1] else ""
    return "json" if fmt == "json" else "xml"


# What the platform calls a field, in the GeoReport v2 terms the client sent it in.
_FIELD_NAMES = {
    "citizen_phone": "phone",
    "citizen_name": "first_name/last_name",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "content": "description",
    "title": "description",
    "category_code": "service_code",
}


def _domain_error(exc: DomainError) -> Open311Error:
    if isinstance(exc, PermissionDenied):  # a missing, invalid or revoked api_key, a disabled channel
        return Open311Error(403, (403, exc.message))
    if isinstance(exc, NotFound):
        return Open311Error(404, (404, exc.message))
    fields = exc.details.get("fields")
    if isinstance(fields, Mapping) and fields:
        return Open311Error(
            400, *((400, f"{_FIELD_NAMES.get(str(name), name)}: {msg}") for name, msg in fields.items())
        )
    field = exc.details.get("field")
    if isinstance(field, str) and field in _FIELD_NAMES:
        return Open311Error(400, (400, f"{_FIELD_NAMES[field]}: {exc.message}"))
    return Open311Error(400, (400, exc.message))


class Open311Route(APIRoute):
    """A route whose every failure is answered in the GeoReport v2 error format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(_fmt_of(request), exc)
            except DomainError as exc:
                return error_response(_fmt_of(request), _domain_error(exc))
            except RequestValidationError as exc:
                described = [
                    (400, f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}")
                    for e in exc.errors()
                ]
                return error_response(_fmt_of(request), Open311Error(400, *described))
            except StarletteHTTPException as exc:
                status = 404 if exc.status_code == 404 else 400
                return error_response(
                    _fmt_of(request), Open311Error(status, (exc.status_code, str(exc.detail)))
                )
            except Exception:
                # The spec answers 400 for "General service error … The client will need to notify us".
                log.exception("open311: unhandled error on %s %s", request.method, request.url.path)
                return error_response(
                    _fmt_of(request), Open311Error(400, (400, "服务暂时无法处理该请求，请稍后重试或联系我们"))
                )

        return guarded


# --------------------------------------------------------------------------- rendering

# Spark convention: a container element holds repeated children of one name; in JSON it is an array.
_ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "errors": "error",
}
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, child in value.items():
            node.append(_element(key, child))
    elif isinstance(value, list | tuple):
        item_tag = _ITEM_TAGS[tag]
        for child in value:
            node.append(_element(item_tag, child))
    else:
        node.text = _text(value)
    return node


def to_xml(root: str, data: Any) -> bytes:
    """The document as UTF-8 XML with the declaration, no namespace (as the spec's examples)."""
    body = ET.tostring(_element(root, data), encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def _clean_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    return value


def render(fmt: str, root: str, data: Any, status: int = 200) -> Response:
    if fmt == "json":
        content = json.dumps(_clean_json(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    else:
        content = to_xml(root, data)
    return Response(content=content, status_code=status, media_type=MEDIA_TYPES[fmt])


def error_response(fmt: str, exc: Open311Error) -> Response:
    errors = [{"code": code, "description": description} for code, description in exc.errors]
    return render(fmt, "errors", errors, exc.status)


def _format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise Open311Error(404, (404, f"不支持的格式 .{fmt[:20]}：请使用 .xml 或 .json"))
    return fmt


# --------------------------------------------------------------------------- parameters


def _setting(services: Services, name: str, default: str) -> str:
    value = getattr(services.settings, name, None)
    return str(value) if value else default


def _jurisdiction(services: Services) -> str:
    return _setting(services, "open311_jurisdiction_id", spec.DEFAULT_JURISDICTION_ID)


def check_jurisdiction(services: Services, value: str | None) -> None:
    """One endpoint, one jurisdiction: jurisdiction_id is optional, and another one is not found (404)."""
    given = (value or "").strip()
    if given and given.lower() != _jurisdiction(services).lower():
        raise Open311Error(
            404, (404, f"jurisdiction_id {given[:60]} 不存在（本接口为 {_jurisdiction(services)}）")
        )


def _param(request: Request, name: str) -> str | None:
    """A query parameter; empty counts as absent (the spec's "Optional Arguments")."""
    values = [v.strip() for v in request.query_params.getlist(name)]
    values = [v for v in values if v]
    return ",".join(values) if values else None


def _comma_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _w3c_param(value: str | None, name: str) -> datetime | None:
    """start_date / end_date: a W3C date-time (2010-01-01T00:00:00Z), or a date, month or year."""
    if value is None:
        return None
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    if re.fullmatch(r"\d{4}", text):
        text += "-01-01"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    try:
        return to_utc(text, field=name)
    except (ValidationFailed, OverflowError, ValueError):  # 0001-01-01, 9999-12-31T23:59:59-23:59
        raise Open311Error(
            400, (400, f"{name} 须为 W3C 日期时间格式，如 2010-01-01T00:00:00Z 或 2026-11-26T09:00:00+08:00")
        ) from None


# --------------------------------------------------------------------------- reading requests


# --------------------------------------------------------------------------- resources


def service_list_item(svc: spec.Service) -> dict[str, Any]:
    return {
        "service_code": svc.code,
        "service_name": svc.name,
        "description": svc.description,
        "metadata": svc.metadata,
        "type": svc.type.value,
        "keywords": ",".join(svc.keywords),
        "group": svc.group,
    }


def service_definition(svc: spec.Service) -> dict[str, Any]:
    attributes = []
    for order, attr in enumerate(svc.attributes, start=1):
        item: dict[str, Any] = {
            "variable": attr.variable,
            "code": attr.code,
            "datatype": attr.datatype.value,
            "required": attr.required,
            "datatype_description": attr.datatype_description,
            "order": order,
            "description": attr.description,
        }
        if attr.values:
            item["values"] = [{"key": key, "name": name} for key, name in attr.values]
        attributes.append(item)
    return {"service_code": svc.code, "attributes": attributes}


def discovery_document(services: Services, request: Request) -> dict[str, Any]:
    base = _setting(services, "open311_base_url", str(request.base_url)).rstrip("/")
    jurisdiction = _jurisdiction(services)
    return {
        "changeset": spec.SERVICES_CHANGESET,
        "contact": _setting(
            services,
            "open311_contact",
            "南海区智慧城市运行中心（智运中心），政务服务便民热线 12345",
        ),
        "key_service": (
            "api_key 由平台管理员签发：zhiyun channel key open311（每个对接系统一个，可随时吊销）；"
            f"jurisdiction_id 为 {jurisdiction}，可不传。"
        ),
        "endpoints": [
            {
                "specification": spec.SPECIFICATION,
                "url": base + PREFIX,
                "changeset": spec.SERVICES_CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


# --------------------------------------------------------------------------- POST


async def read_form(request: Request) -> dict[str, str | list[str]]:
    """The POST's fields: the form (the spec's x-www-form-urlencoded, or a JSON object), over the query.

    A repeated field (media_url, attribute[code][]) keeps all its values; in a JSON body
    `"attribute": {"code": "v" | ["v1", "v2"]}` is accepted as well as "attribute[code]" keys.
    """
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Open311Error(400, (400, f"请求内容过大（最多 {MAX_BODY // 1024} KB）"))
    pairs: list[tuple[str, str]] = list(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise Open311Error(400, (400, "JSON 格式错误")) from None
        if not isinstance(data, dict):
            raise Open311Error(400, (400, "JSON 请求体须为对象"))
        for key, value in data.items():
            if key == "attribute" and isinstance(value, dict):
                for code, answer in value.items():
                    for item in answer if isinstance(answer, list) else [answer]:
                        pairs.append((f"attribute[{code}][]", _json_scalar(item)))
            else:
                for item in value if isinstance(value, list) else [value]:
                    pairs.append((str(key), _json_scalar(item)))
    elif content_type == "multipart/form-data":
        multipart = await request.form()
        pairs.extend((k, v) for k, v in multipart.multi_items() if isinstance(v, str))
    else:  # application/x-www-form-urlencoded, or a client that sends none
        try:
            pairs.extend(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000))
        except (UnicodeDecodeError, ValueError):
            raise Open311Error(
                400, (400, "请求体须为 UTF-8 编码的 application/x-www-form-urlencoded")
            ) from None
    fields: dict[str, list[str]] = {}
    body_keys: set[str] = set()
    query_count = len(request.query_params.multi_items())
    for index, (key, value) in enumerate(pairs):
        if index >= query_count and key not in body_keys:
            body_keys.add(key)
            fields[key] = []  # a field in the body replaces the same field in the query string
        fields.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def _json_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise Open311Error(400, (400, "JSON 字段值须为字符串或数字"))
    return str(value)


@dataclass(frozen=True)
class Accepted:
    """The order a POST became, and the master it was merged into at intake (if any)."""

    number: str
    duplicate_of: str | None


def _authenticate(services: Services, key: str) -> None:
    """403 for a key that is not a live key of the open311 channel, before the form is checked."""
    with services.db.transaction() as session:
        services.channels.authenticate(session, spec.CHANNEL_CODE, key)


def _accept(services: Services, draft: IntakeDraft, raw: dict[str, Any], key: str) -> Accepted:
    """Register the draft as an order of the open311 channel: normalized, located, checked for
    duplicates, in one transaction (the intake use case)."""
    result = services.intake.accept(spec.CHANNEL_CODE, draft, raw, key=key)
    return Accepted(result.order.number, result.duplicate_of)


def post_request(services: Services, form: Mapping[str, str | list[str]]) -> list[dict[str, Any]]:
    def one(name: str) -> str | None:
        value = form.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return value.strip() or None if isinstance(value, str) else None

    check_jurisdiction(services, one("jurisdiction_id"))
    key = one("api_key")
    if key is None:
        raise Open311Error(403, (403, "缺少 api_key：请向平台管理员申请 open311 渠道密钥"))
    _authenticate(services, key)
    draft = draft_from_form(form)
    svc = spec.service(draft.category_code or "")
    raw = {k: v for k, v in form.items() if k not in ("api_key",)}
    accepted = _accept(services, draft, raw, key)
    notice = svc.notice
    if accepted.duplicate_of and accepted.duplicate_of != accepted.number:
        notice += f"该问题已有市民反映（工单 {accepted.duplicate_of}），将合并办理。"
    item: dict[str, Any] = (
        {"token": draft.external_id}
        if svc.type is spec.ServiceType.BATCH
        else {"service_request_id": accepted.number}
    )
    item["service_notice"] = notice
    item["account_id"] = one("account_id")
    return [item]


# --------------------------------------------------------------------------- routes

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
    return render(_format(fmt), "discovery", discovery_document(services, request))


@router.get("/services.{fmt}", summary="服务类型列表（GET Service List）")
def get_services(
    fmt: str, services: ServicesDep, request: Request, jurisdiction_id: str | None = None
) -> Response:
    """Every kind of request the district accepts; metadata=true ones have attributes to fetch."""
    fmt = _format(fmt)
    check_jurisdiction(services, jurisdiction_id)
    return render(fmt, "services", [service_list_item(s) for s in spec.SERVICES])


@router.get("/services/{service_code}.{fmt}", summary="服务定义（GET Service Definition）")
def get_service_definition(
    service_code: str, fmt: str, services: ServicesDep, jurisdiction_id: str | None = None
) -> Response:
    """The attributes a request of this service carries (attribute[code]=value in the POST)."""
    fmt = _format(fmt)
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
    fmt = _format(fmt)
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
    fmt = _format(fmt)
    check_jurisdiction(services, _param(request, "jurisdiction_id"))
    now = services.orders.clock()
    numbers = _comma_list(_param(request, "service_request_id"))
    if numbers:
        if len(numbers) > MAX_IDS:
            raise Open311Error(400, (400, f"service_request_id 最多 {MAX_IDS} 个"))
        query = RequestQuery(numbers=tuple(dict.fromkeys(numbers)))
    else:
        statuses = [s.lower() for s in _comma_list(_param(request, "status"))]
        wrong = [s for s in statuses if s not in ("open", "closed")]
        if wrong:
            raise Open311Error(400, (400, f"status 只能是 open 或 closed（收到 {', '.join(wrong)[:60]}）"))
        start = _w3c_param(_param(request, "start_date"), "start_date")
        end = _w3c_param(_param(request, "end_date"), "end_date")
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
            service_codes=tuple(_comma_list(_param(request, "service_code"))),
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
    fmt = _format(fmt)
    check_jurisdiction(services, jurisdiction_id)
    return render(
        fmt,
        "service_requests",
        [PublicRequests(services.db, services.orders.reference).get(service_request_id.strip())],
    )


@router.get("/tokens/{token}.{fmt}", summary="由 token 查询诉求编号（GET service_request_id from a token）")
def get_token(token: str, fmt: str, services: ServicesDep, jurisdiction_id: str | None = None) -> Response:
    fmt = _format(fmt)
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
            _fmt_of(request),
            Open311Error(405, (405, f"该资源不支持 {request.method}，可用：{', '.join(allowed)}")),
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    raise Open311Error(404, (404, f"资源 /open311/v2/{rest[:80]} 不存在"))


__all__ = ["PREFIX", "PublicRequests", "render", "router", "to_xml"]
