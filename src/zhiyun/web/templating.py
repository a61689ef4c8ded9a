"""Rendering pages: the console's Jinja2 environment, its filters and `render()`.

The environment is built by `install_console` (nothing at import time) and kept on
`app.state.console_templates`. Every page gets `user` (the signed-in user or None),
`csrf_token`, `nav` (the menu: the pages the user's policies let them open) and `path` in its context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from zhiyun.accounts.service import UserView
from zhiyun.domain.access import Actor, may_administer_something, may_view_dashboard
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.web.deps import CSRF_COOKIE, csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"

# (path, label, the policy that shows it — the one its page asks; None = everyone signed in)
NAV: tuple[tuple[str, str, Callable[[Actor], bool] | None], ...] = (
    ("/workbench", "工作台", None),
    ("/map", "地图", None),
    ("/dashboard", "领导驾驶舱", may_view_dashboard),
    ("/admin", "系统管理", may_administer_something),
)


def local_time(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) instant in Shanghai time; '' for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        return value.strftime(fmt)
    return value.strftime("%Y-%m-%d")


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.filters["local_time"] = local_time
    env.filters["file_size"] = file_size
    env.globals["nav_items"] = NAV
    return templates


def nav_for(user: UserView | None) -> list[tuple[str, str]]:
    """The menu of the signed-in user: the pages their policies let them open."""
    if user is None:
        return []
    actor = user.actor()
    return [(path, label) for path, label, shown in NAV if shown is None or shown(actor)]


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template `name` rendered for this request (sets the CSRF cookie on first visit)."""
    templates: Jinja2Templates = request.app.state.console_templates
    user: UserView | None = getattr(request.state, "user", None)
    token = csrf_token(request)
    full: dict[str, Any] = {
        "user": user,
        "csrf_token": token,
        "nav": nav_for(user),
        "path": request.url.path,
        "tile_url": getattr(request.app.state.services.settings, "map_tile_url", None),
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, name, full, status_code=status_code, headers=dict(headers or {})
    )
    if request.cookies.get(CSRF_COOKIE) != token:
        services = request.app.state.services
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=False,
            samesite="strict",
            secure=services.settings.cookie_secure,
            path="/",
        )
    return response
