"""Request dependencies: the services, the authenticated user, the acting role and the policies.

A request is authenticated by `Authorization: Bearer <token>` (an API token for an
integration or a script) or by the console's session cookie `zhiyun_session`. A
request with neither, or with one that is unknown, expired or revoked, answers 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.accounts.service.views import UserView
from zhiyun.bootstrap import Services
from zhiyun.domain.access import (
    Actor,
    may_administer_calendar,
    may_administer_catalog,
    may_administer_org,
    may_administer_users,
    require,
)

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


def permitted(policy: Callable[[Actor], bool]) -> Any:
    """A dependency: the acting user, if they pass `policy` (domain.access), else 403 before
    the request's body is looked at. The use case asks the same policy again: this only
    answers early and the same way for every body."""

    def check(actor: ActorDep) -> Actor:
        require(policy, actor)
        return actor

    check.__name__ = f"permitted_{policy.__name__}"
    return Depends(check)


UsersAdmin = Annotated[Actor, permitted(may_administer_users)]
OrgAdmin = Annotated[Actor, permitted(may_administer_org)]
CalendarAdmin = Annotated[Actor, permitted(may_administer_calendar)]
CatalogAdmin = Annotated[Actor, permitted(may_administer_catalog)]
