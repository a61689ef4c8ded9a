"""热点问题 in Chromium: a town's dispatcher opens the ranking from the menu, opens the hottest issue,
sees its orders and makes a proactive order (未诉先办) with one click; the issue then says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.hotspots.tracker import HotIssueTracker
from zhiyun.orders.service import NewOrder

Shot = Callable[[Any, str], Path]
CALLS = [
    (
        "桂景花园旁工地夜间打桩噪音扰民",
        "桂景花园旁边的工地每天晚上十一点以后还在打桩，噪音很大。",
        "13900000011",
    ),
    ("投诉桂景花园附近工地打桩噪音", "桂景花园附近工地半夜打桩，吵得睡不着。", "13900000012"),
    ("桂景花园工地深夜打桩", "住在桂景花园，隔壁工地晚上一直打桩施工，影响休息。", "13900000013"),
]


def test_a_dispatcher_opens_the_hottest_issue_and_makes_a_proactive_order(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    town = live.district.actors["town"]
    for title, content, phone in CALLS:
        live.services.orders.register(
            town, NewOrder(title=title, content=content, citizen_phone=phone, channel="12345")
        )
    live.services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    login(page, "town")
    page.get_by_role("link", name="热点问题").click()
    page.wait_for_url("**/hotspots")
    row = page.get_by_test_id("hot-issues").locator("tr", has_text="桂景花园")
    assert row.count() == 1
    shot(page, "hotspots")
    row.get_by_role("link").first.click()
    page.wait_for_url("**/hotspots/*")
    assert "桂景花园" in page.get_by_test_id("hot-issue-title").inner_text()
    assert page.get_by_test_id("hot-issue-orders").locator("tbody tr").count() == 3
    page.get_by_role("button", name="生成未诉先办工单").click()
    page.wait_for_load_state()
    done = page.get_by_test_id("hot-issue-done")
    assert "已生成未诉先办工单" in done.inner_text()
    number = done.get_by_role("link").inner_text()
    assert number and page.get_by_test_id("hot-issue-handled").get_by_role("link", name=number).count() == 1
    assert page.get_by_role("button", name="生成未诉先办工单").count() == 0
    shot(page, "hotspot")
