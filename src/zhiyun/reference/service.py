"""Admin use cases on the policy data the workflow runs on: calendar overrides and time limits.

Every change takes the acting principal, who must pass `domain.access.may_administer_calendar`;
the audit columns (`updated_by`) record their name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhiyun.domain.access import Actor, may_administer_calendar, require
from zhiyun.domain.calendar import WorkCalendar
from zhiyun.domain.deadlines import LimitUnit, TimeLimit
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import OrderType, Urgency, WorkflowPolicy
from zhiyun.reference import repo as ref
from zhiyun.reference.cache import ReferenceCache
from zhiyun.reference.calendar_source import package_known_years
from zhiyun.store.db import Database


@dataclass(frozen=True)
class OverrideView:
    day: date
    is_workday: bool
    note: str
    updated_by: str | None


@dataclass(frozen=True)
class TimeLimitView:
    order_type: str
    order_type_label: str
    urgency: str
    urgency_label: str
    sign: TimeLimit
    reply: TimeLimit


def parse_day_kind(kind: str) -> bool | None:
    """'workday' → True, 'holiday'/'off' → False, 'default'/'clear' → None (remove the override)."""
    value = kind.strip().lower()
    if value in ("workday", "work", "上班", "工作日"):
        return True
    if value in ("holiday", "off", "rest", "休息", "节假日"):
        return False
    if value in ("default", "clear", "auto"):
        return None
    raise ValidationFailed(f"未知的日期类型 {kind!r}：workday、holiday 或 default", field="kind")


def _name(actor: Actor) -> str:
    """Who changed the policy data, as its `updated_by` column records them."""
    return (actor.name or actor.role.label)[:100]


class PolicyService:
    """Calendar overrides, confirmed years, time limits and the workflow policy."""

    def __init__(self, db: Database, reference: ReferenceCache | None = None) -> None:
        self.db = db
        self.reference = reference or ReferenceCache()

    def calendar(self) -> WorkCalendar:
        with self.db.reading() as session:
            return self.reference.get(session).calendar

    def set_day(self, actor: Actor, day: date, kind: str, note: str = "") -> OverrideView | None:
        require(may_administer_calendar, actor)
        is_workday = parse_day_kind(kind)
        by = _name(actor)
        with self.db.transaction() as session:
            ref.set_override(session, day, is_workday, note, by)
        return None if is_workday is None else OverrideView(day, is_workday, note, by)

    def confirm_year(self, actor: Actor, year: int) -> None:
        require(may_administer_calendar, actor)
        if not 2000 <= year <= 2100:
            raise ValidationFailed("年份须在 2000–2100 之间", field="year")
        with self.db.transaction() as session:
            ref.confirm_year(session, year, _name(actor))

    def overrides(self) -> list[OverrideView]:
        with self.db.reading() as session:
            return [
                OverrideView(r.day, r.is_workday, r.note, r.updated_by)
                for r in ref.load_override_rows(session)
            ]

    def known_years(self) -> dict[str, list[int]]:
        with self.db.reading() as session:
            confirmed = sorted(ref.load_confirmed_years(session))
        return {"package": sorted(package_known_years()), "confirmed": confirmed}

    def add_workdays(self, start: date, count: int) -> date:
        """The date `count` working days after `start`; CalendarUnknown beyond the known years."""
        return self.calendar().add_workdays(start, count, strict=True)

    def time_limits(self) -> list[TimeLimitView]:
        with self.db.reading() as session:
            limits = ref.load_time_limits(session)
        return [
            TimeLimitView(t.value, t.label, u.value, u.label, *limits[(t, u)])
            for t in OrderType
            for u in Urgency
        ]

    def set_time_limit(
        self,
        actor: Actor,
        order_type: str,
        urgency: str,
        sign: tuple[int, str],
        reply: tuple[int, str],
    ) -> TimeLimitView:
        require(may_administer_calendar, actor)
        try:
            kind, level = OrderType(order_type), Urgency(urgency)
            sign_limit = TimeLimit(int(sign[0]), LimitUnit(sign[1]))
            reply_limit = TimeLimit(int(reply[0]), LimitUnit(reply[1]))
        except ValueError as exc:
            raise ValidationFailed(f"时限参数无效：{exc}") from exc
        with self.db.transaction() as session:
            ref.save_time_limit(session, kind, level, sign_limit, reply_limit, _name(actor))
        return TimeLimitView(kind.value, kind.label, level.value, level.label, sign_limit, reply_limit)

    def workflow_policy(self) -> WorkflowPolicy:
        with self.db.reading() as session:
            return ref.load_workflow_policy(session)

    def set_workflow_policy(self, actor: Actor, policy: WorkflowPolicy) -> None:
        require(may_administer_calendar, actor)
        if policy.max_extensions < 0 or policy.max_reopens < 0 or policy.max_callback_attempts < 1:
            raise ValidationFailed("流程参数无效")
        with self.db.transaction() as session:
            ref.put_setting(session, ref.WORKFLOW_POLICY_KEY, dict(policy.__dict__))
