"""Merged patrols in the database: what the planner reads, the month's tasks it writes, a
worker's day, the visits and their answers.

Nothing here commits: the caller's unit of work does. Writing a month's tasks uses
PostgreSQL's COPY (millions of rows in seconds) and plain batched INSERTs on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.grid_items import GridItem, Period, item_from_json
from zhiyun.domain.managed_objects import object_tags
from zhiyun.domain.patrol_plan import PatrolTask, PlanObject, TaskItem, Visit
from zhiyun.geo.tables import GridRow
from zhiyun.grid.items_tables import GridItemRow, GridItemVersionRow
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_tables import (
    PatrolAnswerRow,
    PatrolItemVisitRow,
    PatrolPhotoRow,
    PatrolTaskRow,
    PatrolVisitRow,
)

BATCH = 5000  # rows per INSERT on SQLite
FETCH = 20_000  # rows per fetch when streaming the objects

_TASK_COLUMNS = (
    "period",
    "object_id",
    "grid_id",
    "worker_id",
    "day",
    "earliest",
    "latest",
    "items",
    "overdue",
    "created_at",
)


# -- what the planner reads --------------------------------------------------------------------


def plan_objects(session: Session) -> Iterator[PlanObject]:
    """Every active object in a grid, as the planner sees it (its tags from its attributes),
    streamed. PostgreSQL reads the two attributes the tags come from itself, through the
    driver's own cursor (two million rows: SQLAlchemy's row objects would cost more than the
    plan); SQLite cannot (its JSON paths do not match the \\u-escaped keys the JSON column
    stores), so there the attributes are parsed here — SQLite holds a demo's tens of thousands."""
    kinds = {k.value: k for k in ObjectKind}
    risks = {r.value: r for r in RiskLevel}
    no_tags: frozenset[str] = frozenset()
    if session.get_bind().dialect.name == "postgresql":
        raw = session.connection().connection.driver_connection
        with raw.cursor(name="plan_objects") as cur:  # type: ignore[union-attr]
            cur.itersize = FETCH
            cur.execute(_PG_PLAN_OBJECTS)
            for oid, kind, risk, grid_id, business, labels in cur:
                tags = object_tags(business, labels) if business or labels else no_tags
                yield PlanObject(oid, kinds[kind], risks.get(risk, RiskLevel.LOW), grid_id, tags)
        return
    o = ManagedObjectRow
    query = (
        select(o.id, o.kind, o.risk, o.grid_id, o.attributes)
        .where(o.active.is_(True), o.grid_id.is_not(None))
        .execution_options(yield_per=FETCH)
    )
    for oid, kind, risk, grid_id, attributes in session.execute(query):
        business, labels = (attributes or {}).get("经营类别"), (attributes or {}).get("标签")
        tags = object_tags(business, labels) if business or labels else no_tags
        yield PlanObject(oid, kinds[kind], risks.get(risk, RiskLevel.LOW), grid_id, tags)


_PG_PLAN_OBJECTS = (
    "SELECT id, kind, risk, grid_id, attributes->>'经营类别', attributes->>'标签' "
    "FROM managed_object WHERE active AND grid_id IS NOT NULL"
)


def item_history(session: Session, period: Period) -> Iterator[Visit]:
    """Per (object, item): the last visit that satisfied it before `period`, and every one
    inside it (what `plan_month` needs; earlier ones change nothing)."""
    v = PatrolItemVisitRow
    before = (
        select(v.object_id, v.item_code, func.max(v.visited_on))
        .where(v.visited_on < period.start)
        .group_by(v.object_id, v.item_code)
        .execution_options(yield_per=FETCH)
    )
    for object_id, code, day in session.execute(before):
        yield Visit(object_id, code, day)
    inside = select(v.object_id, v.item_code, v.visited_on).where(
        v.visited_on >= period.start, v.visited_on < period.end
    )
    for object_id, code, day in session.execute(inside.execution_options(yield_per=FETCH)):
        yield Visit(object_id, code, day)


def grid_villages(session: Session) -> dict[int, int]:
    """Every grid's village."""
    return {gid: village for gid, village in session.execute(select(GridRow.id, GridRow.village_unit_id))}


def grid_codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session.execute(select(GridRow.id, GridRow.code).where(GridRow.id.in_(wanted))).all())


def active_item_versions(session: Session) -> list[tuple[GridItem, int]]:
    """Every active item at its current version, by code."""
    query = (
        select(GridItemVersionRow.definition, GridItemVersionRow.version)
        .join(
            GridItemRow,
            and_(
                GridItemVersionRow.item_id == GridItemRow.id,
                GridItemVersionRow.version == GridItemRow.current_version,
            ),
        )
        .where(GridItemRow.active.is_(True))
        .order_by(GridItemRow.code)
    )
    return [
        (item_from_json(definition, check=False), version) for definition, version in session.execute(query)
    ]


def item_versions(session: Session, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], GridItem]:
    """The items at the given (code, version)s (those that exist)."""
    wanted = set(keys)
    if not wanted:
        return {}
    codes = sorted({code for code, _ in wanted})
    query = (
        select(GridItemRow.code, GridItemVersionRow.version, GridItemVersionRow.definition)
        .join(GridItemVersionRow, GridItemVersionRow.item_id == GridItemRow.id)
        .where(GridItemRow.code.in_(codes))
    )
    found: dict[tuple[str, int], GridItem] = {}
    for code, version, definition in session.execute(query):
        if (code, version) in wanted:
            found[(code, version)] = item_from_json(definition, check=False)
    return found


# -- the month's tasks --------------------------------------------------------------------------


def period_key(period: Period) -> str:
    return period.start.strftime("%Y-%m")


