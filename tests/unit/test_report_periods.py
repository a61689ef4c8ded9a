"""Report periods (统计报表): whole local days, Monday-to-Sunday weeks and calendar months; the last
complete one before a day; a period read from a date or a month."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.domain.reports import Period, ReportKind, last_complete, parse_period, period_of

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def test_a_week_runs_monday_to_sunday_and_a_month_to_its_last_day() -> None:
    assert period_of(ReportKind.WEEKLY, date(2026, 12, 7)) == Period(date(2026, 12, 7), date(2026, 12, 13))
    assert period_of(ReportKind.MONTHLY, date(2028, 2, 10)) == Period(date(2028, 2, 1), date(2028, 2, 29))
    assert period_of(ReportKind.MONTHLY, date(2026, 12, 31)).after == date(2027, 1, 1)


def test_the_last_complete_period_is_the_one_before_today() -> None:
    monday = date(2026, 12, 7)
    assert last_complete(ReportKind.DAILY, monday) == Period(date(2026, 12, 6), date(2026, 12, 6))
    assert last_complete(ReportKind.WEEKLY, monday) == Period(date(2026, 11, 30), date(2026, 12, 6))
    assert last_complete(ReportKind.MONTHLY, monday) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert last_complete(ReportKind.WEEKLY, date(2026, 12, 9)).last == date(2026, 12, 6)


def test_a_period_is_read_from_any_of_its_dates_or_a_month() -> None:
    assert parse_period(ReportKind.MONTHLY, "2026-10") == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period(ReportKind.WEEKLY, "2026-12-09").first == date(2026, 12, 7)
    with pytest.raises(ValueError):
        parse_period(ReportKind.DAILY, "上周")


@given(day=days, kind=st.sampled_from(list(ReportKind)))
def test_every_day_lies_in_exactly_one_period_of_each_kind_and_the_last_complete_has_ended(
    day: date, kind: ReportKind
) -> None:
    period = period_of(kind, day)
    assert period.first <= day <= period.last
    assert period_of(kind, period.first) == period == period_of(kind, period.last)
    assert period_of(kind, period.after).first == period.after  # the next one starts the day after
    done = last_complete(kind, day)
    assert done.after <= day  # it has ended
    assert period_of(kind, done.after).after > day  # and the one after it has not
