"""Importing managed objects (网格管理对象) on SQLite and PostgreSQL: good rows stored in their
grids (by point, by grid code, from GCJ-02), bad rows in the rejects file with their row and
reason, a second import that stores nothing, the identity-number guard, XLSX and GBK files.

The small district of tests/support.py with the four grids of 夏北社区 (GC-XB, 113.10–113.12 E,
23.00–23.02 N) and of 平南社区 (GC-PN, east of it); 盐步社区 has neither boundary nor grids.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support import ONLY_SQLITE, TEST_ADMIN, build_small_district_with_boundaries, grid_file

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.grid.objects_import import ObjectMapping
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.kernel.geo import CoordSystem, wgs84_to_gcj02

HEADER = [
    "编号",
    "类型",
    "名称",
    "地址",
    "经度",
    "纬度",
    "网格编码",
    "风险等级",
    "部件编码",
    "经营类别",
    "层数",
]
XB = "440605001001"  # 夏北社区's grid prefix
PN = "440605001002"


@pytest.fixture
def objects(services: Services) -> ManagedObjectService:
    build_small_district_with_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    return services.get(ManagedObjectService)


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def stored(services: Services) -> dict[str, ManagedObjectRow]:
    with services.db.reading() as session:
        rows = {
            r.source_key: r for r in session.scalars(select(ManagedObjectRow).order_by(ManagedObjectRow.id))
        }
        session.expunge_all()  # detached with what was loaded
        return rows


def grid_codes(services: Services) -> dict[int, str]:
    return {g.id: g.code for g in services.geo.grids()}


def rejects_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


GOOD = [
    ["S-1", "三小场所", "好又多便利店", "夏北路 1 号", "113.105", "23.015", "", "中", "", "小商店", ""],
    ["S-2", "楼栋", "夏北花园 3 座", "夏北路 3 号", "113.115", "23.005", "", "", "", "", "18"],
    ["S-3", "企业", "南海五金厂", "平南路 8 号", "", "", f"{PN}004", "高", "", "", ""],
    ["S-4", "部件设施", "污水井盖", "夏北路口", "113.1151", "23.0151", "", "", "4406050102000001", "", ""],
    ["", "出租屋", "陈生出租屋", "夏北新村 5 巷 2 号", "113.101", "23.001", "", "低", "", "", ""],
]


def test_good_rows_are_stored_in_the_grid_that_holds_their_point_or_that_their_code_names(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    report = objects.import_file(TEST_ADMIN, write_csv(tmp_path / "objects.csv", GOOD))

    assert (report.read, report.imported, report.already_imported, report.rejected) == (5, 5, 0, 0)
    assert (report.by_point, report.by_code, report.outside_grids, report.outside_villages) == (4, 1, 0, 0)
    assert report.rejects_path is None and not (tmp_path / "objects.rejects.csv").exists()
    rows, codes = stored(services), grid_codes(services)
    assert {k: codes[r.grid_id] for k, r in rows.items() if r.grid_id and not k.startswith("h:")} == {
        "S-1": f"{XB}001",  # north-west
        "S-2": f"{XB}004",  # south-east
        "S-3": f"{PN}004",  # by its code, no point
        "S-4": f"{XB}002",  # north-east
    }
    shop = rows["S-1"]
    assert (shop.kind, shop.name, shop.risk, shop.attributes) == (
        "shop",
        "好又多便利店",
        "medium",
        {"经营类别": "小商店"},
    )
    assert (shop.lon, shop.lat, shop.active) == (113.105, 23.015, True)
    with services.db.reading() as session:
        xb = session.scalar(
            select(ManagedObjectRow.village_unit_id).where(ManagedObjectRow.source_key == "S-1")
        )
        pn = session.scalar(
            select(ManagedObjectRow.village_unit_id).where(ManagedObjectRow.source_key == "S-3")
        )
    assert xb != pn and xb is not None and pn is not None
    assert rows["S-2"].attributes == {"层数": 18}
    assert rows["S-4"].component_id == "4406050102000001"
    hashed = [r for k, r in rows.items() if k.startswith("h:")]
    assert [r.name for r in hashed] == ["陈生出租屋"] and len(hashed[0].source_key) == 34
    assert rows["S-3"].lon is None and rows["S-3"].lat is None


def test_importing_the_same_file_twice_stores_nothing_twice(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "objects.csv", GOOD)
    objects.import_file(TEST_ADMIN, path)
    before = stored(services)

    again = objects.import_file(TEST_ADMIN, path, batch_size=2)

    assert (again.imported, again.already_imported, again.rejected) == (0, 5, 0)
    after = stored(services)
    assert set(after) == set(before) and [r.id for r in after.values()] == [r.id for r in before.values()]
    # a row repeated inside the file is stored once
    twice = write_csv(tmp_path / "twice.csv", [GOOD[0], GOOD[0], ["S-9", *GOOD[1][1:]]])
    report = objects.import_file(TEST_ADMIN, twice)
    assert (report.imported, report.already_imported) == (1, 2)


def test_bad_rows_go_to_the_rejects_file_with_their_row_and_reason(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    rows = [
        GOOD[0],
        ["B-1", "商场", "某商场", "", "113.105", "23.015", "", "", "", "", ""],
        ["B-2", "楼栋", "", "", "113.105", "23.015", "", "", "", "", ""],
        ["B-3", "三小场所", "小店", "", "113.105", "", "", "", "", "", ""],
        ["B-4", "企业", "某厂", "", "", "", f"{XB}009", "", "", "", ""],
        ["B-5", "部件设施", "井盖", "", "113.105", "23.015", "", "", "", "", ""],
        ["B-6", "楼栋", "某楼", "", "", "", "", "", "", "", ""],
        ["B-7", "楼栋", "某楼", "", "2.35", "48.85", "", "", "", "", ""],
        ["B-8", "楼栋", "某楼", "", "113.105", "23.015", "", "", "", "", "很多"],
        ["B-9", "楼栋", "某楼", "", "113.105", "23.015", "", "", "", "小餐饮", ""],
        ["B-10", "部件设施", "井盖", "", "113.105", "23.015", "", "", "4406050102000001", "", ""],
        ["B-11", "部件设施", "井盖二", "", "113.105", "23.015", "", "", "4406050102000001", "", ""],
    ]
    path = write_csv(tmp_path / "objects.csv", rows)

    report = objects.import_file(TEST_ADMIN, path)

    assert (report.imported, report.rejected) == (2, 10)
    assert report.rejects_path == tmp_path / "objects.rejects.csv"
    lines = rejects_of(report.rejects_path)
    assert lines[0] == ["行号", "字段", "原因", *HEADER]
    reasons = {line[0]: (line[1], line[2]) for line in lines[1:]}
    assert reasons == {
        "3": (
            "类型",
            "对象类型「商场」不存在；可用：楼栋（building）、出租屋（rental_house）、三小场所（shop）、企业（enterprise）、部件设施（facility）",
        ),
        "4": ("名称", "缺少名称"),
        "5": ("坐标", "经度和纬度须同时填写"),
        "6": ("网格编码", f"网格编码 {XB}009 不存在"),
        "7": ("部件编码", "部件设施必须有 16 位部件编码"),
        "8": ("坐标", "缺少坐标和网格编码：无法确定所在网格"),
        "9": ("坐标", "坐标 (2.350000, 48.850000) 不在中国境内（须为 [经度, 纬度] 的 WGS-84 或 GCJ-02）"),
        "10": ("属性", "属性「层数」「很多」应为整数"),
        "11": ("属性", "属性「经营类别」属于三小场所，不适用于楼栋"),
        "13": ("部件编码", "部件编码 4406050102000001 在本批中重复"),
    }
    assert lines[1][3:] == rows[1]  # the row as read follows its reason
    assert report.rejected_by_field["location"] == 3
    # a component id another object holds is refused in a later import
    later = objects.import_file(TEST_ADMIN, write_csv(tmp_path / "later.csv", [["B-12", *rows[-1][1:]]]))
    assert later.rejected == 1 and later.examples[0].message == "部件编码 4406050102000001 已属于另一个对象"
    assert set(stored(services)) == {"S-1", "B-10"}


def test_an_identity_card_column_refuses_the_file_and_an_identity_number_its_row(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    with_column = write_csv(
        tmp_path / "people.csv", [[*GOOD[0], "440605198506120024"]], [*HEADER, "房东身份证号"]
    )
    with pytest.raises(
        ValidationFailed, match="第 12 列「房东身份证号」是身份证号码：网格管理对象不采集个人身份信息"
    ):
        objects.import_file(TEST_ADMIN, with_column)
    hidden = write_csv(
        tmp_path / "hidden.csv",
        [[*GOOD[0], "44060519850612002X"], [*GOOD[1], "陈生"]],
        [*HEADER, "房东"],
    )
    report = objects.import_file(TEST_ADMIN, hidden)
    assert (report.imported, report.rejected) == (1, 1)
    assert (
        report.examples[0].message
        == "属性「房东」疑似身份证号码：网格管理对象不采集个人身份信息，本系统不保存身份证号码"
    )
    assert "44060519850612002X" not in repr(stored(services))


def test_a_gcj02_point_is_converted_to_wgs84_before_it_is_located(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    # a point just inside 夏北's north-west grid in WGS-84, as a Chinese web map gives it
    lat, lon = 23.0101, 113.1001
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    header = [*HEADER, "坐标系"]
    rows = [
        ["G-1", "楼栋", "某楼", "", f"{g_lon:.9f}", f"{g_lat:.9f}", "", "", "", "", "", "GCJ-02"],
        ["G-2", "楼栋", "某楼二", "", f"{lon}", f"{lat}", "", "", "", "", "", ""],
    ]
    report = objects.import_file(TEST_ADMIN, write_csv(tmp_path / "gcj.csv", rows, header))
    assert report.imported == 2
    rows_by_key, codes = stored(services), grid_codes(services)
    for key in ("G-1", "G-2"):
        row = rows_by_key[key]
        assert abs(row.lat - lat) < 2e-7 and abs(row.lon - lon) < 2e-7, key
        assert codes[row.grid_id] == f"{XB}001", key
    # the whole file in GCJ-02 by the option (the point unconverted would lie outside 夏北)
    plain = write_csv(
        tmp_path / "gcj2.csv",
        [["G-3", "楼栋", "某楼三", "", f"{g_lon:.9f}", f"{g_lat:.9f}", "", "", "", "", ""]],
    )
    objects.import_file(TEST_ADMIN, plain, crs=CoordSystem.GCJ02)
    assert codes[stored(services)["G-3"].grid_id] == f"{XB}001"


def test_a_point_outside_every_grid_keeps_no_grid_and_its_village_from_the_boundary(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    # 夏北's grid 003 is missing: its south-west quarter has a boundary but no grid
    services.geo.import_grids(TEST_ADMIN, grid_file(("GC-XB",), skip=(f"{XB}003",)), replace=True)
    rows = [
        ["O-1", "楼栋", "夏北无网格楼", "", "113.105", "23.005", "", "", "", "", ""],
        ["O-2", "楼栋", "区外楼", "", "113.30", "23.30", "", "", "", "", ""],
        ["O-3", "楼栋", "夏北网格楼", "", "113.105", "23.015", "", "", "", "", ""],
    ]
    report = objects.import_file(TEST_ADMIN, write_csv(tmp_path / "outside.csv", rows))
    assert (report.imported, report.by_point, report.outside_grids, report.outside_villages) == (3, 1, 1, 1)
    assert report.outside_rows == [2, 3]
    rows_by_key = stored(services)
    assert (
        rows_by_key["O-1"].grid_id is None
        and rows_by_key["O-1"].village_unit_id == rows_by_key["O-3"].village_unit_id
    )
    assert rows_by_key["O-2"].grid_id is None and rows_by_key["O-2"].village_unit_id is None


def test_a_grid_code_wins_over_a_point_in_another_grid_and_is_counted(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    rows = [["C-1", "楼栋", "某楼", "", "113.105", "23.015", f"{XB}004", "", "", "", ""]]
    report = objects.import_file(TEST_ADMIN, write_csv(tmp_path / "code.csv", rows))
    assert (report.by_code, report.code_point_mismatch) == (1, 1)
    assert grid_codes(services)[stored(services)["C-1"].grid_id] == f"{XB}004"


def test_a_dry_run_checks_and_counts_but_writes_nothing(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "objects.csv",
        [*GOOD, ["B-1", "商场", "某商场", "", "113.105", "23.015", "", "", "", "", ""]],
    )
    report = objects.import_file(TEST_ADMIN, path, dry_run=True, rejects_path=tmp_path / "out" / "bad.csv")
    assert (report.dry_run, report.imported, report.rejected) == (True, 5, 1)
    assert stored(services) == {}
    assert len(rejects_of(tmp_path / "out" / "bad.csv")) == 2


@ONLY_SQLITE
def test_an_xlsx_file_and_a_gbk_csv_with_their_own_headers_import_alike(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["场所名称", "类型", "地址", "经度", "纬度", "从业人数"])
    sheet.append(["好又多便利店", "三小场所", "夏北路 1 号", 113.105, 23.015, 3])
    book.save(tmp_path / "shops.xlsx")
    mapping = ObjectMapping(columns={"name": "场所名称"})
    report = objects.import_file(TEST_ADMIN, tmp_path / "shops.xlsx", mapping=mapping)
    assert (report.imported, report.rejected) == (1, 0)
    gbk = write_csv(
        tmp_path / "gbk.csv",
        [["三小场所", "桂城面馆", "夏北路 2 号", "113.1052", "23.0152", "2"]],
        ["类型", "场所名称", "地址", "经度", "纬度", "从业人数"],
        encoding="gbk",
    )
    assert objects.import_file(TEST_ADMIN, gbk, mapping=mapping).imported == 1
    assert sorted((r.name, r.attributes["从业人数"]) for r in stored(services).values()) == [
        ("好又多便利店", 3),
        ("桂城面馆", 2),
    ]


@ONLY_SQLITE
def test_a_file_without_a_kind_or_a_place_column_is_refused_whole(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "bad.csv", [["某店", "夏北路"]], ["名称", "地址"])
    with pytest.raises(ValidationFailed) as refused:
        objects.import_file(TEST_ADMIN, path)
    assert refused.value.details["problems"] == [
        "缺少「类型」列",
        "缺少「经度」「纬度」列和「网格编码」列：至少要有其一，才能确定对象所在网格",
    ]
    with pytest.raises(ValidationFailed, match="文件不存在"):
        objects.import_file(TEST_ADMIN, tmp_path / "missing.csv")


@ONLY_SQLITE
def test_only_who_may_import_managed_objects_imports_them(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "objects.csv", GOOD)
    for role in (Role.DISPATCHER, Role.GRID_WORKER, Role.LEADER, Role.SYSTEM):
        with pytest.raises(PermissionDenied, match="仅系统管理员可以导入网格管理对象"):
            objects.import_file(Actor(None, role, None), path)
    assert stored(services) == {}


def test_objects_are_stored_in_batches_each_its_own_transaction(
    services: Services, objects: ManagedObjectService, tmp_path: Path
) -> None:
    rows = [
        [f"N-{i}", "楼栋", f"楼 {i}", "", f"{113.1001 + i * 0.0004:.6f}", "23.0101", "", "", "", "", ""]
        for i in range(95)
    ]
    seen: list[int] = []
    report = objects.import_file(
        TEST_ADMIN,
        write_csv(tmp_path / "many.csv", rows),
        batch_size=10,
        progress=lambda p: seen.append(p.imported),
    )
    # each batch reports when it commits; two writers (PostgreSQL) may finish the short last
    # batch before the one read before it
    steps = [b - a for a, b in zip([0, *seen], seen, strict=False)]
    assert report.imported == 95 and seen[-1] == 95
    assert sorted(steps) == [5] + [10] * 9
    with services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ManagedObjectRow)) == 95
