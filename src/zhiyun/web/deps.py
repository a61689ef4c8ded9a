"""Page dependencies: the services, the signed-in user (else a redirect to /login) and CSRF.

The console shares the API's session cookie `zhiyun_session` (set by AccountService
sessions); a page request without a valid one is sent to /login. Forms are protected by
a double-submit token: the cookie `zhiyun_csrf` must equal the form field `csrf_token`
(or the header `X-CSRF-Token`, which htmx sends for every request it makes).
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.accounts.service.views import UserView
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, may_administer_something
from zhiyun.kernel.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, tokens_match

SESSION_COOKIE = "zhiyun_session"  # the same cookie the API's /auth/login sets


class LoginRequired(Exception):
    """A page was asked for without a valid session: the console answers with a redirect to /login."""

    def __init__(self, next_url: str = "/", message: str = "") -> None:
        super().__init__(message or "请先登录")
        self.next_url = next_url
        self.message = message


class PageForbidden(Exception):
    """The signed-in user's role may not open this page (answered with a Chinese 403 page)."""

    def __init__(self, message: str = "您没有权限访问此页面") -> None:
        super().__init__(message)
        self.message = message


class CsrfFailed(Exception):
    """A form was posted without the token of the page it came from (answered with 403)."""


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def page_user(request: Request, services: ServicesDep) -> UserView:
    """The user behind the session cookie; LoginRequired (→ /login?next=…) without one."""
    secret = request.cookies.get(SESSION_COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not secret:
        raise LoginRequired(target)
    try:
        user = services.accounts.user_for_session(secret)
    except AuthenticationFailed as exc:
        raise LoginRequired(target, exc.message) from exc
    request.state.user = user
    return user


PageUser = Annotated[UserView, Depends(page_user)]


def signed_in_user(request: Request) -> UserView | None:
    """The user behind the session cookie, or None: for what anyone may see (the error pages),
    which then show a signed-in user their menu."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        user = get_services(request).accounts.user_for_session(secret)
    except AuthenticationFailed:
        return None
    request.state.user = user
    return user


def page_actor(user: PageUser) -> Actor:
    """The signed-in user as the workflow sees them: a role at a unit."""
    return user.actor()


PageActor = Annotated[Actor, Depends(page_actor)]


def admin_actor(actor: PageActor) -> Actor:
    """The signed-in user, if they manage anything on the admin pages
    (domain.access.may_administer_something); the console's 403 page otherwise."""
    if not may_administer_something(actor):
        raise PageForbidden("仅系统管理员可以访问管理页面")
    return actor


AdminPageActor = Annotated[Actor, Depends(admin_actor)]


# -- CSRF ---------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The page's CSRF token: the cookie's, else a new one that render() will set."""
    existing = getattr(request.state, "csrf_token", None)
    if existing:
        return str(existing)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf_token = token
    return token


async def check_csrf(request: Request) -> None:
    """For every unsafe request: the form field or header must repeat the cookie's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = request.headers.get(CSRF_HEADER) or ""
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Starlette caches it: the route's Form() fields still work
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else ""
    if not tokens_match(cookie, sent):
        raise CsrfFailed()


CsrfChecked = Depends(check_csrf)
