"""What the reference capability registers: the working-day calendar and the time limits."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="reference",
    summary="The working-day calendar (法定节假日与调休) and the time limits (办理时限) deadlines are counted with.",
    api=(Mount("zhiyun.reference.api.calendar:router"), Mount("zhiyun.reference.api.time_limits:router")),
    admin=(
        AdminSection(
            "time-limits",
            "办理时限",
            access.may_administer_calendar,
            "zhiyun.reference.pages:TIME_LIMITS",
            40,
        ),
        AdminSection(
            "calendar", "工作日历", access.may_administer_calendar, "zhiyun.reference.pages:CALENDAR", 50
        ),
    ),
    commands=(
        Command("calendar", "zhiyun.reference.cli:calendar_app"),
        Command("limits", "zhiyun.reference.cli:limits_app"),
    ),
    templates=True,
)
