"""Locating orders: point in the demo district's synthetic boundaries, gazetteer match of addresses."""

from __future__ import annotations

import random

import pytest
from shapely.geometry import Polygon, box, mapping

from zhiyun.demo import boundaries as demo
from zhiyun.demo.district import TOWNS, units
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.geo.locator import NOWHERE, Gazetteer, GridShape, Location, Locator, parse_boundaries
from zhiyun.kernel.geo import wgs84_to_gcj02


def _demo_org() -> OrgTree:
    records = units()
    ids = {r.code: i for i, r in enumerate(records, start=1)}
    return OrgTree.of(
        Unit(
            ids[r.code],
            r.code,
            r.name,
            UnitKind(r.kind),
            ids[r.parent_code] if r.parent_code else None,
            r.aliases,
        )
        for r in records
    )


ORG = _demo_org()
ID = {u.code: u.id for u in ORG.units.values()}
VILLAGES = [f"{t.code}-{v.suffix}" for t in TOWNS for v in t.villages]


def _locator(codes: list[str] | None = None) -> Locator:
    wanted = (
        codes if codes is not None else [f["properties"]["code"] for f in demo.demo_boundaries()["features"]]
    )
    return Locator({ID[c]: demo.boundary(c) for c in wanted}, ORG)


LOCATOR = _locator()


def at(code: str, source: str = "gps") -> Location:
    unit = ORG.by_code(code)
    if unit.kind is UnitKind.VILLAGE:
        return Location(unit.parent_id, unit.id, source)
    return Location(unit.id, None, source)


# --------------------------------------------------------------------------- point in polygon


@pytest.mark.parametrize("code", VILLAGES)
def test_a_village_centre_lies_in_that_village_and_its_town(code: str) -> None:
    lat, lon = demo.village_centre(code)
    assert LOCATOR.locate(lat, lon) == at(code)


def test_random_points_inside_demo_villages_locate_to_them() -> None:
    rng = random.Random(7)
    for code in VILLAGES:
        for _ in range(5):
            lat, lon = demo.point_in_village(code, rng)
            assert LOCATOR.locate_point(lat, lon) == at(code), (code, lat, lon)


def test_the_point_wins_over_an_address_naming_another_place() -> None:
    lat, lon = demo.village_centre("GC-XB")
    assert LOCATOR.locate(lat, lon, "大沥镇盐步社区") == at("GC-XB")


def test_a_point_only_a_town_boundary_holds_gives_the_town() -> None:
    locator = _locator(["GC", "DL"])
    lat, lon = demo.village_centre("GC-XB")
    assert locator.locate(lat, lon) == at("GC")


def test_a_town_only_point_is_refined_by_an_address_naming_a_village_of_that_town() -> None:
    locator = _locator(["GC", "DL"])
    lat, lon = demo.village_centre("GC-XB")
    assert locator.locate(lat, lon, "桂城平东社区") == Location(ID["GC"], ID["GC-PD"], "gps")
    # a village of another town does not override the point
    assert locator.locate(lat, lon, "大沥镇盐步社区") == at("GC")


def test_a_point_on_no_polygon_falls_back_to_the_address() -> None:
    guangzhou = (23.1291, 113.2644)  # outside the synthetic district
    assert LOCATOR.locate_point(*guangzhou) == NOWHERE
    assert LOCATOR.locate(*guangzhou, "南海区大沥镇奇槎社区") == at("DL-QC", "address")
    assert LOCATOR.locate(*guangzhou) == NOWHERE
    assert LOCATOR.locate(*guangzhou, "广州市天河区体育西路") == NOWHERE


def test_without_boundaries_only_the_address_counts() -> None:
    locator = Locator({}, ORG)
    assert locator.boundary_count == 0
    assert locator.locate(23.03, 113.15, "桂城夏北社区") == at("GC-XB", "address")
    assert locator.locate(23.03, 113.15) == NOWHERE


