"""What the accounts capability registers: users, sign-in, sessions and API tokens."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="accounts",
    summary="Users with a role at a unit, console sign-in and sessions, API tokens, password rules.",
    api=(Mount("zhiyun.accounts.api.auth:router", order=10), Mount("zhiyun.accounts.api.users:router")),
    pages=(Mount("zhiyun.accounts.pages:router"),),
    admin=(AdminSection("users", "用户", access.may_administer_users, "zhiyun.accounts.pages:USERS", 10),),
    commands=(Command("user", "zhiyun.accounts.cli:user_app"),),
    templates=True,
)
