"""Signing in and out of the console, `/` (the workbench when signed in, else the login page),
and the admin section of users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from zhiyun.accounts.client_address import client_address
from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.domain.access import STAFF_ROLES, Actor, Role
from zhiyun.domain.errors import TooManyAttempts, ValidationFailed
from zhiyun.web.admin import AdminPage, operation, text
from zhiyun.web.deps import SESSION_COOKIE, CsrfChecked, ServicesDep
from zhiyun.web.templating import render
from zhiyun.web.views import org_tree

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

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


# -- admin section: users ------------------------------------------------------------------------


USERS_SHOWN = 300  # a district has thousands of grid workers: search to find one


def _users_context(services: Services, actor: Actor) -> dict[str, Any]:
    return _users_filtered(services, actor, {})


def _users_filtered(services: Services, actor: Actor, query: Mapping[str, str]) -> dict[str, Any]:
    """The users matching the page's search (name or username contains `q`; `role`, `unit`),
    the first `USERS_SHOWN` of them, and how many matched."""
    org = org_tree(services)
    needle = (query.get("q") or "").strip().lower()[:50]
    role = (query.get("role") or "").strip()
    unit = (query.get("unit") or "").strip()
    unit_id = next((u.id for u in org.units.values() if u.code == unit), -1) if unit else None
    everyone = services.accounts.list_users()
    matched = [
        u
        for u in everyone
        if (not needle or needle in u.username.lower() or needle in (u.display_name or "").lower())
        and (not role or u.role == role)
        and (unit_id is None or u.unit_id == unit_id)
    ]
    return {
        "users": matched[:USERS_SHOWN],
        "users_matched": len(matched),
        "users_total": len(everyone),
        "users_shown": USERS_SHOWN,
        "filters": {"q": needle, "role": role, "unit": unit},
        "all_roles": [(r.value, r.label) for r in Role],
        "tokens": services.accounts.live_tokens_by_user(),
        "roles": [(r.value, r.label) for r in STAFF_ROLES],
        "units": sorted(((u.code, u.name) for u in org.units.values()), key=lambda x: x[0]),
    }


def _users_post(services: Services, actor: Actor, form: FormData) -> str:
    op = operation(form)
    if op == "add":
        created = services.accounts.add_user(
            actor,
            username=text(form, "username"),
            password=text(form, "password"),
            role=text(form, "role"),
            unit_code=text(form, "unit_code") or None,
            display_name=text(form, "display_name") or None,
            phone=text(form, "phone") or None,
        )
        return f"已添加用户 {created.username}"
    if op in ("disable", "enable"):
        username = text(form, "username")
        services.accounts.set_active(actor, username, op == "enable")
        if op == "disable":
            return f"已停用用户 {username}，其登录会话和 API 令牌已失效"
        return f"已启用用户 {username}"
    if op == "password":
        services.accounts.set_password(actor, text(form, "username"), text(form, "password"))
        return f"已重置 {text(form, 'username')} 的密码，其登录会话和 API 令牌已失效"
    if op == "revoke_token":
        owner = services.accounts.user_by_name(text(form, "username"))
        token_id = text(form, "token_id")
        if not token_id.isdigit() or not 0 < int(token_id) < 2**31:
            raise ValidationFailed("令牌编号不正确", field="token_id")
        token = services.accounts.revoke_token(actor, owner.id, int(token_id))
        return f"已吊销 {owner.username} 的令牌「{token.name}」（{token.prefix}…）"
    raise ValidationFailed("未知的操作")


USERS = AdminPage(context=_users_context, post=_users_post, filtered=_users_filtered)
