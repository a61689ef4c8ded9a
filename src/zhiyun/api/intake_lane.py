"""The intake lane: `POST /api/v1/intake/{channel}` served straight off the ASGI connection.

Every channel message of the district comes through this one endpoint, and each is a short
use case (a few milliseconds of Python and database). The generic path through FastAPI —
the middleware stack, route matching over every route, dependency solving, the request
and response objects — cost about a fifth of a message's CPU, as much as finding its
duplicates. So `ZhiyunAPI` answers this endpoint before the framework sees it, with the
same contract as the documented route in `zhiyun.intake.api` (which stays the
OpenAPI description and the answer when the lane is turned off):

- the channel key from `X-Channel-Key`; the body a JSON object in the channel's terms;
- 201 and the receipt for a new order, 200 and the same receipt for a repeat;
- errors in the API's one shape (`zhiyun.api.errors.domain_error_response`): 401/404/422
  from the use case, 413 for a body over `MAX_BODY_BYTES` (`PayloadTooLarge`), 500 (logged)
  for the unexpected.

Only POST on exactly that path takes the lane; any other method or path goes to FastAPI
(405 for GET on the intake path, as before).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from zhiyun.api.errors import domain_error_response, error_body
from zhiyun.bootstrap import Services
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.intake.service import IntakeResult
from zhiyun.kernel.json_limits import JsonRefused, loads_checked

log = logging.getLogger("zhiyun.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

INTAKE_PREFIX = "/api/v1/intake/"
# A channel message is a few KB; 8 MB leaves room for a long text with its own 422 per field,
# and stops a runaway client before it fills the worker's memory.
MAX_BODY_BYTES = 8 * 1024 * 1024
_KEY_HEADER = b"x-channel-key"
_JSON_HEADERS = [
    (b"content-type", b"application/json"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]


def parse_payload(body: bytes) -> Any:
    """The request body as JSON (422 with the parser's reason when it is not, or when it nests
    too deep, carries NUL, NaN, Infinity or a number beyond a double)."""
    try:
        return loads_checked(body)
    except JsonRefused as exc:
        raise ValidationFailed(str(exc), field="body") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"请求体不是合法的 JSON：{exc}", field="body") from None
    except RecursionError:
        raise ValidationFailed("JSON 嵌套层数过多", field="body") from None


def receipt(result: IntakeResult) -> dict[str, Any]:
    """What the channel gets back (`IntakeReceiptOut` in the OpenAPI document)."""
    summary = result.order
    return {
        "order_id": summary.id,
        "order_number": summary.number,
        "status": summary.status,
        "status_label": summary.status_label,
        "created": result.created,
        "updated": result.updated,
        "duplicate_of": result.duplicate_of,
        "possible_duplicates": result.possible_duplicates,
    }


def encode(content: Any) -> bytes:
    """JSON as the API writes it (what Starlette's JSONResponse renders)."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def intake_channel(scope: Scope) -> str | None:
    """The channel code when this request is `POST /api/v1/intake/{channel}`, else None."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    if not path.startswith(INTAKE_PREFIX):
        return None
    channel = path[len(INTAKE_PREFIX) :]
    return channel if channel and "/" not in channel else None


class PayloadTooLarge(DomainError):
    """A request body over MAX_BODY_BYTES: refused before it is read to the end."""

    code = "payload_too_large"
    http_status = 413


async def read_body(receive: Receive) -> bytes | None:
    """The whole body; None when the client went away. PayloadTooLarge past MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"请求内容过大（最多 {MAX_BODY_BYTES // (1024 * 1024)} MB）")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, content: Any, headers: dict[str, str] | None = None) -> None:
    body = encode(content)
    raw_headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if headers:
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def serve_intake(services: Services, channel: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one `POST /api/v1/intake/{channel}` on the raw ASGI connection."""
    key = next((v.decode("latin-1") for k, v in scope["headers"] if k == _KEY_HEADER), None)
    try:
        # the key before the body: an unknown caller gets 401 before anything is read or parsed
        if not services.intake.admitted(channel, key):
            await anyio.to_thread.run_sync(lambda: services.intake.admit(channel, key))
        body = await read_body(receive)
        if body is None:
            return
        payload = parse_payload(body)
        result = await anyio.to_thread.run_sync(lambda: services.intake.receive(channel, payload, key=key))
    except DomainError as exc:
        status, content, headers = domain_error_response(exc)
        await _answer(send, status, content, headers)
        return
    except Exception:
        log.exception("unhandled error on POST %s", scope["path"])
        await _answer(send, 500, error_body("internal_error", "服务器内部错误"))
        return
    await _answer(send, 201 if result.created else 200, receipt(result))


class ZhiyunAPI(FastAPI):
    """FastAPI with the intake lane in front (see the module's docstring).

    `intake_lane=False` sends intake through FastAPI's documented route too (the tests hold
    the two to the same answers).
    """

    intake_lane: bool = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.intake_lane:
            channel = intake_channel(scope)
            if channel is not None:
                await serve_intake(self.state.services, channel, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


__all__ = [
    "MAX_BODY_BYTES",
    "PayloadTooLarge",
    "ZhiyunAPI",
    "encode",
    "intake_channel",
    "parse_payload",
    "read_body",
    "receipt",
    "serve_intake",
]
