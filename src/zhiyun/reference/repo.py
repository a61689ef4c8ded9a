"""Reference data in the database: org units, time-limit policies, calendar overrides, settings.

Reference data changes rarely and is read on every use case, so each change bumps a
revision stamp (`setting.revision`) that lets the services cache what they built from it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.domain.deadlines import LimitUnit, TimeLimit
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.workorder import OrderType, Urgency, WorkflowPolicy
from zhiyun.store.base import table_of
from zhiyun.store.tables import (
    CalendarOverrideRow,
    CalendarYearRow,
    OrgUnitRow,
    SettingRow,
    TimeLimitPolicyRow,
)

REVISION_KEY = "revision"
WORKFLOW_POLICY_KEY = "workflow_policy"

# Guangdong 12345 defaults: consult 2 working days, help and suggestion 10, complaint and
# report 15; sign for within 1 working day; urgent: sign within 1 hour, reply within 24 hours.
DEFAULT_TIME_LIMITS: dict[tuple[OrderType, Urgency], tuple[TimeLimit, TimeLimit]] = {}
for _type, _days in (
    (OrderType.CONSULT, 2),
    (OrderType.HELP, 10),
    (OrderType.SUGGESTION, 10),
    (OrderType.COMPLAINT, 15),
    (OrderType.REPORT, 15),
    (OrderType.PRAISE, 5),
):
    DEFAULT_TIME_LIMITS[(_type, Urgency.NORMAL)] = (
        TimeLimit(1, LimitUnit.WORKDAYS),
        TimeLimit(_days, LimitUnit.WORKDAYS),
    )
    DEFAULT_TIME_LIMITS[(_type, Urgency.URGENT)] = (
        TimeLimit(1, LimitUnit.HOURS),
        TimeLimit(24, LimitUnit.HOURS),
    )


_REVISION = select(table_of(SettingRow).c.value).where(table_of(SettingRow).c.key == REVISION_KEY)


def revision(session: Session) -> dict[str, int]:
    """The revision stamp of the reference data (read on every use case: one light query)."""
    value = session.execute(_REVISION).scalar_one_or_none()
    return dict(value) if value else {}


def bump_revision(session: Session, *keys: str) -> None:
    """Mark reference data as changed so that caches rebuild."""
    row = session.get(SettingRow, REVISION_KEY)
    value = dict(row.value) if row else {}
    for key in keys:
        value[key] = int(value.get(key, 0)) + 1
    if row is None:
        session.add(SettingRow(key=REVISION_KEY, value=value))
    else:
        row.value = value


def get_setting(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(SettingRow, key)
    return dict(row.value) if row else None


def put_setting(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value))
    else:
        row.value = value
    bump_revision(session, "settings")


# --------------------------------------------------------------------------- org


def unit_of(row: OrgUnitRow) -> Unit:
    return Unit(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=UnitKind(row.kind),
        parent_id=row.parent_id,
        aliases=tuple(row.aliases or ()),
    )


def load_org(session: Session) -> OrgTree:
    rows = session.scalars(select(OrgUnitRow).where(OrgUnitRow.active.is_(True)))
    return OrgTree.of(unit_of(r) for r in rows)


# --------------------------------------------------------------------------- policies


def load_time_limits(session: Session) -> dict[tuple[OrderType, Urgency], tuple[TimeLimit, TimeLimit]]:
    """The site's time limits: stored policies over the defaults."""
    limits = dict(DEFAULT_TIME_LIMITS)
    for row in session.scalars(select(TimeLimitPolicyRow)):
        limits[(OrderType(row.order_type), Urgency(row.urgency))] = (
            TimeLimit(row.sign_amount, LimitUnit(row.sign_unit)),
            TimeLimit(row.reply_amount, LimitUnit(row.reply_unit)),
        )
    return limits


def save_time_limit(
    session: Session,
    order_type: OrderType,
    urgency: Urgency,
    sign: TimeLimit,
    reply: TimeLimit,
    by: str,
) -> None:
    row = session.scalars(
        select(TimeLimitPolicyRow).where(
            TimeLimitPolicyRow.order_type == order_type.value, TimeLimitPolicyRow.urgency == urgency.value
        )
    ).one_or_none()
    if row is None:
        row = TimeLimitPolicyRow(order_type=order_type.value, urgency=urgency.value)
        session.add(row)
    row.sign_amount, row.sign_unit = sign.amount, sign.unit.value
    row.reply_amount, row.reply_unit = reply.amount, reply.unit.value
    row.updated_by = by
    bump_revision(session, "policy")


def load_workflow_policy(session: Session) -> WorkflowPolicy:
    value = get_setting(session, WORKFLOW_POLICY_KEY) or {}
    defaults = WorkflowPolicy()
    return WorkflowPolicy(
        max_extensions=int(value.get("max_extensions", defaults.max_extensions)),
        max_reopens=int(value.get("max_reopens", defaults.max_reopens)),
        max_callback_attempts=int(value.get("max_callback_attempts", defaults.max_callback_attempts)),
    )


# --------------------------------------------------------------------------- calendar


def load_overrides(session: Session) -> dict[date, bool]:
    return {row.day: row.is_workday for row in session.scalars(select(CalendarOverrideRow))}


def load_override_rows(session: Session) -> list[CalendarOverrideRow]:
    return list(session.scalars(select(CalendarOverrideRow).order_by(CalendarOverrideRow.day)))


def load_confirmed_years(session: Session) -> set[int]:
    return set(session.scalars(select(CalendarYearRow.year)))


def set_override(session: Session, day: date, is_workday: bool | None, note: str, by: str) -> None:
    """Set (or with None remove) an admin's override for one date."""
    row = session.get(CalendarOverrideRow, day)
    if is_workday is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CalendarOverrideRow(day=day, is_workday=is_workday, note=note, updated_by=by))
    else:
        row.is_workday, row.note, row.updated_by = is_workday, note, by
    bump_revision(session, "calendar")


def confirm_year(session: Session, year: int, by: str) -> None:
    if session.get(CalendarYearRow, year) is None:
        session.add(CalendarYearRow(year=year, confirmed_by=by))
    bump_revision(session, "calendar")
