"""On a phone the order list shows one deadline badge per order: the order's own deadline
state, the one its queue is chosen by (an order in 已超时 is never a green 剩余 N)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from zhiyun.domain.workorder import Dispatch, Urgency


def test_an_order_in_the_overdue_queue_shows_red_on_a_phone(
    browser: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    orders = live.services.orders
    real = orders.clock
    then = real() - timedelta(hours=3)
    orders.clock = lambda: then  # type: ignore[method-assign]
    try:  # urgent, dispatched 3 hours ago: sign-for (1 hour) overdue, reply (24 hours) not
        number = live.register("town", title="消防通道被堵", urgency=Urgency.URGENT)
        orders.act(
            live.district.actors["town"], number, Dispatch(target_unit_id=live.district.units["GC-XB"])
        )
    finally:
        orders.clock = real  # type: ignore[method-assign]

    context = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        login(page, "xiabei")
        page.goto("/workbench?queue=overdue")
        row = page.locator(f'tr[data-order="{number}"]')
        row.wait_for()
        badges = row.locator(".badge[data-deadline]")
        visible = [badges.nth(i) for i in range(badges.count()) if badges.nth(i).is_visible()]
        assert visible, "no deadline badge is visible on a phone"
        shown = [(b.get_attribute("data-deadline"), b.inner_text()) for b in visible]
        assert all(state == "overdue" for state, _ in shown), shown
        assert not any("剩余" in text for _, text in shown), shown
        shot(page, "workbench-phone-overdue")
    finally:
        context.close()
