"""The `zhiyun` command line: schema, org structure, users, calendar, time limits, sweep, serving, demo.

Every command takes `--db` (a SQLite file path or a database URL such as
postgresql://user@host/zhiyun); without it ZHIYUN_DATABASE_URL applies, else var/zhiyun.db.
A refused operation (a DomainError) prints its message in red on stderr and exits with 1;
a malformed command line exits with 2. Nothing runs at import time.
"""

from __future__ import annotations

import logging
import socket
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.analytics.cli import dashboard_app
from zhiyun.bootstrap import Services, build_services
from zhiyun.catalog.cli import rules_app, taxonomy_app
from zhiyun.classifier.cli import model_app
from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    cli_actor,
    console,
    err_console,
    fail,
    open_services,
    require_current_schema,
    safe_url,
)
from zhiyun.config import Settings, database_url
from zhiyun.dedupe.cli import dedupe_app
from zhiyun.domain.access import STAFF_ROLES
from zhiyun.domain.deadlines import LimitUnit
from zhiyun.domain.errors import NotFound
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.geo.cli import geo_app
from zhiyun.importer.cli import import_app
from zhiyun.kernel.logs import scrub_handlers, uvicorn_log_config
from zhiyun.store.db import Database
from zhiyun.store.migrate import current_revision, head_revision, upgrade

if TYPE_CHECKING:
    from zhiyun.demo.orders import SeedReport
    from zhiyun.demo.simulator import TrafficSimulator


DEMO_DB = "var/demo.db"


app = typer.Typer(
    cls=ZhiyunGroup,
    name="zhiyun",
    help="智运 zhiyun：区智慧城市运行中心工单平台的命令行。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # every command group opens its services through cli.support.open_services, which builds
    # them with this factory: the composition root is known here only
    context_settings={"obj": build_services},
)
db_app = typer.Typer(help="数据库结构（Alembic 迁移）。", no_args_is_help=True)
org_app = typer.Typer(help="组织架构：导入、导出。", no_args_is_help=True)
user_app = typer.Typer(help="用户与 API 令牌。", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历：节假日调整与年度确认。", no_args_is_help=True)
limits_app = typer.Typer(help="办理时限（按类型与紧急程度）。", no_args_is_help=True)
channel_app = typer.Typer(help="接入渠道：启停、默认值与 API 密钥。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(calendar_app, name="calendar")
app.add_typer(limits_app, name="limits")
app.add_typer(geo_app, name="geo")
app.add_typer(channel_app, name="channel")
app.add_typer(dedupe_app, name="dedupe")
app.add_typer(import_app, name="import")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(rules_app, name="rules")
app.add_typer(model_app, name="model")
app.add_typer(dashboard_app, name="dashboard")


class FileFormat(StrEnum):
    csv = "csv"
    json = "json"


class DayKind(StrEnum):
    workday = "workday"
    holiday = "holiday"
    default = "default"


# --------------------------------------------------------------------------- helpers


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value!r}") from None


def _years_label(years: list[int]) -> str:
    if not years:
        return "无"
    spans: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        spans.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return "、".join(spans)


# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """创建或升级数据库结构到最新版本（可重复执行）。"""
    with open_services(db, create=True) as services:
        before = current_revision(services.db)
        upgrade(services.db)
        after = current_revision(services.db)
        where = safe_url(services.db.url)
    if before == after:
        console.print(f"数据库已是最新版本 {after}（{where}）")
    else:
        console.print(f"数据库已升级：{before or '空库'} → {after}（{where}）")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """显示数据库当前的结构版本与最新版本。"""
    with open_services(db) as services:
        current, head = current_revision(services.db), head_revision(services.db)
        where = safe_url(services.db.url)
    console.print(f"数据库：{where}")
    console.print(f"当前版本：{current or '空库（未初始化）'}")
    console.print(f"最新版本：{head}")
    if current == head:
        console.print("[green]结构已是最新[/green]")
    else:
        console.print("[yellow]需要升级：请运行 `zhiyun db upgrade`[/yellow]")


# --------------------------------------------------------------------------- org


@org_app.command("import")
def org_import(
    file: Annotated[Path, typer.Argument(help="CSV 或 JSON 文件：code,name,kind,parent_code,aliases")],
    fmt: Annotated[FileFormat | None, typer.Option("--format", help="默认按文件扩展名判断")] = None,
    db: DbOption = None,
) -> None:
    """导入组织架构（按编码新增或更新；文件有任何错误则整个文件不导入）。"""
    with open_services(db) as services:
        report = services.org.import_file(cli_actor(), file, fmt.value if fmt else None)
    console.print(
        f"导入完成：新增(created) {report.created}，更新(updated) {report.updated}，"
        f"未变(unchanged) {report.unchanged}"
    )


@org_app.command("export")
def org_export(
    fmt: Annotated[FileFormat, typer.Option("--format", help="csv 或 json")] = FileFormat.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="写入文件；默认输出到屏幕")] = None,
    db: DbOption = None,
) -> None:
    """导出组织架构（与导入格式相同）。"""
    with open_services(db) as services:
        text = services.org.export_text(fmt.value)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    err_console.print(f"已导出到 {output}")


