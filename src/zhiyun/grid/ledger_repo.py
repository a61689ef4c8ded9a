"""Electronic ledgers and patrol figures in the database: the answers of a period in a scope,
the objects and workers they name, a month's tasks, the hazards found — and whether each
hazard was fixed (`hazard_fixes`, the one place that knows).

Nothing here commits. Every read takes the grids the reader may see (`grid_ids`; None: every
grid) and keeps to the visits made in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.grid import GRID_READERS_EVERYWHERE, GridPlace, visible_grid_ids
from zhiyun.domain.grid_hazards import HazardStatus
from zhiyun.domain.grid_items import Period
from zhiyun.domain.org import OrgTree
from zhiyun.domain.patrol_ledger import HazardFix, TaskTally, hazard_fix
from zhiyun.domain.patrol_plan import PatrolTask, TaskItem
from zhiyun.geo.tables import GridRow
from zhiyun.grid import repo as posts_repo
from zhiyun.grid.hazard_tables import GridHazardRow
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_repo import task_of
from zhiyun.grid.patrol_tables import PatrolAnswerRow, PatrolTaskRow, PatrolVisitRow
from zhiyun.reference import repo as ref
from zhiyun.store.tables import UserRow

AnySelect = Select[*tuple[Any, ...]]
CHUNK = 5000  # ids per IN (…)
MAX_CHAIN = 10  # superseded hazards followed at most this far
FETCH = 20_000


@dataclass(frozen=True)
class LedgerFilter:
    """Which answers a ledger reads: the scope (one of village, grid, item, object) and the
    grids the reader may see (None: every grid)."""

    grid_ids: frozenset[int] | None
    village_id: int | None = None
    grid_id: int | None = None
    item_code: str | None = None
    object_id: int | None = None

    @property
    def nothing(self) -> bool:
        return self.grid_ids is not None and not self.grid_ids


@dataclass(frozen=True)
class AnswerLine:
    """A stored answer with its visit's worker and place."""

    id: int
    visit_id: int
    object_id: int
    visited_on: date
    item_code: str
    item_version: int
    question_id: str
    text: str
    photos: int
    hazard_level: str | None
    worker_id: int
    grid_id: int | None
    submission_id: str = ""


@dataclass(frozen=True)
class HazardRef:
    """A hazard answer, as the hazard's life after the visit knows it: the answer's id, and its
    visit (and the phone's submission id), object, item and question."""

    answer_id: int
    visit_id: int
    submission_id: str
    object_id: int | None
    item_code: str
    question_id: str
    visited_on: date

    @property
    def report_key(self) -> str:
        """The key the visit reports the hazard under (part 7: `"{submission}:{item}:{question}"`,
        the hazard's `report_key`)."""
        return f"{self.submission_id}:{self.item_code}:{self.question_id}"


@dataclass(frozen=True)
class FoundHazardRow:
    """A hazard found in a period, with where and by whom (the figures' rows)."""

    ref: HazardRef
    grid_id: int | None
    worker_id: int


@dataclass(frozen=True)
class GridInfo:
    id: int
    code: str
    name: str
    village_unit_id: int


@dataclass(frozen=True)
class Sight:
    """What a reader sees of the grids: the org tree, every grid, and the ids of those in view
    (`visible`, None: every grid — the district-wide readers)."""

    org: OrgTree
    grids: dict[int, GridInfo]
    visible: frozenset[int] | None

    def sees(self, grid_id: int | None) -> bool:
        return self.visible is None or (grid_id is not None and grid_id in self.visible)

    def in_view(self) -> list[GridInfo]:
        return [g for g in self.grids.values() if self.sees(g.id)]


def sight(session: Session, actor: Actor) -> Sight:
    """The grids `actor` may see (`domain.grid.visible_grid_ids`: a grid worker the grids of
    their posts, a chief the whole village, other staff the villages of their unit's subtree)."""
    org = ref.load_org(session)
    query = select(GridRow.id, GridRow.code, GridRow.name, GridRow.village_unit_id)
    grids = {g: GridInfo(g, code, name, village) for g, code, name, village in session.execute(query)}
    posts = []
    if actor.role is Role.GRID_WORKER and actor.user_id is not None:
        posts = [p.post() for p in posts_repo.posts_of_user(session, actor.user_id)]
    places = [GridPlace(g.id, g.village_unit_id) for g in grids.values()]
    ids = visible_grid_ids(actor, places, org, posts)
    return Sight(org, grids, None if actor.role in GRID_READERS_EVERYWHERE else ids)


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), CHUNK):
        yield wanted[i : i + CHUNK]


