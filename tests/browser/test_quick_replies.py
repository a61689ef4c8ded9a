"""Quick replies (常用语) in Chromium: "/" and a keyword in a note field opens the picker, the
keyboard picks a snippet, and its text, filled for the order, is inserted at the cursor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.support import TEST_ADMIN
from zhiyun.domain.workorder import Dispatch, Sign
from zhiyun.replies.service import QuickReplyInput, QuickReplyService, Scope

Shot = Callable[[Any, str], Path]


def _order_signed_at_xiabei(live: LiveServer, title: str) -> str:
    number = live.register("town", title=title, citizen_name="陈先生")
    actors, units = live.district.actors, live.district.units
    live.services.orders.act(actors["town"], number, Dispatch(target_unit_id=units["GC-XB"], note="请办理"))
    live.services.orders.act(actors["xiabei"], number, Sign())
    return number


def test_a_handler_types_a_slash_and_a_word_and_inserts_a_quick_reply_with_the_keyboard(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    number = _order_signed_at_xiabei(live, "夏北路井盖松动")
    replies = live.services.get(QuickReplyService)
    replies.create(
        TEST_ADMIN,
        Scope.UNIT,
        QuickReplyInput(
            "回复办结", "{市民称呼}您好！您反映的“{工单标题}”（{工单编号}）已处理完毕，感谢您的监督。"
        ),
        unit_id=live.district.units["GC-XB"],
    )
    replies.create(
        live.district.actors["xiabei"],
        Scope.PERSONAL,
        QuickReplyInput("回访电话", "已于{今天}电话回访{市民称呼}，市民表示认可。"),
    )
    replies.create(
        TEST_ADMIN, Scope.UNIT, QuickReplyInput("致谢", "感谢您的支持！"), unit_id=live.district.units["NH"]
    )

    login(page, "xiabei")
    page.goto(f"/orders/{number}")
    page.locator('details[data-action="reply"] summary').click()
    note = page.locator('details[data-action="reply"] textarea[name="note"]')
    assert note.get_attribute("placeholder") == "输入“/”和关键词插入常用语"
    note.click()
    note.press_sequentially("经现场核实，")
    note.press_sequentially("/回")

    picker = page.get_by_test_id("quick-reply-picker")
    options = picker.get_by_role("option")
    options.first.wait_for()
    # the keyword's matches only, each set under its name, already filled for this order
    assert options.count() == 2
    assert "/回复办结" in options.nth(0).inner_text()
    assert f"陈先生您好！您反映的“夏北路井盖松动”（{number}）" in options.nth(0).inner_text()
    assert "/回访电话" in options.nth(1).inner_text()
    assert picker.locator(".qr-group").all_inner_texts() == ["夏北社区", "我的常用语"]
    assert options.nth(0).get_attribute("aria-selected") == "true"
    assert note.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    note.press_sequentially("复")  # narrows to one
    page.wait_for_function("document.querySelectorAll('.qr-picker [role=option]').length === 1")
    note.press("Backspace")
    page.wait_for_function("document.querySelectorAll('.qr-picker [role=option]').length === 2")
    note.press("ArrowDown")
    note.press("ArrowDown")  # wraps round to the first
    note.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    note.press("ArrowUp")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    shot(page, "quick-replies-picker")
    note.press("Enter")

    assert picker.count() == 0
    expected = f"经现场核实，陈先生您好！您反映的“夏北路井盖松动”（{number}）已处理完毕，感谢您的监督。"
    assert note.input_value() == expected
    # the cursor is after the inserted text: typing goes on from there
    note.press_sequentially("谢谢。")
    assert note.input_value() == expected + "谢谢。"

    # Esc closes the picker and leaves the typed text alone
    note.press("Enter")
    note.press_sequentially("/致")
    options.first.wait_for()
    note.press("Escape")
    assert picker.count() == 0
    assert note.input_value() == expected + "谢谢。\n/致"
    # a slash inside a word (a URL, a date) opens nothing
    note.press_sequentially(" 见 http://x/y 2026/12")
    page.wait_for_timeout(200)
    assert picker.count() == 0
    note.fill(expected)
    shot(page, "quick-replies-inserted")

    # the reply goes through with the inserted text
    page.locator('details[data-action="reply"]').get_by_role("button", name="确认办结反馈").click()
    page.wait_for_url("**done=reply")
    assert expected in page.get_by_test_id("timeline").inner_text()


def test_a_user_keeps_their_own_quick_replies_on_their_page(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "pingnan")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="常用语").click()
    page.wait_for_url("**/replies")
    form = page.locator("form", has=page.locator('input[name="op"][value="add"]'))
    form.get_by_label("关键词").fill("现场")
    form.get_by_label("内容").fill("{本单位}已派人到现场查看，{今天}内反馈。")
    form.get_by_role("button", name="添加").click()
    page.wait_for_url("**/replies?done=add")
    mine = page.get_by_test_id("my-replies")
    assert "/现场" in mine.inner_text()
    assert "{本单位}已派人到现场查看" in mine.inner_text()
    shot(page, "quick-replies-mine")
    # deleting asks first: dismissed, nothing happens; accepted, it is gone
    page.once("dialog", lambda dialog: dialog.dismiss())
    mine.get_by_role("button", name="删除").click()
    assert "/现场" in mine.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="删除").click()
    page.wait_for_url("**/replies?done=delete")
    assert "/现场" not in page.get_by_test_id("my-replies").inner_text()


def test_an_admin_keeps_a_units_quick_replies_in_the_admin_area(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    login(page, "admin")
    page.goto("/admin/quick-replies")
    form = page.locator("form", has=page.locator('input[name="op"][value="add"]'))
    form.get_by_label("所属单位").select_option(label="南海区 / 大沥镇 / 盐步社区")
    form.get_by_label("关键词").fill("盐步签收")
    form.get_by_label("内容").fill("{本单位}已签收工单{工单编号}，将于{办理期限}前答复{市民称呼}。")
    form.get_by_role("button", name="添加").click()
    section = page.locator(f'section[data-unit="{live.district.units["DL-YB"]}"]')
    assert "/盐步签收" in section.inner_text()
    assert page.get_by_role("status").inner_text() == "已添加常用语“盐步签收”"
    shot(page, "admin-quick-replies")


def test_markup_in_a_snippet_or_an_order_is_inserted_as_text_and_never_runs(
    page: Any, live: LiveServer, login: Callable[..., None]
) -> None:
    payload = '<img src=x onerror="window.__xss=1">'
    number = _order_signed_at_xiabei(live, "<script>window.__xss=1</script>井盖")
    live.services.get(QuickReplyService).create(
        live.district.actors["xiabei"], Scope.PERSONAL, QuickReplyInput("探测", payload + "{工单标题}")
    )
    login(page, "xiabei")
    page.goto("/replies")
    assert payload in page.get_by_test_id("my-replies").inner_text()  # shown as text
    page.goto(f"/orders/{number}")
    page.locator('details[data-action="reply"] summary').click()
    note = page.locator('details[data-action="reply"] textarea[name="note"]')
    note.click()
    note.press_sequentially("/探测")
    page.get_by_test_id("quick-reply-picker").get_by_role("option").first.wait_for()
    assert page.locator(".qr-picker img").count() == 0
    note.press("Enter")
    assert note.input_value() == payload + "<script>window.__xss=1</script>井盖"
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