# --------------------------------------------------------------------------- users


# The roles an account may have (never the system's or a citizen's), as the command's choices.
StaffRole = StrEnum("StaffRole", [(r.name, r.value) for r in STAFF_ROLES])  # type: ignore[misc]


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


# --------------------------------------------------------------------------- channels


@channel_app.command("list")
def channel_list(db: DbOption = None) -> None:
    """列出全部接入渠道及其状态、最近来件时间和 24 小时来件数。"""
    with open_services(db) as services:
        channels = services.channels.list(with_activity=True)
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


# --------------------------------------------------------------------------- calendar


@calendar_app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(metavar="DATE", help="日期 YYYY-MM-DD")],
    kind: Annotated[
        DayKind,
        typer.Argument(
            metavar="workday|holiday|default", help="workday 上班 / holiday 放假 / default 清除调整"
        ),
    ],
    note: Annotated[str, typer.Option("--note", help="备注，如：春节调休")] = "",
    db: DbOption = None,
) -> None:
    """录入一天的调整（覆盖节假日数据）。"""
    when = _parse_date(day)
    with open_services(db) as services:
        services.policy.set_day(cli_actor(), when, kind.value, note)
        confirmed = when.year in services.policy.known_years()["confirmed"]
        known = services.policy.calendar().knows(when)
    if kind is DayKind.default:
        console.print(f"已清除 {when} 的调整，恢复默认（周末休息，法定节假日按节假日数据）")
    else:
        label = "上班（工作日）" if kind is DayKind.workday else "放假（休息日）"
        console.print(f"{when} 设为{label}" + (f"：{note}" if note else ""))
    if not known and not confirmed:
        console.print(
            f"[yellow]提示：{when.year} 年的节假日安排尚未确认；录入全部调整后请执行 "
            f"`zhiyun calendar confirm {when.year}`[/yellow]"
        )


@calendar_app.command("confirm")
def calendar_confirm(
    year: Annotated[int, typer.Argument(help="年份")],
    db: DbOption = None,
) -> None:
    """确认某年的节假日安排已录入完整（此后按该年计算工作日）。"""
    with open_services(db) as services:
        services.policy.confirm_year(cli_actor(), year)
        overrides = [o for o in services.policy.overrides() if o.day.year == year]
    console.print(f"已确认 {year} 年的节假日安排（该年人工调整 {len(overrides)} 天）")


