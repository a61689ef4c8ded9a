"""一键秒回 on a consultation order, on SQLite and PostgreSQL: the order page's panel offers the
knowledge base's best items with scores to a reader who may close the order at intake, and one
answers and closes it with the item named in the audit trail; a withdrawn item, an order of
another kind or a reader who may not close it get nothing."""

from __future__ import annotations

import pytest
from tests.support import TEST_ADMIN, District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ActionNotAllowed, NotFound, PermissionDenied
from zhiyun.domain.knowledge import ItemInput
from zhiyun.domain.workorder import OrderStatus, OrderType
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.orders.service import NewOrder

PERMIT = ItemInput(
    title="居住证办理",
    answer="持身份证、居住证明到居住地派出所申领居住证。",
    department="市公安局",
    source="https://example.gov.cn/permit",
    questions=("居住证怎么申请",),
)


@pytest.fixture
def world(services: Services) -> tuple[District, int]:
    services.taxonomy.ensure_default(TEST_ADMIN)
    district = build_small_district(services)
    kb = services.get(KnowledgeService)
    item = kb.create(district.actors["admin"], PERMIT)
    kb.act(district.actors["inspector"], item.id, "review")
    kb.act(district.actors["inspector"], item.id, "publish")
    return district, item.id


def _consultation(services: Services, district: District, order_type: OrderType = OrderType.CONSULT) -> str:
    new = NewOrder(
        title="咨询居住证", content="请问居住证怎么申请，需要什么材料", order_type=order_type, channel="12345"
    )
    return services.orders.register(district.actors["district"], new).order.summary.number


def test_a_consultation_shows_the_best_items_and_one_click_answers_and_closes_it(
    services: Services, world: tuple[District, int]
) -> None:
    district, item_id = world
    number = _consultation(services, district)
    dispatcher = district.actors["district"]
    panel = services.pages.page(dispatcher, number).panels["knowledge_answers"]
    assert panel is not None and panel.hits[0].item_id == item_id and 0 < panel.hits[0].score <= 1
    done = services.get(KnowledgeService).answer_order(dispatcher, number, item_id)
    assert done.summary.status == OrderStatus.AWAITING_CALLBACK.value
    last = services.orders.transitions(dispatcher, number)[-1]
    assert last.action == "resolve_on_intake" and last.actor_name == "district"
    assert last.note.startswith(PERMIT.answer) and f"知识库「居住证办理」#{item_id}" in last.note
    assert services.pages.page(dispatcher, number).panels["knowledge_answers"] is None  # closed at intake


def test_nothing_is_offered_or_answered_where_it_must_not_be(
    services: Services, world: tuple[District, int]
) -> None:
    district, item_id = world
    kb = services.get(KnowledgeService)
    complaint = _consultation(services, district, OrderType.COMPLAINT)
    assert services.pages.page(district.actors["district"], complaint).panels["knowledge_answers"] is None
    number = _consultation(services, district)
    leader = district.actors["leader"]  # reads every order, closes none at intake
    assert services.pages.page(leader, number).panels["knowledge_answers"] is None
    with pytest.raises((ActionNotAllowed, PermissionDenied)):
        kb.answer_order(leader, number, item_id)
    with pytest.raises(NotFound):  # another town's dispatcher does not see the order
        kb.answer_order(district.actors["town2"], number, item_id)
    with pytest.raises(PermissionDenied):
        kb.answer_order(Actor.citizen(None), number, item_id)
    kb.act(district.actors["admin"], item_id, "withdraw", "政策调整")
    with pytest.raises(NotFound):  # a withdrawn item answers nothing
        kb.answer_order(district.actors["district"], number, item_id)
