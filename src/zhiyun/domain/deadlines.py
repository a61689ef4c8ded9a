"""Time limits (时限) and deadlines.

A time limit is policy: "15 working days" or "24 hours", by order type and urgency.
A deadline is the instant computed from a limit and a start. Limits in working days
run on the calendar's working-time clock and end at 23:59:59 local time of the last
working day; limits in hours run on the wall clock (urgent matters do not wait for
holidays). Each deadline keeps its budget (the whole limit measured on its clock) so
that the warning point (default: the last 20% of the budget) survives suspensions
and extensions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from zhiyun.domain.calendar import WorkCalendar, local_date, local_midnight
from zhiyun.domain.errors import ValidationFailed

DEFAULT_WARNING_SHARE = 0.2


class LimitUnit(StrEnum):
    """The clock a time limit runs on."""

    WORKDAYS = "workdays"
    HOURS = "hours"


class DeadlineState(StrEnum):
    """How a deadline stands at a given instant: green, yellow or red on the console."""

    ON_TIME = "on_time"
    WARNING = "warning"
    OVERDUE = "overdue"
    PAUSED = "paused"
    MET = "met"

    @property
    def label(self) -> str:
        return {
            "on_time": "正常",
            "warning": "即将超时",
            "overdue": "已超时",
            "paused": "已暂停",
            "met": "已完成",
        }[self.value]


@dataclass(frozen=True)
class TimeLimit:
    """An amount of time on one clock: `TimeLimit(15, LimitUnit.WORKDAYS)`."""

    amount: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValidationFailed("时限必须为正数", amount=self.amount)

    def label(self) -> str:
        return f"{self.amount}个工作日" if self.unit is LimitUnit.WORKDAYS else f"{self.amount}小时"


@dataclass(frozen=True)
class Deadline:
    """A computed due instant with its warning point, clock and budget."""

    due_at: datetime
    warn_at: datetime
    unit: LimitUnit
    budget_seconds: float
    provisional: bool = False

    def state(self, now: datetime) -> DeadlineState:
        # Overdue strictly after the due instant: a step taken at it is on time.
        if now > self.due_at:
            return DeadlineState.OVERDUE
        if now >= self.warn_at:
            return DeadlineState.WARNING
        return DeadlineState.ON_TIME


@dataclass(frozen=True)
class DeadlinePlanner:
    """Computes, pauses and extends deadlines on a working-day calendar."""

    calendar: WorkCalendar
    warning_share: float = DEFAULT_WARNING_SHARE

    def _between(self, unit: LimitUnit, start: datetime, end: datetime) -> float:
        if unit is LimitUnit.HOURS:
            return (end - start).total_seconds()
        return self.calendar.working_seconds_between(start, end)

    def _shift(self, unit: LimitUnit, instant: datetime, seconds: float) -> datetime:
        if unit is LimitUnit.HOURS:
            return instant + timedelta(seconds=seconds)
        return self.calendar.shift_working_seconds(instant, seconds)

    def _warn_at(self, unit: LimitUnit, due_at: datetime, budget: float) -> datetime:
        return self._shift(unit, due_at, -self.warning_share * budget)

    def plan(self, start: datetime, limit: TimeLimit) -> Deadline:
        """The deadline of `limit` counted from `start`."""
        if limit.unit is LimitUnit.HOURS:
            due = start + timedelta(hours=limit.amount)
            provisional = False
        else:
            last_day = self.calendar.add_workdays(local_date(start), limit.amount)
            due = local_midnight(last_day + timedelta(days=1)) - timedelta(seconds=1)
            provisional = not (self.calendar.knows(local_date(start)) and self.calendar.knows(last_day))
        budget = max(self._between(limit.unit, start, due), 1.0)
        return Deadline(due, self._warn_at(limit.unit, due, budget), limit.unit, budget, provisional)

    def resume(self, deadline: Deadline, paused_at: datetime, resumed_at: datetime) -> Deadline:
        """The deadline after a pause from `paused_at` to `resumed_at`: the clock stood still."""
        remaining = self._between(deadline.unit, paused_at, deadline.due_at)
        if remaining <= 0 or resumed_at <= paused_at:
            return deadline
        due = self._shift(deadline.unit, resumed_at, remaining)
        return replace(
            deadline,
            due_at=due,
            warn_at=self._warn_at(deadline.unit, due, deadline.budget_seconds),
            provisional=deadline.provisional or not self.calendar.knows(local_date(due)),
        )

    def extend(self, deadline: Deadline, new_due_at: datetime) -> Deadline:
        """The deadline moved to `new_due_at` by an approved extension; the budget grows with it."""
        if new_due_at <= deadline.due_at:
            raise ValidationFailed("延期后的期限必须晚于当前期限", due_at=deadline.due_at.isoformat())
        budget = deadline.budget_seconds + self._between(deadline.unit, deadline.due_at, new_due_at)
        return replace(
            deadline,
            due_at=new_due_at,
            warn_at=self._warn_at(deadline.unit, new_due_at, budget),
            budget_seconds=budget,
            provisional=deadline.provisional or not self.calendar.knows(local_date(new_due_at)),
        )
