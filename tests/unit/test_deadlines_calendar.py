"""Deadline math on the real Chinese working-day calendar (holidays package + admin overrides).

Dates checked against the State Council's 2026 schedule (国办发明电〔2025〕7号), which the
installed holidays package carries:
- New Year: 1 Jan (Thu) – 3 Jan off; Sunday 4 Jan is a working day.
- Spring Festival: 15 Feb (Sun) – 23 Feb (Mon) off; Saturdays 14 Feb and 28 Feb are working days.
- National Day / Mid-Autumn: 1–7 Oct off; Sunday 20 Sep and Saturday 10 Oct are working days.
2027's schedule is not published yet: the calendar does not know 2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.world import PLANNER, TZ, local
from zhiyun.domain.calendar import WorkCalendar, local_date, local_midnight
from zhiyun.domain.deadlines import (
    DEFAULT_WARNING_SHARE,
    Deadline,
    DeadlinePlanner,
    DeadlineState,
    LimitUnit,
    TimeLimit,
)
from zhiyun.domain.errors import CalendarUnknown, ValidationFailed
from zhiyun.reference.calendar_source import build_calendar, package_known_years

CAL = build_calendar({}, [])
DAY = 86_400
TEN_DAYS = TimeLimit(10, LimitUnit.WORKDAYS)


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=TZ)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


# --------------------------------------------------------------------------- the 2026 schedule


def test_the_installed_holidays_package_carries_the_2026_schedule() -> None:
    china = holidays.China(years=2026)
    assert date(2026, 2, 17) in china  # 春节
    assert date(2026, 10, 1) in china  # 国庆节
    assert {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 9, 20),
        date(2026, 10, 10),
    } <= set(china.weekend_workdays)
    assert 2026 in package_known_years()
    assert 2027 not in package_known_years()


def test_spring_festival_2026_is_nine_days_off_between_two_saturday_workdays() -> None:
    assert CAL.is_workday(date(2026, 2, 13))  # Friday
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, make-up workday
    assert not any(CAL.is_workday(d) for d in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert CAL.is_workday(date(2026, 2, 24))
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, make-up workday
    assert not CAL.is_workday(date(2026, 3, 1))  # an ordinary Sunday


def test_national_day_2026_is_seven_days_off_with_two_weekend_workdays() -> None:
    assert CAL.is_workday(date(2026, 9, 20))  # Sunday, make-up workday
    assert not CAL.is_workday(date(2026, 9, 25))  # Mid-Autumn Festival (Friday)
    assert not any(CAL.is_workday(d) for d in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert CAL.is_workday(date(2026, 10, 8))
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, make-up workday
    assert not CAL.is_workday(date(2026, 10, 11))


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        # Spring Festival 2026
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday + 1 → the make-up Saturday
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # … then straight over the nine days off
        (date(2026, 2, 12), 5, date(2026, 2, 26)),
        (date(2026, 2, 16), 1, date(2026, 2, 24)),  # counted from inside the holiday
        (date(2026, 2, 27), 1, date(2026, 2, 28)),  # the second make-up Saturday
        (date(2026, 2, 27), 2, date(2026, 3, 2)),
        (date(2026, 2, 9), 10, date(2026, 2, 28)),
        # National Day 2026
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Friday + 1 → the make-up Sunday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # over Mid-Autumn and the weekend
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # the make-up Saturday
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        # the year boundary
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # New Year off 1–3 Jan, Sunday 4 Jan works
        (date(2025, 12, 31), 2, date(2026, 1, 5)),
        # zero and negative counts
        (date(2026, 2, 15), 0, date(2026, 2, 15)),
        (date(2026, 1, 5), -1, date(2026, 1, 4)),
        (date(2026, 1, 5), -2, date(2025, 12, 31)),
        (date(2026, 2, 24), -1, date(2026, 2, 14)),
        (date(2026, 10, 8), -1, date(2026, 9, 30)),
        (date(2026, 10, 12), -4, date(2026, 9, 30)),
    ],
)
def test_add_workdays_follows_the_official_2026_schedule(start: date, count: int, expected: date) -> None:
    assert CAL.add_workdays(start, count) == expected
    assert CAL.add_workdays(start, count, strict=True) == expected


def test_workdays_between_counts_the_half_open_range() -> None:
    assert CAL.workdays_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert CAL.workdays_between(date(2026, 2, 24), date(2026, 2, 13)) == -2
    assert CAL.workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert CAL.workdays_between(date(2025, 12, 31), date(2026, 1, 5)) == 2


# --------------------------------------------------------------------------- unknown years


def test_strict_arithmetic_refuses_a_year_the_calendar_does_not_know() -> None:
    with pytest.raises(CalendarUnknown) as err:
        CAL.add_workdays(date(2026, 12, 30), 5, strict=True)
    assert err.value.details["date"] == "2027-01-01"
    assert 2026 in err.value.details["known_years"]
    assert "2027" in err.value.message
    assert err.value.http_status == 422
    with pytest.raises(CalendarUnknown):
        CAL.require_known(date(2027, 6, 1))


def test_lenient_arithmetic_answers_for_an_unknown_year() -> None:
    # the package's guess for 2027: New Year's Day (Friday) off
    assert CAL.add_workdays(date(2026, 12, 30), 5) == date(2027, 1, 7)


def test_a_deadline_in_an_unknown_year_is_provisional() -> None:
    deadline = PLANNER.plan(local(2026, 12, 28, 10), TEN_DAYS)
    assert deadline.provisional
    assert local_date(deadline.due_at).year == 2027
    assert not PLANNER.plan(local(2026, 12, 1, 10), TEN_DAYS).provisional


def test_a_confirmed_year_becomes_known() -> None:
    calendar = build_calendar({}, [2027])
    assert calendar.knows(date(2027, 3, 1))
    assert calendar.add_workdays(date(2026, 12, 30), 5, strict=True) == date(2027, 1, 7)
    assert not DeadlinePlanner(calendar).plan(local(2026, 12, 28, 10), TEN_DAYS).provisional


def test_an_empty_calendar_says_it_knows_nothing() -> None:
    calendar = WorkCalendar.build(holidays=[], makeup_workdays=[])
    with pytest.raises(CalendarUnknown) as err:
        calendar.require_known(date(2026, 1, 5))
    assert err.value.details["known_years"] == []


# --------------------------------------------------------------------------- admin overrides


def test_an_override_turns_a_holiday_into_a_workday() -> None:
    calendar = build_calendar({date(2026, 2, 16): True}, [])
    assert calendar.is_workday(date(2026, 2, 16))
    assert calendar.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 16)


def test_an_override_turns_a_workday_into_a_day_off() -> None:
    calendar = build_calendar({date(2026, 3, 2): False, date(2026, 2, 28): False}, [])
    assert not calendar.is_workday(date(2026, 3, 2))
    assert not calendar.is_workday(date(2026, 2, 28))  # even a make-up workday
    assert calendar.add_workdays(date(2026, 2, 27), 1) == date(2026, 3, 3)


def test_overrides_fill_in_an_unpublished_year() -> None:
    # `zhiyun calendar set 2027-02-07 workday`, then `zhiyun calendar confirm 2027`
    calendar = build_calendar({date(2027, 2, 7): True}, [2027])
    assert calendar.is_workday(date(2027, 2, 7))  # a Sunday in the package's Spring Festival guess
    assert calendar.add_workdays(date(2027, 2, 4), 1, strict=True) == date(2027, 2, 7)


def test_overrides_do_not_change_the_default_calendar() -> None:
    build_calendar({date(2026, 2, 16): True}, [2030])
    assert not CAL.is_workday(date(2026, 2, 16))
    assert not CAL.knows(date(2030, 1, 1))


# --------------------------------------------------------------------------- deadlines


def test_a_working_day_limit_ends_at_the_end_of_the_last_working_day() -> None:
    deadline = PLANNER.plan(local(2026, 3, 2), TEN_DAYS)  # Monday 00:00
    assert deadline.due_at == end_of(date(2026, 3, 16))
    assert deadline.unit is LimitUnit.WORKDAYS
    assert deadline.budget_seconds == 11 * DAY - 1  # the whole first day counts too
    assert not deadline.provisional


def test_a_deadline_across_spring_festival_skips_the_days_off() -> None:
    deadline = PLANNER.plan(local(2026, 2, 12, 15), TimeLimit(5, LimitUnit.WORKDAYS))
    assert deadline.due_at == end_of(date(2026, 2, 26))
    # 9 hours of the 12th, then 13, 14, 24, 25, 26 (the 14th is a make-up Saturday)
    assert deadline.budget_seconds == 9 * 3600 + 5 * DAY - 1


def test_a_deadline_across_national_day_counts_the_make_up_saturday() -> None:
    deadline = PLANNER.plan(local(2026, 9, 30, 10), TimeLimit(3, LimitUnit.WORKDAYS))
    assert deadline.due_at == end_of(date(2026, 10, 10))


def test_a_deadline_across_the_year_boundary() -> None:
    deadline = PLANNER.plan(local(2025, 12, 31, 16), TimeLimit(2, LimitUnit.WORKDAYS))
    assert deadline.due_at == end_of(date(2026, 1, 5))
    assert not deadline.provisional


def test_an_order_registered_on_a_holiday_starts_counting_on_the_next_working_day() -> None:
    deadline = PLANNER.plan(local(2026, 10, 3, 11), TimeLimit(2, LimitUnit.WORKDAYS))
    assert deadline.due_at == end_of(date(2026, 10, 9))
    assert deadline.budget_seconds == 2 * DAY - 1


def test_urgent_hour_limits_run_on_the_wall_clock_through_holidays() -> None:
    start = local(2026, 10, 1, 10)  # National Day
    deadline = PLANNER.plan(start, TimeLimit(24, LimitUnit.HOURS))
    assert deadline.due_at == local(2026, 10, 2, 10)
    assert deadline.unit is LimitUnit.HOURS
    assert deadline.budget_seconds == 24 * 3600
    assert deadline.warn_at == local(2026, 10, 2, 5, 12)  # last 20% of 24 h = 4.8 h
    sign = PLANNER.plan(local(2026, 2, 17, 23, 30), TimeLimit(1, LimitUnit.HOURS))
    assert sign.due_at == local(2026, 2, 18, 0, 30)


def test_warning_starts_at_the_last_20_percent_of_the_limit() -> None:
    deadline = PLANNER.plan(local(2026, 3, 2), TEN_DAYS)
    assert DEFAULT_WARNING_SHARE == 0.2
    # 0.2 × (11 days − 1 s) of working time before Mon 16 Mar 23:59:59, over the weekend
    assert deadline.warn_at == local(2026, 3, 12, 19, 11, 59) + timedelta(microseconds=200_000)
    assert CAL.working_seconds_between(deadline.warn_at, deadline.due_at) == pytest.approx(
        0.2 * deadline.budget_seconds
    )
    assert deadline.state(deadline.warn_at - timedelta(microseconds=1)) is DeadlineState.ON_TIME
    assert deadline.state(deadline.warn_at) is DeadlineState.WARNING
    assert deadline.state(deadline.due_at - timedelta(seconds=1)) is DeadlineState.WARNING
    assert deadline.state(deadline.due_at) is DeadlineState.WARNING  # a step at the due instant is on time
    assert deadline.state(deadline.due_at + timedelta(microseconds=1)) is DeadlineState.OVERDUE
    assert deadline.state(local(2026, 3, 2, 12)) is DeadlineState.ON_TIME


def test_warning_share_is_configurable() -> None:
    planner = DeadlinePlanner(CAL, warning_share=0.5)
    deadline = planner.plan(local(2026, 3, 2, 9), TimeLimit(10, LimitUnit.HOURS))
    assert deadline.warn_at == local(2026, 3, 2, 14)


def test_the_warning_point_is_counted_in_working_time_across_a_holiday() -> None:
    # 10 working days from Wed 4 Feb 00:00 end on Wed 25 Feb; 20% of the 11-day budget is
    # 2.2 working days: the 25th, the 24th and 0.2 of the make-up Saturday 14th.
    deadline = PLANNER.plan(local(2026, 2, 4), TEN_DAYS)
    assert deadline.due_at == end_of(date(2026, 2, 25))
    assert deadline.warn_at == local(2026, 2, 14, 19, 11, 59) + timedelta(microseconds=200_000)
    assert deadline.state(local(2026, 2, 14, 12)) is DeadlineState.ON_TIME
    assert deadline.state(local(2026, 2, 18, 12)) is DeadlineState.WARNING


def test_resume_moves_the_deadline_by_the_paused_working_time_across_a_holiday() -> None:
    deadline = PLANNER.plan(local(2026, 2, 9, 9), TEN_DAYS)
    assert deadline.due_at == end_of(date(2026, 2, 28))
    paused, resumed = local(2026, 2, 13, 18), local(2026, 2, 24, 8)
    # paused working time: 6 h of the 13th, the whole make-up Saturday 14th, 8 h of the 24th
    assert CAL.working_seconds_between(paused, resumed) == 38 * 3600

    moved = PLANNER.resume(deadline, paused, resumed)

    assert moved.due_at == local(2026, 3, 3, 13, 59, 59)
    assert CAL.working_seconds_between(deadline.due_at, moved.due_at) == 38 * 3600
    assert moved.budget_seconds == deadline.budget_seconds
    assert CAL.working_seconds_between(moved.warn_at, moved.due_at) == pytest.approx(
        0.2 * moved.budget_seconds
    )


def test_resume_on_a_day_off_counts_from_the_next_working_day() -> None:
    deadline = PLANNER.plan(local(2026, 2, 9, 9), TEN_DAYS)
    moved = PLANNER.resume(deadline, local(2026, 2, 13, 18), local(2026, 2, 20, 10))
    remaining = CAL.working_seconds_between(local(2026, 2, 13, 18), deadline.due_at)
    assert moved.due_at == CAL.shift_working_seconds(local(2026, 2, 24), remaining)
    assert moved.due_at == local(2026, 3, 3, 5, 59, 59)


def test_resume_of_an_hour_limit_adds_the_wall_clock_pause() -> None:
    deadline = PLANNER.plan(local(2026, 10, 1, 10), TimeLimit(24, LimitUnit.HOURS))
    moved = PLANNER.resume(deadline, local(2026, 10, 1, 12), local(2026, 10, 1, 15))
    assert moved.due_at == local(2026, 10, 2, 13)


def test_resume_leaves_an_already_overdue_deadline_alone() -> None:
    deadline = PLANNER.plan(local(2026, 3, 2, 9), TimeLimit(1, LimitUnit.WORKDAYS))
    assert PLANNER.resume(deadline, local(2026, 3, 5, 9), local(2026, 3, 9, 9)) == deadline


def test_extend_moves_the_deadline_and_grows_the_budget() -> None:
    deadline = PLANNER.plan(local(2026, 3, 2), TEN_DAYS)
    later = end_of(date(2026, 3, 20))
    extended = PLANNER.extend(deadline, later)
    assert extended.due_at == later
    assert extended.budget_seconds == deadline.budget_seconds + 4 * DAY
    assert CAL.working_seconds_between(extended.warn_at, later) == pytest.approx(
        0.2 * extended.budget_seconds
    )
    assert not extended.provisional
    with pytest.raises(ValidationFailed):
        PLANNER.extend(deadline, deadline.due_at)
    with pytest.raises(ValidationFailed):
        PLANNER.extend(deadline, deadline.due_at - timedelta(days=1))


def test_extending_into_an_unknown_year_makes_the_deadline_provisional() -> None:
    deadline = PLANNER.plan(local(2026, 12, 1), TEN_DAYS)
    assert PLANNER.extend(deadline, end_of(date(2027, 1, 8))).provisional


def test_time_limits_must_be_positive() -> None:
    with pytest.raises(ValidationFailed):
        TimeLimit(0, LimitUnit.WORKDAYS)
    assert TimeLimit(15, LimitUnit.WORKDAYS).label() == "15个工作日"
    assert TimeLimit(24, LimitUnit.HOURS).label() == "24小时"


def test_deadline_state_compares_instants() -> None:
    due = datetime(2026, 3, 2, 12, tzinfo=UTC)
    deadline = Deadline(due, due - timedelta(hours=2), LimitUnit.HOURS, 36_000)
    assert deadline.state(due - timedelta(hours=3)) is DeadlineState.ON_TIME
    assert deadline.state(due - timedelta(hours=1)) is DeadlineState.WARNING
    assert deadline.state(due + timedelta(days=3)) is DeadlineState.OVERDUE


# --------------------------------------------------------------------------- working time


def test_local_dates_and_midnights_are_in_beijing_time() -> None:
    assert local_date(datetime(2026, 2, 13, 16, 30, tzinfo=UTC)) == date(2026, 2, 14)
    assert local_midnight(date(2026, 2, 14)) == datetime(2026, 2, 13, 16, tzinfo=UTC)


def test_working_seconds_skip_days_off() -> None:
    friday_noon, tuesday_noon = local(2026, 2, 13, 12), local(2026, 2, 24, 12)
    assert CAL.working_seconds_between(friday_noon, tuesday_noon) == (12 + 24 + 12) * 3600
    assert CAL.working_seconds_between(tuesday_noon, friday_noon) == -(12 + 24 + 12) * 3600
    assert CAL.working_seconds_between(local(2026, 2, 17, 9), local(2026, 2, 18, 9)) == 0


def test_shifting_from_a_day_off_starts_on_the_next_working_day() -> None:
    assert CAL.shift_working_seconds(local(2026, 2, 18, 9), 3600) == local(2026, 2, 24, 1)
    assert CAL.shift_working_seconds(local(2026, 2, 18, 9), -3600) == local(2026, 2, 14, 23)
    assert CAL.shift_working_seconds(local(2026, 2, 18, 9), 0) == local(2026, 2, 18, 9)


working_instants = (
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(TZ))
    .map(lambda t: t.replace(microsecond=0))
    .filter(lambda t: CAL.is_workday(t.date()))
)
sixty_days = st.integers(min_value=1, max_value=60 * DAY)


@settings(max_examples=300, deadline=None)
@given(t=working_instants, s=sixty_days)
def test_shift_forward_then_back_round_trips(t: datetime, s: int) -> None:
    assert CAL.shift_working_seconds(CAL.shift_working_seconds(t, s), -s) == t


@settings(max_examples=300, deadline=None)
@given(t=working_instants, s=sixty_days)
def test_shift_back_then_forward_comes_back_to_the_same_working_time(t: datetime, s: int) -> None:
    there_and_back = CAL.shift_working_seconds(CAL.shift_working_seconds(t, -s), s)
    assert there_and_back <= t
    assert CAL.working_seconds_between(there_and_back, t) == 0


def test_a_shift_that_fills_a_working_day_ends_at_its_midnight() -> None:
    """The end of a working day is 24:00, i.e. 00:00 of the next (possibly free) day."""
    monday = local(2026, 3, 2)
    back = CAL.shift_working_seconds(monday, -3600)
    assert back == local(2026, 2, 28, 23)  # the make-up Saturday
    assert CAL.shift_working_seconds(back, 3600) == local(2026, 3, 1)  # its midnight, not Monday's


@settings(max_examples=300, deadline=None)
@given(t=working_instants, s=sixty_days, backwards=st.booleans())
def test_working_time_between_an_instant_and_its_shift_is_the_shift(
    t: datetime, s: int, backwards: bool
) -> None:
    step = -s if backwards else s
    assert CAL.working_seconds_between(t, CAL.shift_working_seconds(t, step)) == step


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(TZ)
    ),
    amount=st.integers(min_value=1, max_value=20),
)
def test_every_working_day_deadline_ends_on_a_working_day_at_235959(start: datetime, amount: int) -> None:
    deadline = PLANNER.plan(start, TimeLimit(amount, LimitUnit.WORKDAYS))
    due_local = deadline.due_at.astimezone(TZ)
    assert (due_local.hour, due_local.minute, due_local.second) == (23, 59, 59)
    assert CAL.is_workday(due_local.date())
    assert CAL.workdays_between(start.astimezone(TZ).date(), due_local.date()) == amount
    assert deadline.warn_at <= deadline.due_at
    assert CAL.working_seconds_between(start, deadline.due_at) == deadline.budget_seconds


@settings(max_examples=200, deadline=None)
@given(
    start=working_instants,
    amount=st.integers(min_value=1, max_value=15),
    pause_after=st.integers(min_value=0, max_value=20 * DAY),
    pause_for=st.integers(min_value=1, max_value=30 * DAY),
)
def test_resume_moves_the_due_instant_by_exactly_the_paused_working_time(
    start: datetime, amount: int, pause_after: int, pause_for: int
) -> None:
    deadline = PLANNER.plan(start, TimeLimit(amount, LimitUnit.WORKDAYS))
    paused = start + timedelta(seconds=pause_after)
    resumed = paused + timedelta(seconds=pause_for)
    moved = PLANNER.resume(deadline, paused, resumed)
    if paused >= deadline.due_at:
        assert moved == deadline
        return
    assert CAL.working_seconds_between(deadline.due_at, moved.due_at) == CAL.working_seconds_between(
        paused, resumed
    )
    assert CAL.working_seconds_between(resumed, moved.due_at) == CAL.working_seconds_between(
        paused, deadline.due_at
    )
    assert moved.warn_at <= moved.due_at
