"""`install_console(app, services)`: the console's pages, templates and error pages on an app.

Nothing happens at import time. The API face is composed with this one in
zhiyun.server.create_server_app; the static files (/static) are mounted by the API app,
and install_console mounts them itself when the app has none (a console-only app).
The pages, menu entries, admin sections and template folders come from the installed
capabilities (zhiyun.capabilities): a capability adds a page by declaring its router.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhiyun.bootstrap import Services
from zhiyun.capabilities import installed
from zhiyun.kernel import http_guard
from zhiyun.kernel.capability import resolve
from zhiyun.web import admin
from zhiyun.web.deps import CsrfFailed, LoginRequired, PageForbidden, signed_in_user
from zhiyun.web.templating import build_templates, menu, render, template_dirs

STATIC_DIR = Path(__file__).parent / "static"

# The other faces' paths: they answer their own errors (the API its JSON, Open311 the
# specification's, the static files their plain 404); every other path is the console's.
OTHER_FACES = ("/api/", "/open311/", "/static/", "/docs", "/openapi.json", "/healthz")
CONSOLE_HTTP_ERRORS = {
    404: ("页面不存在", "您访问的页面不存在，请检查地址是否输入正确，或从菜单进入。"),
    405: ("无法完成请求", "该页面不支持这种访问方式，请从页面上的按钮或菜单进入。"),
}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = "/login?next=" + quote(exc.next_url, safe="")
    if _is_htmx(request):  # htmx follows HX-Redirect with a full page load
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _forbidden(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, PageForbidden)
    return render(request, "error.html", {"title": "没有权限", "message": exc.message}, status_code=403)


async def _csrf_failed(request: Request, exc: Exception) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"title": "页面已过期", "message": "表单校验失败（页面已过期或来自其他网站），请刷新页面后重试。"},
        status_code=403,
    )


ErrorHandler = Callable[[Request, Any], Response | Awaitable[Response]]


def _http_errors(fallback: ErrorHandler) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A mistyped console address (404, 405) answers the console's Chinese error page; the
    other faces' paths, and other statuses, go to `fallback` (the API's JSON handler)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        known = CONSOLE_HTTP_ERRORS.get(exc.status_code)
        if known is None or path == "/api" or path.startswith(OTHER_FACES):
            answer = fallback(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        await run_in_threadpool(signed_in_user, request)
        title, message = known
        return render(
            request,
            "error.html",
            {"title": title, "message": message},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    return handler


def install_console(app: FastAPI, services: Services) -> FastAPI:
    """Add the console's pages to `app` (whose state.services must be `services`)."""
    app.state.services = services
    capabilities = installed()
    app.state.console_templates = build_templates(template_dirs(capabilities))
    app.state.console_menu = menu(capabilities)
    app.state.admin_sections = admin.install_sections([s for c in capabilities for s in c.admin])
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
    fallback = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(StarletteHTTPException, _http_errors(fallback))
    if not any(getattr(r, "path", None) == "/static" for r in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mounts = sorted(
        (mount.order, index, mount.ref)
        for index, mount in enumerate(m for c in capabilities for m in c.pages)
    )
    for _, _, ref in mounts:
        app.include_router(resolve(ref))
    app.include_router(admin.router)
    return app


def create_console_app(services: Services) -> FastAPI:
    """An application with the console alone (no API): for tests and console-only processes."""
    app = FastAPI(title="智运 zhiyun 控制台", docs_url=None, redoc_url=None, openapi_url=None)
    settings = services.settings
    http_guard.install(
        app,
        http_guard.default_policy(
            attachment_max_bytes=settings.attachment_max_bytes, tile_url=settings.map_tile_url
        ),
    )
    return install_console(app, services)
