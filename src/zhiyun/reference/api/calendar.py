"""The working-day calendar: overrides (admins write), confirmed years, working-day arithmetic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from zhiyun.api.deps import ActorDep, CalendarAdmin, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.params import Day
from zhiyun.api.schemas import (
    AddWorkdaysOut,
    CalendarYearsOut,
    OverrideIn,
    OverrideOut,
    OverrideResultOut,
)
from zhiyun.reference.service import OverrideView

router = APIRouter(prefix="/calendar", tags=["calendar 工作日历"], responses={401: ERROR_RESPONSES[401]})


def _override_out(view: OverrideView) -> OverrideOut:
    return OverrideOut(
        date=view.day,
        kind="workday" if view.is_workday else "holiday",
        kind_label="上班" if view.is_workday else "休息",
        note=view.note,
        updated_by=view.updated_by,
    )


@router.get("/overrides", response_model=list[OverrideOut], summary="日历调整")
def list_overrides(actor: ActorDep, services: ServicesDep) -> list[OverrideOut]:
    return [_override_out(v) for v in services.policy.overrides()]


@router.put(
    "/overrides/{day}",
    response_model=OverrideResultOut,
    summary="设置某天上班或休息（管理员）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def set_override(
    day: Annotated[Day, Path(description="YYYY-MM-DD，2000-01-01 至 2100-12-31")],
    body: OverrideIn,
    admin: CalendarAdmin,
    services: ServicesDep,
) -> OverrideResultOut:
    """`workday` or `holiday` overrides the statutory schedule for that day; `default` removes
    the override. Deadlines computed from now on use the new calendar."""
    view = services.policy.set_day(admin, day, body.kind, body.note)
    return OverrideResultOut(date=day, kind=body.kind, override=_override_out(view) if view else None)


@router.get("/years", response_model=CalendarYearsOut, summary="日历已收录的年份")
def known_years(actor: ActorDep, services: ServicesDep) -> CalendarYearsOut:
    return CalendarYearsOut(**services.policy.known_years())


@router.post(
    "/years/{year}/confirm",
    response_model=CalendarYearsOut,
    summary="确认某年的节假日安排已录入（管理员）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def confirm_year(
    year: Annotated[int, Path(ge=2000, le=2100, description="年份，2000 至 2100")],
    admin: CalendarAdmin,
    services: ServicesDep,
) -> CalendarYearsOut:
    services.policy.confirm_year(admin, year)
    return CalendarYearsOut(**services.policy.known_years())


@router.get(
    "/add-workdays",
    response_model=AddWorkdaysOut,
    summary="某日之后第 N 个工作日",
    responses={422: ERROR_RESPONSES[422]},
)
def add_workdays(
    actor: ActorDep,
    services: ServicesDep,
    start: Annotated[Day, Query(alias="date", description="起始日期 YYYY-MM-DD，2000-01-01 至 2100-12-31")],
    n: Annotated[int, Query(ge=-3660, le=3660, description="工作日数（可为负）")],
) -> AddWorkdaysOut:
    """For checking the calendar. A date in a year whose schedule the calendar does not know
    answers 422 calendar_unknown."""
    return AddWorkdaysOut(start=start, n=n, date=services.policy.add_workdays(start, n))
