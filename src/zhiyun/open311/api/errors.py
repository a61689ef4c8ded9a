"""The spec's errors: `Open311Error`, a domain error in GeoReport v2 terms, and the route class
that answers every failure in the spec's format (`[{"code", "description"}]`, or
`<errors><error><code/><description/></error></errors>`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhiyun.domain.errors import DomainError, NotFound, PermissionDenied
from zhiyun.open311.api.rendering import render

log = logging.getLogger("zhiyun.open311.api")


class Open311Error(Exception):
    """An error answered in the spec's format: HTTP `status` and one or more (code, description)."""

    def __init__(self, status: int, *errors: tuple[int | str, str]) -> None:
        super().__init__(errors[0][1] if errors else str(status))
        self.status = status
        self.errors = list(errors) or [(status, "请求失败")]


def fmt_of(request: Request) -> str:
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
                return error_response(fmt_of(request), exc)
            except DomainError as exc:
                return error_response(fmt_of(request), _domain_error(exc))
            except RequestValidationError as exc:
                described = [
                    (400, f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}")
                    for e in exc.errors()
                ]
                return error_response(fmt_of(request), Open311Error(400, *described))
            except StarletteHTTPException as exc:
                status = 404 if exc.status_code == 404 else 400
                return error_response(
                    fmt_of(request), Open311Error(status, (exc.status_code, str(exc.detail)))
                )
            except Exception:
                # The spec answers 400 for "General service error … The client will need to notify us".
                log.exception("open311: unhandled error on %s %s", request.method, request.url.path)
                return error_response(
                    fmt_of(request), Open311Error(400, (400, "服务暂时无法处理该请求，请稍后重试或联系我们"))
                )

        return guarded


def error_response(fmt: str, exc: Open311Error) -> Response:
    errors = [{"code": code, "description": description} for code, description in exc.errors]
    return render(fmt, "errors", errors, exc.status)
