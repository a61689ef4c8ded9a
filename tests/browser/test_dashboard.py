"""The leader dashboard in a real browser: it renders with data, ranks, and refreshes in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from zhiyun.domain.workorder import Dispatch, Sign


def _orders_with_history(live: LiveServer) -> None:
    """Orders of two towns and the district, one dispatched and signed, so every chart has data."""
    services, actors, units = live.services, live.district.actors, live.district.units
    for channel in ("12345", "grid", "12345"):
        live.register("town", channel=channel)
    number = live.register("district", channel="district_hotline")
    services.orders.act(actors["district"], number, Dispatch(target_unit_id=units["DL"]))
    services.orders.act(actors["town2"], number, Sign())


def test_the_dashboard_renders_with_data_and_refreshes_without_reloading(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    _orders_with_history(live)
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, "leader")

    page.goto("/dashboard")
    page.wait_for_selector("body[data-dashboard-ready=true]")

    expected = live.services.dashboard.dashboard(live.district.actors["leader"])
    assert page.get_by_test_id("dashboard-title").inner_text() == "南海区运行态势"
    assert page.locator("[data-kpi=today]").inner_text() == str(expected.totals["today"])
    assert page.locator("[data-kpi=open]").inner_text() == str(expected.totals["open"])
    for chart in (
        "chart-channel",
        "chart-category",
        "chart-unit",
        "chart-ranking",
        "chart-trend",
        "chart-backlog",
    ):
        assert page.locator(f"#{chart} canvas").count() >= 1, chart
    table = page.get_by_test_id("rank-table")
    assert "桂城街道" in table.inner_text() and "大沥镇" in table.inner_text()
    assert "响应率 = 按时签收数" in (
        page.locator(".tabs button[data-rate=response_rate]").get_attribute("title") or ""
    )
    shot(page, "dashboard")

    page.get_by_role("button", name="满意率").click()
    assert page.get_by_role("button", name="满意率").get_attribute("aria-pressed") == "true"

    page.evaluate("document.body.dataset.marker = 'same page'")
    live.register("town", channel="grid")
    page.evaluate("window.zhiyunDashboard.refresh()")
    # locator waits, not wait_for_function: the Content-Security-Policy forbids its eval
    page.locator(f"[data-kpi=today]:text-is('{expected.totals['today'] + 1}')").wait_for()
    assert page.evaluate("document.body.dataset.marker") == "same page"  # no reload


def test_a_town_dispatcher_sees_the_town_dashboard_and_a_handler_none(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    live.register("town")
    login(page, "town")
    page.goto("/dashboard")
    page.wait_for_selector("body[data-dashboard-ready=true]")
    assert page.get_by_test_id("dashboard-title").inner_text() == "桂城街道运行态势"
    assert "夏北社区" in page.get_by_test_id("rank-table").inner_text()
    shot(page, "dashboard-town")

    page.context.clear_cookies()
    login(page, "xiabei")
    response = page.goto("/dashboard")
    assert response is not None and response.status == 403
    assert "领导驾驶舱仅供" in page.content()
