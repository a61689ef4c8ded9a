"""The working-day calendar (工作日历) and the working-time clock used for deadlines.

A day is a working day unless it is a weekend or a statutory holiday; a make-up
workday (调休) turns a weekend day into a working day; an admin override wins over
both. The calendar "knows" a year when its official schedule is loaded (from the
holidays package or confirmed by an admin); asking strictly about an unknown year
is an error, asking leniently gives the best estimate and says it is provisional.

Working time: the instants that fall on working days (local time, whole days).
Deadlines counted in working days live on this clock, so a suspension that spans
a holiday does not eat into the handler's time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from zhiyun.domain.errors import CalendarUnknown

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DAY_SECONDS = 86_400


def local_date(instant: datetime) -> date:
    """The date in Asia/Shanghai of an aware instant."""
    return instant.astimezone(LOCAL_TZ).date()


def local_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are working days, and arithmetic on working days and working time."""

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    overrides: Mapping[date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    @classmethod
    def build(
        cls,
        holidays: Iterable[date],
        makeup_workdays: Iterable[date],
        overrides: Mapping[date, bool] | None = None,
        known_years: Iterable[int] = (),
    ) -> WorkCalendar:
        return cls(
            holidays=frozenset(holidays),
            makeup_workdays=frozenset(makeup_workdays),
            overrides=dict(overrides or {}),
            known_years=frozenset(known_years),
        )

    # -- days -----------------------------------------------------------------

    def knows(self, day: date) -> bool:
        """True when the official schedule of `day`'s year is loaded."""
        return day.year in self.known_years

    def require_known(self, day: date) -> None:
        if not self.knows(day):
            years = sorted(self.known_years)
            span = f"{years[0]}–{years[-1]}" if years else "无"
            raise CalendarUnknown(
                f"日历尚未收录 {day.year} 年的节假日安排（已收录：{span}），"
                f"请先用 `zhiyun calendar set` 录入调整后执行 `zhiyun calendar confirm {day.year}`",
                date=day.isoformat(),
                known_years=years,
            )

    def is_workday(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: date, count: int, *, strict: bool = False) -> date:
        """The date `count` working days after `start` (before it when negative).

        `add_workdays(d, 0)` is `d`. With `strict`, every date stepped over must lie in
        a known year, else CalendarUnknown.
        """
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        day = start
        if strict:
            self.require_known(day)
        while remaining:
            day += timedelta(days=step)
            if strict:
                self.require_known(day)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in the half-open range (start, end]; negative when end < start."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1 for offset in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(offset))
        )

    # -- working time -----------------------------------------------------------

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of working time from `start` to `end` (negative when end < start)."""
        if end < start:
            return -self.working_seconds_between(end, start)
        total = 0.0
        day = local_date(start)
        last = local_date(end)
        while day <= last:
            if self.is_workday(day):
                lo = max(start, local_midnight(day))
                hi = min(end, local_midnight(day + timedelta(days=1)))
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def shift_working_seconds(self, instant: datetime, seconds: float) -> datetime:
        """The instant `seconds` of working time after `instant` (before it when negative).

        Moving forward from a non-working instant starts at the next working day;
        the result never lies inside a non-working day unless `seconds` is zero.
        """
        if seconds == 0:
            return instant
        if seconds > 0:
            remaining = seconds
            cursor = instant
            while True:
                day = local_date(cursor)
                day_end = local_midnight(day + timedelta(days=1))
                if self.is_workday(day):
                    available = (day_end - cursor).total_seconds()
                    if remaining <= available:
                        return cursor + timedelta(seconds=remaining)
                    remaining -= available
                cursor = day_end
        remaining = -seconds
        cursor = instant
        while True:
            day_start = local_midnight(local_date(cursor))
            if cursor == day_start:
                day_start = local_midnight(local_date(cursor) - timedelta(days=1))
            day = local_date(day_start)
            if self.is_workday(day):
                available = (cursor - day_start).total_seconds()
                if remaining <= available:
                    return cursor - timedelta(seconds=remaining)
                remaining -= available
            cursor = day_start
