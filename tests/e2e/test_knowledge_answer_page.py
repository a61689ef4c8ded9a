"""一键秒回 on a consultation order's page over HTTP: the panel lists the knowledge base's items
with scores, the button answers and closes the order (CSRF checked), a hostile item title is
text."""

from __future__ import annotations

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from tests.support import TEST_ADMIN
from zhiyun.domain.knowledge import ItemInput
from zhiyun.domain.workorder import OrderType
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.orders.service import NewOrder

HOSTILE = "<script>alert('kb')</script>"


def test_a_consultation_is_answered_from_its_page_with_one_click(console: Api) -> None:
    services, district = console.services, console.district
    services.taxonomy.ensure_default(TEST_ADMIN)
    kb = services.get(KnowledgeService)
    item = kb.create(
        district.actors["admin"],
        ItemInput(title=HOSTILE + "居住证办理", answer="到派出所申领居住证。", questions=("居住证怎么申请",)),
    )
    kb.act(district.actors["inspector"], item.id, "review")
    kb.act(district.actors["inspector"], item.id, "publish")
    new = NewOrder(
        title="咨询居住证", content="请问居住证怎么申请", order_type=OrderType.CONSULT, channel="12345"
    )
    number = services.orders.register(district.actors["district"], new).order.summary.number
    client = page_login(console, "district")
    page = client.get(f"/orders/{number}")
    assert page.status_code == 200 and 'data-testid="kb-answers"' in page.text
    assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
    assert client.post(f"/knowledge/answer-order/{number}", data={"item_id": str(item.id)}).status_code == 403
    done = post_form(
        client, f"/knowledge/answer-order/{number}", {"item_id": str(item.id)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=resolve_on_intake")
    after = client.get(f"/orders/{number}")
    assert "已即时办结" in after.text or "awaiting_callback" in after.text
    again = post_form(client, f"/knowledge/answer-order/{number}", {"item_id": str(item.id)})
    assert (again.status_code == 409 and "不能" in again.text) or again.status_code in (403, 409)
