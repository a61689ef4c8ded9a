"""On a phone the order page puts what the user may do first: a village handler sees 签收
on the first screen, without scrolling, and each action's form exists once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from zhiyun.domain.workorder import Dispatch


def test_a_handler_on_a_phone_finds_the_actions_on_the_first_screen(
    browser: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    number = live.register(
        "town",
        title="小区门口垃圾堆积",
        content="小区门口垃圾堆积三天没人清运，气味很大。" * 6,
        address="桂城街道夏北路 12 号",
    )
    live.services.orders.act(
        live.district.actors["town"],
        number,
        Dispatch(target_unit_id=live.district.units["GC-XB"], note="请尽快处理"),
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
        page.goto(f"/orders/{number}")
        sign = page.locator('details[data-action="sign"] summary')
        box = sign.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, f"签收 is {box and box['y']:.0f}px down"
        assert page.locator(f'form[action="/orders/{number}/actions/sign"]').count() == 1
        # the page's facts still follow, in their order
        order = page.evaluate(
            """() => ["h-actions", "h-fields", "h-content", "h-timeline"].map(
                 (id) => document.getElementById(id).getBoundingClientRect().top)"""
        )
        assert order == sorted(order), order
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the order page is {width}px wide on a 390px phone"
        shot(page, "order-phone-actions-first")
        sign.tap()
        page.get_by_role("button", name="确认签收").tap()
        page.wait_for_url("**done=sign")
    finally:
        context.close()
