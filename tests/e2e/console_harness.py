"""Helpers of the console's page-level HTTP tests: the served app (API + console) and form logins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import Api, app_for
from tests.support import PASSWORD, build_small_district
from zhiyun.bootstrap import Services
from zhiyun.server import create_server_app

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(name="console")
def console_fixture(services: Services) -> Iterator[Api]:
    """The served app (API and console) over the small district."""
    harness = Api(services, build_small_district(services), app_for(services, create_server_app))
    try:
        yield harness
    finally:
        for client in harness.clients:
            client.close()


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def page_login(console: Api, username: str, password: str = PASSWORD) -> Any:
    """A client signed in through the login form (GET /login, then POST with its token)."""
    client = console.anonymous()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
    )
    assert response.status_code == 200, response.text
    return client


def post_form(client: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a console form with the client's CSRF token."""
    token = client.cookies.get("zhiyun_csrf")
    assert token, "no CSRF cookie: open a page first"
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)
