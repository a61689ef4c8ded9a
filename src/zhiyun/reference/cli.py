"""`zhiyun calendar` and `zhiyun limits`: the working calendar and the time limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    cli_actor,
    console,
    open_services,
    parse_date,
)
from zhiyun.domain.deadlines import LimitUnit
from zhiyun.domain.workorder import OrderType, Urgency

calendar_app = typer.Typer(cls=ZhiyunGroup, help="工作日历：节假日调整与年度确认。", no_args_is_help=True)
limits_app = typer.Typer(cls=ZhiyunGroup, help="办理时限（按类型与紧急程度）。", no_args_is_help=True)


class DayKind(StrEnum):
    workday = "workday"
    holiday = "holiday"
    default = "default"


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
    when = parse_date(day)
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
    start = parse_date(day)
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
