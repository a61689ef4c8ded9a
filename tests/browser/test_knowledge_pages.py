"""The knowledge base (知识库) in Chromium: an admin writes an item, an inspector reviews and
publishes it, and a handler's 试问 finds it (asked in Traditional Chinese) as 小南 would answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer

Shot = Callable[[Any, str], Path]


def test_an_item_is_written_reviewed_published_and_then_found(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "admin")
    page.goto("/knowledge")
    page.get_by_test_id("knowledge-new").click()
    page.get_by_label("标题（标准问法）").fill("共享单车乱停放怎么处理")
    page.get_by_label("答案", exact=True).fill("拨打12345或在小程序上报位置，城管部门两小时内清理。")
    page.get_by_label("相似问法（每行一条）").fill("单车堆在人行道上\n自行车乱停")
    page.get_by_label("主管部门").fill("区城管局")
    page.get_by_test_id("item-save").click()
    page.get_by_role("status").filter(has_text="已新建知识点（草稿）").wait_for()
    assert page.get_by_test_id("item-status").inner_text().startswith("草稿")
    item_url = page.url.split("?")[0]

    page.context.clear_cookies()
    login(page, "inspector")
    page.goto(item_url)
    page.get_by_test_id("item-review").click()
    page.get_by_role("status").filter(has_text="已审核通过").wait_for()
    page.get_by_test_id("item-publish").click()
    page.get_by_role("status").filter(has_text="已发布").wait_for()
    assert "正在用于回答" in page.get_by_test_id("item-status").inner_text()
    assert "发布" in page.get_by_test_id("item-history").inner_text()

    page.context.clear_cookies()
    login(page, "xiabei")
    page.goto("/knowledge")
    assert page.get_by_test_id("knowledge-new").count() == 0  # a handler keeps nothing
    page.get_by_label("市民的问题").fill("單車亂停在人行道上怎麼辦")
    page.get_by_role("button", name="检索").click()
    page.get_by_test_id("ask-hits").wait_for()
    assert "可回答" in page.get_by_test_id("ask-outcome").inner_text()
    assert (
        page.get_by_test_id("ask-hits").locator("li").first.inner_text().startswith("共享单车乱停放怎么处理")
    )
    shot(page, "knowledge-ask")
