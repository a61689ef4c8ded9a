"""`install_console(app, services)`: the console's pages, templates and error pages on an app.

Nothing happens at import time. The API face is composed with this one in
zhiyun.server.create_server_app; the static files (/static) are mounted by the API app,
and install_console mounts them itself when the app has none (a console-only app).
The pages, menu entries, admin sections and template folders come from the installed
capabilities (zhiyun.capabilities): a capability adds a page by declaring its router.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from zhiyun.bootstrap import Services
from zhiyun.capabilities import installed
from zhiyun.kernel import http_guard
from zhiyun.kernel.capability import resolve
from zhiyun.web import admin
from zhiyun.web.deps import CsrfFailed, LoginRequired, PageForbidden
from zhiyun.web.templating import build_templates, menu, render, template_dirs

STATIC_DIR = Path(__file__).parent / "static"


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
