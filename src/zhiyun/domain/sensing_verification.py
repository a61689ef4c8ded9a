"""Verification (核实) of sensing events: who is asked, who may answer, who sees the evidence,
when a task is late and whom it goes to then (issue 18, part 5).

- **Who is asked** (`choose_verifier`): a grid worker posted to the event's grid (a full-time
  worker before a part-time one, then the fewest tasks owed, then the earliest post); when the
  grid has none, a worker of the event's village (any grid's, the chief last); nobody when the
  village has none either (the task waits for the village's dispatcher).
- **Who is told of a severe event** (`nearest_worker`): a worker posted to the event's grid;
  else the worker of the village's grid nearest the event's point (by the grid's centre); the
  chief last.
- **Who may answer** (`may_answer`): the task's worker, or a grid worker whose posts cover its
  grid (a colleague on the spot); a dispatcher of the task's village or a center above it, or an
  admin (`may_dispatch_verifications`: the escalated list, answer or reassign). Anyone else is
  told the task does not exist.
- **Who sees an event's evidence** (`may_see_event`): the district-wide readers; a grid worker
  whose posts cover the event's grid; staff of the event's village or a unit above it; staff of
  the device's owner unit or below it.
- **When a task is late** (`escalation_target`): past its due time and not answered, it goes
  once to its village's center; a task the village reassigned that is late again goes to the
  town.

Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from zhiyun.domain.grid import GRID_READERS_EVERYWHERE, GridPlace, GridPost, WorkerKind, visible_grid_ids
from zhiyun.domain.org import OrgTree
from zhiyun.domain.principals import Actor, Role

__all__ = [
    "NOTE_MAX",
    "PHOTOS_MAX",
    "VERIFICATION_DISPATCHERS",
    "EventPlace",
    "TaskPlace",
    "WorkerPost",
    "choose_verifier",
    "escalation_target",
    "is_overdue",
    "may_answer",
    "may_dispatch_verifications",
    "may_see_event",
    "nearest_worker",
]

NOTE_MAX = 500
PHOTOS_MAX = 6
VERIFICATION_DISPATCHERS = frozenset({Role.ADMIN, Role.DISPATCHER})
_KIND_RANK = {WorkerKind.FULL_TIME: 0, WorkerKind.PART_TIME: 1, WorkerKind.CHIEF: 2}


@dataclass(frozen=True)
class WorkerPost:
    """A grid worker's active post as the choice sees it: the user, the village and grid (None:
    a chief's whole village), the grid's centre (lat, lon), and the tasks the worker owes now."""

    user_id: int
    village_unit_id: int
    grid_id: int | None
    kind: WorkerKind
    centre: tuple[float, float] | None = None
    owed: int = 0
    post_id: int = 0


def _rank(post: WorkerPost) -> tuple[int, int, int]:
    return (_KIND_RANK[post.kind], post.owed, post.post_id)


def choose_verifier(
    posts: Iterable[WorkerPost], grid_id: int | None, village_unit_id: int | None
) -> int | None:
    """The user id of the worker a verification task goes to (the module's note), or None."""
    candidates = (
        [p for p in posts if p.village_unit_id == village_unit_id] if village_unit_id else list(posts)
    )
    in_grid = [p for p in candidates if grid_id is not None and p.grid_id == grid_id]
    if in_grid:
        return min(in_grid, key=_rank).user_id
    if village_unit_id is None or not candidates:
        return None
    return min(candidates, key=_rank).user_id


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def nearest_worker(
    posts: Iterable[WorkerPost],
    grid_id: int | None,
    village_unit_id: int | None,
    point: tuple[float, float] | None,
) -> int | None:
    """The user id of the worker told of a severe event (the module's note), or None."""
    candidates = [p for p in posts if village_unit_id is None or p.village_unit_id == village_unit_id]
    in_grid = [p for p in candidates if grid_id is not None and p.grid_id == grid_id]
    if in_grid:
        return min(in_grid, key=_rank).user_id
    if not candidates:
        return None

    def key(p: WorkerPost) -> tuple[int, float, tuple[int, int, int]]:
        if p.centre is None or point is None:
            return (1, math.inf, _rank(p))
        return (0, _distance_m(point, p.centre), _rank(p))

    return min(candidates, key=key).user_id


@dataclass(frozen=True)
class TaskPlace:
    """A verification task as the access rules see it: its grid, village and worker."""

    grid_id: int | None
    village_unit_id: int | None
    worker_id: int | None


@dataclass(frozen=True)
class EventPlace:
    """An event as the access rules see it: its grid and village, and its device's owner unit."""

    grid_id: int | None
    village_unit_id: int | None
    owner_unit_id: int | None


def _covers_grid(
    actor: Actor, grid_id: int | None, village_unit_id: int | None, org: OrgTree, posts: Sequence[GridPost]
) -> bool:
    if actor.role is not Role.GRID_WORKER or grid_id is None or village_unit_id is None:
        return False
    return grid_id in visible_grid_ids(actor, (GridPlace(grid_id, village_unit_id),), org, posts)


def may_dispatch_verifications(actor: Actor, village_unit_id: int | None, org: OrgTree) -> bool:
    """Whether `actor` handles the verification tasks of a village as its dispatcher: an admin,
    or a dispatcher of the village or of a center above it (its town, the district)."""
    if actor.role not in VERIFICATION_DISPATCHERS:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.unit_id is None or village_unit_id is None:
        return False
    if actor.unit_id not in org.units or village_unit_id not in org.units:
        return False
    return org.is_within(village_unit_id, actor.unit_id)


def may_answer(actor: Actor, task: TaskPlace, org: OrgTree, posts: Sequence[GridPost]) -> bool:
    """Whether `actor` may answer (or, a dispatcher, see) a verification task (the module's note)."""
    if actor.role is Role.GRID_WORKER:
        if actor.user_id is not None and task.worker_id == actor.user_id:
            return True
        return _covers_grid(actor, task.grid_id, task.village_unit_id, org, posts)
    return may_dispatch_verifications(actor, task.village_unit_id, org)


def may_see_event(actor: Actor, event: EventPlace, org: OrgTree, posts: Sequence[GridPost]) -> bool:
    """Whether `actor` may see an event and its evidence (the module's note)."""
    if actor.role in GRID_READERS_EVERYWHERE:
        return True
    if actor.role is Role.GRID_WORKER:
        return _covers_grid(actor, event.grid_id, event.village_unit_id, org, posts)
    if not actor.is_staff or actor.unit_id is None or actor.unit_id not in org.units:
        return False
    for unit in (event.village_unit_id, event.owner_unit_id):
        if unit is not None and unit in org.units and org.is_within(unit, actor.unit_id):
            return True
    return False


def is_overdue(due_at: datetime, now: datetime) -> bool:
    return now > due_at


def escalation_target(
    *,
    village_unit_id: int | None,
    town_unit_id: int | None,
    escalated_to: int | None,
    escalated_at: datetime | None,
    due_at: datetime,
    now: datetime,
) -> int | None:
    """The unit a pending task goes to now, or None when it stays where it is: not yet due, or
    already escalated and not reassigned since (a reassignment sets a new due time after the
    escalation). First its village's center; then, late again after the village reassigned it,
    the town's. A task without a village goes to the town."""
    if not is_overdue(due_at, now):
        return None
    if escalated_at is None:
        return village_unit_id if village_unit_id is not None else town_unit_id
    if escalated_at >= due_at:  # escalated for this due time already
        return None
    if escalated_to == village_unit_id and town_unit_id is not None and escalated_to != town_unit_id:
        return town_unit_id
    return None
