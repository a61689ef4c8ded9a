"""The call-taking seat in Chromium, with the keyboard alone: a call from ringing to a closed
or dispatched order, the caller's history with one-click repeat calls, and the time it takes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import SCREENSHOT_DIR, LiveServer
from zhiyun.domain.knowledge import ItemInput
from zhiyun.knowledge.service import KnowledgeService

Shot = Callable[[Any, str], Path]
TYPING_DELAY_MS = 40  # a practised agent: about 25 keys a second (Chinese comes in whole words from the IME)


def _type(page: Any, text: str) -> None:
    page.keyboard.type(text, delay=TYPING_DELAY_MS)


def test_an_agent_closes_a_consultation_on_the_call_with_the_keyboard_alone_in_under_a_minute(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "agent")
    started = time.perf_counter()
    page.goto("/orders/new?phone=13700137000&call_id=CALL-0001")  # the telephony system rings
    page.wait_for_selector('[data-testid="history-empty"]')  # the caller's history, before a key is pressed
    # the phone came from the telephony system: the cursor waits in the name field
    _type(page, "林女士")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # 称呼: 先生
    page.keyboard.press("ArrowDown")  # 女士
    page.keyboard.press("Tab")  # 保密
    page.keyboard.press("Tab")  # 标题
    _type(page, "咨询居住证办理")
    page.keyboard.press("Tab")
    _type(page, "市民咨询居住证在哪里办理，需要带什么材料")
    page.locator(
        "#reply"
    ).focus()  # the agent tabs down to the reply (several fields): one focus stands for it
    _type(page, "可到桂城街道行政服务中心办理，携带身份证和租房合同")
    page.keyboard.press("Alt+1")  # 即时办结
    page.wait_for_url("**/orders/NH*")
    elapsed = time.perf_counter() - started
    assert page.locator(".alert.ok").inner_text() == "已受理并即时办结"
    assert page.locator(".order-badges [data-status]").get_attribute("data-status") == "awaiting_callback"
    shot(page, "seat-resolved-order")
    (SCREENSHOT_DIR / "seat-timing.json").write_text(
        json.dumps({"flow": "resolve on the call", "seconds": round(elapsed, 1)}), encoding="utf-8"
    )
    assert elapsed < 60, f"ringing to closed took {elapsed:.1f} s"


def test_an_agent_dispatches_a_call_at_once_to_the_unit_chosen(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "agent")
    started = time.perf_counter()
    page.goto("/orders/new?phone=13600136000")
    page.locator("#title").fill("夏北路井盖缺失")
    page.locator("#content").fill("夏北路 8 号井盖丢了，很危险")
    page.locator("#address").fill("桂城街道夏北社区夏北路 8 号")
    page.locator("#target_unit_id").select_option(label="\u3000桂城街道")
    page.locator("#reply").fill("请尽快处置")
    shot(page, "seat-registration-form")
    page.keyboard.press("Alt+2")  # 派单
    page.wait_for_url("**/orders/NH*")
    assert page.locator(".alert.ok").inner_text() == "已受理并派单"
    assert page.locator(".order-badges [data-status]").get_attribute("data-status") == "dispatched"
    assert time.perf_counter() - started < 60


def test_the_callers_open_order_is_shown_and_a_repeat_call_is_one_click_not_a_new_order(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    number = live.register("district", citizen_phone="13500135000", title="平南路噪音扰民")
    login(page, "agent")
    page.goto("/orders/new")
    page.keyboard.type("13500135000", delay=TYPING_DELAY_MS)  # the phone field has the focus
    item = page.locator(f'[data-testid="history-item"][data-number="{number}"]')
    item.wait_for()
    assert "平南路噪音扰民" in item.inner_text()
    page.locator("#content").fill("又来电：晚上还是很吵")
    shot(page, "seat-caller-history")
    item.locator('[data-testid="repeat-call"]').click()
    page.wait_for_url(f"**/orders/{number}?done=repeat_call")
    assert page.locator(".alert.ok").inner_text() == "已记录重复来电，工单催办次数加一"
    assert "市民再次来电催办：又来电：晚上还是很吵" in page.locator("#h-timeline ~ *").first.inner_text()


def test_a_handler_gets_no_seat_and_no_menu_entry_for_it(
    page: Any, live: LiveServer, login: Callable[..., None]
) -> None:
    login(page, "xiabei")
    assert page.locator('nav.mainnav a[href="/orders/new"]').count() == 0
    response = page.goto("/orders/new")
    assert response.status == 403


def test_a_click_on_the_seat_map_places_the_call_and_the_order_keeps_the_point(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "agent")
    page.goto("/orders/new?phone=13400134000")
    page.locator("#title").fill("路面塌陷")
    page.locator("#content").fill("这里路面塌陷了一个坑")
    page.locator("#seat-map").click()  # the middle of the district's view
    page.wait_for_function("document.getElementById('latitude').value !== ''")
    assert page.locator("#seat-map-point").inner_text().startswith("已选位置：")
    lat = float(page.locator("#latitude").input_value())
    lon = float(page.locator("#longitude").input_value())
    assert 22.9 < lat < 23.2 and 113.0 < lon < 113.3
    shot(page, "seat-map-point")
    page.keyboard.press("Alt+3")  # 暂存
    page.wait_for_url("**/orders/NH*")
    stored = page.locator("#order-map").get_attribute("data-lat")
    assert stored is not None and abs(float(stored) - lat) < 1e-6


def test_一键秒回_puts_the_knowledge_items_answer_into_the_reply_and_closes_the_call(
    page: Any, live: LiveServer, login: Callable[..., None]
) -> None:
    kb = live.services.get(KnowledgeService)
    admin, inspector = live.district.actors["admin"], live.district.actors["inspector"]
    answer = "持身份证、居住证明到居住地派出所申领居住证。"
    item = kb.create(
        admin,
        ItemInput(title="居住证办理", answer=answer, department="市公安局", questions=("居住证怎么申请",)),
    )
    kb.act(inspector, item.id, "review")
    kb.act(inspector, item.id, "publish")
    login(page, "agent")
    page.goto("/orders/new?phone=13500135000")
    page.locator("#title").fill("咨询居住证")
    page.locator("#content").fill("请问居住证怎么申请")
    offered = page.get_by_test_id("seat-answer").first
    offered.wait_for()
    assert "居住证办理" in offered.inner_text() and "得分" in offered.inner_text()
    chosen = int(offered.get_attribute("data-item") or 0)  # the live server may hold another 居住证办理
    offered.locator("[data-resolve]").click()
    page.wait_for_url("**/orders/NH*")
    assert page.locator(".alert.ok").inner_text() == "已受理并即时办结"
    number = page.url.rsplit("/", 1)[-1].split("?")[0]
    trail = live.services.orders.transitions(live.district.actors["agent"], number)
    assert trail[0].details["attributes"]["knowledge_item"] == chosen and trail[-1].note == answer
