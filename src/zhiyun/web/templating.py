"""Rendering pages: the console's Jinja2 environment, its filters and `render()`.

The environment is built by `install_console` (nothing at import time) and kept on
`app.state.console_templates`. Every page gets `user` (the signed-in user or None),
`csrf_token`, `nav` (the menu: the pages the user's policies let them open, from
the capabilities' declarations) and `path` in its context.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from zhiyun.accounts.service.views import UserView
from zhiyun.domain.access import may_administer_something
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.kernel.capability import Capability, NavItem
from zhiyun.kernel.csrf import CSRF_COOKIE
from zhiyun.web.deps import csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"

# The admin area is the console's own; every other menu entry comes from a capability.
ADMIN_NAV = NavItem("/admin", "系统管理", may_administer_something, 1000)


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


def template_dirs(capabilities: tuple[Capability, ...]) -> list[Path]:
    """Where the console's templates are: its own (base, macros, errors), then each capability's."""
    found = [TEMPLATE_DIR]
    for capability in capabilities:
        folder = capability.template_dir()
        if folder is not None:
            found.append(folder)
    return found


def build_templates(directories: list[Path]) -> Jinja2Templates:
    templates = Jinja2Templates(directory=[str(d) for d in directories])
    env = templates.env
    env.filters["local_time"] = local_time
    env.filters["file_size"] = file_size
    return templates


def menu(capabilities: tuple[Capability, ...]) -> tuple[NavItem, ...]:
    """The console's menu: every capability's entries and the admin area, in their order."""
    items = [item for c in capabilities for item in c.nav] + [ADMIN_NAV]
    return tuple(sorted(items, key=lambda item: item.order))


def nav_for(request: Request, user: UserView | None) -> list[tuple[str, str]]:
    """The menu of the signed-in user: the pages their policies let them open."""
    if user is None:
        return []
    actor = user.actor()
    items: tuple[NavItem, ...] = request.app.state.console_menu
    return [(item.path, item.label) for item in items if item.shows is None or item.shows(actor)]


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
        "nav": nav_for(request, user),
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
