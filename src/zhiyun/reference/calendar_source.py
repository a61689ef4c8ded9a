"""Builds the working-day calendar from the `holidays` package (China) and the admins' overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

import holidays

from zhiyun.domain.calendar import WorkCalendar

# The package's schedule of a year counts as official once it lists make-up workdays or
# substituted days off for it; from this year on (earlier years are not needed).
FIRST_YEAR = 2015
LAST_YEAR = 2040


@lru_cache(maxsize=1)
def _package_calendar() -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
    china = holidays.country_holidays("CN", years=range(FIRST_YEAR, LAST_YEAR + 1))
    holiday_dates = frozenset(china.keys())
    makeup = frozenset(
        d for d in getattr(china, "weekend_workdays", set()) if FIRST_YEAR <= d.year <= LAST_YEAR
    )
    substituted_years = {d.year for d, name in china.items() if "substituted" in str(name).lower()}
    known = frozenset({d.year for d in makeup} | substituted_years)
    return holiday_dates, makeup, known


def package_known_years() -> frozenset[int]:
    """Years whose official schedule the installed holidays package carries."""
    return _package_calendar()[2]


def build_calendar(overrides: Mapping[date, bool], confirmed_years: Iterable[int]) -> WorkCalendar:
    holiday_dates, makeup, known = _package_calendar()
    return WorkCalendar.build(
        holidays=holiday_dates,
        makeup_workdays=makeup,
        overrides=overrides,
        known_years=set(known) | set(confirmed_years),
    )