def _scoped(stmt: AnySelect, flt: LedgerFilter, start: date, end: date) -> AnySelect:
    a, v = PatrolAnswerRow, PatrolVisitRow
    stmt = stmt.where(a.visited_on >= start, a.visited_on <= end, a.object_id.is_not(None))
    if flt.village_id is not None:
        stmt = stmt.where(v.village_unit_id == flt.village_id)
    if flt.grid_id is not None:
        stmt = stmt.where(v.grid_id == flt.grid_id)
    if flt.item_code is not None:
        stmt = stmt.where(a.item_code == flt.item_code)
    if flt.object_id is not None:
        stmt = stmt.where(a.object_id == flt.object_id)
    if flt.grid_ids is not None:
        stmt = stmt.where(v.grid_id.in_(sorted(flt.grid_ids)))
    return stmt


def count_answers(session: Session, flt: LedgerFilter, start: date, end: date) -> int:
    """How many answers the ledger would hold."""
    if flt.nothing:
        return 0
    a, v = PatrolAnswerRow, PatrolVisitRow
    stmt = select(func.count()).select_from(a).join(v, v.id == a.visit_id)
    return int(session.scalar(_scoped(stmt, flt, start, end)) or 0)


def answers(session: Session, flt: LedgerFilter, start: date, end: date) -> list[AnswerLine]:
    """The answers of the ledger, by object, item, day and visit."""
    if flt.nothing:
        return []
    a, v = PatrolAnswerRow, PatrolVisitRow
    stmt = (
        select(
            a.id,
            a.visit_id,
            a.object_id,
            a.visited_on,
            a.item_code,
            a.item_version,
            a.question_id,
            a.text,
            a.photos,
            a.hazard_level,
            v.worker_id,
            v.grid_id,
            v.submission_id,
        )
        .join(v, v.id == a.visit_id)
        .order_by(a.object_id, a.item_code, a.visited_on, a.visit_id, a.id)
    )
    rows = session.execute(_scoped(stmt, flt, start, end).execution_options(yield_per=FETCH))
    return [
        AnswerLine(
            i, vid, oid, day, code, version, qid, text or "", len(photos or ()), level, worker, grid, sid
        )
        for i, vid, oid, day, code, version, qid, text, photos, level, worker, grid, sid in rows
    ]


@dataclass(frozen=True)
class ObjectFacts:
    id: int
    name: str
    address: str
    kind: str
    grid_id: int | None
    village_unit_id: int | None


def objects(session: Session, ids: Iterable[int]) -> dict[int, ObjectFacts]:
    o = ManagedObjectRow
    found: dict[int, ObjectFacts] = {}
    for chunk in _chunks(ids):
        query = select(o.id, o.name, o.address, o.kind, o.grid_id, o.village_unit_id).where(o.id.in_(chunk))
        for row in session.execute(query):
            found[row[0]] = ObjectFacts(*row)
    return found


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(ids):
        query = select(UserRow.id, UserRow.display_name, UserRow.username).where(UserRow.id.in_(chunk))
        names.update({uid: display or username for uid, display, username in session.execute(query)})
    return names


# --------------------------------------------------------------------------- whether a hazard was fixed


