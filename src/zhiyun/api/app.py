"""The FastAPI application: `create_app(services)` wires routes, errors and health to services.

Nothing happens at import time; `zhiyun demo`/`zhiyun serve` build the services and call
`create_app`. Every route is under /api/v1 except /healthz; OpenAPI is at /openapi.json
and its browser at /docs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import zhiyun
from zhiyun import __version__
from zhiyun.api.errors import install_error_handlers
from zhiyun.api.intake_lane import ZhiyunAPI
from zhiyun.api.schemas import HealthOut
from zhiyun.bootstrap import Services
from zhiyun.capabilities import installed
from zhiyun.config import Settings
from zhiyun.kernel import http_guard
from zhiyun.kernel.capability import Mount, resolve
from zhiyun.kernel.gil import short_gil_slices

API_PREFIX = "/api/v1"
# Front-end files are vendored (government intranets have no internet): no CDN at run time.
STATIC_DIR = Path(zhiyun.__file__).parent / "web" / "static"

DESCRIPTION = """
智运（zhiyun）智慧城市运行中心工单平台的 REST 接口。

* 登录：控制台用 `POST /api/v1/auth/login`（会话 Cookie）；对接系统和脚本用
  `POST /api/v1/auth/token` 换取令牌，之后带 `Authorization: Bearer <token>`。
* 错误一律为 JSON：`{"error": 代码, "message": 说明, ...}`；状态不允许的操作返回 409，
  并给出当前状态 `status` 与可执行操作 `allowed_actions`。
* 每个工单操作是 `POST /api/v1/orders/{key}/{action}`；请求体可带 `version`
  （工单详情中的版本号），工单已被他人更新时返回 409 `concurrent_update`。
"""


DOCS_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">
<title>智运 zhiyun API</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js" data-openapi-url="/openapi.json"></script>
</body>
</html>
"""


def edge_policy(settings: Settings) -> http_guard.EdgePolicy:
    """The request limits and security headers of this site (zhiyun.kernel.http_guard)."""
    return http_guard.default_policy(
        attachment_max_bytes=settings.attachment_max_bytes, tile_url=settings.map_tile_url
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While serving: short GIL slices, so that a request thread whose database round trip has
    returned is not kept waiting by another request's Python (zhiyun.kernel.gil)."""
    with short_gil_slices():
        yield


def create_app(
    services: Services, *, root_redirect: str | None = "/docs", intake_lane: bool = True
) -> FastAPI:
    """The API over `services` (one process may serve several apps over different databases).

    `root_redirect`: where `/` sends a browser; None leaves `/` to another face (the console).
    `intake_lane`: answer channel messages before FastAPI routes them (zhiyun.api.intake_lane).
    """
    app = ZhiyunAPI(
        lifespan=_lifespan,
        title="智运 zhiyun API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = services
    app.intake_lane = intake_lane
    install_error_handlers(app)
    http_guard.install(app, edge_policy(services.settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI from the vendored swagger-ui-dist files, started by a script file (no inline script)."""
        return HTMLResponse(DOCS_PAGE)

    if root_redirect is not None:
        home = root_redirect

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse(home)

    @app.get(
        "/healthz",
        response_model=HealthOut,
        tags=["health"],
        summary="健康检查",
        responses={503: {"model": HealthOut, "description": "数据库无响应"}},
    )
    def healthz(request: Request) -> JSONResponse:
        """200 when the database answers, 503 when it does not."""
        if request.app.state.services.db.ping():
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)

    api = APIRouter(prefix=API_PREFIX)
    for router in _routers([c.api for c in installed()]):
        api.include_router(router)
    app.include_router(api)
    for router in _routers([c.public for c in installed()]):  # Open311: its own prefix and errors
        app.include_router(router)
    return app


def _routers(mounts: list[tuple[Mount, ...]]) -> list[APIRouter]:
    """The routers of every capability's mounts, sorted by their order, then the registry's."""
    flat = [(mount.order, index, mount.ref) for index, mount in enumerate(m for ms in mounts for m in ms)]
    return [resolve(ref) for _, _, ref in sorted(flat)]
