"""Patrol figures (巡查统计, issue 17 part 8) use cases: a month to date per village, grid and worker.

`figures(actor, period, village=None)` reads the month's visit tasks and the hazards found in
the grids the reader may see (`domain.grid.visible_grid_ids`) and counts (docs/grid-patrols.md,
"Figures" has each definition):

- tasks pending, done on time, done late, missed (漏巡) — `domain.patrol_plan.task_status` at
  today — and **patrol coverage**, objects visited on time ÷ objects due so far
  (`domain.patrol_plan.coverage`, counted by `domain.patrol_ledger.tally`), per grid, per
  worker, per village and overall;
- the tasks the grid chief and the village center must look at (`needs_attention`: missed, done
  late, or carried over from before the month and still pending);
- hazards found in the month's visits and those fixed (`ledger_repo.hazard_fixes`);
- the tasks saved by merging in the reader's grids (the due (object, item) visits the tasks
  cover, less the tasks), beside the district's saved plan (`PatrolService.plan_recorded`);
- 就地解决率 (the share of grid problems solved in the village): the hazards' capability's
  figure (`GridHazardService.local_resolution_in`), per village and overall.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic as time_monotonic
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, require
from zhiyun.domain.calendar import LOCAL_TZ, local_date
from zhiyun.domain.errors import NotFound, PermissionDenied
from zhiyun.domain.grid import GRID_READERS_EVERYWHERE
from zhiyun.domain.grid_items import Period
from zhiyun.domain.org import UnitKind
from zhiyun.domain.patrol_ledger import (
    HazardFix,
    HazardTally,
    TaskTally,
    hazard_tally,
    may_read_patrol_ledger,
)
from zhiyun.domain.patrol_plan import PatrolTask, task_status
from zhiyun.grid import ledger_repo as repo
from zhiyun.grid.hazards import GridHazardService
from zhiyun.grid.ledger_repo import Sight
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database
from zhiyun.store.tables import SettingRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

KEPT_SECONDS = 300.0  # figures counted for a scope are shown again for this long
KEPT_MAX = 256  # scopes kept at most (the expired are dropped first)
SNAPSHOT_MAX_AGE = timedelta(minutes=20)  # the district's snapshot older than this is counted anew
ATTENTION_SHOWN = 200  # tasks needing attention listed at most (the count is always whole)
UNASSIGNED = 0  # the worker key of tasks no one was assigned


@dataclass(frozen=True)
class LocalResolution:
    """就地解决率: grid problems solved in the village ÷ grid problems settled (the hazards'
    capability defines and counts them)."""

    solved_in_village: int
    settled: int

    @property
    def rate(self) -> float | None:
        return self.solved_in_village / self.settled if self.settled else None


@dataclass(frozen=True)
class GroupFigures:
    """One row of the figures: a village, a grid, a worker, or everything in view."""

    key: str
    name: str
    village_name: str
    tasks: TaskTally
    hazards: HazardTally
    per_item_tasks: int = 0  # the due (object, item) visits the group's tasks cover
    planned_tasks: int = 0  # its tasks as planned (follow-ups of a partial visit not counted)
    local_resolution: LocalResolution | None = None  # the hazards' capability's figure, once wired

    @property
    def coverage(self) -> float | None:
        return self.tasks.coverage

    @property
    def tasks_saved(self) -> int:
        return max(0, self.per_item_tasks - self.planned_tasks)

    def as_json(self) -> dict[str, Any]:
        t = self.tasks
        return {
            "key": self.key,
            "name": self.name,
            "village_name": self.village_name,
            "tasks": t.tasks,
            "pending": t.pending,
            "done_on_time": t.done_on_time,
            "done_late": t.done_late,
            "missed": t.missed,
            "objects_due": t.objects_due,
            "objects_on_time": t.objects_on_time,
            "coverage": None if t.coverage is None else round(t.coverage, 4),
            "hazards_found": self.hazards.found,
            "hazards_fixed": self.hazards.fixed,
            "hazards_open": self.hazards.open,
            "per_item_tasks": self.per_item_tasks,
            "planned_tasks": self.planned_tasks,
            "tasks_saved": self.tasks_saved,
            "local_resolution": (
                None
                if self.local_resolution is None or self.local_resolution.rate is None
                else round(self.local_resolution.rate, 4)
            ),
        }


@dataclass(frozen=True)
class AttentionTask:
    """A task the grid chief and the village center are shown (missed, late, carried over)."""

    task_id: int
    object_id: int
    object_name: str
    grid_code: str
    worker: str
    day: date
    latest: date
    visited_on: date | None
    status: str
    status_label: str
    overdue: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "object_id": self.object_id,
            "object_name": self.object_name,
            "grid_code": self.grid_code,
            "worker": self.worker,
            "day": self.day.isoformat(),
            "latest": self.latest.isoformat(),
            "visited_on": self.visited_on.isoformat() if self.visited_on else None,
            "status": self.status,
            "status_label": self.status_label,
            "carried_over": self.overdue,
        }


@dataclass(frozen=True)
class PatrolFigures:
    """A month's patrol figures to date, as far as the reader may see."""

    month: str
    today: date
    generated_at: datetime
    scope_name: str
    overall: GroupFigures
    villages: tuple[GroupFigures, ...]
    grids: tuple[GroupFigures, ...]
    workers: tuple[GroupFigures, ...]
    attention: tuple[AttentionTask, ...]
    attention_total: int
    plan: dict[str, Any] | None = None  # the district's saved plan of the month
    village_choices: tuple[tuple[str, str], ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """The overall figures only (the dashboard's panel; the district's snapshot keeps these)."""
        return {
            "month": self.month,
            "today": self.today.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "overall": self.overall.as_json(),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "today": self.today.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "scope_name": self.scope_name,
            "overall": self.overall.as_json(),
            "villages": [g.as_json() for g in self.villages],
            "grids": [g.as_json() for g in self.grids],
            "workers": [g.as_json() for g in self.workers],
            "attention": [a.as_json() for a in self.attention],
            "attention_total": self.attention_total,
            "plan": None
            if self.plan is None
            else {
                k: self.plan.get(k)
                for k in ("tasks_made", "per_item_tasks", "tasks_saved", "share_saved", "planned_at")
            },
        }


class PatrolFiguresService:
    """Patrol figures of a month to date, per village, grid and worker."""

    def __init__(
        self, db: Database, patrols: PatrolService, hazards: GridHazardService, *, clock: Clock = system_clock
    ) -> None:
        self.db = db
        self.patrols = patrols
        self.hazards = hazards
        self.clock = clock
        self._kept: dict[tuple[Any, ...], tuple[float, PatrolFigures]] = {}
        self._lock = threading.Lock()

    def kept(self, actor: Actor, period: Period, *, village: str | None = None) -> PatrolFigures:
        """The month's figures in the grids `actor` may see (`figures`), kept for `KEPT_SECONDS`
        per scope (a district-wide reader's are everyone's of that kind): the dashboard's panel
        shows them on every refresh, and a month's tasks of a whole district take seconds to
        count (13 s for the seed's 4.2 M tasks on two cores)."""
        require(may_read_patrol_ledger, actor)
        scope: tuple[Any, ...] = (
            ("everywhere",)
            if actor.role in GRID_READERS_EVERYWHERE
            else (actor.role, actor.unit_id, actor.user_id)
        )
        key = (*scope, period.start, village, local_date(self.clock()))
        now = time_monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] > now:
                return kept[1]
        figures = self.figures(actor, period, village=village)
        with self._lock:
            if len(self._kept) >= KEPT_MAX:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            self._kept[key] = (now + KEPT_SECONDS, figures)
        return figures

    def record_district_snapshot(self, actor: Actor, period: Period) -> dict[str, Any]:
        """Count the district's figures of `period` now and keep their summary for the dashboard
        (`district_snapshot`); the worker does this every few minutes. A district-wide reader
        only (the system's job is one)."""
        require(may_read_patrol_ledger, actor)
        if actor.role not in GRID_READERS_EVERYWHERE:
            raise PermissionDenied("只有全区范围的账号可以统计全区巡查数据")
        summary = self.figures(actor, period).summary()
        with self.db.transaction() as session:
            session.merge(SettingRow(key=_snapshot_key(period), value=summary))
        return summary

    def district_snapshot(
        self, period: Period, max_age: timedelta = SNAPSHOT_MAX_AGE
    ) -> dict[str, Any] | None:
        """The district's figures of `period` as last counted by the worker, if not older than
        `max_age` and counted today; None otherwise. (Only for district-wide readers: it is the
        whole district's.)"""
        with self.db.reading() as session:
            row = session.get(SettingRow, _snapshot_key(period))
            if row is None:
                return None
            value = dict(row.value)
        try:
            generated = datetime.fromisoformat(str(value["generated_at"]))
        except (KeyError, ValueError):
            return None
        now = self.clock()
        if now - generated > max_age or str(value.get("today")) != local_date(now).isoformat():
            return None
        return value

    def figures(self, actor: Actor, period: Period, *, village: str | None = None) -> PatrolFigures:
        """The month's figures in the grids `actor` may see (with `village`: that village's);
        see the module's note. The tasks are counted in the database (per grid and per worker;
        a village's and the overall figures are the sums of their grids')."""
        require(may_read_patrol_ledger, actor)
        now = self.clock()
        today = local_date(now)
        with self.db.reading() as session:
            sight = repo.sight(session, actor)
            grids = {g.id: g for g in sight.in_view()}
            villages = {u.id: u for u in sight.org.units.values() if u.kind is UnitKind.VILLAGE}
            in_view = {g.village_unit_id for g in grids.values()} & set(villages)
            choices = tuple(sorted((villages[v].code, villages[v].name) for v in in_view))
            scope_name = (
                "全区"
                if sight.visible is None
                else "、".join(n for _, n in choices[:3]) + ("等" if len(choices) > 3 else "")
            )
            if village:
                chosen = [u for u in villages.values() if village in (u.code, str(u.id), u.name)]
                if len(chosen) != 1:
                    raise NotFound(f"村居「{village[:40]}」不存在", field="village")
                grids = {g: v for g, v in grids.items() if v.village_unit_id == chosen[0].id}
                scope_name = chosen[0].name
            scope = frozenset(grids) if sight.visible is not None or village else None
            per_grid = repo.task_counts(session, period, scope, today, by="grid")
            per_worker = repo.task_counts(session, period, scope, today, by="worker")
            total, attention_rows = repo.attention_tasks(session, period, scope, today, ATTENTION_SHOWN)
            last = min(period.end - timedelta(days=1), max(today, period.start))
            found = repo.hazards_found(session, period.start, last, scope)
            fixes = repo.hazard_fixes(session, [h.ref for h in found], today)
            objects = repo.objects(session, {s.task.object_id for s in attention_rows})
            workers = repo.user_names(
                session,
                {w for w in per_worker if w != UNASSIGNED}
                | {h.worker_id for h in found}
                | {s.task.worker_id for s in attention_rows if s.task.worker_id},
            )
            resolution = self._local_resolution(session, period, sight, scope)  # 就地解决率

        def village_of(grid_id: int | None) -> int | None:
            g = sight.grids.get(grid_id) if grid_id is not None else None
            return g.village_unit_id if g is not None else None

        def vname(vid: int | None) -> str:
            return villages[vid].name if vid is not None and vid in villages else ""

        fix_of = [(h, fixes.get(h.ref.answer_id, HazardFix.UNCHECKED)) for h in found]
        h_all = hazard_tally(("all", f) for _, f in fix_of)
        h_village = hazard_tally((village_of(h.grid_id), f) for h, f in fix_of)
        h_grid = hazard_tally((h.grid_id, f) for h, f in fix_of)
        h_worker = hazard_tally((h.worker_id, f) for h, f in fix_of)
        empty = repo.GroupCounts(TaskTally(), 0, 0, None)

        def group(
            kind: str, key: Any, name: str, village_name: str, counts: repo.GroupCounts, h: HazardTally
        ) -> GroupFigures:
            return GroupFigures(
                key=str(key),
                name=name,
                village_name=village_name,
                tasks=counts.tally,
                hazards=h,
                per_item_tasks=counts.items,
                planned_tasks=counts.planned,
                local_resolution=resolution.get((kind, key)),
            )

        def added(parts: list[repo.GroupCounts]) -> repo.GroupCounts:
            result = empty
            for p in parts:
                result = repo.GroupCounts(
                    result.tally + p.tally, result.items + p.items, result.planned + p.planned, None
                )
            return result

        grid_rows = tuple(
            group(
                "grid",
                g.id,
                f"{g.name}（{g.code}）",
                vname(g.village_unit_id),
                per_grid.get(g.id, empty),
                h_grid.get(g.id, HazardTally()),
            )
            for g in sorted(grids.values(), key=lambda g: g.code)
        )
        village_ids = sorted(
            {g.village_unit_id for g in grids.values()},
            key=lambda v: villages[v].code if v in villages else "",
        )
        village_rows = tuple(
            group(
                "village",
                vid,
                vname(vid),
                vname(vid),
                added([c for gid, c in per_grid.items() if village_of(gid) == vid]),
                h_village.get(vid, HazardTally()),
            )
            for vid in village_ids
        )
        worker_rows = tuple(
            sorted(
                (
                    group(
                        "worker",
                        w,
                        "未分配" if w == UNASSIGNED else workers.get(w, f"用户 {w}"),
                        vname(village_of(per_worker[w].grid_id if w in per_worker else None)),
                        per_worker.get(w, empty),
                        h_worker.get(w, HazardTally()),
                    )
                    for w in set(per_worker) | set(h_worker)
                ),
                key=lambda g: (g.village_name, g.key == str(UNASSIGNED), g.name),
            )
        )
        attention = tuple(_attention(r.id, r.task, today, objects, sight, workers) for r in attention_rows)
        return PatrolFigures(
            month=period.start.strftime("%Y-%m"),
            today=today,
            generated_at=now.astimezone(LOCAL_TZ),
            scope_name=scope_name,
            overall=group(
                "all", "all", scope_name, "", added(list(per_grid.values())), h_all.get("all", HazardTally())
            ),
            villages=village_rows,
            grids=grid_rows,
            workers=worker_rows,
            attention=attention,
            attention_total=total,
            plan=self.patrols.plan_recorded(period),
            village_choices=choices,
        )

    # ------------------------------------------------------------------ the slot

    def _local_resolution(
        self, session: Session, period: Period, sight: Sight, grid_ids: frozenset[int] | None
    ) -> dict[tuple[str, Any], LocalResolution]:
        """就地解决率 per ("all", "all") and ("village", village id), from the hazards' figures
        (`GridHazardService.local_resolution_in`: the grid orders registered in the month at
        the villages of `grid_ids`, None: every village; solved in the village ÷ closed). The
        hazards count per village only, so grids and workers show "—"."""
        villages = (
            None
            if grid_ids is None
            else {sight.grids[g].village_unit_id for g in grid_ids if g in sight.grids}
        )
        since, until = (
            datetime.combine(d, time(0), tzinfo=LOCAL_TZ).astimezone(UTC) for d in (period.start, period.end)
        )
        figures = self.hazards.local_resolution_in(session, since, until, villages)
        result: dict[tuple[str, Any], LocalResolution] = {
            ("village", v.village_unit_id): LocalResolution(v.figures.solved_in_village, v.figures.closed)
            for v in figures.villages
        }
        result[("all", "all")] = LocalResolution(figures.total.solved_in_village, figures.total.closed)
        return result


