"""The time windows of the dashboard, in Asia/Shanghai local dates, as UTC instants (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from zhiyun.domain.calendar import LOCAL_TZ

TREND_DAYS = 30
DEFAULT_RATE_DAYS = 30
MAX_RATE_DAYS = 92


def local_midnight(day: date) -> datetime:
    """00:00 of a local date, as a UTC instant."""
    return datetime.combine(day, datetime.min.time(), tzinfo=LOCAL_TZ).astimezone(UTC)


@dataclass(frozen=True)
class Windows:
    """Every window the dashboard counts in, judged at `now`.

    - today: local midnight to now; week: Monday 00:00 to now;
    - last week's same span: Monday 00:00 of last week to now minus 7 days (the rising
      categories compare like with like, not a part week with a whole one);
    - rates: the last `rate_days` local days, today included;
    - trend: the last 30 local days, today included.
    """

    now: datetime
    today: date
    today_start: datetime
    week_start: datetime
    last_week_start: datetime
    last_week_end: datetime
    rate_days: int
    rate_start: datetime
    trend_days: tuple[date, ...]
    trend_start: datetime

    @classmethod
    def at(cls, now: datetime, rate_days: int = DEFAULT_RATE_DAYS) -> Windows:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not 1 <= rate_days <= MAX_RATE_DAYS:
            raise ValueError("rate_days out of range")
        today = now.astimezone(LOCAL_TZ).date()
        monday = today - timedelta(days=today.weekday())
        week_start = local_midnight(monday)
        trend = tuple(today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1))
        return cls(
            now=now,
            today=today,
            today_start=local_midnight(today),
            week_start=week_start,
            last_week_start=local_midnight(monday - timedelta(days=7)),
            last_week_end=now - timedelta(days=7),
            rate_days=rate_days,
            rate_start=local_midnight(today - timedelta(days=rate_days - 1)),
            trend_days=trend,
            trend_start=local_midnight(trend[0]),
        )


def utc_offset_hours(at: datetime) -> int:
    """Whole hours from UTC to local time at `at` (8 for Asia/Shanghai, which has no DST)."""
    offset = at.astimezone(LOCAL_TZ).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 3600)