def test_district_and_department_boundaries_are_ignored_for_locating() -> None:
    locator = Locator({ID["NH"]: demo.boundary("NH"), ID["ZJJ"]: demo.boundary("GC")}, ORG)
    assert locator.boundary_count == 0


def test_on_a_shared_edge_the_point_goes_to_exactly_one_village() -> None:
    a = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    b = Polygon([(1, 0), (2, 0), (2, 1), (1, 1)])
    town = box(0, 0, 2, 1)
    org = OrgTree.of(
        [
            Unit(1, "D", "区", UnitKind.DISTRICT, None),
            Unit(2, "T", "某镇", UnitKind.TOWN, 1),
            Unit(3, "T-A", "甲村", UnitKind.VILLAGE, 2),
            Unit(4, "T-B", "乙村", UnitKind.VILLAGE, 2),
        ]
    )
    locator = Locator({2: town, 3: a, 4: b}, org)
    assert locator.locate_point(0.5, 1.0) == Location(2, 3, "gps")  # x=1 edge: smaller area, then lower id
    assert locator.locate_point(0.5, 1.5) == Location(2, 4, "gps")
    assert locator.locate_point(float("nan"), 1.5) == NOWHERE


def _two_villages() -> OrgTree:
    return OrgTree.of(
        [
            Unit(1, "D", "区", UnitKind.DISTRICT, None),
            Unit(2, "T", "某镇", UnitKind.TOWN, 1),
            Unit(3, "T-A", "甲村", UnitKind.VILLAGE, 2),
            Unit(4, "T-B", "乙村", UnitKind.VILLAGE, 2),
        ]
    )


def test_a_point_in_a_grid_gets_the_grid_and_the_grids_village() -> None:
    grids = {
        31: GridShape(3, "440605001001001", box(0, 0, 1, 1)),
        32: GridShape(3, "440605001001002", box(1, 0, 2, 1)),
        41: GridShape(4, "440605001002001", box(2, 0, 3, 1)),
    }
    locator = Locator({3: box(0, 0, 2, 1), 4: box(2, 0, 3, 1)}, _two_villages(), grids)
    assert locator.grid_count == 3
    assert locator.locate_point(0.5, 1.5) == Location(2, 3, "gps", 32, "440605001001002")
    assert locator.locate(0.5, 2.5, "甲村") == Location(2, 4, "gps", 41, "440605001002001")  # the point wins
    assert locator.locate_point(0.5, 1.0).grid_id == 31  # on a shared edge: one grid (same area: lower id)
    assert locator.locate_point(0.5, 5.0) == NOWHERE


def test_where_a_grid_and_the_village_boundaries_disagree_the_grid_wins() -> None:
    # 乙村's grid sticks 0.001 into 甲村's boundary (within an import's tolerance at this scale)
    grids = {41: GridShape(4, "440605001002001", box(1.999, 0, 3, 1))}
    locator = Locator({3: box(0, 0, 2, 1), 4: box(2, 0, 3, 1)}, _two_villages(), grids)
    assert locator.locate_point(0.5, 1.9995) == Location(2, 4, "gps", 41, "440605001002001")
    assert locator.locate_point(0.5, 1.5) == Location(2, 3, "gps")  # in no grid: the boundaries, no grid


def test_grids_alone_locate_without_any_boundary_and_unknown_villages_are_ignored() -> None:
    grids = {
        41: GridShape(4, "440605001002001", box(2, 0, 3, 1)),
        99: GridShape(99, "440605001099001", box(5, 0, 6, 1)),  # a village no longer in the tree
    }
    locator = Locator({}, _two_villages(), grids)
    assert locator.grid_count == 1
    assert locator.locate_point(0.5, 2.5) == Location(2, 4, "gps", 41, "440605001002001")
    assert locator.locate_point(0.5, 5.5) == NOWHERE
    from_json = Locator.from_geojson(
        {}, _two_villages(), {41: (4, "440605001002001", mapping(box(2, 0, 3, 1)))}
    )
    assert from_json.locate_point(0.5, 2.5).grid_id == 41


