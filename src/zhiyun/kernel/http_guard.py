"""The HTTP edge: what every request must pass before a route sees it, and the headers every
answer carries.

`RequestGuard` is plain ASGI middleware around the API and the console:

- **size before reading**: each path has a body limit (a login a few KB, a channel message
  8 MB, an upload the attachment limit, imports a few tens of MB, a patrol visit with its
  photos 40 MB, a citizen's report on the portal 16 MB and its look-ups 16 KB, a question to
  小南 or its hand-over 16 KB, everything
  else 1 MB). A declared `Content-Length` over it is refused at once; a body that grows past
  it while it is read is cut off. Either way 413, and nothing of it is kept in memory or on disk.
- **credentials before parsing**: a write to the API (or a console form) with neither a
  bearer token nor a session cookie is refused before its body is read (401 on the API, a
  redirect to the login page on the console). The routes then check the credential itself
  before they parse forms and files.
- **hostile but well-formed input**: a NUL character in the path, the query or a text
  body, and JSON nested too deep or carrying NaN/Infinity, answer 422 with a reason.
- **headers**: a Content-Security-Policy that runs only the site's own scripts, no framing,
  nosniff, a strict referrer policy, and `Cache-Control: no-store` on everything but the
  static files (pages and API answers carry citizens' personal data).

Answers are in the shape of the path's face: the API's `{"error", "message"}` JSON, the
Open311 error list, or a small Chinese HTML page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from zhiyun.kernel.json_limits import JsonRefused, check_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB = 1024
MB = 1024 * KB

SESSION_COOKIE = "zhiyun_session"
PATROL_VISIT_MAX_BYTES = 40 * MB
# a verification answer (核实) from a grid worker's phone: a note and up to 6 downscaled photos
VERIFICATION_ANSWER_MAX_BYTES = 16 * MB
# a citizen's report on the portal: its words and up to 6 photos of 15 MB together
# (domain.portal.MAX_PHOTOS_BYTES), plus the multipart envelope
PORTAL_REPORT_MAX_BYTES = 16 * MB
PORTAL_FORM_MAX_BYTES = 16 * KB  # a look-up or a rating on the portal
ASSISTANT_MAX_BYTES = 16 * KB  # a question to 小南 (500 characters) or a hand-over (2,000)
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def content_security_policy(tile_url: str | None = None) -> str:
    """Only the site's own scripts (vendored, no inline script, no eval); styles may be inline
    (the chart and map libraries set them); images from the site, data: URIs and the optional
    tile server; no plugins, no framing, forms only to the site."""
    img = ["'self'", "data:", "blob:"]
    origin = _origin(tile_url)
    if origin:
        img.append(origin)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {' '.join(img)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _origin(url: str | None) -> str | None:
    """scheme://host[:port] of a tile URL template (its {s}/{z}/{x}/{y} parts do not matter)."""
    if not url:
        return None
    match = re.match(r"^(https?://)([^/]+)", url.strip())
    if not match:
        return None
    host = match.group(2)
    if "{s}" in host:
        host = host.replace("{s}", "*")
    return match.group(1) + host


@dataclass(frozen=True)
class BodyLimit:
    """The largest body a path takes, in bytes."""

    pattern: re.Pattern[str]
    max_bytes: int


@dataclass(frozen=True)
class EdgePolicy:
    """What the guard enforces: body limits by path, the paths that take writes without a user's
    credential, and the security headers."""

    default_body_bytes: int = 1 * MB
    limits: tuple[BodyLimit, ...] = ()
    # writes that need no bearer token or session (logins, channel keys, Open311's api_key, the
    # citizens' portal: public, with its own throttles and CSRF token; 小南: public, a conversation
    # is its unguessable id, new conversations throttled per client)
    open_writes: re.Pattern[str] = re.compile(
        r"^/(login$|api/v1/auth/(token|login|logout)$|api/v1/intake/|api/v1/alarms(/heartbeats)?$|open311/"
        r"|portal/(report|track|rate)$|api/v1/assistant/(ask|feedback|handover)$)"
    )
    # routes that authenticate their caller and then check the body themselves: the guard only
    # counts their bytes (it must not parse a body before the route has checked the key)
    self_checked: re.Pattern[str] = re.compile(r"^/(api/v1/intake/|api/v1/alarms(/heartbeats)?$|open311/)")
    csp: str = field(default_factory=content_security_policy)

    def body_limit(self, path: str) -> int:
        for limit in self.limits:
            if limit.pattern.search(path):
                return limit.max_bytes
        return self.default_body_bytes


