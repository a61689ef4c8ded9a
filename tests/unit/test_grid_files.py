"""Grid files (geo/grids.py): good and broken GeoJSON, checked against villages and stored grids.

Pure: the villages and the stored grids are given, as `GeoService.import_grids` loads them.

    夏北社区 GC-XB (id 4, prefix 440605001001)   平南社区 GC-PN (id 5, prefix free)
    lon 113.10–113.12, lat 23.00–23.02           lon 113.12–113.14, lat 23.00–23.02
    ┌─────┬─────┐                              ┌─────┬─────┐
    │ 001 │ 002 │  (north → south,             │ 001 │ 002 │
    ├─────┼─────┤   west → east)               ├─────┼─────┤
    │ 003 │ 004 │                              │ 003 │ 004 │
    └─────┴─────┘                              └─────┴─────┘
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from shapely.geometry import box, shape

from zhiyun.domain.errors import ValidationFailed
from zhiyun.geo.grids import (
    GridFileRefused,
    GridPlan,
    StoredGrid,
    UnitRef,
    area_m2,
    grid_feature_collection,
    parse_grid_features,
    plan_grids,
)
from zhiyun.kernel.geo import CoordSystem, wgs84_to_gcj02

XB, PN, TOWN = 4, 5, 2
XB_BOX = (113.10, 23.00, 113.12, 23.02)
PN_BOX = (113.12, 23.00, 113.14, 23.02)


def units(xb_prefix: str | None = "440605001001", pn_prefix: str | None = None) -> list[UnitRef]:
    return [
        UnitRef(TOWN, "GC", "桂城街道", "镇街", False),
        UnitRef(XB, "GC-XB", "夏北社区", "村居", True, xb_prefix, box(*XB_BOX)),
        UnitRef(PN, "GC-PN", "平南社区", "村居", True, pn_prefix, box(*PN_BOX)),
        UnitRef(6, "DL-YB", "盐步社区", "村居", True, None, None),  # no boundary stored
    ]


def ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def quadrants(bounds: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """NW, NE, SW, SE: the order the codes number them."""
    x0, y0, x1, y1 = bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return [(x0, ym, xm, y1), (xm, ym, x1, y1), (x0, y0, xm, ym), (xm, y0, x1, ym)]


def feature(
    code: Any, coordinates: Any, village: str | None = None, name: str | None = None
) -> dict[str, Any]:
    properties: dict[str, Any] = {"code": code}
    if village is not None:
        properties["village"] = village
    if name is not None:
        properties["name"] = name
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }


def village_features(
    prefix: str, bounds: tuple[float, float, float, float], village: str | None
) -> list[dict[str, Any]]:
    return [
        feature(f"{prefix}{n:03d}", [ring(*q)], village) for n, q in enumerate(quadrants(bounds), start=1)
    ]


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def good_file() -> dict[str, Any]:
    return collection(
        *village_features("440605001001", XB_BOX, None),  # 夏北's prefix is known: no village needed
        *village_features("440605001002", PN_BOX, "平南社区"),  # by name
    )


def plan(
    data: dict[str, Any],
    *,
    stored: list[StoredGrid] | None = None,
    crs: CoordSystem = CoordSystem.WGS84,
    replace: bool = False,
    strict: bool = False,
    xb_prefix: str | None = "440605001001",
) -> GridPlan:
    features, problems = parse_grid_features(data, crs=crs)
    result = plan_grids(features, units(xb_prefix), stored or [], replace=replace, strict=strict)
    result.problems[:0] = problems
    return result


def messages(result: GridPlan) -> list[str]:
    return [str(p) for p in result.problems]


# --------------------------------------------------------------------------- a good file


def test_a_good_file_creates_every_grid_and_records_the_new_villages_prefix() -> None:
    result = plan(good_file())
    assert messages(result) == []
    assert [g.code for g in result.create] == [f"440605001001{n:03d}" for n in range(1, 5)] + [
        f"440605001002{n:03d}" for n in range(1, 5)
    ]
    assert {g.village_unit_id for g in result.create} == {XB, PN}
    assert result.prefixes == {PN: "440605001002"}  # 夏北's was known already
    assert result.warnings == [] and result.gaps == []  # the quadrants tile each village
    assert result.create[0].name == "夏北社区第1网格"
    quarter = area_m2(box(*XB_BOX)) / 4
    assert all(g.area_m2 == pytest.approx(quarter, rel=1e-3) for g in result.create[:4])


def test_areas_are_square_metres_of_the_wgs84_ellipsoid() -> None:
    # independent lengths of a degree at 23°N (the usual series for WGS-84)
    phi = math.radians(23.0)
    lat_degree = 111132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    lon_degree = 111412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    square = box(113.0, 22.9995, 113.001, 23.0005)  # 0.001° × 0.001° centred on 23°N
    assert area_m2(square) == pytest.approx(lat_degree * lon_degree * 1e-6, rel=1e-4)
    assert area_m2(box(113.0, 23.0, 113.0, 23.0)) == 0.0


def test_the_same_grids_again_change_nothing_and_a_new_name_is_an_update() -> None:
    first = plan(good_file())
    stored = [
        StoredGrid(i, g.code, g.name, g.village_unit_id, g.geometry) for i, g in enumerate(first.create, 1)
    ]
    again = plan(good_file(), stored=stored, xb_prefix="440605001001")
    assert (len(again.create), len(again.update), len(again.unchanged)) == (0, 0, 8)
    renamed = good_file()
    renamed["features"][0]["properties"]["name"] = "夏北一格"
    changed = plan(renamed, stored=stored)
    assert [(grid_id, g.name) for grid_id, g in changed.update] == [(1, "夏北一格")]


# --------------------------------------------------------------------------- broken files


def test_an_unclosed_ring_is_refused_with_the_features_number_and_code() -> None:
    data = good_file()
    data["features"][1]["geometry"]["coordinates"][0].pop()  # drop the closing point
    result = plan(data)
    assert messages(result) == ["第 2 个要素（440605001001002）：外环未闭合（首尾坐标不同）"]


def test_a_ring_of_three_points_and_a_hole_left_open_are_refused() -> None:
    data = collection(
        feature("440605001001001", [[[113.10, 23.01], [113.11, 23.01], [113.10, 23.01]]]),
        feature(
            "440605001001002",
            [ring(113.11, 23.01, 113.12, 23.02), [[113.112, 23.012], [113.114, 23.012], [113.114, 23.014]]],
        ),
    )
    assert messages(plan(data)) == [
        "第 1 个要素（440605001001001）：外环少于 4 个坐标点",
        "第 2 个要素（440605001001002）：第 1 个内环少于 4 个坐标点",
    ]


def test_a_self_intersecting_polygon_is_refused_with_shapelys_reason() -> None:
    bowtie = [[[113.10, 23.01], [113.11, 23.02], [113.11, 23.01], [113.10, 23.02], [113.10, 23.01]]]
    result = plan(collection(feature("440605001001001", bowtie)))
    [problem] = messages(result)
    assert problem.startswith("第 1 个要素（440605001001001）：多边形无效：边自相交（Self-intersection[")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("44060500100100", "网格编码应为 15 位数字"),
        ("GC-XB-1", "网格编码应为 15 位数字"),
        ("440605001001000", "顺序码不能为 000"),
        (None, "缺少网格编码属性 code"),
    ],
)
def test_a_bad_code_is_refused(code: str | None, words: str) -> None:
    result = plan(collection(feature(code, [ring(*quadrants(XB_BOX)[0])])))
    [problem] = messages(result)
    assert problem.startswith("第 1 个要素") and words in problem


def test_a_code_given_as_a_number_is_read_as_its_digits() -> None:
    result = plan(collection(feature(440605001001001, [ring(*quadrants(XB_BOX)[0])])))
    assert messages(result) == [] and result.create[0].code == "440605001001001"


def test_a_duplicate_code_names_the_first_feature_with_it() -> None:
    data = good_file()
    data["features"][3]["properties"]["code"] = "440605001001001"
    assert "第 4 个要素（440605001001001）：网格编码重复（与第 1 个要素相同）" in messages(plan(data))


def test_a_code_whose_prefix_is_not_its_villages_is_refused() -> None:
    data = collection(feature("440605001009001", [ring(*quadrants(XB_BOX)[0])], "GC-XB"))
    assert messages(plan(data)) == [
        "第 1 个要素（440605001009001）：编码前缀 440605001009 与村居 夏北社区（GC-XB）的网格编码前缀 440605001001 不一致"
    ]


def test_a_prefix_of_another_village_is_refused() -> None:
    data = collection(feature("440605001001001", [ring(*quadrants(PN_BOX)[0])], "GC-PN"))
    assert messages(plan(data)) == [
        "第 1 个要素（440605001001001）：编码前缀 440605001001 已属于村居 夏北社区（GC-XB），不能用于平南社区（GC-PN）"
    ]


def test_one_village_with_two_prefixes_in_a_file_is_refused() -> None:
    q = quadrants(PN_BOX)
    data = collection(
        feature("440605001002001", [ring(*q[0])], "GC-PN"), feature("440605001003002", [ring(*q[1])], "GC-PN")
    )
    result = messages(plan(data))
    assert len(result) == 2 and all("同一村居的网格编码前缀须相同" in m for m in result)


def test_a_village_that_does_not_exist_or_is_not_a_village_is_refused() -> None:
    q = quadrants(XB_BOX)[0]
    assert messages(plan(collection(feature("440605001001001", [ring(*q)], "不存在村")))) == [
        "第 1 个要素（440605001001001）：村居「不存在村」不存在"
    ]
    assert messages(plan(collection(feature("440605001001001", [ring(*q)], "GC")))) == [
        "第 1 个要素（440605001001001）：桂城街道（GC）是镇街，网格只能属于村居"
    ]


def test_without_a_village_the_code_must_have_a_known_prefix() -> None:
    data = collection(feature("440605001002001", [ring(*quadrants(PN_BOX)[0])]))
    assert messages(plan(data)) == [
        "第 1 个要素（440605001002001）：缺少所属村居属性 village，且编码前缀 440605001002 尚未对应任何村居"
    ]


def test_a_grid_outside_its_village_is_refused_with_the_area_outside() -> None:
    x0, y0, x1, y1 = quadrants(XB_BOX)[1]  # 夏北's NE quadrant, pushed 0.001° (~100 m) east into 平南
    data = collection(feature("440605001001002", [ring(x0, y0, x1 + 0.001, y1)]))
    [problem] = messages(plan(data))
    assert problem.startswith("第 1 个要素（440605001001002）：有 ")
    assert "（9.1%）在村居 夏北社区（GC-XB）的边界之外（允许不超过 1% 且不超过 50 m²）" in problem
    outside = area_m2(box(x1, y0, x1 + 0.001, y1))
    assert f"{outside:,.0f} m²" in problem


def test_a_grid_sticking_out_by_a_few_square_metres_is_within_the_tolerance() -> None:
    x0, y0, x1, y1 = quadrants(XB_BOX)[1]
    data = collection(feature("440605001001002", [ring(x0, y0, x1 + 0.00000005, y1)]))  # ~5 mm × 1.1 km
    assert messages(plan(data)) == []


def test_overlapping_grids_of_the_file_are_refused_with_both_codes_and_the_area() -> None:
    q = quadrants(XB_BOX)
    x0, y0, x1, y1 = q[1]
    data = collection(
        feature("440605001001001", [ring(*q[0])]), feature("440605001001002", [ring(x0 - 0.001, y0, x1, y1)])
    )
    [problem] = messages(plan(data))
    overlap = area_m2(box(x0 - 0.001, y0, x0, y1))
    assert (
        problem
        == f"第 2 个要素（440605001001002）：与本文件第 1 个要素 440605001001001 重叠 {overlap:,.0f} m²"
    )


def test_an_overlap_with_a_stored_grid_of_another_village_is_refused() -> None:
    neighbour = StoredGrid(77, "440605001002001", "平南社区第1网格", PN, box(113.119, 23.01, 113.13, 23.02))
    q = quadrants(XB_BOX)[1]
    result = plan(collection(feature("440605001001002", [ring(*q)])), stored=[neighbour])
    [problem] = messages(result)
    assert problem.startswith("第 1 个要素（440605001001002）：与已有网格 440605001002001 重叠 ")


def test_shared_edges_and_millimetre_slivers_are_not_overlaps() -> None:
    q = quadrants(XB_BOX)
    x0, y0, x1, y1 = q[1]
    data = collection(
        feature("440605001001001", [ring(*q[0])]),
        feature("440605001001002", [ring(x0 - 0.00000004, y0, x1, y1)]),  # 4 mm over its neighbour
    )
    assert messages(plan(data)) == []


def test_a_gap_is_a_warning_with_its_area_and_share_and_a_refusal_when_strict() -> None:
    data = collection(*village_features("440605001001", XB_BOX, None)[:3])  # no SE quadrant
    result = plan(data)
    assert messages(result) == []
    [warning] = result.warnings
    gap = area_m2(box(*quadrants(XB_BOX)[3]))
    assert warning == f"村居 夏北社区（GC-XB） 有 {gap:,.0f} m²（25.00%）未被网格覆盖"
    assert result.gaps[0].share == pytest.approx(0.25, abs=1e-3)
    strict = plan(data, strict=True)
    assert messages(strict) == [f"{warning}（--strict：空隙不允许）"] and strict.warnings == []


def test_stored_grids_of_the_village_close_a_gap_and_replace_deletes_those_the_file_lacks() -> None:
    se = quadrants(XB_BOX)[3]
    kept = StoredGrid(9, "440605001001004", "夏北社区第4网格", XB, box(*se))
    data = collection(*village_features("440605001001", XB_BOX, None)[:3])
    result = plan(data, stored=[kept])
    assert result.warnings == [] and result.delete == []
    replaced = plan(data, stored=[kept], replace=True)
    assert replaced.delete == [kept] and len(replaced.warnings) == 1  # now the SE quarter is bare
    other_village = StoredGrid(10, "440605001002001", "平南社区第1网格", PN, box(*quadrants(PN_BOX)[0]))
    assert plan(data, stored=[other_village], replace=True).delete == []  # not one of the file's villages


def test_a_village_without_a_boundary_is_not_checked_for_inside_or_gaps_and_says_so() -> None:
    data = collection(feature("440605001003001", [ring(113.5, 23.5, 113.51, 23.51)], "DL-YB"))
    result = plan(data)
    assert messages(result) == []
    assert result.warnings == ["村居 盐步社区（DL-YB） 尚无边界：未检查其网格是否在村居范围内、有无空隙"]


def test_gcj02_coordinates_are_converted_to_wgs84() -> None:
    def to_gcj(bounds: tuple[float, float, float, float]) -> list[list[float]]:
        points = []
        for lon, lat in ring(*bounds):
            g_lat, g_lon = wgs84_to_gcj02(lat, lon)
            points.append([g_lon, g_lat])
        return points

    q = quadrants(XB_BOX)[1]
    data = collection(feature("440605001001002", [to_gcj(q)]))
    as_wgs = plan(data)  # read as WGS-84 the NE square lies ~500 m east: half in 平南社区
    assert any("边界之外" in m for m in messages(as_wgs))
    converted = plan(data, crs=CoordSystem.GCJ02)
    assert messages(converted) == []
    for (lon, lat), (w_lon, w_lat) in zip(
        converted.create[0].geometry.exterior.coords, ring(*q), strict=True
    ):
        assert (lon, lat) == pytest.approx((w_lon, w_lat), abs=2e-7)


def test_an_export_in_gcj02_imports_back_unchanged() -> None:
    first = plan(good_file())
    stored = [
        StoredGrid(i, g.code, g.name, g.village_unit_id, g.geometry) for i, g in enumerate(first.create, 1)
    ]
    exported = grid_feature_collection([(g, {"village": "GC-XB"}) for g in stored[:4]], crs=CoordSystem.GCJ02)
    back = plan(exported, stored=stored, crs=CoordSystem.GCJ02)
    assert messages(back) == [] and len(back.unchanged) == 4


def test_problems_are_sorted_by_feature_and_a_refusal_lists_them_all() -> None:
    data = good_file()
    data["features"][5]["properties"]["code"] = "bad"
    data["features"][2]["geometry"]["coordinates"][0].pop()
    result = plan(data)
    assert [p.index for p in result.problems] == [3, 6]
    refused = GridFileRefused(result.problems)
    assert refused.message.startswith(
        "网格文件未导入（2 处问题）：第 3 个要素（440605001001003）：外环未闭合"
    )
    assert refused.details["problems"] == messages(result)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"type": "Feature"}, "FeatureCollection"),
        ([], "FeatureCollection"),
        ({"type": "FeatureCollection"}, "features"),
    ],
)
def test_what_is_not_a_feature_collection_is_refused_at_once(data: Any, words: str) -> None:
    with pytest.raises(ValidationFailed, match=words):
        parse_grid_features(data)


def test_features_that_are_not_polygons_or_not_degrees_are_refused() -> None:
    line = {
        "type": "Feature",
        "properties": {"code": "440605001001001"},
        "geometry": {"type": "LineString", "coordinates": [[113.1, 23.0], [113.2, 23.1]]},
    }
    metres = feature("440605001001002", [ring(500000, 2500000, 501000, 2501000)])
    features, problems = parse_grid_features(collection(line, metres, {"type": "Point"}))
    assert features == []
    assert [str(p) for p in problems] == [
        "第 1 个要素（440605001001001）：几何类型须为 Polygon 或 MultiPolygon（实际为 LineString）",
        "第 2 个要素（440605001001002）：坐标不是经纬度（须为 [经度, 纬度]）",
        "第 3 个要素：不是 GeoJSON Feature",
    ]


def test_a_multipolygon_grid_is_taken() -> None:
    q = quadrants(XB_BOX)
    data = collection(
        {
            "type": "Feature",
            "properties": {"code": "440605001001001"},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring(*q[0])], [ring(*q[3])]]},
        }
    )
    result = plan(data)
    assert messages(result) == [] and result.create[0].geometry.geom_type == "MultiPolygon"
    assert shape(result.create[0].geojson()).equals(result.create[0].geometry)
