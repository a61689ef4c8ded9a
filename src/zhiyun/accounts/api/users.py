"""User accounts (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from zhiyun.api.deps import ServicesDep, UsersAdmin
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import NewUserIn, TokenInfoOut, UserOut

router = APIRouter(
    prefix="/users", tags=["users 用户"], responses={k: ERROR_RESPONSES[k] for k in (401, 403)}
)

# Database integers in paths: a larger id is a 422, not a server error.
UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="用户编号")]
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="令牌编号")]


@router.get("", response_model=list[UserOut], summary="用户列表（管理员）")
def list_users(admin: UsersAdmin, services: ServicesDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in services.accounts.list_users()]


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="新建用户（管理员）",
    responses={409: ERROR_RESPONSES[409], 422: ERROR_RESPONSES[422]},
)
def add_user(body: NewUserIn, admin: UsersAdmin, services: ServicesDep) -> UserOut:
    user = services.accounts.add_user(
        admin,
        username=body.username,
        password=body.password,
        role=body.role,
        unit_code=(body.unit_code or "").strip() or None,
        display_name=(body.display_name or "").strip() or None,
        phone=(body.phone or "").strip() or None,
    )
    return UserOut.model_validate(user)


@router.get(
    "/{user_id}/tokens",
    response_model=list[TokenInfoOut],
    summary="用户的 API 令牌（管理员）",
    responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def list_user_tokens(
    user_id: UserId,
    admin: UsersAdmin,
    services: ServicesDep,
    include_all: Annotated[bool, Query(alias="all", description="也列出已吊销和已过期的令牌")] = False,
) -> list[TokenInfoOut]:
    """A user's tokens, newest first (never the token itself): by default the live ones."""
    tokens = services.accounts.list_tokens(user_id, include_inactive=include_all)
    return [TokenInfoOut.model_validate(t) for t in tokens]


@router.delete(
    "/{user_id}/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="吊销用户的一个 API 令牌（管理员）",
    responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def revoke_user_token(
    user_id: UserId, token_id: TokenId, admin: UsersAdmin, services: ServicesDep
) -> Response:
    """Revokes the token at once; 404 when the token is not this user's."""
    services.accounts.revoke_token(admin, user_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
