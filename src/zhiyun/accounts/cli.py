"""`zhiyun user`: accounts and API tokens (add, list, issue, list and revoke tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    cli_actor,
    console,
    err_console,
    fail,
    open_services,
)
from zhiyun.domain.access import STAFF_ROLES
from zhiyun.domain.errors import NotFound

# the roles an account may be given (the system and citizens are no accounts)
StaffRole = StrEnum("StaffRole", [(r.name, r.value) for r in STAFF_ROLES])  # type: ignore[misc]

user_app = typer.Typer(cls=ZhiyunGroup, help="用户与 API 令牌。", no_args_is_help=True)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="登录名：字母、数字、下划线、点或连字符")],
    role: Annotated[StaffRole, typer.Option("--role", help="角色", case_sensitive=False)],
    unit: Annotated[
        str | None, typer.Option("--unit", help="所属单位编码（管理员、领导、质检员可不填）")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="显示名称")] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="密码（不填则提示输入，不回显）", show_default=False)
    ] = None,
    db: DbOption = None,
) -> None:
    """新增用户。"""
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    with open_services(db) as services:
        user = services.accounts.add_user(
            cli_actor(),
            username=username,
            password=password,
            role=role.value,
            unit_code=unit,
            display_name=name,
        )
    where = f"，{user.unit_name}" if user.unit_name else ""
    console.print(f"已创建用户 {user.username}（{user.display_name}，{user.role_label}{where}）")


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """列出用户。"""
    with open_services(db) as services:
        users = services.accounts.list_users()
    table = Table(title=f"用户（{len(users)}）")
    for column in ("用户名", "姓名", "角色", "单位", "状态"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username,
            u.display_name,
            f"{u.role_label} {u.role}",
            u.unit_name or "",
            "启用" if u.active else "[red]停用[/red]",
        )
    console.print(table)


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="令牌代表的用户")],
    name: Annotated[str, typer.Option("--name", help="令牌用途，如 12345-gateway")],
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="有效天数；默认 90 天（ZHIYUN_TOKEN_DAYS_DEFAULT），最长 365 天"),
    ] = None,
    db: DbOption = None,
) -> None:
    """为用户签发 API 令牌（最后一行即令牌，只显示这一次）。"""
    with open_services(db) as services:
        user = next((u for u in services.accounts.list_users() if u.username == username), None)
        if user is None:
            raise NotFound(f"用户 {username} 不存在")
        issued = services.accounts.issue_token(cli_actor(), user.id, name, days)
    expiry = issued.expires_at.date().isoformat() if issued.expires_at else "长期有效"
    err_console.print(
        f"已为 {user.username}（{user.role_label}）签发令牌「{name}」，有效期：{expiry}。请妥善保存："
    )
    typer.echo(issued.secret)


def _local_time(value: datetime | None, empty: str = "—") -> str:
    from zhiyun.domain.calendar import LOCAL_TZ

    return f"{value.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}" if value else empty


@user_app.command("tokens")
def user_tokens(
    username: Annotated[str, typer.Argument(help="用户名")],
    all_tokens: Annotated[bool, typer.Option("--all", help="也列出已吊销和已过期的令牌")] = False,
    db: DbOption = None,
) -> None:
    """列出用户的 API 令牌（只显示前缀，不显示令牌本身）。"""
    with open_services(db) as services:
        user = services.accounts.user_by_name(username)
        tokens = services.accounts.list_tokens(user.id, include_inactive=all_tokens)
        now = services.accounts.clock()
    title = f"{user.username} 的{'全部' if all_tokens else '有效'} API 令牌（{len(tokens)}）"
    table = Table(title=title)
    for column in ("编号", "名称", "前缀", "签发时间", "到期时间", "最近使用", "状态"):
        table.add_column(column)
    for t in tokens:
        if t.revoked_at is not None:
            state = f"[red]已吊销 {_local_time(t.revoked_at)}[/red]"
        elif not t.live(now):
            state = "[yellow]已过期[/yellow]"
        else:
            state = "有效"
        table.add_row(
            str(t.id),
            escape(t.name),
            t.prefix,
            _local_time(t.created_at),
            _local_time(t.expires_at, "长期有效"),
            _local_time(t.last_used_at, "从未使用"),
            state,
        )
    console.print(table)


@user_app.command("revoke")
def user_revoke(
    username: Annotated[str, typer.Argument(help="用户名")],
    token_id: Annotated[
        int | None, typer.Argument(help="令牌编号（见 `zhiyun user tokens`）", min=1, max=2**31 - 1)
    ] = None,
    all_tokens: Annotated[bool, typer.Option("--all", help="吊销该用户的全部有效令牌")] = False,
    db: DbOption = None,
) -> None:
    """吊销用户的一个 API 令牌（或用 --all 吊销全部），立即生效。"""
    if (token_id is None) == (not all_tokens):
        fail("请给出一个令牌编号，或使用 --all 吊销全部令牌（二者只选其一）", code=2)
    with open_services(db) as services:
        user = services.accounts.user_by_name(username)
        if all_tokens:
            count = services.accounts.revoke_all_tokens(cli_actor(), user.id)
            console.print(f"已吊销 {user.username} 的 {count} 个有效令牌")
            return
        assert token_id is not None
        token = services.accounts.revoke_token(cli_actor(), user.id, token_id)
    console.print(f"已吊销 {user.username} 的令牌 {token.id}「{escape(token.name)}」（前缀 {token.prefix}）")
