"""The admin sections of time limits (办理时限) and the working-day calendar (工作日历)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData

from zhiyun.domain.access import Actor
from zhiyun.domain.deadlines import LimitUnit
from zhiyun.domain.errors import ValidationFailed
from zhiyun.web.admin import AdminPage, operation, text

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

LIMIT_UNITS = [(LimitUnit.WORKDAYS.value, "工作日"), (LimitUnit.HOURS.value, "小时")]


def _amount(form: FormData, name: str, label: str) -> int:
    value = text(form, name)
    if not value.isdigit() or not 0 < int(value) <= 3650:
        raise ValidationFailed(f"{label}须为 1–3650 的整数", field=name)
    return int(value)


def _limits_context(services: Services, actor: Actor) -> dict[str, Any]:
    return {
        "limits": services.policy.time_limits(),
        "limit_units": LIMIT_UNITS,
        "unit_labels": dict(LIMIT_UNITS),
    }


def _limits_post(services: Services, actor: Actor, form: FormData) -> str:
    view = services.policy.set_time_limit(
        actor,
        text(form, "order_type"),
        text(form, "urgency"),
        (_amount(form, "sign_amount", "签收时限"), text(form, "sign_unit")),
        (_amount(form, "reply_amount", "办理时限"), text(form, "reply_unit")),
    )
    return f"已更新「{view.order_type_label}·{view.urgency_label}」的时限"


def _calendar_context(services: Services, actor: Actor) -> dict[str, Any]:
    return {"overrides": services.policy.overrides(), "years": services.policy.known_years()}


def _calendar_post(services: Services, actor: Actor, form: FormData) -> str:
    op = operation(form)
    if op == "set":
        try:
            day = date.fromisoformat(text(form, "day"))
        except ValueError as exc:
            raise ValidationFailed("日期格式须为 YYYY-MM-DD", field="day") from exc
        kind = text(form, "kind")
        if kind not in ("workday", "holiday", "default"):
            raise ValidationFailed("请选择上班、休息或恢复法定安排", field="kind")
        services.policy.set_day(actor, day, kind, text(form, "note"))
        return f"已设置 {day.isoformat()}"
    if op == "confirm":
        year = text(form, "year")
        if not year.isdigit():
            raise ValidationFailed("年份须为数字", field="year")
        services.policy.confirm_year(actor, int(year))
        return f"已确认 {year} 年的节假日安排"
    raise ValidationFailed("未知的操作")


TIME_LIMITS = AdminPage(context=_limits_context, post=_limits_post)
CALENDAR = AdminPage(context=_calendar_context, post=_calendar_post)
