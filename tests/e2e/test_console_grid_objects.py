"""The console's 网格对象 page: the list with its filters and next page, one object with its
attributes, the map layer's GeoJSON — and another village's object answering the console's
404 page, with none of its data, as a missing one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.grid_objects_world import XB, seed_objects
from tests.e2e.harness import Api


@pytest.fixture
def ids(console: Api, tmp_path: Path) -> dict[str, int]:
    return seed_objects(console, tmp_path)


def test_the_list_shows_the_objects_in_view_with_their_filters(console: Api, ids: dict[str, int]) -> None:
    client = page_login(console, "town")
    page = client.get("/grid/objects")
    assert page.status_code == 200
    for name in ("好又多便利店", "夏北花园 1 座", "平南五金厂"):
        assert name in page.text
    assert 'id="objects-map"' in page.text and "/static/js/grid-objects.js" in page.text
    assert 'href="/grid/objects" aria-current="page"' in page.text  # its menu entry
    shops = client.get("/grid/objects", params={"kind": "shop"}).text
    assert "好又多便利店" in shops and "平南五金厂" not in shops
    in_pn = client.get("/grid/objects", params={"village": "GC-PN"}).text
    assert "平南五金厂" in in_pn and "好又多便利店" not in in_pn
    paged = client.get("/grid/objects", params={"limit": "x", "q": "夏北"})
    assert paged.status_code == 200 and "好又多便利店" in paged.text
    bad = client.get("/grid/objects", params={"risk": "极高"})
    assert bad.status_code == 200 and "风险等级「极高」不存在" in bad.text


def test_a_grid_worker_lists_only_the_objects_of_their_grid(console: Api, ids: dict[str, int]) -> None:
    page = page_login(console, "gc_grid").get("/grid/objects").text
    assert "好又多便利店" in page and "夏北花园 1 座" not in page and "平南五金厂" not in page


def test_one_object_shows_its_attributes_and_its_place(console: Api, ids: dict[str, int]) -> None:
    page = page_login(console, "xiabei").get(f"/grid/objects/{ids['XB1']}")
    assert page.status_code == 200
    assert "好又多便利店" in page.text and "经营类别" in page.text and "小商店" in page.text
    assert f"{XB}001" in page.text and 'id="object-map"' in page.text


def test_another_villages_object_is_the_console_404_page_without_its_data(
    console: Api, ids: dict[str, int]
) -> None:
    for username, other, secret in (("xiabei", "PN1", "平南五金厂"), ("gc_grid", "XB2", "夏北花园 1 座")):
        response = page_login(console, username).get(f"/grid/objects/{ids[other]}")
        assert response.status_code == 404, username
        assert "网格管理对象不存在或您无权查看" in response.text
        assert secret not in response.text
    missing = page_login(console, "xiabei").get("/grid/objects/999999")
    assert missing.status_code == 404 and "网格管理对象不存在或您无权查看" in missing.text
    assert page_login(console, "xiabei").get("/grid/objects/abc").status_code == 404


def test_the_map_layer_gives_the_objects_in_view_in_the_box(console: Api, ids: dict[str, int]) -> None:
    client = page_login(console, "xiabei")
    body = client.get("/grid/objects/map.geojson", params={"bbox": "113.0,22.9,113.3,23.1"}).json()
    assert sorted(f["properties"]["name"] for f in body["features"]) == sorted(
        ["好又多便利店", "夏北花园 1 座"]
    )
    shops = client.get(
        "/grid/objects/map.geojson", params={"bbox": "113.0,22.9,113.3,23.1", "kind": "shop"}
    ).json()
    assert [f["properties"]["name"] for f in shops["features"]] == ["好又多便利店"]
    bad = client.get("/grid/objects/map.geojson", params={"bbox": "x"})
    assert bad.status_code == 422 and "bbox" in bad.json()["message"]


def test_the_page_is_for_grid_workers_village_and_town_staff_dispatchers_and_admins(
    console: Api, ids: dict[str, int]
) -> None:
    for username in ("leader", "inspector", "agent"):
        client = page_login(console, username)
        refused = client.get("/grid/objects")
        assert refused.status_code == 403 and "好又多便利店" not in refused.text, username
        assert client.get(f"/grid/objects/{ids['XB1']}").status_code == 403
    anonymous = console.anonymous().get("/grid/objects", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_the_map_outlines_only_the_grids_in_view(console: Api, ids: dict[str, int]) -> None:
    outlines = page_login(console, "gc_grid").get("/grid/objects/grids.geojson").json()
    assert [f["properties"]["code"] for f in outlines["features"]] == [f"{XB}001"]
    town = page_login(console, "town").get("/grid/objects/grids.geojson").json()
    assert len(town["features"]) == 8 and town["features"][0]["geometry"]["type"] == "Polygon"
    assert page_login(console, "yanbu").get("/grid/objects/grids.geojson").json()["features"] == []