@calendar_app.command("add-workdays")
def calendar_add_workdays(
    day: Annotated[str, typer.Argument(metavar="DATE", help="起始日期 YYYY-MM-DD")],
    count: Annotated[int, typer.Argument(metavar="N", help="工作日数")],
    db: DbOption = None,
) -> None:
    """计算 DATE 之后第 N 个工作日（最后一行输出 YYYY-MM-DD）。"""
    start = _parse_date(day)
    with open_services(db) as services:
        result = services.policy.add_workdays(start, count)
    console.print(f"{start} 之后第 {count} 个工作日：")
    typer.echo(result.isoformat())


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int | None, typer.Argument(help="只看某一年")] = None,
    db: DbOption = None,
) -> None:
    """显示已收录的年份、人工调整，以及某年的节假日与调休上班日。"""
    with open_services(db) as services:
        years = services.policy.known_years()
        overrides = services.policy.overrides()
        calendar = services.policy.calendar()
    console.print(f"节假日数据（holidays 包）收录：{_years_label(years['package'])}")
    console.print(f"管理员确认：{_years_label(years['confirmed'])}")
    if year is not None:
        overrides = [o for o in overrides if o.day.year == year]
    table = Table(title="人工调整" + (f"（{year} 年）" if year else ""))
    for column in ("日期", "星期", "类型", "备注", "录入人"):
        table.add_column(column)
    weekdays = "一二三四五六日"
    for o in overrides:
        table.add_row(
            o.day.isoformat(),
            f"周{weekdays[o.day.weekday()]}",
            "[green]上班[/green]" if o.is_workday else "[red]放假[/red]",
            o.note,
            o.updated_by or "",
        )
    if overrides:
        console.print(table)
    else:
        console.print("人工调整：无" + (f"（{year} 年）" if year else ""))
    if year is None:
        return
    known = year in calendar.known_years
    console.print(
        f"{year} 年：" + ("[green]已收录[/green]" if known else "[yellow]未收录（计算结果为估计）[/yellow]")
    )
    off = sorted(d for d in calendar.holidays if d.year == year and not calendar.is_workday(d))
    makeup = sorted(
        d
        for d in {*calendar.makeup_workdays, *calendar.overrides}
        if d.year == year and d.weekday() >= 5 and calendar.is_workday(d)
    )
    console.print(
        "法定节假日及调休放假：" + ("、".join(d.strftime("%m-%d") for d in off) or "无"), soft_wrap=True
    )
    console.print(
        "调休上班（周末）：" + ("、".join(d.strftime("%m-%d") for d in makeup) or "无"), soft_wrap=True
    )


# --------------------------------------------------------------------------- limits


def _parse_limit(value: str, option: str) -> tuple[int, str]:
    amount, _, unit = value.partition(":")
    aliases = {
        "workdays": "workdays",
        "workday": "workdays",
        "wd": "workdays",
        "hours": "hours",
        "hour": "hours",
    }
    aliases["h"] = "hours"
    try:
        number = int(amount)
    except ValueError:
        raise typer.BadParameter(f"{option} 应为 数量:单位，如 15:workdays 或 24:hours") from None
    normalized = aliases.get(unit.strip().lower() or "workdays")
    if normalized is None or number <= 0:
        raise typer.BadParameter(f"{option} 应为 正整数:workdays|hours，如 15:workdays 或 24:hours")
    return number, LimitUnit(normalized).value


@limits_app.command("show")
def limits_show(db: DbOption = None) -> None:
    """显示各类型、紧急程度的签收与办理时限。"""
    with open_services(db) as services:
        limits = services.policy.time_limits()
    table = Table(title="办理时限")
    for column in ("类型 TYPE", "紧急程度 URGENCY", "签收时限 --sign", "办理时限 --reply"):
        table.add_column(column)
    for t in limits:
        table.add_row(
            f"{t.order_type_label} {t.order_type}",
            f"{t.urgency_label} {t.urgency}",
            f"{t.sign.amount}:{t.sign.unit.value}",
            f"{t.reply.amount}:{t.reply.unit.value}",
        )
    console.print(table)
    console.print(
        "修改：zhiyun limits set TYPE URGENCY --sign 1:workdays --reply 15:workdays（workdays 工作日，hours 小时）"
    )


