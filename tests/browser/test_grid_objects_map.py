"""The 网格对象 page in Chromium: the map layer draws the objects in view (only the reader's)
and a click on a point opens the object's page."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.support import TEST_ADMIN, grid_file
from zhiyun.grid.objects_service import ManagedObjectService, ObjectQuery

Shot = Callable[[Any, str], Path]


def _seed(live: LiveServer, tmp: Path) -> None:
    objects = live.services.get(ManagedObjectService)
    if objects.search(TEST_ADMIN, ObjectQuery(), limit=1).items:
        return
    live.services.geo.import_grids(TEST_ADMIN, grid_file())  # 夏北 and 平南, four grids each
    path = tmp / "objects.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["编号", "类型", "名称", "地址", "经度", "纬度", "风险等级"])
        writer.writerow(["B-1", "三小场所", "好又多<b>便利店</b>", "夏北路 1 号", "113.105", "23.015", "高"])
        writer.writerow(["B-2", "楼栋", "夏北花园 1 座", "夏北路 9 号", "113.115", "23.005", "低"])
        writer.writerow(["B-3", "企业", "平南五金厂", "平南路 8 号", "113.125", "23.015", "重大"])
    assert objects.import_file(TEST_ADMIN, path).imported == 3


def test_the_map_shows_the_readers_objects_and_a_point_opens_its_object(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot, tmp_path: Path
) -> None:
    _seed(live, tmp_path)
    login(page, "xiabei")
    page.goto("/grid/objects")
    page.wait_for_selector("#objects-map[data-state='ready']")  # fitted to the objects, drawn again
    assert page.locator("#objects-map-count").inner_text() == "当前范围 2 个对象"
    assert page.evaluate("window.zhiyunObjectsMap.layer.getLayers().length") == 2
    assert page.locator("table.objects").get_by_text("好又多<b>便利店</b>").count() == 1  # text, not markup
    page.wait_for_timeout(400)  # the zoom animation ends before the picture
    shot(page, "grid-objects")
    box = page.locator("#objects-map").bounding_box()
    at = page.evaluate("(() => window.zhiyunObjectsMap.map.latLngToContainerPoint([23.015, 113.105]))()")
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    page.wait_for_url("**/grid/objects/*")
    assert "好又多<b>便利店</b>" in page.locator("h1").inner_text()
    page.wait_for_selector("#object-map canvas")  # the point, drawn on the map's canvas
