"""The citizens' portal (/portal) on a 390×844 phone in Chromium, without a login: a report with
a photo from the camera input and a map click becomes an order with its number shown; the staff
handle it; the citizen tracks it with the last four phone digits and rates it — 不满意 is
recorded as the callback and reopens the order, 满意 closes another. What the citizen typed is
shown as text, and nothing breaks the page's Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.test_xss import WATCH
from tests.e2e.harness import PNG
from tests.portal_support import bring_to_callback
from tests.support import TEST_ADMIN
from zhiyun.domain.knowledge import ItemInput
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.store.tables import AttachmentRow, TransitionRow, WorkOrderRow

Shot = Callable[[Any, str], Path]
HOSTILE = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def phone(browser: Any, live: LiveServer) -> Iterator[Any]:
    live.services.taxonomy.ensure_default(TEST_ADMIN)
    context = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def _order(live: LiveServer, number: str) -> tuple[WorkOrderRow, list[str], list[TransitionRow]]:
    with live.services.db.reading() as session:
        row = session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == number)).one()
        files = list(
            session.scalars(select(AttachmentRow.content_type).where(AttachmentRow.order_id == row.id))
        )
        trail = list(
            session.scalars(
                select(TransitionRow).where(TransitionRow.order_id == row.id).order_by(TransitionRow.id)
            )
        )
        session.expunge_all()
    return row, files, trail


def _fits_the_screen(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__violations") == []


def _report(page: Any, phone_number: str, words: str, shot: Shot | None = None) -> str:
    page.goto("/portal")
    _fits_the_screen(page)
    assert page.get_by_test_id("assistant").is_visible()
    page.get_by_test_id("portal-report-link").click()
    page.wait_for_url("**/portal/report")
    page.locator("#category_code").select_option(label="市政设施")
    page.locator("#content").fill(words)
    page.get_by_test_id("portal-map").click()  # the middle of the map: a point
    assert page.locator("#latitude").input_value() and page.locator("#longitude").input_value()
    assert "已选位置" in page.locator("#portal-map-point").inner_text()
    page.locator("#photos").set_input_files([{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    assert "已选择 1 张照片" in page.locator("#photo-note").inner_text()
    page.locator("#citizen_name").fill("陈先生")
    page.locator("#citizen_phone").fill(phone_number)
    _fits_the_screen(page)
    if shot is not None:
        shot(page, "portal-report")
    page.get_by_test_id("report-submit").click()
    number: str = page.get_by_test_id("receipt-number").inner_text().strip()
    _fits_the_screen(page)
    if shot is not None:
        shot(page, "portal-receipt")
    return number


def _track(page: Any, number: str, digits: str) -> None:
    page.goto("/portal/track")
    page.locator("#number").fill(number)
    page.locator("#digits").fill(digits)
    page.get_by_test_id("track-submit").click()


def test_a_citizen_reports_with_a_photo_and_a_map_click_tracks_and_rates_unsatisfied_which_reopens(
    phone: Any, live: LiveServer, shot: Shot
) -> None:
    number = _report(phone, "13611112222", HOSTILE + "夏北路路灯一直不亮", shot)
    row, files, _ = _order(live, number)
    assert row.channel == "web" and row.latitude is not None and row.longitude is not None
    assert files == ["image/png"] and row.category_code == "CX01"

    _track(phone, number, "9999")  # the wrong digits
    assert "未找到该工单" in phone.get_by_test_id("portal-error").inner_text()

    bring_to_callback(live.services, live.district, number)
    _track(phone, number, "2222")
    assert phone.get_by_test_id("progress-status").inner_text() == "已答复，待评价"
    assert HOSTILE in phone.get_by_test_id("progress-content").inner_text()  # shown as text
    assert "139****1111" in phone.get_by_test_id("progress-reply").inner_text()
    _fits_the_screen(phone)
    shot(phone, "portal-progress")
    phone.get_by_test_id("rate-unsatisfied").check()
    phone.locator("#words").fill("晚上还是不亮")
    phone.get_by_test_id("rate-submit").click()
    assert phone.get_by_test_id("rated-reopened").is_visible()

    row, _, trail = _order(live, number)
    assert row.status == "dispatched" and row.reopen_count == 1
    callback = trail[-1]
    assert callback.action == "callback" and callback.details["satisfaction"] == "unsatisfied"
    assert callback.details.get("reopened") is True and "晚上还是不亮" in callback.note
    _track(phone, number, "2222")
    assert "市民不满意，已重新办理" in phone.get_by_test_id("progress-steps").inner_text()
    assert phone.get_by_test_id("rate-form").count() == 0
    _fits_the_screen(phone)


def test_a_satisfied_rating_closes_the_order(phone: Any, live: LiveServer) -> None:
    number = _report(phone, "13633334444", "平南路口井盖缺失，晚上很危险")
    bring_to_callback(live.services, live.district, number)
    _track(phone, number, "4444")
    phone.get_by_test_id("rate-satisfied").check()
    phone.get_by_test_id("rate-submit").click()
    assert phone.get_by_test_id("rated-closed").is_visible()
    row, _, trail = _order(live, number)
    assert row.status == "closed" and row.satisfaction == "satisfied" and trail[-1].action == "callback"


def _publish(live: LiveServer, data: ItemInput) -> None:
    kb = live.services.get(KnowledgeService)
    admin, inspector = live.district.actors["admin"], live.district.actors["inspector"]
    item = kb.create(admin, data)
    kb.act(inspector, item.id, "review")
    kb.act(inspector, item.id, "publish")


def test_小南_answers_from_the_guide_with_its_source_and_hands_over_what_it_cannot_into_an_order(
    phone: Any, live: LiveServer, shot: Shot
) -> None:
    _publish(
        live,
        ItemInput(
            title="居住证办理",
            answer="持身份证、居住证明到居住地派出所申领居住证。",
            department="市公安局",
            source="https://example.gov.cn/permit",
            questions=("居住证怎么申请",),
        ),
    )
    phone.goto("/portal")
    box = phone.locator("#assistant-question")
    box.fill("请问居住证怎么申请？")
    phone.locator("[data-assistant-ask] button[type=submit]").click()
    answer = phone.locator('[data-role="assistant"][data-kind="answer"]').first
    assert "派出所申领居住证" in answer.inner_text()
    assert "市公安局" in answer.get_by_test_id("assistant-source").inner_text()
    answer.locator('[data-helpful="yes"]').click()
    answer.get_by_text("谢谢您的评价").wait_for()

    box.fill(HOSTILE + "养狗需要办什么证")
    phone.locator("[data-assistant-ask] button[type=submit]").click()
    phone.locator('[data-role="assistant"][data-kind="handover"]').wait_for()
    assert HOSTILE in phone.locator('[data-role="citizen"]').last.inner_text()  # shown as text
    form = phone.locator("[data-assistant-handover]")
    assert form.is_visible() and "养狗需要办什么证" in form.locator("#ho-description").input_value()
    form.locator("#ho-name").fill("周女士")
    form.locator("#ho-phone").fill("13655556666")
    form.locator("#ho-address").fill("桂城街道夏北社区 3 号")
    form.get_by_test_id("assistant-map").click()  # the middle of the map: a point
    assert "已选位置" in form.locator("#assistant-map-point").inner_text()
    _fits_the_screen(phone)
    shot(phone, "portal-assistant")
    form.locator("button[type=submit]").click()
    result = form.locator("[data-handover-result]")
    result.locator("xpath=self::*[@data-order-number]").wait_for()
    number = result.get_attribute("data-order-number") or ""
    row, _, _ = _order(live, number)
    assert row.channel == "web" and row.citizen_phone == "13655556666"
    assert row.latitude is not None and row.longitude is not None  # the map click
    assert "小南对话记录" in row.content and "养狗需要办什么证" in row.content
    _fits_the_screen(phone)
