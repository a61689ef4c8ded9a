"""User accounts (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, status

from zhiyun.api.deps import AdminUser, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import NewUserIn, UserOut

router = APIRouter(
    prefix="/users", tags=["users 用户"], responses={k: ERROR_RESPONSES[k] for k in (401, 403)}
)


@router.get("", response_model=list[UserOut], summary="用户列表（管理员）")
def list_users(admin: AdminUser, services: ServicesDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in services.accounts.list_users()]


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="新建用户（管理员）",
    responses={409: ERROR_RESPONSES[409], 422: ERROR_RESPONSES[422]},
)
def add_user(body: NewUserIn, admin: AdminUser, services: ServicesDep) -> UserOut:
    user = services.accounts.add_user(
        username=body.username,
        password=body.password,
        role=body.role,
        unit_code=(body.unit_code or "").strip() or None,
        display_name=(body.display_name or "").strip() or None,
        phone=(body.phone or "").strip() or None,
    )
    return UserOut.model_validate(user)
