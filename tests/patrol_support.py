"""The world of the patrol tests: the small district with its grids, three shops and a building in
夏北社区's grids, the default grid items catalogue, a grid worker in 夏北's first grid and another
in 平南's; and answers to any checklist (all clear, or with a hazard).

陈记粉面店 is a 小餐饮 shop (tag 餐饮): in a month it is due for the monthly fire check (XF-001),
the monthly gas check of eateries (RQ-001) and the weekly sanitation check (HW-001), so its first
visit of the month covers three checklists.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.support import (
    PASSWORD,
    TEST_ADMIN,
    add_boundaries,
    build_small_district_with_boundaries,
    grid_file,
)
from zhiyun.bootstrap import Services
from zhiyun.demo.patrols import clear_answers
from zhiyun.demo.patrols import with_hazard as demo_with_hazard
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.grid_items import GridItem
from zhiyun.grid.hazards import GridHazardService
from zhiyun.grid.items_service import GridItemService
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.workers import GridWorkerService, NewPost

XB = "440605001001"
PN = "440605001002"
HEADER = ["编号", "类型", "名称", "地址", "经度", "纬度", "风险等级", "经营类别"]
OBJECTS = [
    ("XB1-eat", "三小场所", "陈记粉面店", "夏北路 3 号", "113.1052", "23.0152", "中", "小餐饮"),
    ("XB1-shop", "三小场所", "好又多便利店", "夏北路 1 号", "113.105", "23.015", "低", "小商店"),
    ("XB1-bldg", "楼栋", "夏北花园 1 座", "夏北路 9 号", "113.106", "23.016", "低", ""),
    ("PN1-shop", "三小场所", "平南士多", "平南路 2 号", "113.125", "23.015", "低", "小商店"),
]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


@dataclass
class PatrolWorld:
    services: Services
    worker: Actor  # gc_grid, full-time in 夏北's grid 001
    other: Actor  # pn_grid, full-time in 平南's grid 001
    objects: dict[str, int]  # ids by import key

    def patrols(self, now: datetime) -> PatrolService:
        """The patrol service with its clock at `now`."""
        s = self.services
        return PatrolService(
            s.db, s.settings, clock=lambda: now, reference=s.reference, hazards=s.get(GridHazardService)
        )


def at(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock China time on `day`."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


def seed_patrol_world(services: Services, tmp: Path, *, district_built: bool = False) -> PatrolWorld:
    """The world of the module's note; on a small district already built (the HTTP tests'),
    with `district_built`."""
    if district_built:
        add_boundaries(services)
    else:
        build_small_district_with_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    path = tmp / "patrol-objects.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(OBJECTS)
    assert services.get(ManagedObjectService).import_file(TEST_ADMIN, path).imported == len(OBJECTS)
    services.get(GridItemService).ensure_default(TEST_ADMIN)
    actors = {}
    for name, village, grid in (("gc_grid", "GC-XB", f"{XB}001"), ("pn_grid", "GC-PN", f"{PN}001")):
        user = services.accounts.add_user(
            TEST_ADMIN, username=name, password=PASSWORD, role=Role.GRID_WORKER, unit_code=village
        )
        services.get(GridWorkerService).add_posts(
            TEST_ADMIN, [NewPost(name, village, WorkerKind.FULL_TIME, grid)]
        )
        actors[name] = user.actor()
    with services.db.reading() as session:
        ids = dict(session.execute(select(ManagedObjectRow.source_key, ManagedObjectRow.id)).all())
    return PatrolWorld(services, actors["gc_grid"], actors["pn_grid"], ids)


def with_hazard(item: GridItem, photo: str = "p1") -> tuple[dict[str, Any], str]:
    """Answers to `item` where the first yes/no question with a hazard rule shows it (with a
    photo); and that question's id."""
    found = demo_with_hazard(item, photo)
    assert found is not None, f"{item.code} has no yes/no question with a hazard rule"
    return found


__all__ = [
    "JPEG",
    "OBJECTS",
    "PatrolWorld",
    "at",
    "clear_answers",
    "seed_patrol_world",
    "with_hazard",
]
