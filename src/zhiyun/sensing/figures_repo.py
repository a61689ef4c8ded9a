"""The queries of sensing's figures and event pages (`figures.py`): SQL aggregates over the
alarm, event, verification and device tables, never a row per alarm loaded.

Every query takes `villages`: the villages whose events the reader sees (None: everything,
including what lies in no village; `domain.sensing_figures.sensing_villages`). Events and
verifications are placed by their own village, alarms by their device's.

A verification is a label of every event of its group (`group_id`: events of one scene from
nearby devices share one check): `labels` joins each answered check to the events of its
group, so that a device whose event joined another's group is judged by that check too, and
counts each check once per scene, algorithm version, device or grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from zhiyun.domain.sensing_alarms import EventStatus, VerificationStatus
from zhiyun.geo.tables import GridRow
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, EvidenceRow, VerificationRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.tables import SceneRow
from zhiyun.store.tables import OrgUnitRow, UserRow, WorkOrderRow

ANSWERS = (
    VerificationStatus.CONFIRMED.value,
    VerificationStatus.FALSE_ALARM.value,
    VerificationStatus.GONE.value,
)
VERIFY = "verify"
NOTICE = "notice"

Villages = frozenset[int] | None
AnySelect = Select[*tuple[Any, ...]]


def _in(column: Any, villages: Villages) -> ColumnElement[bool] | None:
    if villages is None:
        return None
    return column.in_(sorted(villages)) if villages else and_(column.is_(None), column.is_not(None))


def _where(stmt: AnySelect, *conditions: ColumnElement[bool] | None) -> AnySelect:
    wanted = [c for c in conditions if c is not None]
    return stmt.where(*wanted) if wanted else stmt


# --------------------------------------------------------------------------- the funnel


def alarms_by_outcome(
    session: Session, since: datetime, until: datetime, villages: Villages
) -> dict[str, int]:
    """Alarms received in [since, until), per outcome."""
    a = AlarmRow
    stmt = select(a.outcome, func.count()).where(a.received_at >= since, a.received_at < until)
    if villages is not None:
        stmt = stmt.join(DeviceRow, DeviceRow.id == a.device_id)
        stmt = _where(stmt, _in(DeviceRow.village_unit_id, villages))
    return {str(o): int(n) for o, n in session.execute(stmt.group_by(a.outcome))}


@dataclass(frozen=True)
class EventCounts:
    """The events whose first alarm came in the period, and what became of them."""

    events: int = 0
    raised: int = 0
    verified: int = 0  # answered checks (kind verify) on them
    orders: int = 0  # distinct work orders they became or joined
    by_status: tuple[tuple[str, int], ...] = ()


def _cohort(since: datetime, until: datetime, villages: Villages) -> list[ColumnElement[bool] | None]:
    e = EventRow
    return [e.first_alarm_at >= since, e.first_alarm_at < until, _in(e.village_unit_id, villages)]


def event_counts(session: Session, since: datetime, until: datetime, villages: Villages) -> EventCounts:
    e, v = EventRow, VerificationRow
    cohort = _cohort(since, until, villages)
    total, raised, orders = session.execute(
        _where(select(func.count(), func.count(e.raised_at), func.count(distinct(e.order_id))), *cohort)
    ).one()
    verified = session.scalar(
        _where(
            select(func.count(v.id)).join(e, e.id == v.event_id),
            *cohort,
            v.kind == VERIFY,
            v.status.in_(ANSWERS),
        )
    )
    by_status = session.execute(_where(select(e.status, func.count()), *cohort).group_by(e.status)).all()
    return EventCounts(
        int(total or 0),
        int(raised or 0),
        int(verified or 0),
        int(orders or 0),
        tuple(sorted(((str(s), int(n)) for s, n in by_status), key=lambda x: -x[1])),
    )


def events_per_scene(
    session: Session, since: datetime, until: datetime, villages: Villages
) -> dict[str, int]:
    e = EventRow
    stmt = _where(select(e.scene_code, func.count()), *_cohort(since, until, villages)).group_by(e.scene_code)
    return {str(s): int(n) for s, n in session.execute(stmt)}


# --------------------------------------------------------------------------- labels


def _labels(since: datetime, until: datetime, villages: Villages) -> Any:
    """The answered checks (kind verify) of the period, one row per event of each check's group."""
    v = VerificationRow
    ve, e = aliased(EventRow), aliased(EventRow)
    group = func.coalesce(ve.group_id, ve.id)
    stmt = (
        select(
            v.id.label("check_id"),
            v.status.label("status"),
            e.scene_code.label("scene_code"),
            e.algorithm_version.label("algorithm_version"),
            e.device_id.label("device_id"),
            e.grid_id.label("grid_id"),
        )
        .join(ve, ve.id == v.event_id)
        .join(e, or_(e.id == ve.id, e.group_id == group, e.id == ve.group_id))
        .where(
            v.kind == VERIFY,
            v.status.in_(ANSWERS),
            v.answered_at >= since,
            v.answered_at < until,
        )
    )
    return _where(stmt, _in(e.village_unit_id, villages)).subquery("labels")


