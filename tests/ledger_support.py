"""December 2026 patrolled in the patrol tests' world (tests/patrol_support.py), for the ledger
and figures tests.

The month is planned on 1 December; then, through `PatrolService.submit` as the phones do:

- 3 December: gc_grid visits 陈记粉面店 (夏北 grid 001) and answers its three checklists; the
  fire check (XF-001) shows a hazard (with a photo);
- 4 December: gc_grid visits 好又多便利店 and answers every checklist, all clear;
- 3 December: pn_grid visits 平南士多 (平南 grid 001), all clear;
- 15 December: gc_grid visits 陈记粉面店 again for the sanitation check of the week of 7 December
  (on time until the 13th): done late (逾期完成).

夏北花园 1 座 and the later weekly tasks are left unvisited: by 20 December (`TODAY`) some of them
are missed (漏巡).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from tests.patrol_support import JPEG, PatrolWorld, at, clear_answers, with_hazard
from tests.support import TEST_SYSTEM
from zhiyun.domain.grid_items import Period
from zhiyun.domain.patrol_visits import ItemAnswers, VisitSubmission
from zhiyun.grid.patrol_service import DayTask, PatrolService, PhotoUpload

DECEMBER = Period.month(2026, 12)
FIRST = date(2026, 12, 1)
TODAY = date(2026, 12, 20)


@dataclass(frozen=True)
class PatrolledMonth:
    world: PatrolWorld
    hazard_question: str  # the fire check's question that showed the hazard
    eatery_items: tuple[str, ...]  # the items of the eatery's first visit (3 December)
    shop_items: tuple[str, ...]


def _task(patrols: PatrolService, world: PatrolWorld, worker_key: str, key: str, day: date) -> DayTask:
    """The object's most urgent task on the worker's list of `day`."""
    worker = world.worker if worker_key == "gc" else world.other
    tasks = patrols.today(worker, day).tasks
    return next(t for t in tasks if t.object_id == world.objects[key])


def _submit(patrols: PatrolService, world: PatrolWorld, worker_key: str, sub: VisitSubmission) -> None:
    worker = world.worker if worker_key == "gc" else world.other
    photos = [PhotoUpload(p, f"{p}.jpg", io.BytesIO(JPEG)) for p in sorted(set(sub.photo_ids()))]
    assert patrols.submit(worker, sub, photos).created


def patrol_december(world: PatrolWorld) -> PatrolledMonth:
    world.patrols(at(FIRST, 7)).plan(TEST_SYSTEM, DECEMBER)
    hazard_question = ""
    items: dict[str, tuple[str, ...]] = {}
    for worker_key, key, day, sid in (
        ("gc", "XB1-eat", date(2026, 12, 3), "ledger-visit-eat"),
        ("gc", "XB1-shop", date(2026, 12, 4), "ledger-visit-shop"),
        ("pn", "PN1-shop", date(2026, 12, 3), "ledger-visit-pn"),
        ("gc", "XB1-eat", date(2026, 12, 15), "ledger-visit-eat-late"),  # the week of 7 Dec, late
    ):
        patrols = world.patrols(at(day, 11))
        task = _task(patrols, world, worker_key, key, day)
        answers = []
        for c in task.items:
            if key == "XB1-eat" and c.code == "XF-001":
                given, hazard_question = with_hazard(c.item, "fire-1")
            else:
                given = clear_answers(c.item, "p1")
            answers.append(ItemAnswers(c.code, c.version, given))
        sub = VisitSubmission(
            submission_id=sid,
            visited_at=at(day, 10),
            task_id=task.id,
            answers=tuple(answers),
            object_seen_at=task.object_updated_at,
        )
        _submit(patrols, world, worker_key, sub)
        items.setdefault(key, tuple(sorted(c.code for c in task.items)))
    return PatrolledMonth(world, hazard_question, items["XB1-eat"], items["XB1-shop"])


__all__ = ["DECEMBER", "FIRST", "TODAY", "PatrolledMonth", "patrol_december"]
