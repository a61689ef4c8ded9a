"""An order's whole life in the browser: dispatch, sign, reply, review, callback; and what a handler sees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer

Shot = Callable[[Any, str], Path]


def _open_from_queue(page: Any, queue: str, number: str) -> None:
    page.goto("/workbench")
    page.locator(f'a[data-queue="{queue}"]').click()
    page.wait_for_url(f"**queue={queue}**")
    page.locator(f'tr[data-order="{number}"] a').first.click()
    page.wait_for_url(f"**/orders/{number}?queue={queue}**")  # the order carries the list it came from


def _act(page: Any, action: str) -> Any:
    """Open the form of `action` (its button) and return the form."""
    details = page.locator(f'details[data-action="{action}"]')
    details.locator("summary").click()
    return details.locator("form")


def _status(page: Any) -> str:
    return str(page.locator(".order-badges [data-status]").get_attribute("data-status"))


def _logout(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")


def test_town_dispatcher_and_village_handler_take_an_order_to_closed(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    number = live.register("town", title="夏北路路灯不亮", content="夏北路 3 号路灯连续三晚不亮")

    # the town dispatcher dispatches it to the village
    login(page, "town")
    shot(page, "workbench-dispatcher")
    _open_from_queue(page, "to_dispatch", number)
    assert _status(page) == "pending_dispatch"
    form = _act(page, "dispatch")
    form.get_by_label("派往单位").select_option(label="\u3000夏北社区")
    form.get_by_label("意见（可选）").fill("请夏北社区核实处理")
    form.get_by_role("button", name="确认派单").click()
    page.wait_for_url("**done=dispatch")
    assert _status(page) == "dispatched"
    shot(page, "order-dispatched")
    _logout(page)

    # the village handler signs for it and replies
    login(page, "xiabei")
    _open_from_queue(page, "to_sign", number)
    _act(page, "sign").get_by_role("button", name="确认签收").click()
    page.wait_for_url("**done=sign")
    assert _status(page) == "in_progress"
    form = _act(page, "reply")
    form.get_by_label("办理结果").fill("已更换灯泡，路灯恢复正常")
    form.get_by_role("button", name="确认办结反馈").click()
    page.wait_for_url("**done=reply")
    assert _status(page) == "replied"
    _logout(page)

    # the dispatcher reviews the reply, then calls the citizen back
    login(page, "town")
    _open_from_queue(page, "to_review", number)
    form = _act(page, "review")
    form.get_by_label("通过").check()
    form.get_by_role("button", name="确认审核").click()
    page.wait_for_url("**done=review")
    assert _status(page) == "awaiting_callback"
    form = _act(page, "callback")
    form.get_by_label("市民满意度").select_option("satisfied")
    form.get_by_label("回访记录（可选）").fill("市民表示满意")
    form.get_by_role("button", name="确认回访").click()
    page.wait_for_url("**done=callback")
    assert _status(page) == "closed"

    # the timeline shows every step, with who took it
    timeline = page.get_by_test_id("timeline")
    steps = timeline.locator("li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert steps == ["register", "dispatch", "sign", "reply", "review", "callback"]
    text = timeline.inner_text()
    assert "请夏北社区核实处理" in text and "已更换灯泡，路灯恢复正常" in text and "满意" in text
    assert "xiabei" in text and "town" in text
    assert page.get_by_test_id("actions").count() == 0  # nothing left to do on a closed order
    shot(page, "order-closed-timeline")


def test_handler_sees_only_the_actions_they_may_take(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    from zhiyun.domain.workorder import Dispatch

    number = live.register("town", title="井盖缺失", content="平南路井盖缺失，存在安全隐患")
    live.services.orders.act(
        live.district.actors["town"], number, Dispatch(target_unit_id=live.district.units["GC-XB"])
    )
    login(page, "xiabei")
    page.goto(f"/orders/{number}")
    offered = page.locator("details.action").evaluate_all("els => els.map(e => e.dataset.action)")
    assert sorted(offered) == ["return", "sign"]
    # the dispatcher's tools are not on the handler's page at all
    for absent in ("dispatch", "redispatch", "review", "callback", "close", "cancel", "supervise", "urge"):
        assert page.locator(f'details[data-action="{absent}"]').count() == 0
    assert page.get_by_test_id("phone").inner_text().startswith("13812345678")
    shot(page, "order-handler-view")
    # a village's workbench has no 待分拨 queue and no bulk dispatch
    page.goto("/workbench")
    assert page.locator('a[data-queue="to_dispatch"]').count() == 0
    assert page.locator("#bulk-target").count() == 0
    shot(page, "workbench-handler")


def test_refused_action_shows_the_chinese_reason_on_the_page(
    page: Any, live: LiveServer, login: Callable[..., None]
) -> None:
    number = live.register("town", title="噪音扰民", content="夜间施工噪音")
    login(page, "town")
    page.goto(f"/orders/{number}")
    form = _act(page, "dispatch")
    # the order is dispatched from another screen meanwhile: this page's version is stale
    from zhiyun.domain.workorder import Dispatch

    live.services.orders.act(
        live.district.actors["town"], number, Dispatch(target_unit_id=live.district.units["GC-PN"])
    )
    form.get_by_label("派往单位").select_option(label="\u3000夏北社区")
    form.get_by_role("button", name="确认派单").click()
    assert "工单已被他人更新" in page.get_by_test_id("action-error").inner_text()
