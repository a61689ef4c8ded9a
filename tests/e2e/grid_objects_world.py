"""The managed objects of the HTTP tests: the small district's boundaries and grids (夏北社区
GC-XB and 平南社区 GC-PN, four grids each), one object in each of a few grids, and a grid
worker posted to 夏北's first grid."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from tests.e2e.harness import Api
from tests.support import PASSWORD, PN_BOX, TEST_ADMIN, XB_BOX, grid_file, polygon
from zhiyun.domain.access import Role
from zhiyun.domain.grid import WorkerKind
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.workers import GridWorkerService, NewPost

XB = "440605001001"
PN = "440605001002"
ROWS = [
    ("XB1", "三小场所", "好又多便利店", "夏北路 1 号", "113.105", "23.015", "中", "小商店"),
    ("XB2", "楼栋", "夏北花园 1 座", "夏北路 9 号", "113.115", "23.015", "低", ""),
    ("PN1", "企业", "平南五金厂", "平南路 8 号", "113.125", "23.015", "重大", ""),
]


def seed_objects(api: Api, tmp: Path) -> dict[str, int]:
    """Boundaries, grids, the objects of ROWS and the grid worker `gc_grid` (夏北's grid 001);
    the objects' ids by their keys."""
    services = api.services
    services.geo.import_geojson(
        TEST_ADMIN,
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": "GC-XB"}, "geometry": polygon(XB_BOX)},
                {"type": "Feature", "properties": {"code": "GC-PN"}, "geometry": polygon(PN_BOX)},
            ],
        },
    )
    services.geo.import_grids(TEST_ADMIN, grid_file())
    path = tmp / "objects.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["编号", "类型", "名称", "地址", "经度", "纬度", "风险等级", "经营类别"])
        writer.writerows(ROWS)
    objects = services.get(ManagedObjectService)
    assert objects.import_file(TEST_ADMIN, path).imported == len(ROWS)
    user = services.accounts.add_user(
        TEST_ADMIN, username="gc_grid", password=PASSWORD, role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    services.get(GridWorkerService).add_posts(
        TEST_ADMIN, [NewPost("gc_grid", "GC-XB", WorkerKind.FULL_TIME, f"{XB}001")]
    )
    api.district.actors["gc_grid"] = user.actor()
    with services.db.reading() as session:
        return {
            key: oid for key, oid in session.execute(select(ManagedObjectRow.source_key, ManagedObjectRow.id))
        }