def default_policy(
    *, attachment_max_bytes: int = 20 * MB, import_max_bytes: int = 50 * MB, tile_url: str | None = None
) -> EdgePolicy:
    """The platform's limits: see the module docstring."""
    upload = attachment_max_bytes + 1 * MB  # the file plus its multipart envelope
    return EdgePolicy(
        limits=(
            BodyLimit(re.compile(r"^/(login|api/v1/auth/(token|login))$"), 16 * KB),
            BodyLimit(re.compile(r"^/api/v1/intake/"), 8 * MB),
            BodyLimit(re.compile(r"^/open311/"), 256 * KB),
            # sensing's webhook: up to ALARMS_PER_CALL alarms, each with up to 3 evidence images
            # of at most 2 MB (Base64: a third more)
            BodyLimit(re.compile(r"^/api/v1/alarms$"), 16 * MB),
            BodyLimit(re.compile(r"^/api/v1/alarms/heartbeats$"), 256 * KB),
            BodyLimit(re.compile(r"^/(api/v1/)?orders/[^/]+/attachments$"), upload),
            BodyLimit(re.compile(r"^/api/v1/.*/import$|^/admin/"), import_max_bytes),
            # a patrol visit from a grid worker's phone: its answers and up to 40 photos, each
            # downscaled by the phone to at most 1600 px (a few hundred KB)
            BodyLimit(re.compile(r"^/api/v1/grid/patrol/visits$"), PATROL_VISIT_MAX_BYTES),
            BodyLimit(
                re.compile(r"^/api/v1/sensing/verifications/[0-9]+/answer$"), VERIFICATION_ANSWER_MAX_BYTES
            ),
            BodyLimit(re.compile(r"^/portal/report$"), PORTAL_REPORT_MAX_BYTES),
            BodyLimit(re.compile(r"^/portal/(track|rate)$"), PORTAL_FORM_MAX_BYTES),
            BodyLimit(re.compile(r"^/api/v1/assistant/(ask|feedback|handover)$"), ASSISTANT_MAX_BYTES),
        ),
        csp=content_security_policy(tile_url),
    )


class BodyTooLarge(Exception):
    """The body grew past the path's limit while it was read."""


def _face(path: str) -> str:
    if path.startswith("/api/") or path in ("/openapi.json", "/healthz"):
        return "api"
    if path.startswith("/open311/"):
        return "open311"
    return "page"


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p><p><a href="/">返回首页</a></p></body></html>"""

_API_CODES = {401: "unauthenticated", 413: "payload_too_large", 422: "validation_failed"}


def error_status(path: str, status: int) -> int:
    """The status the path's face uses: GeoReport v2 answers every bad request with 400."""
    return 400 if _face(path) == "open311" and status in (413, 422) else status


def error_response(
    path: str, status: int, message: str, field_name: str | None = None
) -> tuple[bytes, bytes]:
    """(body, content type) of an error the guard answers, in the shape of the path's face."""
    face = _face(path)
    if face == "api":
        body: dict[str, Any] = {"error": _API_CODES.get(status, "bad_request"), "message": message}
        if field_name:
            body["fields"] = {field_name: message}
        return json.dumps(body, ensure_ascii=False).encode(), b"application/json"
    if face == "open311":
        if path.endswith(".xml"):
            xml = (
                '<?xml version="1.0" encoding="utf-8"?>'
                f"<errors><error><code>{status}</code><description>{html.escape(message)}</description>"
                "</error></errors>"
            )
            return xml.encode(), b"text/xml; charset=utf-8"
        return (
            json.dumps([{"code": status, "description": message}], ensure_ascii=False).encode(),
            b"application/json",
        )
    title = {401: "请先登录", 413: "内容过大", 422: "请求有误"}.get(status, "请求有误")
    page = _PAGE.format(title=html.escape(title), message=html.escape(message))
    return page.encode(), b"text/html; charset=utf-8"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _has_credential(scope: Scope) -> bool:
    if _header(scope, b"authorization"):
        return True
    cookie = _header(scope, b"cookie") or b""
    return (SESSION_COOKIE.encode() + b"=") in cookie