def _attention(
    task_id: int,
    task: PatrolTask,
    today: date,
    objects: dict[int, repo.ObjectFacts],
    sight: Sight,
    workers: dict[int, str],
) -> AttentionTask:
    status = task_status(task, today)
    facts = objects.get(task.object_id)
    grid = sight.grids.get(task.grid_id)
    return AttentionTask(
        task_id=task_id,
        object_id=task.object_id,
        object_name=facts.name if facts else f"对象 {task.object_id}",
        grid_code=grid.code if grid else "",
        worker=workers.get(task.worker_id, "未分配") if task.worker_id else "未分配",
        day=task.day,
        latest=task.latest,
        visited_on=task.visited_on,
        status=status.value,
        status_label="上月遗留" if task.overdue and status.value == "pending" else status.label,
        overdue=task.overdue,
    )


def _snapshot_key(period: Period) -> str:
    return f"patrol_figures:{period.start:%Y-%m}"


def build(services: Services) -> PatrolFiguresService:
    """The capability's service over the process's services (`Capability.services`)."""
    return PatrolFiguresService(
        services.db, services.get(PatrolService), services.get(GridHazardService), clock=services.clock
    )


__all__ = [
    "AttentionTask",
    "GroupFigures",
    "LocalResolution",
    "PatrolFigures",
    "PatrolFiguresService",
    "build",
]
