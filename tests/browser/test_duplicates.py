"""Possible duplicates in the browser: two hotline reports of one matter arrive through the real
channel endpoint, the second is flagged, and a dispatcher finds it in the 疑似重复 queue and
merges it into the first with one click on its order page."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import LiveServer
from tests.support import TEST_ADMIN
from zhiyun.intake.channels import CHANNEL_SPECS

REWORDED = "夏北社区夏北路3号附近的路灯坏了一周，晚上走路不安全，请尽快修理。"


@pytest.fixture
def flagging(live: LiveServer) -> Iterator[None]:
    """A strict merge threshold, so that a reworded report of the same matter is flagged, not merged."""
    intake = live.services.intake
    kept = intake.policy
    intake.policy = type(kept)(radius_m=300, window_days=7, high=0.95, low=0.3)
    try:
        yield
    finally:
        intake.policy = kept


def _post_hotline(live: LiveServer, key: str, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(CHANNEL_SPECS["12345"].example)
    payload.update(changes)
    response = httpx.post(f"{live.url}/api/v1/intake/12345", json=payload, headers={"X-Channel-Key": key})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_dispatcher_merges_a_flagged_report_from_the_possible_duplicates_queue_in_one_click(
    page: Any,
    live: LiveServer,
    login: Callable[..., None],
    shot: Callable[[Any, str], Path],
    flagging: None,
) -> None:
    key = live.services.channels.issue_key(TEST_ADMIN, "12345").key
    first = _post_hotline(live, key, call_id="BROWSER-DUP-1")
    second = _post_hotline(live, key, call_id="BROWSER-DUP-2", caller_number="13900007777", content=REWORDED)
    assert second["possible_duplicates"] == [first["order_number"]]

    login(page, "district")
    page.locator("#queues a[data-queue=duplicates]").click()
    page.wait_for_url("**queue=duplicates**")
    row = page.locator(f"tbody tr[data-order='{second['order_number']}']")
    row.get_by_role("link", name=second["order_number"]).click()
    page.wait_for_url(f"**/orders/{second['order_number']}?queue=duplicates**")
    related = page.locator("section[aria-labelledby=h-related]")
    assert "疑似重复" in related.inner_text() and first["order_number"] in related.inner_text()
    shot(page, "order-possible-duplicate")

    related.get_by_role("button", name="合并到此工单").click()
    page.wait_for_load_state("networkidle")
    assert "已合并为重复件" in page.locator("body").inner_text()
    assert f"是 {first['order_number']}" in page.locator("section[aria-labelledby=h-related]").inner_text()
    district = live.district.actors["district"]
    merged = live.services.orders.get(district, second["order_number"])
    assert merged.summary.status == "merged"

    page.goto("/workbench?queue=duplicates")
    assert page.locator(f"tbody tr[data-order='{second['order_number']}']").count() == 0
