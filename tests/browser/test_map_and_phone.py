"""The map opens an order from its point; a handler's pages fit a phone; admins' pages render."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer

Shot = Callable[[Any, str], Path]


def test_map_shows_the_order_as_a_point_that_opens_it(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    number = live.register("town", title="桂澜路积水", latitude=23.041, longitude=113.152)
    login(page, "leader")
    page.goto(f"/map?q={number}")
    page.wait_for_selector("#map-count:has-text('共 1 件')")  # not wait_for_function: the CSP forbids eval
    point = page.locator("path.order-point")
    point.first.wait_for()
    shot(page, "map")
    point.first.click()
    page.wait_for_url(f"**/orders/{number}")
    assert "桂澜路积水" in page.locator("h1").inner_text()


def test_a_handler_works_on_a_phone_sized_screen(
    browser: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    from zhiyun.domain.workorder import Dispatch

    number = live.register("town", title="楼道灯坏了", content="3 栋楼道灯坏了")
    live.services.orders.act(
        live.district.actors["town"], number, Dispatch(target_unit_id=live.district.units["GC-XB"])
    )
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
        page.goto("/workbench?queue=to_sign")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the workbench is {width}px wide on a 390px phone"
        shot(page, "workbench-phone")
        page.locator(f'tr[data-order="{number}"] a').first.tap()
        page.wait_for_url(f"**/orders/{number}?queue=to_sign**")
        page.locator('details[data-action="sign"] summary').tap()
        page.get_by_role("button", name="确认签收").tap()
        page.wait_for_url("**done=sign")
        shot(page, "order-phone")
    finally:
        context.close()


def test_admin_pages_render(page: Any, live: LiveServer, login: Callable[..., None], shot: Shot) -> None:
    login(page, "admin")
    page.goto("/admin/channels")
    page.locator('tr[data-channel="12345"] button', has_text="生成密钥").click()
    assert page.get_by_test_id("new-key").inner_text().count("zyk_") == 1
    shot(page, "admin-channels")
    page.goto("/admin/users")
    assert page.locator('tr[data-user="xiabei"]').count() == 1
