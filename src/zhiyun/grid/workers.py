"""Grid workers (网格员) use cases: post them to villages and grids, and say what each sees.

A post is a grid of a village (full-time 专职 or part-time 兼职), or, for the village's one
grid chief (网格长), the whole village. Who sees which grids is the domain's rule
(`domain.grid.visible_grid_ids`): a grid worker only the grids of their posts, a village's
staff their village's, a town's its villages', the district-wide readers all. The grids come
from geo (`GeoService.grids`); this capability keeps only who works them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, Role, may_administer_grids, require
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import GridPlace, GridPost, WorkerKind, villages_in_view, visible_grid_ids
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.geo.service import GeoService, GridView
from zhiyun.grid import repo
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class NewPost:
    """A post to add: the user (a grid worker's account), the village (unit code), the kind,
    the grid (15-digit code; none for a chief) and since when (default: today)."""

    username: str
    village: str
    kind: WorkerKind
    grid: str | None = None
    since: date | None = None


@dataclass(frozen=True)
class VillageWorkers:
    """A village's grids and active grid workers, by kind."""

    village_unit_id: int
    village_code: str
    village_name: str
    town_name: str
    grids: int
    full_time: int
    part_time: int
    chiefs: int

    @property
    def workers(self) -> int:
        return self.full_time + self.part_time + self.chiefs


class GridWorkerService:
    """Grid workers' posts, and the grids each may see."""

    def __init__(self, db: Database, geo: GeoService, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.geo = geo
        self.clock = clock

    # ------------------------------------------------------------------ changes

    def add_posts(self, actor: Actor, posts: Sequence[NewPost]) -> int:
        """Post grid workers in bulk, in one transaction; every problem reported at once, nothing
        written when there is one. Each user must be a grid worker (role grid_worker); the
        village a village; a chief has no grid and is the village's only active chief; the
        others work one grid of that village. A post already held is skipped. Returns the
        number added. Who may administer grids only (`may_administer_grids`)."""
        require(may_administer_grids, actor)
        grids = {g.code: g for g in self.geo.grids()}
        today = local_date(self.clock())
        problems: list[str] = []
        with self.db.transaction() as session:
            org = ref.load_org(session)
            villages = {u.code: u for u in org.units.values() if u.kind is UnitKind.VILLAGE}
            users = repo.users_by_name(session, [p.username for p in posts])
            held = repo.post_keys(session)
            chiefs = repo.villages_with_a_chief(session)
            rows: list[dict[str, Any]] = []
            for number, p in enumerate(posts, start=1):
                where = f"第 {number} 条（{p.username}）"
                user = users.get(p.username)
                village = villages.get(p.village)
                if user is None:
                    problems.append(f"{where}：用户不存在")
                elif user[1] != Role.GRID_WORKER.value:
                    problems.append(f"{where}：用户角色须为网格员（grid_worker），实为 {user[1]}")
                if village is None:
                    problems.append(f"{where}：村居 {p.village} 不存在")
                if user is None or village is None:
                    continue
                grid_id: int | None = None
                if p.kind.covers_village:
                    if p.grid is not None:
                        problems.append(f"{where}：网格长负责整个村居，不指定网格")
                        continue
                    other = chiefs.get(village.id)
                    if other is not None and other != user[0]:
                        problems.append(f"{where}：{village.name}已有网格长")
                        continue
                    chiefs[village.id] = user[0]
                else:
                    grid = grids.get(p.grid or "")
                    if grid is None:
                        problems.append(f"{where}：网格 {p.grid} 不存在")
                        continue
                    if grid.village_unit_id != village.id:
                        problems.append(f"{where}：网格 {grid.code} 不属于{village.name}")
                        continue
                    grid_id = grid.id
                key = (user[0], village.id, grid_id)
                if key in held:
                    continue
                held.add(key)
                rows.append(
                    {
                        "user_id": user[0],
                        "village_unit_id": village.id,
                        "grid_id": grid_id,
                        "kind": p.kind.value,
                        "active": True,
                        "since": p.since or today,
                    }
                )
            if problems:
                shown = "；".join(problems[:MAX_PROBLEMS_SHOWN])
                more = (
                    f"；另有 {len(problems) - MAX_PROBLEMS_SHOWN} 处"
                    if len(problems) > MAX_PROBLEMS_SHOWN
                    else ""
                )
                raise ValidationFailed(
                    f"未添加任何网格员（{len(problems)} 处问题）：{shown}{more}", problems=problems
                )
            repo.insert_posts(session, rows)
        return len(rows)

    # ------------------------------------------------------------------ reads

    def _own_posts(self, session: Session, actor: Actor) -> list[GridPost]:
        if actor.role is not Role.GRID_WORKER or actor.user_id is None:
            return []
        return [p.post() for p in repo.posts_of_user(session, actor.user_id)]

    def visible_grids(self, actor: Actor) -> list[GridView]:
        """The grids `actor` may see (`domain.grid.visible_grid_ids`), by code."""
        grids = self.geo.grids()
        with self.db.reading() as session:
            org = ref.load_org(session)
            posts = self._own_posts(session, actor)
        return _visible(actor, grids, org, posts)

    def assigned_grids(self, actor: Actor, user_id: int) -> list[GridView]:
        """The grids of a worker's active posts (a chief's: every grid of the village), as far
        as `actor` may see them (a worker asking for their own sees them all)."""
        grids = self.geo.grids()
        with self.db.reading() as session:
            org = ref.load_org(session)
            posts = [p.post() for p in repo.posts_of_user(session, user_id)]
            readers_posts = self._own_posts(session, actor)
        worker = Actor(user_id, Role.GRID_WORKER, None)
        theirs = {g.id for g in _visible(worker, grids, org, posts)}
        return [g for g in _visible(actor, grids, org, readers_posts) if g.id in theirs]

    def village_counts(self, actor: Actor) -> list[VillageWorkers]:
        """Per village `actor` may see (`domain.grid.villages_in_view`): its grids and its active
        grid workers by kind, by town and village code."""
        counts_of_grids: dict[int, int] = {}
        for g in self.geo.grids():
            counts_of_grids[g.village_unit_id] = counts_of_grids.get(g.village_unit_id, 0) + 1
        with self.db.reading() as session:
            org = ref.load_org(session)
            seen = villages_in_view(actor, org, self._own_posts(session, actor))
            workers = repo.counts_by_village(session)
        result = []
        for village_id in seen:
            village = org.units[village_id]
            town = org.units.get(village.parent_id) if village.parent_id is not None else None
            kinds = workers.get(village_id, {})
            result.append(
                VillageWorkers(
                    village_id,
                    village.code,
                    village.name,
                    town.name if town else "",
                    counts_of_grids.get(village_id, 0),
                    kinds.get(WorkerKind.FULL_TIME, 0),
                    kinds.get(WorkerKind.PART_TIME, 0),
                    kinds.get(WorkerKind.CHIEF, 0),
                )
            )
        return sorted(result, key=lambda v: (v.town_name, v.village_code))


def _visible(actor: Actor, grids: list[GridView], org: OrgTree, posts: Sequence[GridPost]) -> list[GridView]:
    ids = visible_grid_ids(actor, (GridPlace(g.id, g.village_unit_id) for g in grids), org, posts)
    return [g for g in grids if g.id in ids]


def build(services: Services) -> GridWorkerService:
    """The capability's service over the process's services (`Capability.services`)."""
    return GridWorkerService(services.db, services.geo, clock=services.clock)


__all__ = ["GridWorkerService", "NewPost", "VillageWorkers", "build"]