def tasks_in(session: Session, period: Period) -> int:
    key = period_key(period)
    return (
        session.scalar(select(func.count()).select_from(PatrolTaskRow).where(PatrolTaskRow.period == key))
        or 0
    )


def drop_pending_tasks(session: Session, period: Period) -> int:
    """Delete the month's tasks that no visit has touched; returns how many. A task visited, or
    named by a visit that satisfied none of its items, stays."""
    key = period_key(period)
    touched = select(PatrolVisitRow.task_id).where(PatrolVisitRow.task_id.is_not(None))
    result = session.execute(
        delete(PatrolTaskRow).where(
            PatrolTaskRow.period == key,
            PatrolTaskRow.visited_on.is_(None),
            PatrolTaskRow.id.not_in(touched),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _items_json(items: Sequence[TaskItem]) -> list[list[Any]]:
    return [[i.code, i.version] for i in items]


def insert_tasks(session: Session, period: Period, tasks: Iterable[PatrolTask], now: datetime) -> int:
    """Write the plan's tasks; returns how many."""
    key = period_key(period)
    if session.get_bind().dialect.name == "postgresql":  # COPY writes the column's naive UTC itself
        return _copy_tasks(session, key, tasks, now.astimezone(UTC).replace(tzinfo=None))
    stamp = now
    count = 0
    batch: list[dict[str, Any]] = []
    for t in tasks:
        batch.append(
            {
                "period": key,
                "object_id": t.object_id,
                "grid_id": t.grid_id,
                "worker_id": t.worker_id,
                "day": t.day,
                "earliest": t.earliest,
                "latest": t.latest,
                "items": _items_json(t.items),
                "overdue": t.overdue,
                "created_at": stamp,
            }
        )
        if len(batch) >= BATCH:
            session.execute(insert(PatrolTaskRow), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(PatrolTaskRow), batch)
        count += len(batch)
    return count


def _copy_tasks(session: Session, key: str, tasks: Iterable[PatrolTask], stamp: datetime) -> int:
    """COPY the tasks in, as text lines (the plan's tasks share a few item lists and days: each
    is written out once)."""
    raw = session.connection().connection.driver_connection
    count = 0
    created = stamp.isoformat(sep=" ")
    encoded: dict[tuple[TaskItem, ...], str] = {}
    days: dict[date, str] = {}

    def day(d: date) -> str:
        text = days.get(d)
        if text is None:
            text = days[d] = d.isoformat()
        return text

    statement = f"COPY patrol_task ({', '.join(_TASK_COLUMNS)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[union-attr]
        lines: list[str] = []
        for t in tasks:
            items = encoded.get(t.items)
            if items is None:
                items = encoded[t.items] = json.dumps(
                    _items_json(t.items), ensure_ascii=False, separators=(",", ":")
                )
            worker = "\\N" if t.worker_id is None else t.worker_id
            lines.append(
                f"{key}\t{t.object_id}\t{t.grid_id}\t{worker}\t{day(t.day)}\t{day(t.earliest)}\t{day(t.latest)}"
                f"\t{items}\t{'t' if t.overdue else 'f'}\t{created}\n"
            )
            if len(lines) >= BATCH:
                copy.write("".join(lines))
                count += len(lines)
                lines = []
        copy.write("".join(lines))
        count += len(lines)
    return count


# -- a worker's day -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskWithObject:
    task: PatrolTaskRow
    obj: ManagedObjectRow
    grid_code: str


def task_of(t: PatrolTaskRow) -> PatrolTask:
    """A stored task as the domain's."""
    return PatrolTask(
        object_id=t.object_id,
        grid_id=t.grid_id,
        worker_id=t.worker_id,
        day=t.day,
        earliest=t.earliest,
        latest=t.latest,
        items=tuple(TaskItem(str(code), int(version)) for code, version in t.items),
        overdue=t.overdue,
        visited_on=t.visited_on,
    )


def workers_day(session: Session, worker_id: int, day: date, limit: int) -> list[TaskWithObject]:
    """A worker's tasks for `day`: those planned for it or before and not yet visited (the
    most urgent first), then those visited that day."""
    base = (
        select(PatrolTaskRow, ManagedObjectRow, GridRow.code)
        .join(ManagedObjectRow, ManagedObjectRow.id == PatrolTaskRow.object_id)
        .join(GridRow, GridRow.id == PatrolTaskRow.grid_id)
        .where(PatrolTaskRow.worker_id == worker_id)
    )
    pending = base.where(PatrolTaskRow.day <= day, PatrolTaskRow.visited_on.is_(None)).order_by(
        PatrolTaskRow.latest, PatrolTaskRow.day, PatrolTaskRow.id
    )
    done = base.where(PatrolTaskRow.visited_on == day).order_by(PatrolTaskRow.id)
    rows = list(session.execute(pending.limit(limit))) + list(session.execute(done.limit(limit)))
    return [TaskWithObject(t, o, code) for t, o, code in rows]


# -- visits ------------------------------------------------------------------------------------------


def visit_by_submission(session: Session, submission_id: str) -> PatrolVisitRow | None:
    return session.scalar(select(PatrolVisitRow).where(PatrolVisitRow.submission_id == submission_id))


def add_answers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PatrolAnswerRow), list(rows))


def add_item_visits(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PatrolItemVisitRow), list(rows))


def add_photos(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PatrolPhotoRow), list(rows))


__all__ = [
    "TaskWithObject",
    "active_item_versions",
    "add_answers",
    "add_item_visits",
    "add_photos",
    "drop_pending_tasks",
    "grid_codes",
    "grid_villages",
    "insert_tasks",
    "item_history",
    "item_versions",
    "period_key",
    "plan_objects",
    "task_of",
    "tasks_in",
    "visit_by_submission",
    "workers_day",
]