@limits_app.command("set")
def limits_set(
    order_type: Annotated[
        OrderType, typer.Argument(metavar="TYPE", help="consult/help/complaint/report/suggestion/praise")
    ],
    urgency: Annotated[Urgency, typer.Argument(metavar="URGENCY", help="normal/urgent")],
    sign: Annotated[str | None, typer.Option("--sign", help="签收时限，如 1:workdays 或 1:hours")] = None,
    reply: Annotated[str | None, typer.Option("--reply", help="办理时限，如 15:workdays 或 24:hours")] = None,
    db: DbOption = None,
) -> None:
    """修改一类工单的时限（新派出的工单起生效）。"""
    if sign is None and reply is None:
        raise typer.BadParameter("请至少给出 --sign 或 --reply")
    with open_services(db) as services:
        current = next(
            t for t in services.policy.time_limits() if t.order_type == order_type and t.urgency == urgency
        )
        new_sign = _parse_limit(sign, "--sign") if sign else (current.sign.amount, current.sign.unit.value)
        new_reply = (
            _parse_limit(reply, "--reply") if reply else (current.reply.amount, current.reply.unit.value)
        )
        saved = services.policy.set_time_limit(
            cli_actor(), order_type.value, urgency.value, new_sign, new_reply
        )
    console.print(
        f"{saved.order_type_label}·{saved.urgency_label}：签收 {saved.sign.label()}，办理 {saved.reply.label()}"
    )


# --------------------------------------------------------------------------- sweep, worker, serve


@app.command("sweep")
def sweep(db: DbOption = None) -> None:
    """立即执行一次时限扫描：标记即将超时与超时工单，为新超时工单发催办通知。"""
    with open_services(db) as services:
        report = services.sweep.run(cli_actor())
    console.print(
        f"时限扫描完成：预警 {report.warnings}，超时 {report.overdue}，催办通知 {report.notices}，"
        f"已由其他进程处理 {report.skipped}"
    )


def _configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )
    scrub_handlers()  # no citizens' numbers in the logs (zhiyun.kernel.logs)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@app.command("worker")
def worker(
    interval: Annotated[
        float | None,
        typer.Option("--interval", min=1, help="扫描间隔秒数；默认 ZHIYUN_SWEEP_INTERVAL_SECONDS 或 60"),
    ] = None,
    db: DbOption = None,
) -> None:
    """后台进程：定时执行时限扫描（可多个同时运行，不会重复催办）。Ctrl-C 或 SIGTERM 停止。"""
    from zhiyun.worker import run_worker

    _configure_logging()
    with open_services(db) as services:
        require_current_schema(services.db)
        seconds = interval or services.settings.sweep_interval_seconds
        logging.getLogger("zhiyun.worker").info("database %s", safe_url(services.db.url))
        run_worker(services, seconds)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    db: DbOption = None,
) -> None:
    """启动 API 服务（数据库须已执行 `zhiyun db upgrade`）。"""
    import uvicorn

    from zhiyun.server import create_server_app

    with open_services(db) as services:
        require_current_schema(services.db)
        console.print(
            f"智运：http://{_display_host(host)}:{port}/  （控制台；接口 /api/v1，文档 /docs，数据库 {safe_url(services.db.url)}）"
        )
        uvicorn.run(
            create_server_app(services),
            host=host,
            port=port,
            log_level="info",
            log_config=uvicorn_log_config(),
            proxy_headers=True,
        )


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------- demo


