"""Managed objects (网格管理对象) over the REST API: the list with its filters and cursor, one
object with its attributes, counts, the GeoJSON of a map box, the attribute schemas — and
another village's object answering 404 exactly as a missing one, for a village's staff and
for a grid worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.grid_objects_world import XB, seed_objects
from tests.e2e.harness import API, Api

OBJECTS = f"{API}/grid/objects"


@pytest.fixture
def ids(api: Api, tmp_path: Path) -> dict[str, int]:
    return seed_objects(api, tmp_path)


def test_the_list_filters_and_pages_the_objects_the_reader_may_see(api: Api, ids: dict[str, int]) -> None:
    admin = api.as_("admin")
    body = admin.get(OBJECTS).json()
    assert body["total"] == 3 and body["more"] is False and body["next_cursor"] is None
    assert [o["name"] for o in body["items"]] == [
        "平南五金厂",
        "夏北花园 1 座",
        "好又多便利店",
    ]  # newest first
    shop = admin.get(OBJECTS, params={"kind": "shop", "risk": "medium", "q": "便利"}).json()["items"]
    assert [(o["name"], o["grid_code"], o["village_name"], o["kind_label"]) for o in shop] == [
        ("好又多便利店", f"{XB}001", "夏北社区", "三小场所")
    ]
    first = admin.get(OBJECTS, params={"limit": 2}).json()
    second = admin.get(OBJECTS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [o["name"] for o in second["items"]] == ["好又多便利店"] and second["next_cursor"] is None
    bad = admin.get(OBJECTS, params={"cursor": "nope"})
    assert bad.status_code == 422 and bad.json()["message"] == "分页游标无效"
    assert admin.get(OBJECTS, params={"grid": "123"}).status_code == 422
    assert admin.get(OBJECTS, params={"kind": "castle"}).status_code == 422


def test_one_object_comes_with_its_attributes(api: Api, ids: dict[str, int]) -> None:
    body = api.as_("xiabei").get(f"{OBJECTS}/{ids['XB1']}").json()
    assert body["attributes"] == {"经营类别": "小商店"}
    assert (body["grid_code"], body["risk"], body["risk_label"], body["source_key"]) == (
        f"{XB}001",
        "medium",
        "中",
        "XB1",
    )


def test_another_villages_object_answers_404_as_a_missing_one(api: Api, ids: dict[str, int]) -> None:
    missing = api.as_("xiabei").get(f"{OBJECTS}/999999")
    assert missing.status_code == 404
    for username, other in (
        ("xiabei", "PN1"),
        ("pingnan", "XB1"),
        ("yanbu", "XB1"),
        ("gc_grid", "XB2"),
        ("gc_grid", "PN1"),
    ):
        response = api.as_(username).get(f"{OBJECTS}/{ids[other]}")
        assert response.status_code == 404, (username, other)
        assert response.json() == {
            "error": "not_found",
            "message": "网格管理对象不存在或您无权查看",
            "object_id": ids[other],
        }
    assert api.as_("gc_grid").get(f"{OBJECTS}/{ids['XB1']}").status_code == 200
    assert [o["name"] for o in api.as_("gc_grid").get(OBJECTS).json()["items"]] == ["好又多便利店"]
    assert api.as_("yanbu").get(OBJECTS).json()["items"] == []
    assert api.anonymous().get(f"{OBJECTS}/{ids['XB1']}").status_code == 401


def test_counts_per_grid_and_per_village(api: Api, ids: dict[str, int]) -> None:
    grids = api.as_("xiabei").get(f"{OBJECTS}/counts", params={"by": "grid"}).json()
    assert {g["grid_code"]: g["total"] for g in grids} == {
        f"{XB}{n:03d}": int(n in (1, 2)) for n in range(1, 5)
    }
    villages = api.as_("town").get(f"{OBJECTS}/counts", params={"by": "village", "kind": "enterprise"}).json()
    assert {v["village_code"]: v["by_kind"]["enterprise"] for v in villages} == {"GC-XB": 0, "GC-PN": 1}
    assert api.as_("town").get(f"{OBJECTS}/counts", params={"by": "town"}).status_code == 422


def test_the_map_layer_is_geojson_of_the_objects_in_a_box(api: Api, ids: dict[str, int]) -> None:
    response = api.as_("town").get(f"{OBJECTS}/geojson", params={"bbox": "113.10,23.01,113.12,23.02"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    assert sorted(f["properties"]["name"] for f in body["features"]) == sorted(
        ["好又多便利店", "夏北花园 1 座"]
    )
    capped = (
        api.as_("admin")
        .get(f"{OBJECTS}/geojson", params={"bbox": "113.0,22.9,113.3,23.1", "limit": 1})
        .json()
    )
    assert len(capped["features"]) == 1 and capped["truncated"] is True
    for bbox in ("1,2,3", "113.2,23.0,113.1,23.1", "100,10,120,30", "a,b,c,d"):
        assert api.as_("admin").get(f"{OBJECTS}/geojson", params={"bbox": bbox}).status_code == 422, bbox


def test_the_attribute_schemas_are_published(api: Api) -> None:
    schemas = {s["kind"]: s for s in api.as_("xiabei").get(f"{OBJECTS}/schemas").json()}
    assert set(schemas) == {"building", "rental_house", "shop", "enterprise", "facility"}
    shop = {a["name"]: a for a in schemas["shop"]["attributes"]}
    assert shop["经营类别"]["type"] == "choice" and "小餐饮" in shop["经营类别"]["choices"]
    assert shop["面积"]["unit"] == "㎡" and shop["从业人数"]["type"] == "integer"
