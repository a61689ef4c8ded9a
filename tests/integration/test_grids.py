"""Grids (单元网格) in the database (SQLite and PostgreSQL): import, export, replace, locating an
order in its grid, and `zhiyun grid import|export`.

The small district of tests/support.py, with square boundaries for two villages:

    夏北社区 GC-XB: lon 113.10–113.12, lat 23.00–23.02   平南社区 GC-PN: lon 113.12–113.14
    each cut into four grids, 001 NW, 002 NE, 003 SW, 004 SE
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support import (
    GRID_PREFIX,
    ONLY_SQLITE,
    PN_BOX,
    TEST_ADMIN,
    XB_BOX,
    District,
    build_small_district_with_boundaries,
    centre,
    grid_file,
    polygon,
    quadrants,
)
from typer.testing import CliRunner, Result

from zhiyun.bootstrap import Services
from zhiyun.domain.errors import NotFound
from zhiyun.geo.grids import GridFileRefused
from zhiyun.geo.tables import GridRow, GridVillageRow
from zhiyun.hotline.service import Call, Outcome, SeatService
from zhiyun.kernel.geo import CoordSystem, wgs84_to_gcj02
from zhiyun.orders.service import NewOrder
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database
from zhiyun.store.tables import TransitionRow, WorkOrderRow


@pytest.fixture
def district(services: Services) -> District:
    return build_small_district_with_boundaries(services)


def stored(db: Database) -> dict[str, tuple[int, str, int]]:
    """code → (id, name, village unit id)."""
    with db.reading() as session:
        return {r.code: (r.id, r.name, r.village_unit_id) for r in session.scalars(select(GridRow))}


def grids_revision(db: Database) -> int:
    with db.reading() as session:
        return ref.revision(session).get("grids", 0)


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- import and export


def test_grids_are_imported_and_exported_and_the_export_imports_back_unchanged(
    services: Services, district: District, tmp_path: Path
) -> None:
    report = services.geo.import_grids(TEST_ADMIN, write(tmp_path / "grids.geojson", grid_file()))
    assert (report.created, report.updated, report.unchanged, report.deleted) == (8, 0, 0, 0)
    assert report.new_prefixes == GRID_PREFIX and report.villages == 2 and report.warnings == []
    before = stored(services.db)
    assert len(before) == 8 and before["440605001001001"][2] == district.units["GC-XB"]
    with services.db.reading() as session:
        prefixes = dict(session.execute(select(GridVillageRow.village_unit_id, GridVillageRow.prefix)).all())
    assert prefixes == {district.units["GC-XB"]: "440605001001", district.units["GC-PN"]: "440605001002"}

    exported = services.geo.export_grids()
    first = exported["features"][0]["properties"]
    assert (
        first["code"] == "440605001001001"
        and first["village"] == "GC-XB"
        and first["village_name"] == "夏北社区"
    )
    assert first["name"] == "夏北社区第1网格" and first["area_m2"] == pytest.approx(1_135_000, rel=0.01)
    again = services.geo.import_grids(TEST_ADMIN, exported)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    assert stored(services.db) == before and grids_revision(services.db) == 1  # nothing written

    in_gcj = services.geo.export_grids(village="夏北社区", crs=CoordSystem.GCJ02)
    assert [f["properties"]["code"][-3:] for f in in_gcj["features"]] == ["001", "002", "003", "004"]
    lon, lat = in_gcj["features"][0]["geometry"]["coordinates"][0][0]
    g_lat, g_lon = wgs84_to_gcj02(23.01, 113.10)
    assert (lat, lon) == pytest.approx((g_lat, g_lon), abs=1e-7)
    back = services.geo.import_grids(TEST_ADMIN, in_gcj, crs=CoordSystem.GCJ02)
    assert (back.created, back.updated, back.unchanged) == (0, 0, 4)
    with pytest.raises(NotFound, match="村居 GC-XX 不存在"):
        services.geo.export_grids(village="GC-XX")


def test_an_import_upserts_by_code_and_a_grid_keeps_its_id(services: Services, district: District) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    before = stored(services.db)
    changed = grid_file()
    changed["features"][0]["properties"]["name"] = "夏北西北格"
    changed["features"][1]["geometry"] = polygon((113.11, 23.012, 113.12, 23.02))  # a smaller NE grid
    report = services.geo.import_grids(TEST_ADMIN, changed)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 6)
    [gap] = report.warnings  # the NE grid shrank: a strip of 夏北 is bare
    assert gap.startswith("村居 夏北社区（GC-XB） 有 ") and gap.endswith("（5.00%）未被网格覆盖")
    after = stored(services.db)
    assert after["440605001001001"] == (before["440605001001001"][0], "夏北西北格", district.units["GC-XB"])
    assert {code: v[0] for code, v in after.items()} == {code: v[0] for code, v in before.items()}
    assert grids_revision(services.db) == 2


def test_a_file_with_one_bad_feature_writes_nothing(services: Services, district: District) -> None:
    data = grid_file()
    data["features"][5]["geometry"]["coordinates"][0].pop()
    with pytest.raises(GridFileRefused) as refused:
        services.geo.import_grids(TEST_ADMIN, data)
    assert refused.value.details["problems"] == ["第 6 个要素（440605001002002）：外环未闭合（首尾坐标不同）"]
    assert stored(services.db) == {} and grids_revision(services.db) == 0
    with services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(GridVillageRow)) == 0


def test_a_dry_run_reports_what_an_import_would_do_and_writes_nothing(
    services: Services, district: District
) -> None:
    report = services.geo.import_grids(TEST_ADMIN, grid_file(), dry_run=True)
    assert report.dry_run and (report.created, report.villages) == (8, 2)
    assert stored(services.db) == {} and grids_revision(services.db) == 0


def test_overlaps_with_stored_grids_of_another_village_are_refused(
    services: Services, district: District
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file(("GC-PN",)))
    x0, y0, x1, y1 = quadrants(XB_BOX)[1]
    data = grid_file(("GC-XB",))
    data["features"][1]["geometry"] = polygon((x0, y0, x1 + 0.0000001, y1))  # 1 cm into 平南: in tolerance
    assert services.geo.import_grids(TEST_ADMIN, data).created == 4
    wider = grid_file(("GC-XB",))
    wider["features"][1]["geometry"] = polygon((x0, y0, x1 + 0.0003, y1))  # 30 m into 平南
    with pytest.raises(GridFileRefused) as refused:
        services.geo.import_grids(TEST_ADMIN, wider)
    problems = refused.value.details["problems"]
    assert isinstance(problems, list) and any("边界之外" in p for p in problems)


def test_replace_deletes_the_villages_grids_the_file_lacks_unless_orders_refer_to_them(
    services: Services, district: District
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    without_004 = grid_file(("GC-XB",), skip=("440605001001004",))
    kept = services.geo.import_grids(TEST_ADMIN, without_004)
    assert kept.deleted == 0 and len(stored(services.db)) == 8  # without --replace nothing goes
    order = register_at(services, district, centre(quadrants(XB_BOX)[3]))
    with pytest.raises(GridFileRefused) as refused:
        services.geo.import_grids(TEST_ADMIN, without_004, replace=True)
    assert refused.value.details["problems"] == [
        "网格 440605001001004（夏北社区第4网格）不在文件中但仍被引用（工单 1 件），不能删除"
    ]
    assert len(stored(services.db)) == 8
    with services.db.transaction() as session:  # the order moves elsewhere (as if located again)
        row = session.get(WorkOrderRow, order)
        assert row is not None
        row.grid_id = None
    done = services.geo.import_grids(TEST_ADMIN, without_004, replace=True)
    assert (done.deleted, done.deleted_codes) == (1, ["440605001001004"])
    assert "440605001001004" not in stored(services.db) and len(stored(services.db)) == 7
    assert any("未被网格覆盖" in w for w in done.warnings)


def test_only_an_admin_imports_grids(services: Services, district: District) -> None:
    from zhiyun.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="仅系统管理员可以导入网格"):
        services.geo.import_grids(district.actors["town"], grid_file())


# --------------------------------------------------------------------------- orders in their grid


def register_at(
    services: Services, district: District, point: tuple[float, float], call_id: str = "C-1"
) -> int:
    """An order from the 12345 channel with a WGS-84 point; its id."""
    key = services.channels.issue_key(TEST_ADMIN, "12345").key
    payload = {
        "call_id": call_id,
        "caller_number": "13812345678",
        "call_time": "2026-12-01T09:30:15+08:00",
        "agent_id": "A0417",
        "content": "路灯连续一周不亮，晚上行人很不安全，请尽快维修。",
        "lat": point[0],
        "lon": point[1],
        "coord_system": "wgs84",
    }
    return services.intake.receive("12345", payload, key=key).order.id


def test_an_order_registered_with_a_point_in_a_grid_carries_the_grid(
    services: Services, district: District
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    grid_id = stored(services.db)["440605001002003"][0]
    order = register_at(services, district, centre(quadrants(PN_BOX)[2]))
    with services.db.reading() as session:
        row = session.get(WorkOrderRow, order)
        assert row is not None
        assert (row.grid_id, row.village_unit_id, row.town_unit_id, row.location_source) == (
            grid_id,
            district.units["GC-PN"],
            district.units["GC"],
            "gps",
        )
        [registration] = session.scalars(select(TransitionRow).where(TransitionRow.order_id == order)).all()
        assert registration.action == "register" and registration.details["grid"] == "440605001002003"


def test_an_order_outside_every_grid_or_without_a_point_has_no_grid(
    services: Services, district: District
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file(("GC-XB",)))
    order = register_at(services, district, centre(quadrants(PN_BOX)[0]))  # 平南 has no grids yet
    with services.db.reading() as session:
        row = session.get(WorkOrderRow, order)
        assert row is not None and row.grid_id is None and row.village_unit_id == district.units["GC-PN"]
        registration = session.scalars(select(TransitionRow).where(TransitionRow.order_id == order)).one()
        assert "grid" not in registration.details


def test_a_call_registered_at_the_seat_with_a_point_carries_its_grid(
    services: Services, district: District
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file(("GC-XB",)))
    lat, lon = centre(quadrants(XB_BOX)[0])
    result = services.get(SeatService).register_call(
        district.actors["agent"],
        Call(
            NewOrder(
                title="井盖缺失",
                content="路口井盖缺失",
                citizen_phone="13800138000",
                latitude=lat,
                longitude=lon,
            ),
            Outcome.HOLD,
        ),
    )
    with services.db.reading() as session:
        row = session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == result.number)).one()
        assert row.grid_id == stored(services.db)["440605001001001"][0]


def test_a_new_import_is_seen_by_the_locator_at_once(services: Services, district: District) -> None:
    lat, lon = centre(quadrants(XB_BOX)[1])
    assert services.geo.locate(lat, lon).grid_id is None
    services.geo.import_grids(TEST_ADMIN, grid_file(("GC-XB",)))
    located = services.geo.locate(lat, lon)
    assert (located.grid_code, located.village_unit_id) == ("440605001001002", district.units["GC-XB"])
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    assert services.geo.locate(g_lat, g_lon, coord_system=CoordSystem.GCJ02).grid_code == "440605001001002"


# --------------------------------------------------------------------------- the command line

runner = CliRunner()


def grid_cli(db: Database, *args: str) -> Result:
    from zhiyun.grid.cli import grid_app

    return runner.invoke(grid_app, [*args, "--db", db.url])


@ONLY_SQLITE
def test_cli_imports_a_file_and_prints_the_counts_and_the_gaps(
    services: Services, district: District, tmp_path: Path
) -> None:
    path = write(tmp_path / "grids.geojson", grid_file(skip=("440605001002004",)))
    dry = grid_cli(services.db, "import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "检查通过，未写入（--dry-run）：将新增(created) 7" in dry.output and stored(services.db) == {}
    result = grid_cli(services.db, "import", str(path))
    assert result.exit_code == 0, result.output
    assert (
        "导入完成：新增(created) 7，更新(updated) 0，未变(unchanged) 0，删除(deleted) 0；涉及村居 2 个"
        in result.output
    )
    assert "村居 GC-PN 的网格编码前缀登记为 440605001002" in result.output
    assert "警告：村居 平南社区（GC-PN） 有 " in result.output and "未被网格覆盖" in result.output
    strict = grid_cli(services.db, "import", str(path), "--strict")
    assert strict.exit_code == 1 and "--strict：空隙不允许" in strict.output


@ONLY_SQLITE
def test_cli_refuses_a_bad_file_with_every_reason_and_exit_1(
    services: Services, district: District, tmp_path: Path
) -> None:
    data = grid_file()
    data["features"][0]["properties"]["code"] = "4406050010010"
    data["features"][2]["geometry"]["coordinates"][0].pop()
    result = grid_cli(services.db, "import", str(write(tmp_path / "bad.geojson", data)))
    assert result.exit_code == 1
    assert "错误：网格文件未导入，共 2 处问题：" in result.output
    assert "第 1 个要素（4406050010010）：网格编码应为 15 位数字" in result.output
    assert "第 3 个要素（440605001001003）：外环未闭合（首尾坐标不同）" in result.output
    assert "Traceback" not in result.output and stored(services.db) == {}
    missing = grid_cli(services.db, "import", str(tmp_path / "none.geojson"))
    assert missing.exit_code == 1 and "文件不存在" in missing.output
    wrong_crs = grid_cli(services.db, "import", str(tmp_path / "none.geojson"), "--crs", "bd09")
    assert wrong_crs.exit_code == 2


@ONLY_SQLITE
def test_cli_exports_all_or_one_village_in_either_datum(
    services: Services, district: District, tmp_path: Path
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    everything = grid_cli(services.db, "export")
    assert everything.exit_code == 0
    assert len(json.loads(everything.stdout)["features"]) == 8
    out = tmp_path / "xb.geojson"
    one = grid_cli(services.db, "export", "--village", "GC-XB", "--crs", "gcj02", "--out", str(out))
    assert one.exit_code == 0 and "已导出 4 个网格（gcj02）" in one.output
    back = grid_cli(services.db, "import", str(out), "--crs", "gcj02")
    assert back.exit_code == 0 and "未变(unchanged) 4" in back.output
    unknown = grid_cli(services.db, "export", "--village", "GC-XX")
    assert unknown.exit_code == 1 and "村居 GC-XX 不存在" in unknown.output


def test_the_grid_file_example_of_the_docs_is_importable(services: Services, district: District) -> None:
    """docs/grid.md's example file, as written there."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "grid.md").read_text(encoding="utf-8")
    block = text.split("```json", 1)[1].split("```", 1)[0]
    example = json.loads(block)
    report = services.geo.import_grids(TEST_ADMIN, copy.deepcopy(example), dry_run=True)
    assert report.created == len(example["features"])