def hazard_fixes(session: Session, hazards: Sequence[HazardRef], today: date) -> dict[int, HazardFix]:
    """Whether each hazard answer was fixed, by answer id (`domain.patrol_ledger.hazard_fix`), from
    the hazard it became (`grid_hazard`, issue 17 part 7: reported under `HazardRef.report_key`);
    a superseded hazard stands where the one that follows it stands; an answer with no hazard
    record is *not yet re-checked* (`HazardFix.UNCHECKED`)."""
    by_key = {h.report_key: h.answer_id for h in hazards}
    h = GridHazardRow
    rows: dict[str, tuple[int, str, date | None]] = {}
    keys = sorted(by_key)
    for i in range(0, len(keys), CHUNK):
        query = select(h.report_key, h.id, h.status, h.rectify_by).where(
            h.report_key.in_(keys[i : i + CHUNK])
        )
        rows.update(
            {key: (hid, status, rectify_by) for key, hid, status, rectify_by in session.execute(query)}
        )
    # a superseded hazard: the state of the last one of its chain (bounded: a chain is short)
    last = {hid: (HazardStatus(status), rectify_by) for hid, status, rectify_by in rows.values()}
    head = {hid: hid for hid in last}
    pending = {hid for hid, (status, _) in last.items() if status is HazardStatus.SUPERSEDED}
    for _ in range(MAX_CHAIN):
        if not pending:
            break
        chain = select(h.follows_id, h.id, h.status, h.rectify_by).where(h.follows_id.in_(sorted(pending)))
        found = list(session.execute(chain))
        nxt: set[int] = set()
        for follows, hid, status, rectify_by in found:
            for start_id, current in list(head.items()):
                if current == follows:
                    head[start_id] = hid
            last[hid] = (HazardStatus(status), rectify_by)
            if HazardStatus(status) is HazardStatus.SUPERSEDED:
                nxt.add(hid)
        pending = nxt
    result: dict[int, HazardFix] = {}
    for key, (hid, _, _) in rows.items():
        status, rectify_by = last[head[hid]]
        result[by_key[key]] = hazard_fix(status, rectify_by, today)
    return result


# --------------------------------------------------------------------------- the figures' reads


@dataclass(frozen=True)
class StoredTask:
    task: PatrolTask
    id: int
    follow_up_of: int | None


def month_tasks(session: Session, period: Period, grid_ids: frozenset[int] | None) -> Iterator[StoredTask]:
    """The month's visit tasks in the grids given (None: every grid), streamed."""
    if grid_ids is not None and not grid_ids:
        return
    t = PatrolTaskRow
    query = select(
        t.id,
        t.object_id,
        t.grid_id,
        t.worker_id,
        t.day,
        t.earliest,
        t.latest,
        t.items,
        t.overdue,
        t.visited_on,
        t.follow_up_of,
    ).where(t.period == period.start.strftime("%Y-%m"))
    if grid_ids is not None:
        query = query.where(t.grid_id.in_(sorted(grid_ids)))
    for row in session.execute(query.order_by(t.id).execution_options(yield_per=FETCH)):
        tid, oid, gid, wid, day, earliest, latest, items, overdue, visited_on, follow_up_of = row
        task = PatrolTask(
            object_id=oid,
            grid_id=gid,
            worker_id=wid,
            day=day,
            earliest=earliest,
            latest=latest,
            items=tuple(TaskItem(str(c), int(v)) for c, v in items or ()),
            overdue=bool(overdue),
            visited_on=visited_on,
        )
        yield StoredTask(task, tid, follow_up_of)


@dataclass(frozen=True)
class GroupCounts:
    """A group's tasks counted in SQL: the tally, the items its tasks cover, its tasks as
    planned (follow-ups not counted) and the lowest grid id among them (a worker's place)."""

    tally: TaskTally
    items: int
    planned: int
    grid_id: int | None


