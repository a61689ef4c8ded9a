"""The served application: the REST API and the operations console over the same services.

`create_server_app(services)` is what `zhiyun serve` and `zhiyun demo` run; the two faces
never import each other (DESIGN.md), so they meet here.
"""

from __future__ import annotations

from fastapi import FastAPI

from zhiyun.api.app import create_app
from zhiyun.bootstrap import Services
from zhiyun.web.app import install_console


def create_server_app(services: Services) -> FastAPI:
    """The API (under /api/v1, /docs, /open311) plus the console's pages (/, /login, /workbench…)."""
    app = create_app(services, root_redirect=None)
    return install_console(app, services)