def test_nested_village_polygons_prefer_the_smaller_one() -> None:
    org = OrgTree.of(
        [
            Unit(1, "D", "区", UnitKind.DISTRICT, None),
            Unit(2, "T", "某镇", UnitKind.TOWN, 1),
            Unit(3, "T-A", "甲村", UnitKind.VILLAGE, 2),
            Unit(4, "T-B", "乙村", UnitKind.VILLAGE, 2),
        ]
    )
    locator = Locator({3: box(0, 0, 10, 10), 4: box(4, 4, 6, 6)}, org)
    assert locator.locate_point(5, 5) == Location(2, 4, "gps")
    assert locator.locate_point(1, 1) == Location(2, 3, "gps")


# --------------------------------------------------------------------------- gazetteer


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("桂城夏北社区", "GC-XB"),
        ("桂城街道夏北社区", "GC-XB"),
        ("佛山市南海区桂城街道叠滘社区南海大道18号", "GC-DJ"),
        ("夏北", "GC-XB"),
        ("叠滘那边的路灯坏了", "GC-DJ"),
        ("大沥", "DL"),
        ("大沥镇", "DL"),
        ("佛山市南海区大沥镇广佛路100号", "DL"),
        ("大沥镇盐步社区", "DL-YB"),
        ("里水社区", "LS-LS"),  # not just the town 里水 inside it
        ("里水镇", "LS"),
        ("里水得胜村委会旁边", "LS-DS"),
        ("丹灶苏村", "DZ-SC"),
        ("西樵简村", "XQ-JC"),
        ("桂城 夏北 社区", "GC-XB"),
        ("九江镇沙口路10号", "JJ-SK"),
        ("狮山镇小塘社区小塘大道", "SS-XT"),
    ],
)
def test_addresses_name_their_village_or_town(text: str, code: str) -> None:
    assert LOCATOR.locate(None, None, text) == at(code, "address")


@pytest.mark.parametrize("text", ["", None, "广州市天河区体育西路", "南海区", "路灯坏了", "桂"])
def test_addresses_naming_no_town_or_village_give_nowhere(text: str | None) -> None:
    assert LOCATOR.locate(None, None, text) == NOWHERE


def test_a_village_of_another_town_than_the_one_named_gives_the_town_only() -> None:
    assert LOCATOR.locate(None, None, "大沥镇夏北社区") == at("DL", "address")


def test_aliases_added_to_a_unit_are_matched() -> None:
    unit = ORG.by_code("GC-XB")
    org = OrgTree.of(
        [
            *(u for u in ORG.units.values() if u.id != unit.id),
            Unit(unit.id, unit.code, unit.name, unit.kind, unit.parent_id, ("夏北", "夏北村委")),
        ]
    )
    assert Gazetteer(org).match("夏北村委门口") == Location(unit.parent_id, unit.id, "address")


def _twin_org() -> OrgTree:
    return OrgTree.of(
        [
            Unit(1, "D", "南海区", UnitKind.DISTRICT, None),
            Unit(2, "XQ", "西樵镇", UnitKind.TOWN, 1, ("西樵",)),
            Unit(3, "DZ", "丹灶镇", UnitKind.TOWN, 1, ("丹灶",)),
            Unit(4, "XQ-XT", "新田村", UnitKind.VILLAGE, 2),
            Unit(5, "DZ-XT", "新田村", UnitKind.VILLAGE, 3),
            Unit(6, "XQ-A", "太平村", UnitKind.VILLAGE, 2, ("太平",)),
            Unit(7, "XQ-B", "太平社区", UnitKind.VILLAGE, 2, ("太平",)),
        ]
    )


def test_a_village_name_shared_by_two_towns_is_decided_by_the_town_named() -> None:
    gazetteer = Gazetteer(_twin_org())
    assert gazetteer.match("西樵镇新田村") == Location(2, 4, "address")
    assert gazetteer.match("丹灶新田村") == Location(3, 5, "address")
    assert gazetteer.match("新田村") == NOWHERE  # two towns, none named