class RequestGuard:
    """ASGI middleware enforcing an EdgePolicy (see the module docstring)."""

    def __init__(self, app: ASGIApp, policy: EdgePolicy | None = None) -> None:
        self.app = app
        self.policy = policy or EdgePolicy()
        self._headers = self._security_headers()

    def _security_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-security-policy", self.policy.csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), payment=(), usb=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        send = self._with_headers(send, cacheable=path.startswith("/static/"))
        refusal = self._refuse_before_body(scope)
        if refusal is not None:
            await self._answer(send, path, *refusal)
            return
        method = scope["method"]
        if method not in _UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.policy.body_limit(path)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._answer(send, path, 413, self._too_large(limit))
            return
        content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if (
            content_type.startswith(b"multipart/")
            or content_type == b"application/octet-stream"
            or self.policy.self_checked.search(path)
        ):
            await self._stream(scope, receive, send, limit)
            return
        try:
            body = await _read_all(receive, limit)
        except BodyTooLarge:
            await self._answer(send, path, 413, self._too_large(limit))
            return
        if body is None:
            return  # the client went away
        problem = _body_problem(content_type, body)
        if problem is not None:
            await self._answer(send, path, 422, problem, "body")
            return
        await self.app(scope, _replay(body, receive), send)

    def _refuse_before_body(self, scope: Scope) -> tuple[int, str] | None:
        path: str = scope["path"]
        raw_path = scope.get("raw_path") or b""
        if "\x00" in path or b"%00" in raw_path or b"%00" in scope.get("query_string", b""):
            return 422, "请求地址或参数中不允许包含 NUL 字符（%00）"
        if (
            scope["method"] in _UNSAFE_METHODS
            and not self.policy.open_writes.search(path)
            and not _has_credential(scope)
        ):
            return 401, "请先登录：使用 Authorization: Bearer 令牌，或通过 /api/v1/auth/login 登录"
        return None

    @staticmethod
    def _too_large(limit: int) -> str:
        size = f"{limit // MB} MB" if limit >= MB else f"{limit // KB} KB"
        return f"请求内容过大（此接口最多 {size}）"

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass a streamed body (files) through, cutting it off past `limit`."""
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers to the cut-off body, the guard answers 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._answer(send, scope["path"], 413, self._too_large(limit))

    def _with_headers(self, send: Send, *, cacheable: bool) -> Send:
        extra = self._headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                if not cacheable and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers

    @staticmethod
    async def _answer(
        send: Send, path: str, status: int, message: str, field_name: str | None = None
    ) -> None:
        status = error_status(path, status)
        body, content_type = error_response(path, status, message, field_name)
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if status == 401 and _face(path) == "api":
            headers.append((b"www-authenticate", b"Bearer"))
        if status == 401 and _face(path) == "page":
            status = 303
            headers.append((b"location", b"/login"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_all(receive: Receive, limit: int) -> bytes | None:
    """The whole body (None when the client went away); BodyTooLarge past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the app the body read already, then the client's next messages."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _body_problem(content_type: bytes, body: bytes) -> str | None:
    """Why a whole (non-multipart) body is refused, or None."""
    if not content_type or content_type == b"application/json" or content_type.endswith(b"+json"):
        try:
            check_json(body)
        except JsonRefused as exc:
            return str(exc)
        return None
    if content_type == b"application/x-www-form-urlencoded":
        if b"%00" in body or b"\x00" in body:
            return "表单中不允许包含 NUL 字符"
        return None
    if b"\x00" in body:
        return "文本中不允许包含 NUL 字符"
    return None


def install(app: Any, policy: EdgePolicy) -> None:
    """Put the guard in front of a Starlette/FastAPI app's routes (outermost of its middleware)."""
    app.add_middleware(RequestGuard, policy=policy)


__all__ = (
    "BodyLimit",
    "EdgePolicy",
    "RequestGuard",
    "content_security_policy",
    "default_policy",
    "error_response",
    "install",
)