def task_counts(
    session: Session, period: Period, grid_ids: frozenset[int] | None, today: date, *, by: str
) -> dict[int, GroupCounts]:
    """The month's tasks per grid (`by` "grid") or per worker (`by` "worker"; no worker: 0),
    counted as `domain.patrol_ledger.tally` counts them — statuses at `today`, coverage per
    object — in two aggregate steps: per (group, object), then per group."""
    if grid_ids is not None and not grid_ids:
        return {}
    t = PatrolTaskRow
    key = t.grid_id if by == "grid" else func.coalesce(t.worker_id, 0)
    done = t.visited_on.is_not(None)
    late = and_(done, t.visited_on > t.latest)
    missed = and_(t.visited_on.is_(None), t.latest < today)
    settled = or_(done, t.latest < today)

    def count(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    inner = select(
        key.label("k"),
        t.object_id.label("object_id"),
        func.count().label("n"),
        count(and_(done, t.visited_on <= t.latest)).label("on_time"),
        count(late).label("late"),
        count(missed).label("missed"),
        count(settled).label("settled"),
        func.sum(func.json_array_length(t.items)).label("item_count"),
        count(t.follow_up_of.is_(None)).label("planned"),
        func.min(t.grid_id).label("grid_id"),
    ).where(t.period == period.start.strftime("%Y-%m"))
    if grid_ids is not None:
        inner = inner.where(t.grid_id.in_(sorted(grid_ids)))
    per_object = inner.group_by(key, t.object_id).subquery()
    o = per_object.c
    outer = select(
        o.k,
        func.sum(o.n),
        func.sum(o.settled),
        func.sum(o.on_time),
        func.sum(o.late),
        func.sum(o.missed),
        func.sum(case((o.settled > 0, 1), else_=0)),
        func.sum(case((and_(o.settled > 0, o.late + o.missed == 0), 1), else_=0)),
        func.sum(o.item_count),
        func.sum(o.planned),
        func.min(o.grid_id),
    ).group_by(o.k)
    result: dict[int, GroupCounts] = {}
    for k, n, settled_n, on_time, late_n, missed_n, due, due_on_time, items, planned, grid in session.execute(
        outer
    ):
        figures = TaskTally(
            tasks=int(n),
            pending=int(n) - int(settled_n),
            done_on_time=int(on_time),
            done_late=int(late_n),
            missed=int(missed_n),
            objects_due=int(due),
            objects_on_time=int(due_on_time),
        )
        result[int(k)] = GroupCounts(figures, int(items or 0), int(planned), grid)
    return result


def attention_tasks(
    session: Session, period: Period, grid_ids: frozenset[int] | None, today: date, limit: int
) -> tuple[int, list[StoredTask]]:
    """The month's tasks the grid chief and the village center are shown
    (`domain.patrol_ledger.needs_attention`: missed, done late, carried over and pending), the
    earliest deadlines first: how many, and the first `limit`."""
    if grid_ids is not None and not grid_ids:
        return 0, []
    t = PatrolTaskRow
    wanted = or_(
        and_(t.visited_on.is_(None), t.latest < today),
        and_(t.visited_on.is_not(None), t.visited_on > t.latest),
        and_(t.visited_on.is_(None), t.overdue.is_(True)),
    )
    where = [t.period == period.start.strftime("%Y-%m"), wanted]
    if grid_ids is not None:
        where.append(t.grid_id.in_(sorted(grid_ids)))
    total = int(session.scalar(select(func.count()).select_from(t).where(*where)) or 0)
    rows = session.scalars(select(t).where(*where).order_by(t.latest, t.id).limit(limit))
    return total, [StoredTask(task_of(r), r.id, r.follow_up_of) for r in rows]


def hazards_found(
    session: Session, start: date, end: date, grid_ids: frozenset[int] | None
) -> list[FoundHazardRow]:
    """The hazard answers of the visits made from `start` to `end` (inclusive) in the grids given."""
    if grid_ids is not None and not grid_ids:
        return []
    a, v = PatrolAnswerRow, PatrolVisitRow
    query = (
        select(
            a.id,
            a.visit_id,
            v.submission_id,
            a.object_id,
            a.item_code,
            a.question_id,
            a.visited_on,
            v.grid_id,
            v.worker_id,
        )
        .join(v, v.id == a.visit_id)
        .where(a.hazard_level.is_not(None), a.visited_on >= start, a.visited_on <= end)
    )
    if grid_ids is not None:
        query = query.where(v.grid_id.in_(sorted(grid_ids)))
    return [
        FoundHazardRow(HazardRef(i, vid, sid, oid, code, qid, day), gid, wid)
        for i, vid, sid, oid, code, qid, day, gid, wid in session.execute(query.order_by(a.id))
    ]


__all__ = [
    "AnswerLine",
    "FoundHazardRow",
    "GridInfo",
    "GroupCounts",
    "HazardRef",
    "LedgerFilter",
    "ObjectFacts",
    "Sight",
    "StoredTask",
    "answers",
    "attention_tasks",
    "count_answers",
    "hazard_fixes",
    "hazards_found",
    "month_tasks",
    "objects",
    "sight",
    "task_counts",
    "user_names",
]
