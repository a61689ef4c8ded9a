"""Scheduled reports (统计报表) as pure rules: their kinds, the local-date periods they cover, which
periods are complete and due at an instant, and which units get one.

A report covers whole local days (Asia/Shanghai): a day (日报), a Monday-to-Sunday week (周报) or
a calendar month (月报). It is due once its period has ended; the worker makes the reports of
the last complete period of each kind, and a report once made is kept as it was (its figures
frozen at the time it was made, with the rate definition it counted by).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from zhiyun.domain.org import OrgTree, UnitKind


class ReportKind(StrEnum):
    """How long a report's period is."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {ReportKind.DAILY: "日报", ReportKind.WEEKLY: "周报", ReportKind.MONTHLY: "月报"}


@dataclass(frozen=True, order=True)
class Period:
    """The local dates [first, last] a report covers."""

    first: date
    last: date

    @property
    def after(self) -> date:
        """The day after the period (its end, exclusive)."""
        return self.last + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self, kind: ReportKind) -> str:
        if kind is ReportKind.DAILY:
            return f"{self.first.year} 年 {self.first.month} 月 {self.first.day} 日"
        if kind is ReportKind.WEEKLY:
            return f"{self.first.isoformat()} 至 {self.last.isoformat()}"
        return f"{self.first.year} 年 {self.first.month} 月"


def period_of(kind: ReportKind, day: date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind is ReportKind.DAILY:
        return Period(day, day)
    if kind is ReportKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def last_complete(kind: ReportKind, today: date) -> Period:
    """The latest period of `kind` that has ended before `today` (local)."""
    return period_of(kind, today - timedelta(days=1)) if kind is ReportKind.DAILY else _before(kind, today)


def _before(kind: ReportKind, today: date) -> Period:
    current = period_of(kind, today)
    return period_of(kind, current.first - timedelta(days=1))


def parse_period(kind: ReportKind, text: str) -> Period:
    """A period from the date it starts or any date in it (YYYY-MM-DD), or YYYY-MM for a month.
    ValueError when it is not a date."""
    value = text.strip()
    if kind is ReportKind.MONTHLY and len(value) == 7:
        value += "-01"
    return period_of(kind, date.fromisoformat(value))


REPORTED_KINDS = frozenset({UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.DEPARTMENT})


def reported_units(org: OrgTree) -> list[int]:
    """The units the worker makes reports for: the district, its towns and its departments
    (a village's figures are in its town's report, unit by unit)."""
    return sorted(u.id for u in org.units.values() if u.kind in REPORTED_KINDS)


__all__ = [
    "KIND_LABELS",
    "Period",
    "ReportKind",
    "last_complete",
    "parse_period",
    "period_of",
    "reported_units",
]
