"""Logging in and out: console sessions (cookie) and bearer tokens for integrations and scripts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from zhiyun.accounts.client_address import client_address
from zhiyun.accounts.service.views import IssuedSecret
from zhiyun.api.deps import SESSION_COOKIE, CurrentUser, ServicesDep, session_scheme
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import LoginIn, TokenIn, TokenInfoOut, TokenLoginIn, TokenOut, UserOut
from zhiyun.domain.calendar import LOCAL_TZ

router = APIRouter(prefix="/auth", tags=["auth 登录"], responses={401: ERROR_RESPONSES[401]})

# A token id in a path: a database integer (a larger one is a 422, not a server error).
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="令牌编号（见 GET /auth/tokens）")]


def _token_out(issued: IssuedSecret, name: str) -> TokenOut:
    return TokenOut(
        token=issued.secret,
        access_token=issued.secret,
        name=name,
        expires_at=issued.expires_at,
        user=UserOut.model_validate(issued.user),
    )


@router.post(
    "/login",
    response_model=UserOut,
    summary="控制台登录（设置会话 Cookie）",
    responses={429: ERROR_RESPONSES[429]},
)
def login(body: LoginIn, request: Request, response: Response, services: ServicesDep) -> UserOut:
    """Checks the password and opens a console session in the httponly cookie `zhiyun_session`.

    Repeated failures for one account name or from one address lock it for a while: 429
    with `Retry-After` and `retry_after` (seconds), without checking the password.
    """
    client = client_address(request, services.settings.trusted_proxies)
    user = services.accounts.authenticate(body.username, body.password, client=client)
    issued = services.accounts.open_session(user)
    response.set_cookie(
        SESSION_COOKIE,
        issued.secret,
        max_age=services.settings.session_days * 86_400,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        path="/",
    )
    return UserOut.model_validate(user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="退出登录")
def logout(
    services: ServicesDep,
    session_secret: Annotated[str | None, Depends(session_scheme)],
) -> Response:
    """Ends the console session (if any) and clears its cookie."""
    if session_secret:
        services.accounts.close_session(session_secret)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=UserOut, summary="当前用户")
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    summary="为当前用户签发 API 令牌",
)
def issue_token(body: TokenIn, user: CurrentUser, services: ServicesDep) -> TokenOut:
    """A bearer token acting as the current user; the token is shown only in this answer.

    It expires after `days`: by default 90 (ZHIYUN_TOKEN_DAYS_DEFAULT), at most 365
    (ZHIYUN_TOKEN_DAYS_MAX; more is a 422). A password reset or disabling the user revokes it.
    """
    issued = services.accounts.issue_token(user.actor(), user.id, body.name, body.days)
    return _token_out(issued, body.name.strip())


@router.get("/tokens", response_model=list[TokenInfoOut], summary="当前用户的 API 令牌")
def list_tokens(
    user: CurrentUser,
    services: ServicesDep,
    include_all: Annotated[bool, Query(alias="all", description="也列出已吊销和已过期的令牌")] = False,
) -> list[TokenInfoOut]:
    """The current user's tokens, newest first (never the token itself): by default the live ones."""
    tokens = services.accounts.list_tokens(user.id, include_inactive=include_all)
    return [TokenInfoOut.model_validate(t) for t in tokens]


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="吊销当前用户的一个 API 令牌",
    responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def revoke_token(token_id: TokenId, user: CurrentUser, services: ServicesDep) -> Response:
    """Revokes one of the current user's tokens at once (again: no change); 404 for any other."""
    services.accounts.revoke_token(user.actor(), user.id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _token_login_body(request: Request) -> TokenLoginIn:
    """The credentials of POST /auth/token, from an OAuth2 password form or a JSON object."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        data = {k: v for k, v in form.items() if k in ("username", "password", "name", "days")}
    else:
        raw = await request.body()
        try:
            data = json.loads(raw) if raw else {}
        except (ValueError, UnicodeDecodeError):
            raise RequestValidationError(
                [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "input": None}]
            ) from None
    if isinstance(data, dict):
        data.pop("grant_type", None)
        data.pop("scope", None)
        data.pop("client_id", None)
        data.pop("client_secret", None)
    try:
        return TokenLoginIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


_TOKEN_FORM_SCHEMA = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["password"]},
        "username": {"type": "string"},
        "password": {"type": "string", "format": "password"},
        "name": {"type": "string"},
        "days": {"type": "integer", "minimum": 1},
    },
}


@router.post(
    "/token",
    response_model=TokenOut,
    summary="用户名密码直接换取 API 令牌（OAuth2 password 表单或 JSON）",
    responses={429: ERROR_RESPONSES[429]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": TokenLoginIn.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": _TOKEN_FORM_SCHEMA},
            },
        }
    },
)
def token_login(
    body: Annotated[TokenLoginIn, Depends(_token_login_body)], request: Request, services: ServicesDep
) -> TokenOut:
    """Logs in and returns a bearer token in one call, for integrations and `curl`:

    `curl -d username=town -d password=… https://host/api/v1/auth/token`

    The token expires after `days` (default: the session lifetime; at most 365). Repeated
    failures lock the account name or the address for a while (429, as for /auth/login).
    """
    client = client_address(request, services.settings.trusted_proxies)
    user = services.accounts.authenticate(body.username, body.password, client=client)
    name = (body.name or "").strip() or f"login {datetime.now(LOCAL_TZ):%Y-%m-%d %H:%M}"
    issued = services.accounts.issue_token(
        user.actor(), user.id, name, body.days or services.settings.session_days
    )
    return _token_out(issued, name)
