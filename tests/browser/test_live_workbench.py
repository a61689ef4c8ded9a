"""Working without reloading: the workbench refreshes itself (a new order shows up with a notice,
typing pauses it, the sound switch holds) and 下一件 walks a queue from the order page.

The page polls every data-live-interval seconds (30 on a real page); each test sets it to 1
once the page is up, so that it waits a second or two instead of half a minute. Orders
arrive through the REST API, as a channel or a colleague's registration would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import LiveServer
from tests.support import TEST_ADMIN
from zhiyun.domain.workorder import Dispatch

Shot = Callable[[Any, str], Path]
LIVE = "#live"


def _api_register(live: LiveServer, username: str, title: str) -> str:
    """Register an order through POST /api/v1/orders as `username`; its number."""
    user_id = live.district.actors[username].user_id
    assert user_id is not None
    token = live.services.accounts.issue_token(TEST_ADMIN, user_id, f"browser {title}").secret
    response = httpx.post(
        f"{live.url}/api/v1/orders",
        json={"title": title, "content": f"{title}，请尽快处理", "citizen_phone": "13812345678"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["number"])


def _fast(page: Any) -> None:
    """Wait for the live script's first look, then poll every second."""
    page.locator(f"{LIVE}[data-ready=true]").wait_for(state="attached")
    page.locator(LIVE).evaluate("el => el.setAttribute('data-live-interval', '1')")


def _refreshes(page: Any) -> int:
    return int(page.locator(LIVE).get_attribute("data-refreshed") or 0)


def test_a_new_order_shows_up_with_a_notice_within_the_poll_interval(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "town")  # a town dispatcher: 待分拨 is where new orders land
    page.wait_for_load_state("networkidle")
    _fast(page)
    before = int(page.locator('#queues a[data-queue="to_dispatch"] .queue-count').inner_text().rstrip("+"))
    number = _api_register(live, "town", "实时刷新：桂平路井盖缺失")
    row = page.locator(f'tbody tr[data-order="{number}"]')
    row.wait_for(timeout=6_000)  # the poll runs every second now
    toast = page.locator(".toast", has_text="「待分拨」新到 1 件工单")
    toast.wait_for(timeout=3_000)
    assert page.locator("#live-announce").inner_text() == "「待分拨」新到 1 件工单"
    assert page.locator("#live-announce").get_attribute("aria-live") == "polite"
    assert page.locator(LIVE).get_attribute("data-chimes") == "1"  # the sound was played (on by default)
    count = page.locator('#queues a[data-queue="to_dispatch"] .queue-count')
    assert int(count.inner_text().rstrip("+")) == before + 1
    shot(page, "workbench-live-notice")
    toast.get_by_role("link", name="查看").wait_for()
    toast.get_by_role("button").click()
    assert toast.count() == 0


def test_typing_or_ticked_rows_pause_the_refresh_until_the_user_is_done(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "town")
    page.wait_for_load_state("networkidle")
    _fast(page)
    # typing a note for a bulk action: the list must not be replaced under the user's hands
    note = page.get_by_label("意见")
    note.click()
    note.press_sequentially("稍后统一处理", delay=20)
    page.locator(f"{LIVE}[data-state=paused]").wait_for()
    assert "正在输入" in page.locator("#live-state").inner_text()
    refreshed = _refreshes(page)
    number = _api_register(live, "town", "实时刷新：输入时不打扰")
    time.sleep(2.5)  # more than two poll intervals
    assert page.locator(f'tbody tr[data-order="{number}"]').count() == 0
    assert _refreshes(page) == refreshed
    assert note.input_value() == "稍后统一处理"
    shot(page, "workbench-live-paused")
    # done typing (the note emptied, the focus elsewhere): the list catches up
    note.fill("")
    note.blur()
    page.locator(f'tbody tr[data-order="{number}"]').wait_for(timeout=6_000)
    # a ticked row pauses it too
    page.locator('tbody input[name="ids"]').first.check()
    page.locator(f"{LIVE}[data-state=paused]").wait_for()
    assert "已勾选工单" in page.locator("#live-state").inner_text()
    second = _api_register(live, "town", "实时刷新：勾选时不打扰")
    time.sleep(2.5)
    assert page.locator(f'tbody tr[data-order="{second}"]').count() == 0
    page.locator('tbody input[name="ids"]').first.uncheck()
    page.locator(f'tbody tr[data-order="{second}"]').wait_for(timeout=6_000)


def test_the_sound_switch_is_remembered(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "town")
    switch = page.get_by_label("新工单提示音")
    assert switch.is_checked()  # on until the user switches it off
    switch.uncheck()
    assert page.evaluate("localStorage.getItem('zhiyun.notice.sound')") == "off"
    page.reload()
    assert not page.get_by_label("新工单提示音").is_checked()
    page.wait_for_load_state("networkidle")
    _fast(page)
    number = _api_register(live, "town", "实时刷新：静音")
    page.locator(f'tbody tr[data-order="{number}"]').wait_for(timeout=6_000)
    page.locator(".toast", has_text="新到").first.wait_for(timeout=3_000)  # the notice shows, silently
    assert page.locator(LIVE).get_attribute("data-chimes") is None
    page.get_by_label("新工单提示音").check()
    page.reload()
    assert page.get_by_label("新工单提示音").is_checked()
    assert page.evaluate("localStorage.getItem('zhiyun.notice.sound')") == "on"


def test_next_opens_the_next_order_of_the_queue_and_says_when_none_is_left(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    first = live.register("town", title="下一件甲：路灯不亮")
    second = live.register("town", title="下一件乙：井盖松动")
    login(page, "town")
    page.goto("/workbench?queue=to_dispatch&q=下一件&sort=oldest")
    page.locator(f'tr[data-order="{first}"] a').first.click()
    page.wait_for_url(f"**/orders/{first}?queue=to_dispatch&q=**")
    assert page.get_by_role("link", name="返回「待分拨」").is_visible()
    page.get_by_role("link", name="下一件").click()
    page.wait_for_url(f"**/orders/{second}?queue=to_dispatch**")
    assert "井盖松动" in page.locator("h1").first.inner_text()
    # the first one is dispatched meanwhile: from the second, none is left
    live.services.orders.act(
        live.district.actors["town"], first, Dispatch(target_unit_id=live.district.units["GC-PN"])
    )
    page.get_by_role("link", name="下一件").click()
    page.wait_for_url(f"**/orders/{second}?**end=1")
    assert page.get_by_test_id("queue-end").inner_text() == "「待分拨」中已没有其他工单了。"
    shot(page, "order-next-none-left")
    page.get_by_role("link", name="返回「待分拨」").click()
    page.wait_for_url("**/workbench?queue=to_dispatch&q=**")
