"""Signing in and out of the console, and `/` (the workbench when signed in, else the login page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiyun.accounts.client_address import client_address
from zhiyun.accounts.service import AuthenticationFailed
from zhiyun.domain.errors import TooManyAttempts
from zhiyun.web.deps import SESSION_COOKIE, CsrfChecked, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/workbench"
    return target


@router.get("/")
def home(request: Request, services: ServicesDep) -> RedirectResponse:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        try:
            services.accounts.user_for_session(secret)
            return RedirectResponse("/workbench", status_code=303)
        except AuthenticationFailed:
            pass
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/workbench",
) -> Response:
    try:
        if not username.strip() or not password:
            raise AuthenticationFailed("请输入用户名和密码")
        client = client_address(request, services.settings.trusted_proxies)
        user = services.accounts.authenticate(username.strip(), password, client=client)
    except AuthenticationFailed as exc:
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": exc.message, "username": username},
            status_code=401,
        )
    except TooManyAttempts as exc:  # locked for a while: the message says until when
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": exc.message, "username": username},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    issued = services.accounts.open_session(user)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.secret,
        max_age=services.settings.session_days * 86_400,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        path="/",
    )
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, services: ServicesDep) -> RedirectResponse:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        services.accounts.close_session(secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
