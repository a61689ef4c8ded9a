"""`zhiyun channel`: the intake channels — their activity, settings and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    cli_actor,
    console,
    err_console,
    open_services,
)
from zhiyun.domain.workorder import OrderType, Urgency

channel_app = typer.Typer(cls=ZhiyunGroup, help="接入渠道：启停、默认值与 API 密钥。", no_args_is_help=True)


@channel_app.command("list")
def channel_list(db: DbOption = None) -> None:
    """列出全部接入渠道及其状态、最近来件时间和 24 小时来件数。"""
    with open_services(db) as services:
        channels = services.channels.channels(with_activity=True)
    table = Table(title="接入渠道")
    for column in ("编码", "名称", "状态", "默认类型", "默认紧急程度", "有效密钥", "最近来件", "24 小时来件"):
        table.add_column(column)
    for c in channels:
        table.add_row(
            c.code,
            c.name,
            "启用" if c.enabled else "停用",
            c.default_type.label,
            c.default_urgency.label,
            str(c.active_keys),
            *_activity_cells(c.by_hand, c.last_received_at, c.received_in_window),
        )
    console.print(table)


def _activity_cells(by_hand: bool, last: datetime | None, count: int | None) -> tuple[str, str]:
    """The 最近来件 and 24 小时来件 cells of a channel."""
    from zhiyun.domain.calendar import LOCAL_TZ

    if by_hand:
        return "人工登记，不经接口", "—"
    return (f"{last.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}" if last else "从未来件"), str(count)


@channel_app.command("key")
def channel_key(
    channel: Annotated[str, typer.Argument(help="渠道编码，如 12345、police_110、iot")],
    db: DbOption = None,
) -> None:
    """为渠道签发新的 API 密钥（最后一行即密钥，只显示这一次；旧密钥仍有效，需要时用 revoke 吊销）。"""
    with open_services(db) as services:
        issued = services.channels.issue_key(cli_actor(), channel)
    err_console.print(f"已为渠道 {issued.channel} 签发密钥（前缀 {issued.prefix}）。请妥善保存：")
    typer.echo(issued.key)


@channel_app.command("revoke")
def channel_revoke(
    channel: Annotated[str, typer.Argument(help="渠道编码")],
    prefix: Annotated[str | None, typer.Option("--prefix", help="只吊销以此开头的密钥")] = None,
    db: DbOption = None,
) -> None:
    """吊销渠道的密钥。"""
    with open_services(db) as services:
        count = services.channels.revoke_keys(cli_actor(), channel, prefix)
    console.print(f"已吊销 {count} 个密钥")


@channel_app.command("set")
def channel_set(
    channel: Annotated[str, typer.Argument(help="渠道编码")],
    enabled: Annotated[bool | None, typer.Option("--enabled/--disabled", help="启用或停用")] = None,
    order_type: Annotated[OrderType | None, typer.Option("--type", help="默认诉求类型")] = None,
    urgency: Annotated[Urgency | None, typer.Option("--urgency", help="默认紧急程度")] = None,
    db: DbOption = None,
) -> None:
    """修改渠道的启停状态与默认值。"""
    with open_services(db) as services:
        view = services.channels.configure(
            cli_actor(),
            channel,
            enabled=enabled,
            default_type=order_type.value if order_type else None,
            default_urgency=urgency.value if urgency else None,
        )
    state = "启用" if view.enabled else "停用"
    console.print(f"{view.name}：{state}，默认{view.default_type.label}、{view.default_urgency.label}")