def prepare_demo(services: Services, *, progress: bool = True) -> SeedReport:
    """Migrate, load the demo district and orders where absent (idempotent)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zhiyun.demo.boundaries import ensure_boundaries
    from zhiyun.demo.district import ensure_district
    from zhiyun.demo.district import units as demo_units
    from zhiyun.demo.orders import seed_orders

    upgrade(services.db)
    existing = {r.code for r in services.org.records()}
    foreign = sorted(existing - {r.code for r in demo_units()})
    if foreign:
        fail(
            f"该数据库已有非演示的组织单位（{', '.join(foreign[:5])}…）：zhiyun demo 只用于演示数据库，"
            f"请用 --db 指定新的文件（默认 {DEMO_DB}）"
        )
    district = ensure_district(services)
    ensure_boundaries(services, services.geo)
    if district.units_created or district.users_created:
        console.print(f"演示区：新建单位 {district.units_created} 个，用户 {district.users_created} 个")
    if not progress:
        return seed_orders(services)
    with Progress(
        TextColumn("生成演示工单"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("seed", total=None)
        report = seed_orders(
            services, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    return report


def demo_banner(services: Services, host: str, port: int, simulator: TrafficSimulator | None = None) -> None:
    """The URL, the API docs, a login for every role, where traffic comes from and two curl examples."""
    from zhiyun.demo.district import DEMO_PASSWORD, LOGIN_EXAMPLES, TOWNS
    from zhiyun.domain.order_query import OrderFilter
    from zhiyun.domain.workorder import OrderStatus

    base = f"http://{_display_host(host)}:{port}"
    accounts = {u.username: u for u in services.accounts.list_users()}
    leader = accounts.get("leader")
    counts: dict[str, int] = {}
    if leader is not None:
        for status in OrderStatus:
            counts[status.label] = services.orders.count(leader.actor(), OrderFilter(statuses=[status.value]))
    table = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）")
    for column in ("用户名", "密码", "角色", "单位"):
        table.add_column(column)
    for username in LOGIN_EXAMPLES:
        u = accounts.get(username)
        if u is not None:
            table.add_row(u.username, DEMO_PASSWORD, f"{u.role_label} {u.role}", u.unit_name or "")
    console.rule("[bold]智运 zhiyun 演示[/bold]")
    console.print(f"控制台：[bold cyan]{base}/[/bold cyan]（浏览器打开，用下表任一账号登录）")
    console.print(f"API 地址：[bold cyan]{base}/api/v1[/bold cyan]")
    console.print(f"接口文档：[bold cyan]{base}/docs[/bold cyan]   健康检查：{base}/healthz")
    if counts:
        console.print("工单：" + "，".join(f"{label} {n}" for label, n in counts.items()), soft_wrap=True)
    console.print(table)
    towns = [f"{t.code.lower()}_dispatcher" for t in TOWNS]
    console.print(
        "其他账号同样规律：镇街派单员 " + "、".join(towns) + "；村居承办人 如 ss_lc_handler；"
        "部门 如 gaj_handler、stj_dispatcher、stj_zf_handler（完整列表：zhiyun user list --db 数据库）",
        soft_wrap=True,
    )
    console.print("\n以桂城街道派单员登录并查看待签收工单（复制即可运行）：")
    console.print(
        f"TOKEN=$(curl -s -X POST {base}/api/v1/auth/token -d username=gc_dispatcher -d password={DEMO_PASSWORD} \\\n"
        f"  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')\n"
        f'curl -s -H "Authorization: Bearer $TOKEN" "{base}/api/v1/orders?status=dispatched&limit=5"',
        soft_wrap=True,
        markup=False,
    )
    _demo_traffic_lines(simulator)
    _demo_channel_example(services, base)
    console.rule()


def _demo_traffic_lines(simulator: TrafficSimulator | None) -> None:
    """Where the live traffic comes from: channels, rate, events, typhoon bursts, season."""
    console.print("\n[bold]实时来件[/bold]", end="")
    if simulator is None:
        console.print("：已关闭（--no-traffic）。可按下面的示例自行推送。")
        return
    console.print("（模拟器经真实渠道接口推送；重复件自动合并或标记为疑似重复）：")
    for line in simulator.describe():
        console.print(f"  {line}", soft_wrap=True, markup=False)


def _demo_channel_example(services: Services, base: str) -> None:
    """Issue a demo key for 12345 and show how a channel posts with it (a second post: same order)."""
    import json

    from zhiyun.demo.district import DEMO_ADMIN
    from zhiyun.domain.calendar import LOCAL_TZ
    from zhiyun.intake.channels import CHANNEL_SPECS

    issued = services.channels.issue_key(DEMO_ADMIN, "12345")
    now = datetime.now(LOCAL_TZ)
    payload = {
        **CHANNEL_SPECS["12345"].example,
        "call_id": f"C-DEMO-{now:%Y%m%d%H%M%S}",
        "call_time": now.isoformat(timespec="seconds"),
        "recording_id": f"REC-{now:%Y%m%d-%H%M}-0417",
    }
    console.print(
        f"\n以 12345 渠道推送一条来电记录（已签发演示密钥 {issued.prefix}…；再推一次返回同一工单）：",
        soft_wrap=True,
    )
    console.print(
        "cat > payload.json <<'EOF'\n"
        f"{json.dumps(payload, ensure_ascii=False)}\n"
        "EOF\n"
        f"curl -X POST {base}/api/v1/intake/12345 -H 'X-Channel-Key: {issued.key}' \\\n"
        "  -H 'content-type: application/json' -d @payload.json",
        soft_wrap=True,
        markup=False,
    )
    console.print("其他渠道的报文格式见 docs/channels.md；密钥用 zhiyun channel key|revoke 管理。")


@app.command("demo")
def demo(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help=f"演示数据库（SQLite 路径或 URL），默认 {DEMO_DB}；不读 ZHIYUN_DATABASE_URL"
        ),
    ] = None,
    no_traffic: Annotated[bool, typer.Option("--no-traffic", help="不模拟实时来件与办理")] = False,
    traffic_rate: Annotated[
        float, typer.Option("--traffic-rate", min=0.1, help="每分钟经渠道接口推送的来件数")
    ] = 3.0,
    traffic_seed: Annotated[
        int | None, typer.Option("--traffic-seed", help="随机种子（同一种子、同一数据库：同样的来件序列）")
    ] = None,
    traffic_date: Annotated[
        str | None,
        typer.Option(
            "--traffic-date",
            help="模拟日期 YYYY-MM-DD，决定季节性诉求（4月入学报名、7月毕业生报到、11月居民医保）；默认今天",
        ),
    ] = None,
    typhoon_every: Annotated[
        float, typer.Option("--typhoon-every", min=0, help="台风突发的间隔（分钟），0 为不模拟")
    ] = 20.0,
    typhoon_size: Annotated[int, typer.Option("--typhoon-size", min=0, help="每次台风突发的来件数")] = 24,
) -> None:
    """一键演示：迁移数据库、载入演示区（已存在则保留）、启动时限扫描、经渠道接口的实时来件与 API 服务。"""
    import uvicorn

    from zhiyun.demo.simulator import TrafficSimulator
    from zhiyun.server import create_server_app
    from zhiyun.worker import start_background_sweep

    season_date = _parse_date(traffic_date) if traffic_date else None
    if not _port_free(host, port):
        fail(f"端口 {port} 已被占用：请用 --port 指定其他端口（make demo PORT=8123）")
    settings = Settings()
    services = build_services(Database(database_url(db or DEMO_DB)), settings)
    scheduler = None
    simulator = None
    try:
        console.print(f"演示数据库：{safe_url(services.db.url)}")
        report = prepare_demo(services)
        if report.created:
            console.print(f"已生成演示工单 {report.created} 件（{report.seconds:.1f} 秒）")
        elif report.existing:
            console.print(f"沿用已有演示数据（演示工单 {report.existing} 件）")
        for failure in report.failures[:5]:
            err_console.print(f"[yellow]演示工单未完全生成：{failure}[/yellow]")
        from zhiyun.demo.dispatch_setup import ensure_dispatch

        console.print(ensure_dispatch(services).summary())
        _configure_logging()
        logging.getLogger("zhiyun.demo").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # uvicorn's access log shows every post
        scheduler = start_background_sweep(services, settings.sweep_interval_seconds)
        if not no_traffic:
            # Posts over HTTP to the server started below, once /healthz answers.
            simulator = TrafficSimulator(
                services,
                base_url=f"http://{_display_host(host)}:{port}",
                rate_per_minute=traffic_rate,
                seed=traffic_seed,
                season_date=season_date,
                typhoon_every_minutes=typhoon_every,
                typhoon_size=typhoon_size,
            )
            simulator.start()
        demo_banner(services, host, port, simulator)
        uvicorn.run(
            create_server_app(services),
            host=host,
            port=port,
            log_level="info",
            log_config=uvicorn_log_config(),
        )
    finally:
        if simulator is not None:
            simulator.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        services.close()


def main() -> None:
    """Entry point of the `zhiyun` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
