"""The dashboard's ranking chart names every bar, however many units there are; a long name is
shortened on the axis (its head and its tail, which tell the units of one town apart) and given
in full in the bar's tooltip."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer

# Every text the chart has drawn (zrender's display list): what the viewer sees, labels that
# ECharts skipped (axisLabel.interval) or hid as overlapping are not in it.
DRAWN_TEXTS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("chart-ranking"));
  return chart.getZr().storage.getDisplayList(true)
    .filter((el) => el.style && typeof el.style.text === "string" && !el.ignore && !el.invisible)
    .map((el) => { const r = el.getBoundingRect().clone(); if (el.transform) { r.applyTransform(el.transform); }
                   return { text: el.style.text, y: r.y, height: r.height }; });
}"""
TOOLTIP = """(i) => {
  const chart = echarts.getInstanceByDom(document.getElementById("chart-ranking"));
  chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: i });
}"""

LONG = "桂城街道城市管理和综合执法局"


def _shortened(text: str, name: str) -> bool:
    head, sep, tail = text.partition("…")
    return bool(sep) and name.startswith(head) and name.endswith(tail) and len(head + tail) < len(name)


def _units(n: int) -> list[dict[str, Any]]:
    units = []
    for i in range(n):
        name = f"{LONG}第{i + 1}中队" if i % 3 == 0 else f"第{i + 1}社区"
        rate = 0.5 + i / (2 * n)
        units.append(
            {
                "unit_id": 1000 + i,
                "name": name,
                "kind": "village",
                "response_rate": rate,
                "resolution_rate": rate,
                "satisfaction_rate": rate,
                "on_time_rate": rate,
                "counts": {},
                "open": i,
                "overdue": 0,
            }
        )
    return units


def test_every_bar_of_the_ranking_is_named_and_long_names_are_whole_in_the_tooltip(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, "leader")
    page.goto("/dashboard")
    page.wait_for_selector("body[data-dashboard-ready=true]")

    data = json.loads(page.locator("#dashboard-data").text_content() or "{}")
    units = _units(24)
    data["rates"]["units"] = units
    data["generated_at"] = "2026-12-08T10:00:00+08:00"
    page.route(
        "**/dashboard/data*",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(data)),
    )
    page.evaluate("window.zhiyunDashboard.refresh()")
    page.locator("#generated-at:text-is('2026-12-08 10:00:00')").wait_for()

    drawn = page.evaluate(DRAWN_TEXTS)
    labels, unnamed, whole = [], [], []
    for unit in units:
        name = unit["name"]
        shown = [d for d in drawn if d["text"] == name or _shortened(d["text"], name)]
        if not shown:
            unnamed.append(name)
            continue
        labels.append(shown[0])
        if len(name) > 10 and (shown[0]["text"] == name or len(shown[0]["text"]) > 10):
            whole.append(name)
    assert not unnamed, f"{len(unnamed)} of {len(units)} bars have no name on the axis: {unnamed}"
    assert not whole, f"long names not shortened on the axis: {whole}"
    assert len({d["text"] for d in labels}) == len(units), "two bars have the same name on the axis"
    # the names do not overlap one another
    rows = sorted(labels, key=lambda d: d["y"])
    for upper, lower in itertools.pairwise(rows):
        assert upper["y"] + upper["height"] <= lower["y"] + 0.5, (upper, lower)
    shot(page, "dashboard-ranking-many-units")

    # the tooltip of a shortened bar names the unit in full (the chart draws the worst rate at
    # the bottom: bar i is units[i], whose rates rise with i)
    shortened = max(i for i, u in enumerate(units) if len(u["name"]) > 10)
    page.evaluate(TOOLTIP, shortened)
    tooltip = page.locator("#chart-ranking div", has_text=units[shortened]["name"]).last
    tooltip.wait_for()
    assert "响应率" in tooltip.inner_text()
