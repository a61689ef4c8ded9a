"""The map is readable: clusters never cover one another's numbers at any zoom, the legend
names categories (not codes), and without a tile server the towns and villages are named at
their boundaries' centres. Every text is a DOM text node (a unit named like markup is shown
as it is)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.support import TEST_ADMIN

Shot = Callable[[Any, str], Path]

MARKERS = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    clusters: Array.from(document.querySelectorAll("#orders-map .leaflet-marker-icon.cluster"))
      .map((el) => ({ box: box(el), text: el.textContent })),
    points: Array.from(document.querySelectorAll("#orders-map path.order-point")).map(box),
  };
}"""


def _overlap(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]


def _route_json(page: Any, pattern: str, body: Any) -> None:
    page.route(
        pattern,
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(body)),
    )


def _square(lat: float, lon: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_clusters_never_cover_each_other_at_any_zoom(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    points = []
    for row in range(6):
        for col in range(6):
            for k in range(3):  # a tight trio on a lattice 150 m apart
                points.append(
                    {
                        "number": f"NH20261201{row}{col}{k:02d}",
                        "title": "路灯不亮",
                        "status": "pending_dispatch",
                        "status_label": "待分拨",
                        "category_code": None,
                        "lat": 23.03 + row * 0.0015 + k * 0.0001,
                        "lon": 113.14 + col * 0.0015 + k * 0.0001,
                    }
                )
    _route_json(page, "**/map/points.json*", {"truncated": False, "points": points})
    _route_json(page, "**/map/boundaries.geojson", {"type": "FeatureCollection", "features": []})
    login(page, "leader")
    page.goto("/map")
    page.wait_for_selector(f"#map-count:has-text('共 {len(points)} 件')")
    for zoom in range(12, 19):
        page.evaluate("(z) => window.zhiyunMap.map.setView([23.0338, 113.1438], z, { animate: false })", zoom)
        found = page.evaluate(MARKERS)
        clusters, singles = found["clusters"], found["points"]
        shown = sum(int(c["text"]) for c in clusters) + len(singles)
        south, west, north, east = page.evaluate(
            "() => { const b = window.zhiyunMap.map.getBounds().pad(0.2);"
            " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
        )
        near = [p for p in points if south <= p["lat"] <= north and west <= p["lon"] <= east]
        assert shown == len(near), (zoom, shown, len(near))  # every point near the view is counted once
        for i, a in enumerate(clusters):
            for b in clusters[i + 1 :]:
                assert not _overlap(a["box"], b["box"]), (
                    f"zoom {zoom}: clusters {a['text']} and {b['text']} overlap"
                )
            for p in singles:
                assert not _overlap(a["box"], p), f"zoom {zoom}: a point covers cluster {a['text']}"
        if zoom == 15:
            shot(page, "map-clusters")


def test_the_legend_names_the_categories(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    taxonomy = live.services.taxonomy
    taxonomy.ensure_default(TEST_ADMIN)
    tops = [c for c in taxonomy.categories() if c.parent_code is None][:2]
    leaves = {
        top.code: next(c for c in taxonomy.categories() if c.code.startswith(top.code) and c.code != top.code)
        for top in tops
    }
    for i, top in enumerate(tops):
        live.register(
            "town",
            title=f"图例类别{i}",
            category_code=leaves[top.code].code,
            latitude=23.04 + i * 0.01,
            longitude=113.15 + i * 0.01,
        )
    login(page, "leader")
    page.goto("/map?q=图例类别")
    page.wait_for_selector("#map-count:has-text('共 2 件')")
    page.select_option("#colour-by", "category")
    legend = page.locator("#map-legend")
    for top in tops:
        legend.locator(".legend-item", has_text=top.name).wait_for()
    text = legend.inner_text()
    assert not any(leaf.code in text or top.code in text for top in tops for leaf in [leaves[top.code]]), text
    shot(page, "map-legend-categories")


def test_without_tiles_the_map_names_its_places_as_text(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    payload = "<img src=x onerror=window.__xss=1>村"
    features = [
        {
            "type": "Feature",
            "properties": {"code": "GC", "name": "桂城街道", "kind": "town"},
            "geometry": _square(23.00, 113.10, 0.02),
        },
        {
            "type": "Feature",
            "properties": {"code": "DL", "name": "大沥镇", "kind": "town"},
            "geometry": _square(23.02, 113.10, 0.02),
        },
        {
            "type": "Feature",
            "properties": {"code": "GC-XB", "name": payload, "kind": "village"},
            "geometry": _square(23.002, 113.102, 0.006),
        },
    ]
    _route_json(page, "**/map/boundaries.geojson", {"type": "FeatureCollection", "features": features})
    _route_json(page, "**/map/points.json*", {"truncated": False, "points": []})
    login(page, "leader")
    page.goto("/map")
    page.wait_for_selector("#map-count:has-text('共 0 件')")
    assert page.locator("#orders-map").get_attribute("data-tiles") == ""
    page.evaluate("() => window.zhiyunMap.map.setView([23.018, 113.11], 14, { animate: false })")
    labels = page.locator("#orders-map .place-label")
    for name in ("桂城街道", "大沥镇", payload):
        label = labels.filter(has_text=name)
        label.first.wait_for()
        assert label.first.is_visible(), name
    # each name sits at its boundary's centre
    for feature in features:
        ring = feature["geometry"]["coordinates"][0]
        lat = (ring[0][1] + ring[2][1]) / 2
        lon = (ring[0][0] + ring[2][0]) / 2
        where = page.evaluate(
            "([lat, lon]) => window.zhiyunMap.map.latLngToContainerPoint([lat, lon])", [lat, lon]
        )
        box = labels.filter(has_text=feature["properties"]["name"]).first.bounding_box()
        origin = page.locator("#orders-map").bounding_box()
        cx, cy = box["x"] + box["width"] / 2 - origin["x"], box["y"] + box["height"] / 2 - origin["y"]
        assert abs(cx - where["x"]) < 3 and abs(cy - where["y"]) < 3, (
            feature["properties"]["name"],
            cx,
            cy,
            where,
        )
    # names are text: the markup-like one is shown as written and nothing ran
    assert page.locator("#orders-map .place-label img").count() == 0
    assert page.evaluate("() => window.__xss") is None
    shot(page, "map-place-names")
