"""Request dependencies: the services, the authenticated user and the acting role.

A request is authenticated by `Authorization: Bearer <token>` (an API token for an
integration or a script) or by the console's session cookie `zhiyun_session`. A
request with neither, or with one that is unknown, expired or revoked, answers 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from zhiyun.accounts.service import AuthenticationFailed, UserView
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import PermissionDenied

SESSION_COOKIE = "zhiyun_session"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="API 令牌：POST /api/v1/auth/token 或 /api/v1/auth/tokens 取得",
)
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="控制台会话 Cookie：POST /api/v1/auth/login 设置",
)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def current_user(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session_secret: Annotated[str | None, Depends(session_scheme)],
) -> UserView:
    """The user behind the bearer token, else behind the session cookie; 401 without either."""
    if credentials is not None:
        return services.accounts.user_for_token(credentials.credentials)
    if session_secret:
        return services.accounts.user_for_session(session_secret)
    raise AuthenticationFailed("请先登录：使用 Authorization: Bearer 令牌，或通过 /api/v1/auth/login 登录")


CurrentUser = Annotated[UserView, Depends(current_user)]


def current_actor(user: CurrentUser) -> Actor:
    """The authenticated user as the workflow sees them: a role at a unit."""
    return user.actor()


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_admin(user: CurrentUser) -> UserView:
    """The current user, who must be a system administrator (403 otherwise)."""
    if user.role != Role.ADMIN.value:
        raise PermissionDenied("仅系统管理员可以执行此操作", required_role=Role.ADMIN.value)
    return user


AdminUser = Annotated[UserView, Depends(require_admin)]
