"""Unit boundaries in the database (SQLite and PostgreSQL): import, idempotency, locating, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support import TEST_ADMIN
from typer.testing import CliRunner, Result

from zhiyun.bootstrap import Services
from zhiyun.demo import boundaries as demo
from zhiyun.demo.district import units
from zhiyun.domain.errors import ValidationFailed
from zhiyun.geo.locator import Location
from zhiyun.geo.service import GeoService
from zhiyun.kernel.geo import CoordSystem, wgs84_to_gcj02
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database
from zhiyun.store.tables import UnitBoundaryRow

ALL_DEMO_UNITS = 1 + 7 + 40  # the district, its towns and villages


@pytest.fixture
def district(services: Services) -> Services:
    services.org.import_records(TEST_ADMIN, units())
    return services


@pytest.fixture
def geo(district: Services) -> GeoService:
    return GeoService(district.db)


def stored(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(UnitBoundaryRow)) or 0)


def boundaries_revision(db: Database) -> int:
    with db.reading() as session:
        return ref.revision(session).get("boundaries", 0)


def ids(services: Services) -> dict[str, int]:
    with services.db.reading() as session:
        return {u.code: u.id for u in ref.load_org(session).units.values()}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def square(lat: float, lon: float, size: float = 0.001) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


# --------------------------------------------------------------------------- import


def test_import_stores_every_boundary_and_the_locator_finds_villages(
    geo: GeoService, district: Services, tmp_path: Path
) -> None:
    report = geo.import_geojson(TEST_ADMIN, write(tmp_path / "nanhai.geojson", demo.demo_boundaries()))
    assert (report.created, report.updated, report.unchanged) == (ALL_DEMO_UNITS, 0, 0)
    assert report.warnings == []
    assert stored(district.db) == ALL_DEMO_UNITS
    assert boundaries_revision(district.db) == 1
    unit = ids(district)
    lat, lon = demo.village_centre("GC-XB")
    assert geo.locate(lat, lon) == Location(unit["GC"], unit["GC-XB"], "gps")
    assert geo.locate(None, None, "里水得胜村") == Location(unit["LS"], unit["LS-DS"], "address")


def test_reimporting_the_same_file_changes_nothing(
    geo: GeoService, district: Services, tmp_path: Path
) -> None:
    path = write(tmp_path / "nanhai.geojson", demo.demo_boundaries())
    geo.import_geojson(TEST_ADMIN, path)
    locator = geo.locator()
    report = geo.import_geojson(TEST_ADMIN, path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, ALL_DEMO_UNITS)
    assert boundaries_revision(district.db) == 1
    assert geo.locator() is locator  # the cache survives an import that changed nothing


def test_a_changed_boundary_is_updated_and_the_locator_rebuilt(geo: GeoService, district: Services) -> None:
    geo.import_geojson(TEST_ADMIN, demo.demo_boundaries())
    before = geo.locator()
    lat, lon = demo.village_centre("GC-PD")
    unit = ids(district)
    assert before.locate(lat, lon).village_unit_id == unit["GC-PD"]
    # Move 夏北社区 to a little square around 平东's centre (boundaries may overlap; the smaller wins).
    moved = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"unit_code": "GC-XB"},
                "geometry": square(lat - 0.0005, lon - 0.0005),
            }
        ],
    }
    report = geo.import_geojson(TEST_ADMIN, moved)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert boundaries_revision(district.db) == 2
    after = geo.locator()
    assert after is not before
    assert after.locate(lat, lon) == Location(unit["GC"], unit["GC-XB"], "gps")


def test_replace_removes_boundaries_missing_from_the_file(geo: GeoService, district: Services) -> None:
    geo.import_geojson(TEST_ADMIN, demo.demo_boundaries())
    report = geo.import_geojson(TEST_ADMIN, demo.demo_boundaries(["NH", "GC", "GC-XB"]), replace=True)
    assert (report.unchanged, report.removed) == (3, ALL_DEMO_UNITS - 3)
    assert stored(district.db) == 3


def test_gcj02_coordinates_are_converted_on_import_and_on_locate(geo: GeoService, district: Services) -> None:
    wgs = demo.demo_boundaries(["GC", "GC-XB"])
    shifted = json.loads(json.dumps(wgs))
    for feature in shifted["features"]:
        for ring in feature["geometry"]["coordinates"]:
            for point in ring:
                lat, lon = wgs84_to_gcj02(point[1], point[0])
                point[0], point[1] = lon, lat
    geo.import_geojson(TEST_ADMIN, shifted, gcj02=True)
    unit = ids(district)
    lat, lon = demo.village_centre("GC-XB")
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    assert geo.locate(g_lat, g_lon, coord_system=CoordSystem.GCJ02) == Location(
        unit["GC"], unit["GC-XB"], "gps"
    )
    with district.db.reading() as session:
        row = session.get(UnitBoundaryRow, unit["GC-XB"])
        assert row is not None
        first_lon, first_lat = row.geometry["coordinates"][0][0]
    original_lon, original_lat = wgs["features"][1]["geometry"]["coordinates"][0][0]
    assert (first_lat, first_lon) == pytest.approx((original_lat, original_lon), abs=1e-7)


def test_an_invalid_polygon_is_repaired_and_stored_with_a_warning(
    geo: GeoService, district: Services
) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[113.0, 23.0], [113.1, 23.1], [113.1, 23.0], [113.0, 23.1], [113.0, 23.0]]],
    }
    report = geo.import_geojson(
        TEST_ADMIN,
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"code": "GC"}, "geometry": bowtie}],
        },
    )
    assert report.created == 1
    assert any("已自动修复" in w for w in report.warnings)
    with district.db.reading() as session:
        row = session.get(UnitBoundaryRow, ids(district)["GC"])
        assert row is not None and row.geometry["type"] == "MultiPolygon"


def test_a_village_outside_its_town_is_imported_with_a_warning(geo: GeoService, district: Services) -> None:
    geo.import_geojson(TEST_ADMIN, demo.demo_boundaries(["GC"]))
    far = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "GC-XB"}, "geometry": square(23.2, 113.14, 0.01)}
        ],
    }
    report = geo.import_geojson(TEST_ADMIN, far)
    assert report.created == 1
    assert any("GC-XB" in w and "桂城街道" in w for w in report.warnings)


# --------------------------------------------------------------------------- bad files


def _assert_nothing_stored(geo: GeoService, district: Services) -> None:
    assert stored(district.db) == 0
    assert boundaries_revision(district.db) == 0


def test_unknown_codes_are_listed_and_nothing_is_stored(geo: GeoService, district: Services) -> None:
    data = demo.demo_boundaries()
    data["features"].append(
        {"type": "Feature", "properties": {"code": "XX-1"}, "geometry": square(23.0, 113.0)}
    )
    data["features"].append(
        {"type": "Feature", "properties": {"code": "XX-2"}, "geometry": square(23.0, 113.0)}
    )
    with pytest.raises(ValidationFailed) as exc:
        geo.import_geojson(TEST_ADMIN, data)
    assert exc.value.details["codes"] == ["XX-1", "XX-2"]
    assert "XX-1" in exc.value.message and "XX-2" in exc.value.message
    _assert_nothing_stored(geo, district)


def test_a_department_has_no_boundary(geo: GeoService, district: Services) -> None:
    data = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"code": "ZJJ"}, "geometry": square(23.0, 113.0)}],
    }
    with pytest.raises(ValidationFailed, match="区、镇街、村居"):
        geo.import_geojson(TEST_ADMIN, data)
    _assert_nothing_stored(geo, district)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"type": "FeatureCollection", "features": [', "JSON 格式错误"),
        ("", "JSON 格式错误"),
        ('{"type": "Feature", "properties": {"code": "GC"}, "geometry": null}', "FeatureCollection"),
        ('[{"code": "GC"}]', "FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "GC"},'
            ' "geometry": {"type": "LineString", "coordinates": [[113, 23], [113.1, 23.1]]}}]}',
            "Polygon",
        ),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    geo: GeoService, district: Services, tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        geo.import_geojson(TEST_ADMIN, path)
    assert words in exc.value.message
    _assert_nothing_stored(geo, district)


def test_a_missing_or_non_utf8_file_is_refused(geo: GeoService, district: Services, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="文件不存在"):
        geo.import_geojson(TEST_ADMIN, tmp_path / "missing.geojson")
    gbk = tmp_path / "gbk.geojson"
    gbk.write_bytes('{"name": "桂城"}'.encode("gbk"))
    with pytest.raises(ValidationFailed, match="UTF-8"):
        geo.import_geojson(TEST_ADMIN, gbk)
    _assert_nothing_stored(geo, district)


# --------------------------------------------------------------------------- locator cache, demo, export


def test_the_locator_is_rebuilt_when_the_org_changes(geo: GeoService, district: Services) -> None:
    first = geo.locator()
    assert geo.locator() is first
    records = [
        r if r.code != "GC-XB" else type(r)(r.code, r.name, r.kind, r.parent_code, ("夏北", "夏北花园"))
        for r in units()
    ]
    district.org.import_records(TEST_ADMIN, records)
    second = geo.locator()
    assert second is not first
    assert second.locate(None, None, "夏北花园门口").village_unit_id == ids(district)["GC-XB"]


def test_demo_boundaries_are_stored_once(district: Services) -> None:
    first = demo.ensure_boundaries(district)
    again = demo.ensure_boundaries(district)
    assert first.created == ALL_DEMO_UNITS
    assert (again.created, again.updated, again.unchanged) == (0, 0, ALL_DEMO_UNITS)


def test_demo_boundaries_cover_only_units_that_exist(services: Services) -> None:
    services.org.import_records(TEST_ADMIN, [r for r in units() if r.code in ("NH", "GC", "GC-XB", "ZJJ")])
    report = demo.ensure_boundaries(services)
    assert report.created == 3


def test_export_gives_back_a_feature_collection_that_imports_unchanged(geo: GeoService) -> None:
    geo.import_geojson(TEST_ADMIN, demo.demo_boundaries())
    exported = geo.export_geojson()
    assert exported["type"] == "FeatureCollection"
    assert len(exported["features"]) == ALL_DEMO_UNITS
    names = {f["properties"]["code"]: f["properties"]["name"] for f in exported["features"]}
    assert names["GC-XB"] == "夏北社区"
    assert geo.import_geojson(TEST_ADMIN, exported).unchanged == ALL_DEMO_UNITS


def test_locate_refuses_impossible_coordinates(geo: GeoService) -> None:
    with pytest.raises(ValidationFailed):
        geo.locate(0.0, 0.0)
    with pytest.raises(ValidationFailed):
        geo.locate(23.0, None)


# --------------------------------------------------------------------------- CLI


runner = CliRunner()


def geo_cli(db: Database, *args: str) -> Result:
    from zhiyun.geo.cli import geo_app

    return runner.invoke(geo_app, [*args, "--db", db.url])


def test_cli_imports_boundaries_and_reimports_unchanged(district: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "nanhai.geojson", demo.demo_boundaries())
    result = geo_cli(district.db, "import-boundaries", str(path))
    assert result.exit_code == 0, result.output
    assert f"新增(created) {ALL_DEMO_UNITS}" in result.output
    again = geo_cli(district.db, "import-boundaries", str(path))
    assert again.exit_code == 0, again.output
    assert f"未变(unchanged) {ALL_DEMO_UNITS}" in again.output


def test_cli_refuses_a_bad_file_in_red_with_exit_1(district: Services, tmp_path: Path) -> None:
    data = demo.demo_boundaries(["GC"])
    data["features"][0]["properties"]["code"] = "NOPE"
    result = geo_cli(district.db, "import-boundaries", str(write(tmp_path / "bad.geojson", data)))
    assert result.exit_code == 1
    assert "单位编码不存在：NOPE" in result.output
    assert "Traceback" not in result.output
    assert stored(district.db) == 0


def test_cli_locates_a_point_and_an_address(district: Services, tmp_path: Path) -> None:
    demo.ensure_boundaries(district)
    lat, lon = demo.village_centre("GC-XB")
    result = geo_cli(district.db, "locate", str(lat), str(lon))
    assert result.exit_code == 0, result.output
    assert (
        "夏北社区（GC-XB）" in result.output and "桂城街道（GC）" in result.output and "gps" in result.output
    )
    by_address = geo_cli(district.db, "locate", "--address", "大沥镇盐步社区")
    assert by_address.exit_code == 0, by_address.output
    assert "盐步社区（DL-YB）" in by_address.output and "address" in by_address.output
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    as_json = geo_cli(district.db, "locate", str(g_lat), str(g_lon), "--gcj02", "--json")
    assert as_json.exit_code == 0, as_json.output
    line = json.loads(as_json.stdout.strip().splitlines()[-1])
    assert line["town"] == "GC" and line["village"] == "GC-XB" and line["source"] == "gps"
    assert line["latitude"] == pytest.approx(lat, abs=1e-6)


def test_cli_says_when_nothing_matches(district: Services) -> None:
    result = geo_cli(district.db, "locate", "--address", "广州市天河区")
    assert result.exit_code == 0
    assert "未能定位" in result.output


def test_cli_refuses_impossible_points_and_missing_arguments(district: Services) -> None:
    from zhiyun.geo.cli import geo_app

    outside = runner.invoke(geo_app, ["locate", "--db", district.db.url, "--", "-33.86", "151.2"])
    assert outside.exit_code == 1 and "不在中国境内" in outside.output
    nothing = geo_cli(district.db, "locate")
    assert nothing.exit_code == 2


def test_cli_refuses_a_missing_database_file(tmp_path: Path) -> None:
    from zhiyun.geo.cli import geo_app

    result = runner.invoke(geo_app, ["locate", "--address", "桂城", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "数据库文件不存在" in result.output
