"""Every error the API answers has one JSON shape: `{"error": code, "message": text, ...details}`.

Domain errors keep their code and HTTP status; request validation answers 422 with the
offending fields; unknown routes and methods answer 404/405; anything unexpected is
logged and answers 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhiyun.api.schemas import ErrorOut
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.kernel.pydantic_errors import validation_fields

log = logging.getLogger("zhiyun.api")

HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthenticated", "请先登录"),
    403: ("permission_denied", "没有权限"),
    404: ("not_found", "接口不存在"),
    405: ("method_not_allowed", "该接口不支持此请求方法"),
    406: ("not_acceptable", "无法提供所请求的格式"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的请求内容类型"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **details}


def domain_error_response(exc: DomainError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """The status, body and headers that answer a domain error."""
    details = dict(exc.details)
    if isinstance(exc, ValidationFailed) and "fields" not in details and "field" in details:
        details["fields"] = {str(details["field"]): exc.message}
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    if exc.http_status == 429 and isinstance(details.get("retry_after"), int):
        headers = {"Retry-After": str(details["retry_after"])}
    return exc.http_status, jsonable_encoder(error_body(exc.code, exc.message, **details)), headers


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status, content, headers = domain_error_response(exc)
    return JSONResponse(content, status_code=status, headers=headers)


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = validation_fields(exc.errors())
    summary = "；".join(f"{name}: {msg}" for name, msg in fields.items())
    return JSONResponse(
        jsonable_encoder(error_body("validation_failed", f"请求参数有误：{summary}", fields=fields)),
        status_code=422,
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, default_message = HTTP_ERRORS.get(exc.status_code, ("http_error", "请求失败"))
    detail = exc.detail if isinstance(exc.detail, str) else None
    # Starlette's own details ("Not Found") are English phrases; people read the Chinese.
    message = default_message if detail is None or detail.isascii() else detail
    return JSONResponse(
        error_body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def internal_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "服务器内部错误"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)


# What the error responses look like in the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "未登录或令牌无效"},
    403: {"model": ErrorOut, "description": "没有权限"},
    404: {"model": ErrorOut, "description": "不存在（或无权查看）"},
    409: {"model": ErrorOut, "description": "状态不允许该操作，或已被他人更新"},
    413: {"model": ErrorOut, "description": "请求内容过大"},
    422: {"model": ErrorOut, "description": "输入有误"},
    429: {"model": ErrorOut, "description": "尝试过于频繁，暂时锁定（见 Retry-After）"},
}
