"""The workbench in the browser: a search narrows the list in place, then a bulk dispatch of the ticked rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer


def test_search_then_bulk_dispatch_the_ticked_orders(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    first = live.register("town", title="平南路井盖松动", content="平南路井盖松动，车辆经过有响声")
    second = live.register("town", title="平南路井盖破损", content="平南路另一个井盖破损")
    other = live.register("town", title="公园长椅损坏", content="千灯湖公园长椅损坏")
    login(page, "town")
    page.get_by_label("搜索（标题和内容中的词，或编号）").fill("井盖")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=**")
    rows = page.locator("tbody tr[data-order]")
    rows.nth(1).wait_for()  # at least two rows (no wait_for_function: the CSP forbids its eval)
    page.wait_for_load_state("networkidle")  # the queue counts load after the list: let them land first
    shown = set(rows.evaluate_all("els => els.map(e => e.dataset.order)"))
    assert {first, second} <= shown and other not in shown
    for number in (first, second):
        page.get_by_label(f"选择 {number}").check()
    assert all(page.get_by_label(f"选择 {number}").is_checked() for number in (first, second))
    page.get_by_label("批量操作").select_option("dispatch")
    page.get_by_label("派往单位（派单时）").select_option(label="\u3000平南社区")
    page.get_by_label("意见").fill("井盖问题统一交平南社区")
    page.get_by_role("button", name="对勾选工单执行").click()
    result = page.locator("#bulk-results [role=status]")
    result.wait_for()
    assert "成功 2 件，失败 0 件" in result.inner_text()
    shot(page, "workbench-bulk-dispatch")
    town = live.district.actors["town"]
    assert {live.services.orders.get(town, n).summary.status for n in (first, second)} == {"dispatched"}
    assert live.services.orders.get(town, other).summary.status == "pending_dispatch"
