"""Managed objects (网格管理对象) read on SQLite and PostgreSQL: search with filters and a keyset
cursor, counts per grid and per village by kind and risk, the map's objects in a box, one
object — and what each reader may see (a grid worker only their grids' objects, a village's
staff their village's, a town its villages', a department none).

The small district of tests/support.py with the four grids of 夏北社区 (GC-XB) and of 平南社区
(GC-PN); 盐步社区 (DL-YB, under 大沥镇) has neither boundary nor grids.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.support import (
    ONLY_POSTGRESQL,
    PASSWORD,
    TEST_ADMIN,
    District,
    build_small_district_with_boundaries,
    grid_file,
)

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel, WorkerKind
from zhiyun.grid.objects_service import ManagedObjectService, ObjectQuery
from zhiyun.grid.workers import GridWorkerService, NewPost

XB = "440605001001"
PN = "440605001002"
HEADER = ["编号", "类型", "名称", "地址", "经度", "纬度", "网格编码", "风险等级", "部件编码"]
# (key, kind, name, address, lon, lat, grid code, risk, component id)
OBJECTS = [
    ("XB1-a", "三小场所", "好又多便利店", "夏北路 1 号", "113.105", "23.015", "", "中", ""),
    ("XB1-b", "三小场所", "陈记粉面店", "夏北路 3 号", "113.1052", "23.0152", "", "高", ""),
    ("XB2-a", "楼栋", "夏北花园 1 座", "夏北路 9 号", "113.115", "23.015", "", "低", ""),
    ("XB4-a", "部件设施", "污水井盖", "南海大道旁", "113.115", "23.005", "", "低", "4406050102000001"),
    ("PN1-a", "企业", "平南五金厂", "平南路 8 号", "113.125", "23.015", "", "重大", ""),
    ("PN4-a", "出租屋", "平南新村 2 巷 3 号出租屋", "平南新村 2 巷 3 号", "", "", f"{PN}004", "低", ""),
    ("OUT-a", "楼栋", "区外仓库", "里水某路", "113.30", "23.30", "", "低", ""),
]


@pytest.fixture
def district(services: Services, tmp_path: Path) -> District:
    district = build_small_district_with_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    path = tmp_path / "objects.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(OBJECTS)
    report = services.get(ManagedObjectService).import_file(TEST_ADMIN, path)
    assert report.imported == len(OBJECTS)
    return district


def worker(
    services: Services, username: str, village: str, kind: WorkerKind, grid: str | None = None
) -> Actor:
    services.accounts.add_user(
        TEST_ADMIN, username=username, password=PASSWORD, role=Role.GRID_WORKER, unit_code=village
    )
    services.get(GridWorkerService).add_posts(TEST_ADMIN, [NewPost(username, village, kind, grid)])
    return services.accounts.user_by_name(username).actor()


def names(services: Services, actor: Actor, query: ObjectQuery | None = None) -> set[str]:
    page = services.get(ManagedObjectService).search(actor, query or ObjectQuery(), limit=100)
    return {o.name for o in page.items}


def ids_by_name(services: Services) -> dict[str, int]:
    page = services.get(ManagedObjectService).search(TEST_ADMIN, ObjectQuery(), limit=100)
    return {o.name: o.id for o in page.items}


# --------------------------------------------------------------------------- search and pages


def test_search_filters_by_kind_risk_grid_village_and_words_of_name_or_address(
    services: Services, district: District
) -> None:
    assert len(names(services, TEST_ADMIN)) == 7
    assert names(services, TEST_ADMIN, ObjectQuery(kind=ObjectKind.SHOP)) == {"好又多便利店", "陈记粉面店"}
    assert names(services, TEST_ADMIN, ObjectQuery(risk=RiskLevel.MAJOR)) == {"平南五金厂"}
    assert names(services, TEST_ADMIN, ObjectQuery(grid=f"{XB}001")) == {"好又多便利店", "陈记粉面店"}
    assert names(services, TEST_ADMIN, ObjectQuery(village="GC-PN")) == {
        "平南五金厂",
        "平南新村 2 巷 3 号出租屋",
    }
    assert names(services, TEST_ADMIN, ObjectQuery(village="平南社区", kind=ObjectKind.RENTAL_HOUSE)) == {
        "平南新村 2 巷 3 号出租屋"
    }
    assert names(services, TEST_ADMIN, ObjectQuery(text="夏北路")) == {
        "好又多便利店",
        "夏北花园 1 座",
        "陈记粉面店",
    }
    assert names(services, TEST_ADMIN, ObjectQuery(text="便利 夏北路 1")) == {"好又多便利店"}
    assert (
        names(services, TEST_ADMIN, ObjectQuery(text="100%")) == set()
    )  # the % is a character, not a wildcard
    assert names(services, TEST_ADMIN, ObjectQuery(grid=f"{XB}003")) == set()
    assert names(services, TEST_ADMIN, ObjectQuery(village="GC-NONE")) == set()


def test_one_object_carries_its_grid_village_town_and_attributes(
    services: Services, district: District
) -> None:
    objects = services.get(ManagedObjectService)
    detail = objects.get(TEST_ADMIN, ids_by_name(services)["污水井盖"])
    o = detail.summary
    assert (o.kind, o.grid_code, o.grid_name, o.village_name, o.town_name) == (
        ObjectKind.FACILITY,
        f"{XB}004",
        "夏北社区第4网格",
        "夏北社区",
        "桂城街道",
    )
    assert (o.component_id, detail.source_key, o.risk_label) == ("4406050102000001", "XB4-a", "低")
    outside = objects.get(TEST_ADMIN, ids_by_name(services)["区外仓库"]).summary
    assert (outside.grid_code, outside.village_name) == (None, None)
    with pytest.raises(NotFound):
        objects.get(TEST_ADMIN, 99_999)


def test_pages_follow_each_other_newest_first_with_a_cursor_valid_for_its_list_only(
    services: Services, district: District
) -> None:
    objects = services.get(ManagedObjectService)
    first = objects.search(TEST_ADMIN, ObjectQuery(), limit=3)
    assert (len(first.items), first.total, first.more) == (3, 7, False) and first.next_cursor
    second = objects.search(TEST_ADMIN, ObjectQuery(), cursor=first.next_cursor, limit=3)
    third = objects.search(TEST_ADMIN, ObjectQuery(), cursor=second.next_cursor, limit=3)
    seen = [o.id for page in (first, second, third) for o in page.items]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 7 and third.next_cursor is None
    with pytest.raises(ValidationFailed, match="分页游标无效"):
        objects.search(TEST_ADMIN, ObjectQuery(kind=ObjectKind.SHOP), cursor=first.next_cursor)
    with pytest.raises(ValidationFailed, match="分页游标无效"):
        objects.search(TEST_ADMIN, ObjectQuery(), cursor=first.next_cursor[:-2] + "AA")


# --------------------------------------------------------------------------- counts


def test_counts_per_grid_give_every_grid_in_view_by_kind_and_risk(
    services: Services, district: District
) -> None:
    rows = services.get(ManagedObjectService).counts(TEST_ADMIN, by="grid")
    by_grid = {r.grid_code: r for r in rows}
    assert set(by_grid) == {
        *(f"{XB}{n:03d}" for n in range(1, 5)),
        *(f"{PN}{n:03d}" for n in range(1, 5)),
        None,
    }
    shops = by_grid[f"{XB}001"]
    assert (shops.total, shops.by_kind["shop"], shops.by_risk["medium"], shops.by_risk["high"]) == (
        2,
        2,
        1,
        1,
    )
    assert shops.village_name == "夏北社区" and shops.town_name == "桂城街道"
    assert by_grid[f"{XB}003"].total == 0  # an empty grid is listed too
    assert by_grid[None].total == 1 and by_grid[None].village_name is None  # the object in no village


def test_counts_per_village_sum_each_villages_objects(services: Services, district: District) -> None:
    rows = services.get(ManagedObjectService).counts(TEST_ADMIN, by="village")
    by_village = {r.village_code: r for r in rows}
    assert by_village["GC-XB"].total == 4 and by_village["GC-XB"].by_kind["shop"] == 2
    assert by_village["GC-PN"].total == 2 and by_village["GC-PN"].by_risk["major"] == 1
    assert by_village["DL-YB"].total == 0
    assert by_village[None].total == 1
    only_shops = services.get(ManagedObjectService).counts(
        TEST_ADMIN, by="village", query=ObjectQuery(kind=ObjectKind.SHOP)
    )
    assert {r.village_code: r.total for r in only_shops if r.total} == {"GC-XB": 2}


# --------------------------------------------------------------------------- who sees which objects


def test_a_grid_worker_sees_only_the_objects_of_their_grids(services: Services, district: District) -> None:
    objects = services.get(ManagedObjectService)
    full = worker(services, "xb_1", "GC-XB", WorkerKind.FULL_TIME, f"{XB}001")
    assert names(services, full) == {"好又多便利店", "陈记粉面店"}
    ids = ids_by_name(services)
    assert objects.get(full, ids["好又多便利店"]).summary.grid_code == f"{XB}001"
    for other in ("夏北花园 1 座", "平南五金厂", "区外仓库"):  # another grid of the village, another village
        with pytest.raises(NotFound):
            objects.get(full, ids[other])
    assert {r.grid_code: r.total for r in objects.counts(full, by="grid")} == {f"{XB}001": 2}
    box = (113.0, 22.9, 113.2, 23.1)
    assert {o.name for o in objects.map_objects(full, box)[0]} == {"好又多便利店", "陈记粉面店"}
    assert [v[1] for v in objects.villages_in_view(full)] == ["GC-XB"]


def test_a_grid_chief_sees_the_whole_village_and_a_worker_without_a_post_nothing(
    services: Services, district: District
) -> None:
    chief = worker(services, "pn_chief", "GC-PN", WorkerKind.CHIEF)
    assert names(services, chief) == {"平南五金厂", "平南新村 2 巷 3 号出租屋"}
    services.accounts.add_user(
        TEST_ADMIN, username="idle", password=PASSWORD, role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    idle = services.accounts.user_by_name("idle").actor()
    assert names(services, idle) == set()
    assert services.get(ManagedObjectService).counts(idle) == []


def test_a_village_sees_its_objects_a_town_its_villages_and_a_department_none(
    services: Services, district: District
) -> None:
    actors = district.actors
    assert names(services, actors["xiabei"]) == {"好又多便利店", "夏北花园 1 座", "污水井盖", "陈记粉面店"}
    assert names(services, actors["pingnan"]) == {"平南五金厂", "平南新村 2 巷 3 号出租屋"}
    assert len(names(services, actors["town"])) == 6  # 桂城: both villages, not the object outside
    assert names(services, actors["yanbu"]) == set() and names(services, actors["town2"]) == set()
    assert names(services, actors["zjj"]) == set()  # a department
    assert len(names(services, actors["leader"])) == 7 and len(names(services, actors["district"])) == 6
    objects = services.get(ManagedObjectService)
    with pytest.raises(NotFound, match="不存在或您无权查看"):
        objects.get(actors["xiabei"], ids_by_name(services)["平南五金厂"])
    assert {r.village_code for r in objects.counts(actors["xiabei"], by="village")} == {"GC-XB"}
    citizen = Actor.citizen(actors["xiabei"].user_id)
    assert names(services, citizen) == set()


# --------------------------------------------------------------------------- the map


def test_the_map_gives_the_objects_in_a_box_with_the_lists_filters_and_a_cap(
    services: Services, district: District
) -> None:
    objects = services.get(ManagedObjectService)
    north_west = (113.10, 23.01, 113.11, 23.02)
    items, truncated = objects.map_objects(TEST_ADMIN, north_west)
    assert {o.name for o in items} == {"好又多便利店", "陈记粉面店"} and not truncated
    assert {o.grid_code for o in items} == {f"{XB}001"}
    items, truncated = objects.map_objects(TEST_ADMIN, (113.0, 22.9, 113.4, 23.4), limit=3)
    assert len(items) == 3 and truncated
    outside = objects.map_objects(TEST_ADMIN, (113.29, 23.29, 113.31, 23.31))[0]
    assert [o.name for o in outside] == ["区外仓库"]  # in no grid: through the partial index
    shops = objects.geojson(TEST_ADMIN, north_west, query=ObjectQuery(risk=RiskLevel.HIGH))
    assert shops["type"] == "FeatureCollection" and shops["truncated"] is False
    (feature,) = shops["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [113.1052, 23.0152]}
    assert feature["properties"]["name"] == "陈记粉面店" and feature["properties"]["kind_label"] == "三小场所"
    with pytest.raises(ValidationFailed, match="地图范围过大"):
        objects.map_objects(TEST_ADMIN, (110.0, 20.0, 115.0, 25.0))
    with pytest.raises(ValidationFailed, match="bbox"):
        objects.map_objects(TEST_ADMIN, (113.2, 23.0, 113.1, 23.1))


@ONLY_POSTGRESQL
def test_words_of_name_and_address_are_found_through_the_trigram_index(
    services: Services, district: District
) -> None:
    statement = "EXPLAIN SELECT id FROM managed_object WHERE (name || ' ' || address) LIKE '%便利店%'"
    with services.db.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in conn.execute(text(statement)))
    assert "ix_managed_object_search_trgm" in plan