def labels_by(
    session: Session, dimensions: Sequence[str], since: datetime, until: datetime, villages: Villages
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Answered checks per value of `dimensions` (of scene_code, algorithm_version, device_id,
    grid_id) and answer, each check counted once per value."""
    labels = _labels(since, until, villages)
    columns = [labels.c[d] for d in dimensions]
    stmt = select(*columns, labels.c.status, func.count(distinct(labels.c.check_id))).group_by(
        *columns, labels.c.status
    )
    result: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in session.execute(stmt):
        *key, status, n = tuple(row)
        result.setdefault(tuple(key), {})[str(status)] = int(n)
    return result


# --------------------------------------------------------------------------- times


def order_times(
    session: Session, since: datetime, until: datetime, villages: Villages
) -> list[tuple[datetime, datetime]]:
    """Per work order made from events in the period (by `ordered_at`): its events' first
    alarm and the time it was ordered."""
    e = EventRow
    stmt = _where(
        select(e.order_id, func.min(e.first_alarm_at), func.min(e.ordered_at)),
        e.order_id.is_not(None),
        e.ordered_at >= since,
        e.ordered_at < until,
        _in(e.village_unit_id, villages),
    ).group_by(e.order_id)
    return [(first, ordered) for _, first, ordered in session.execute(stmt) if first and ordered]


@dataclass(frozen=True)
class CheckCounts:
    """Verification tasks (kind verify) made in the period, and those overdue now."""

    made: int = 0
    answered: int = 0
    on_time: int = 0
    escalated: int = 0
    pending: int = 0
    overdue_now: int = 0  # pending past their due time now, whenever made
    notices: int = 0  # severe events' notices made in the period


def check_counts(
    session: Session, since: datetime, until: datetime, now: datetime, villages: Villages
) -> CheckCounts:
    v = VerificationRow
    scope = _in(v.village_unit_id, villages)
    made, answered, on_time, escalated, pending = session.execute(
        _where(
            select(
                func.count(),
                func.count(v.answered_at),
                func.coalesce(func.sum(case((v.answered_at <= v.due_at, 1), else_=0)), 0),
                func.count(v.escalated_at),
                func.coalesce(func.sum(case((v.status == VerificationStatus.PENDING.value, 1), else_=0)), 0),
            ),
            v.kind == VERIFY,
            v.created_at >= since,
            v.created_at < until,
            scope,
        )
    ).one()
    overdue = session.scalar(
        _where(
            select(func.count()),
            v.kind == VERIFY,
            v.status == VerificationStatus.PENDING.value,
            v.due_at < now,
            scope,
        )
    )
    notices = session.scalar(
        _where(select(func.count()), v.kind == NOTICE, v.created_at >= since, v.created_at < until, scope)
    )
    return CheckCounts(
        int(made or 0),
        int(answered or 0),
        int(on_time or 0),
        int(escalated or 0),
        int(pending or 0),
        int(overdue or 0),
        int(notices or 0),
    )


def orders_per_month(
    session: Session, months: Sequence[tuple[str, datetime, datetime]], villages: Villages
) -> dict[str, int]:
    """Distinct work orders made from events in each month ([start, end) in UTC), in one query."""
    if not months:
        return {}
    e = EventRow
    columns = [
        func.count(distinct(case((and_(e.ordered_at >= start, e.ordered_at < end), e.order_id)))).label(
            f"m{i}"
        )
        for i, (_, start, end) in enumerate(months)
    ]
    row = session.execute(
        _where(
            select(*columns),
            e.order_id.is_not(None),
            e.ordered_at >= months[0][1],
            e.ordered_at < months[-1][2],
            _in(e.village_unit_id, villages),
        )
    ).one()
    return {label: int(n or 0) for (label, _, _), n in zip(months, row, strict=True)}


# --------------------------------------------------------------------------- devices, names


@dataclass(frozen=True)
class DeviceFacts:
    id: int
    code: str
    name: str
    vendor: str
    status: str
    village_unit_id: int | None
    grid_id: int | None
    heartbeat_s: int | None
    last_seen_at: datetime | None
    fault_order_id: int | None


def _device(row: DeviceRow) -> DeviceFacts:
    return DeviceFacts(
        row.id,
        row.code,
        row.name,
        row.vendor,
        row.status,
        row.village_unit_id,
        row.grid_id,
        row.heartbeat_s,
        row.last_seen_at,
        row.fault_order_id,
    )


def devices(session: Session, ids: Sequence[int]) -> dict[int, DeviceFacts]:
    wanted = sorted({i for i in ids if i is not None})
    result: dict[int, DeviceFacts] = {}
    for i in range(0, len(wanted), 500):
        for row in session.scalars(select(DeviceRow).where(DeviceRow.id.in_(wanted[i : i + 500]))):
            result[row.id] = _device(row)
    return result


def device_by_code(session: Session, code: str) -> DeviceFacts | None:
    row = session.scalar(select(DeviceRow).where(DeviceRow.code == code))
    return None if row is None else _device(row)


def heartbeat_devices(session: Session, villages: Villages) -> list[DeviceFacts]:
    """The active devices that send heartbeats, in view."""
    d = DeviceRow
    stmt = _where(
        select(d), d.status == "active", d.heartbeat_s.is_not(None), _in(d.village_unit_id, villages)
    )
    return [_device(r) for r in session.scalars(stmt)]


def scene_names(session: Session) -> dict[str, str]:
    return {str(c): str(n) for c, n in session.execute(select(SceneRow.code, SceneRow.name))}


def grids(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, int]]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(GridRow.id, GridRow.code, GridRow.name, GridRow.village_unit_id).where(GridRow.id.in_(wanted))
    )
    return {int(g): (str(c), str(n), int(v)) for g, c, n, v in rows}


def unit_names(session: Session) -> dict[int, str]:
    return {int(i): str(n) for i, n in session.execute(select(OrgUnitRow.id, OrgUnitRow.name))}


def order_numbers(session: Session, ids: Sequence[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(WorkOrderRow.id, WorkOrderRow.number).where(WorkOrderRow.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows}


def user_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows}


# --------------------------------------------------------------------------- the event pages


@dataclass(frozen=True)
class EventFilter:
    status: str | None = None
    scene_code: str | None = None
    device_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _event_conditions(flt: EventFilter, villages: Villages) -> list[ColumnElement[bool] | None]:
    e = EventRow
    return [
        None if flt.status is None else e.status == flt.status,
        None if flt.scene_code is None else e.scene_code == flt.scene_code,
        None if flt.device_id is None else e.device_id == flt.device_id,
        None if flt.since is None else e.last_seen >= flt.since,
        None if flt.until is None else e.first_seen < flt.until,
        _in(e.village_unit_id, villages),
    ]


def event_page(
    session: Session, flt: EventFilter, villages: Villages, offset: int, limit: int
) -> tuple[int, list[EventRow]]:
    """The events that match, newest last seen first: how many, and `limit` from `offset`."""
    e = EventRow
    conditions = _event_conditions(flt, villages)
    total = session.scalar(_where(select(func.count()).select_from(e), *conditions)) or 0
    rows = session.scalars(
        _where(select(e), *conditions).order_by(e.last_seen.desc(), e.id.desc()).offset(offset).limit(limit)
    ).all()
    return int(total), list(rows)


def event(session: Session, event_id: int) -> EventRow | None:
    return session.get(EventRow, event_id)


def event_alarms(session: Session, event_id: int, limit: int) -> tuple[int, list[AlarmRow]]:
    a = AlarmRow
    total = session.scalar(select(func.count()).where(a.event_id == event_id)) or 0
    rows = session.scalars(
        select(a).where(a.event_id == event_id).order_by(a.at.desc(), a.id.desc()).limit(limit)
    )
    return int(total), list(rows)


def best_evidence(session: Session, event_row: EventRow) -> int | None:
    """The evidence the event shows: its best alarm's first image, else any of its alarms'."""
    ev = EvidenceRow
    if event_row.best_alarm_id is not None:
        found = session.scalar(
            select(ev.id).where(ev.alarm_id == event_row.best_alarm_id).order_by(ev.id).limit(1)
        )
        if found is not None:
            return int(found)
    found = session.scalar(
        select(ev.id)
        .join(AlarmRow, AlarmRow.id == ev.alarm_id)
        .where(AlarmRow.event_id == event_row.id)
        .order_by(AlarmRow.score.desc(), ev.id)
        .limit(1)
    )
    return None if found is None else int(found)


def verification_of(session: Session, event_row: EventRow) -> VerificationRow | None:
    """The check of the event, or of its group."""
    v = VerificationRow
    own = session.scalar(select(v).where(v.event_id == event_row.id))
    if own is not None:
        return own
    group = event_row.group_id
    if group is None:
        return None
    e = EventRow
    return session.scalar(
        select(v)
        .join(e, e.id == v.event_id)
        .where(or_(e.id == group, e.group_id == group))
        .order_by(v.id)
        .limit(1)
    )


def scene_codes_seen(session: Session) -> list[str]:
    return [str(c) for c in session.scalars(select(SceneRow.code).order_by(SceneRow.code))]


EVENT_STATUSES = tuple(s.value for s in EventStatus)

__all__ = [
    "ANSWERS",
    "EVENT_STATUSES",
    "CheckCounts",
    "DeviceFacts",
    "EventCounts",
    "EventFilter",
    "alarms_by_outcome",
    "best_evidence",
    "check_counts",
    "device_by_code",
    "devices",
    "event",
    "event_alarms",
    "event_counts",
    "event_page",
    "events_per_scene",
    "grids",
    "heartbeat_devices",
    "labels_by",
    "order_numbers",
    "order_times",
    "orders_per_month",
    "scene_codes_seen",
    "scene_names",
    "unit_names",
    "user_names",
    "verification_of",
]