def test_an_alias_shared_by_two_villages_of_one_town_gives_that_town() -> None:
    assert Gazetteer(_twin_org()).match("太平") == Location(2, None, "address")
    assert Gazetteer(_twin_org()).match("太平社区") == Location(2, 7, "address")


def test_location_reports_its_most_precise_unit() -> None:
    assert Location(1, 2, "gps").unit_id == 2
    assert Location(1, None, "address").unit_id == 1
    assert NOWHERE.unit_id is None and not NOWHERE.found


# --------------------------------------------------------------------------- GeoJSON parsing


def _feature(code: object, geometry: object, key: str = "code") -> dict[str, object]:
    return {"type": "Feature", "properties": {key: code}, "geometry": geometry}


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.0, 23.0], [113.1, 23.0], [113.1, 23.1], [113.0, 23.1], [113.0, 23.0]]],
}


def test_parse_reads_polygons_and_multipolygons_with_code_or_unit_code() -> None:
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    parsed = parse_boundaries(
        {
            "type": "FeatureCollection",
            "features": [_feature("GC", SQUARE), _feature("DL", multi, "unit_code")],
        }
    )
    assert [b.code for b in parsed.boundaries] == ["GC", "DL"]
    assert parsed.boundaries[0].bbox == (113.0, 23.0, 113.1, 23.1)
    assert parsed.boundaries[0].geojson()["type"] == "Polygon"
    assert parsed.warnings == []


def test_parse_repairs_a_self_intersecting_polygon_with_a_warning() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[113.0, 23.0], [113.1, 23.1], [113.1, 23.0], [113.0, 23.1], [113.0, 23.0]]],
    }
    parsed = parse_boundaries({"type": "FeatureCollection", "features": [_feature("GC", bowtie)]})
    assert parsed.boundaries[0].geometry.is_valid
    assert parsed.boundaries[0].geometry.area == pytest.approx(0.005)
    assert "GC" in parsed.warnings[0] and "已自动修复" in parsed.warnings[0]


def test_parse_converts_gcj02_coordinates_to_wgs84() -> None:
    lat, lon = wgs84_to_gcj02(23.0, 113.0)
    shifted = {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + 0.1, lat], [lon, lat + 0.1], [lon, lat]]],
    }
    parsed = parse_boundaries(
        {"type": "FeatureCollection", "features": [_feature("GC", shifted)]}, gcj02=True
    )
    first_lon, first_lat = parsed.boundaries[0].geojson()["coordinates"][0][0]
    assert (first_lat, first_lon) == pytest.approx((23.0, 113.0), abs=1e-7)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "FeatureCollection"),
        ({"type": "Feature", "geometry": SQUARE}, "FeatureCollection"),
        ({"type": "FeatureCollection"}, "features"),
        ({"type": "FeatureCollection", "features": [{"type": "Point"}]}, "不是 Feature"),
        ({"type": "FeatureCollection", "features": [_feature("", SQUARE)]}, "缺少单位编码"),
        (
            {"type": "FeatureCollection", "features": [_feature("GC", SQUARE), _feature("GC", SQUARE)]},
            "编码重复",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature("GC", {"type": "Point", "coordinates": [113, 23]})],
            },
            "Polygon",
        ),
        ({"type": "FeatureCollection", "features": [_feature("GC", None)]}, "Polygon"),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature("GC", {"type": "Polygon", "coordinates": [[[1, 2]]]})],
            },
            "无法解析",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature("GC", {"type": "Polygon", "coordinates": []})],
            },
            "为空",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    _feature(
                        "GC",
                        {
                            "type": "Polygon",
                            "coordinates": [
                                [[500000, 2500000], [510000, 2500000], [510000, 2510000], [500000, 2500000]]
                            ],
                        },
                    )
                ],
            },
            "不是经纬度",
        ),
    ],
)
def test_parse_refuses_bad_files_with_a_reason(data: object, words: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_boundaries(data)
    assert words in exc.value.message
