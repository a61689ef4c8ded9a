"""The outlook's queries and writes (nothing commits): the daily counts of the orders per category
and town, the names they are shown with, and the warnings with their steps."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session

from zhiyun.catalog.tables import CategoryRow
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.channels import PROACTIVE
from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.domain.principals import Actor
from zhiyun.hotspots.tables import HotIssueMemberRow, HotIssueRow
from zhiyun.outlook.tables import OutlookWarningRow, OutlookWarningStepRow
from zhiyun.store.base import table_of
from zhiyun.store.lifecycle import AuditedTable, audit_values
from zhiyun.store.tables import NoticeRow, WorkOrderRow

W = WorkOrderRow
PROACTIVE_CHANNEL = PROACTIVE  # the outlook's own orders are never counted (no feedback loop)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def _local_day(dialect: str) -> Any:
    """The local (Asia/Shanghai, a fixed +8 hours) date of `work_order.registered_at`."""
    if dialect == "sqlite":
        return literal_column("date(work_order.registered_at, '+8 hours')")
    return literal_column("CAST(work_order.registered_at + INTERVAL '8 hours' AS DATE)")


def daily_counts(
    session: Session, first: date, last: date
) -> list[tuple[str, int | None, int | None, date, int]]:
    """(category code, town unit id, holding unit id, local day, orders) registered on
    [first, last] for orders with a category, the proactive ones left out. The holding unit
    (`current_unit_id`) is given only for the orders intake could not place in a town, so that
    the caller can take the town above it."""
    dialect = session.get_bind().dialect.name
    day = _local_day(dialect).label("day")
    unit = case((W.town_unit_id.is_(None), W.current_unit_id), else_=None).label("unit")
    stmt = (
        select(W.category_code, W.town_unit_id, unit, day, func.count())
        .where(
            W.registered_at >= _local_midnight(first),
            W.registered_at < _local_midnight(last + timedelta(days=1)),
            W.category_code.is_not(None),
            W.channel != PROACTIVE_CHANNEL,
        )
        .group_by(W.category_code, W.town_unit_id, unit, day)
    )
    rows: list[tuple[str, int | None, int | None, date, int]] = []
    for category, town, holder, local_day, count in session.execute(stmt):
        value = local_day if isinstance(local_day, date) else date.fromisoformat(str(local_day))
        rows.append(
            (
                str(category),
                None if town is None else int(town),
                None if holder is None else int(holder),
                value,
                int(count),
            )
        )
    return rows


def first_order_day(session: Session) -> date | None:
    """The local day of the first order registered (None: no orders)."""
    first: datetime | None = session.scalar(select(func.min(W.registered_at)))
    if first is None:
        return None
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    day: date = first.astimezone(LOCAL_TZ).date()
    return day


def category_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(CategoryRow.code, CategoryRow.name))}


# --------------------------------------------------------------------------- warnings

WARNING_STEPS = AuditedTable(
    table_of(OutlookWarningRow), table_of(OutlookWarningStepRow), audit_key="warning_id"
)


def find_warning(
    session: Session, town_unit_id: int, category_code: str, window: str, period_start: date
) -> OutlookWarningRow | None:
    return session.scalars(
        select(OutlookWarningRow).where(
            OutlookWarningRow.town_unit_id == town_unit_id,
            OutlookWarningRow.category_code == category_code,
            OutlookWarningRow.window == window,
            OutlookWarningRow.period_start == period_start,
            OutlookWarningRow.hot_issue_id == 0,
        )
    ).first()


def find_hot_issue_warning(session: Session, hot_issue_id: int) -> OutlookWarningRow | None:
    """The warning raised on the hot issue `hot_issue_id` (one per hot issue)."""
    return session.scalars(
        select(OutlookWarningRow)
        .where(OutlookWarningRow.hot_issue_id == hot_issue_id, OutlookWarningRow.window == "hot")
        .order_by(OutlookWarningRow.id)
    ).first()


# --------------------------------------------------------------------------- new hot issues


def new_hot_issues(session: Session, since: datetime) -> list[HotIssueRow]:
    """The ranked hot issues still active that were first seen at or after `since`."""
    return list(
        session.scalars(
            select(HotIssueRow)
            .where(
                HotIssueRow.status == "active",
                HotIssueRow.rank.is_not(None),
                HotIssueRow.first_at >= since,
            )
            .order_by(HotIssueRow.rank)
        )
    )


def hot_issue_orders(
    session: Session, issue_ids: Collection[int]
) -> dict[int, list[tuple[datetime, str | None, int | None, int | None]]]:
    """(registered at, category, town, holding unit) of each order of the hot issues `issue_ids`."""
    found: dict[int, list[tuple[datetime, str | None, int | None, int | None]]] = {i: [] for i in issue_ids}
    if not issue_ids:
        return found
    stmt = (
        select(
            HotIssueMemberRow.hot_issue_id,
            W.registered_at,
            W.category_code,
            W.town_unit_id,
            W.current_unit_id,
        )
        .join(W, W.id == HotIssueMemberRow.order_id)
        .where(HotIssueMemberRow.hot_issue_id.in_(sorted(issue_ids)))
    )
    for issue_id, registered_at, category, town, holder in session.execute(stmt):
        found[int(issue_id)].append((registered_at, category, town, holder))
    return found


def add_notice(session: Session, unit_id: int, kind: str, message: str, link: str, at: datetime) -> None:
    """A notice to the unit `unit_id` about no order (a warning), pointing at `link`."""
    session.add(
        NoticeRow(
            order_id=None,
            kind=kind,
            deadline="",
            due_at=at,
            unit_id=unit_id,
            message=message,
            link=link,
            created_at=at,
        )
    )


def add_warning(
    session: Session, row: OutlookWarningRow, record: AuditRecord, actor: Actor, at: datetime
) -> None:
    """Store a new warning and its first step (raised)."""
    session.add(row)
    session.flush()
    session.add(OutlookWarningStepRow(warning_id=row.id, **audit_values(record, actor, at)))
    session.flush()


def write_step(
    session: Session,
    row: OutlookWarningRow,
    changes: dict[str, Any],
    record: AuditRecord,
    actor: Actor,
    at: datetime,
) -> bool:
    """Store one step of the warning `row` as it was read: its changed columns, version + 1 and
    one step row; False, nothing written, when someone changed it first."""
    session.flush()
    step = WARNING_STEPS.step(session, row.id, row.version, changes, audit_values(record, actor, at))
    if step is None:
        return False
    session.expire(row)
    return True


def list_warnings(
    session: Session,
    towns: Collection[int] | None,
    statuses: Iterable[str] | None = None,
    limit: int = 200,
) -> list[OutlookWarningRow]:
    """The warnings of `towns` (None: all), newest first."""
    stmt = select(OutlookWarningRow)
    if towns is not None:
        stmt = stmt.where(OutlookWarningRow.town_unit_id.in_(sorted(towns)))
    if statuses is not None:
        stmt = stmt.where(OutlookWarningRow.status.in_(sorted(statuses)))
    stmt = stmt.order_by(OutlookWarningRow.last_day.desc(), OutlookWarningRow.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def steps_of(session: Session, warning_id: int) -> list[OutlookWarningStepRow]:
    return list(
        session.scalars(
            select(OutlookWarningStepRow)
            .where(OutlookWarningStepRow.warning_id == warning_id)
            .order_by(OutlookWarningStepRow.id)
        )
    )
