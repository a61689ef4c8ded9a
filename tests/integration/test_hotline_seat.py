"""The call-taking seat's use cases on SQLite and PostgreSQL: a call registered with its
outcome in one transaction, the caller's history as the agent may see it, suggestions while
typing, and a repeat call recorded on the open order instead of a new one."""

from __future__ import annotations

import itertools

import pytest
from tests.support import District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.classifier.model import TextClassifier, TrainingData, train_classifier
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.knowledge import ItemInput
from zhiyun.domain.workorder import Dispatch, OrderStatus, Sign
from zhiyun.hotline.service import Call, Draft, Outcome, SeatService
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import WorkOrderRow

TAXONOMY = "code,name,parent_code,keywords\nCG,城市管理,,垃圾\nCX,城乡建设,,违建|加建\n"
RULES = "category_code,area_code,unit_code,priority\nCG,GC,GC-CG,0\nCX,,ZJJ,0\n"
PHONE = "13800138000"


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    phrases = {
        "CG": ("门口垃圾堆积没人清运", "垃圾桶满了没人收", "路边垃圾成堆苍蝇很多"),
        "CX": ("楼顶违建加建铁皮房", "邻居违法加建三层楼", "空地上有人违建厂房"),
    }
    titles, contents, labels = [], [], []
    for (label, texts), place in itertools.product(phrases.items(), ("夏北社区", "平南社区", "盐步社区")):
        for text in texts:
            titles.append(f"{place}{text[:6]}")
            contents.append(f"市民反映{place}{text}，请尽快处理。")
            labels.append(label)
    return train_classifier(TrainingData(titles, contents, labels), seed=0)


def _world(services: Services) -> tuple[District, SeatService]:
    district = build_small_district(services)
    return district, services.get(SeatService)


def _call(outcome: Outcome = Outcome.HOLD, **fields: object) -> Call:
    order = NewOrder(
        title=str(fields.pop("title", "夏北社区路灯不亮")),
        content=str(fields.pop("content", "夏北路 3 号路灯不亮，晚上很黑")),
        citizen_phone=str(fields.pop("citizen_phone", PHONE)),
        citizen_name="陈先生",
        address=str(fields.pop("address", "桂城街道夏北社区夏北路 3 号")),
        confidential=bool(fields.pop("confidential", False)),
    )
    return Call(order=order, outcome=outcome, **fields)  # type: ignore[arg-type]


def _row(services: Services, number: str) -> WorkOrderRow:
    with services.db.reading() as session:
        row = session.query(WorkOrderRow).filter_by(number=number).one()
        session.expunge(row)
        return row


def test_a_call_closed_on_the_phone_is_answered_and_waits_for_its_callback(services: Services) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    result = seat.register_call(agent, _call(Outcome.RESOLVE, reply="已告知办理地点和所需材料"))
    assert result.status == OrderStatus.AWAITING_CALLBACK.value
    trail = services.orders.transitions(agent, result.number)
    assert [t.action for t in trail] == ["register", "resolve_on_intake"]
    assert {t.actor_name for t in trail} == {"agent"}  # the agent acted, not the system
    assert trail[-1].note == "已告知办理地点和所需材料"
    assert _row(services, result.number).channel == "manual"


def test_closing_on_the_phone_needs_the_reply_and_refusing_it_stores_nothing(services: Services) -> None:
    district, seat = _world(services)
    with pytest.raises(ValidationFailed) as refused:
        seat.register_call(district.actors["agent"], _call(Outcome.RESOLVE, reply="  "))
    assert refused.value.details["fields"] == {"reply": "即时办结须填写答复内容"}
    with services.db.reading() as session:
        assert session.query(WorkOrderRow).count() == 0


def test_a_call_dispatched_at_once_goes_to_the_chosen_unit(services: Services) -> None:
    district, seat = _world(services)
    result = seat.register_call(
        district.actors["agent"], _call(Outcome.DISPATCH, target_unit_id=district.units["GC"], reply="请核实")
    )
    row = _row(services, result.number)
    assert row.status == OrderStatus.DISPATCHED.value and row.current_unit_id == district.units["GC"]


def test_an_agent_dispatches_only_before_the_first_dispatch(services: Services) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    result = seat.register_call(agent, _call(Outcome.HOLD))
    assert _row(services, result.number).status == OrderStatus.PENDING_DISPATCH.value
    services.orders.act(agent, result.number, Dispatch(target_unit_id=district.units["GC"]))
    services.orders.act(district.actors["town"], result.number, Sign())
    assert "redispatch" not in services.orders.allowed(agent, result.number)


def test_a_parked_call_is_located_and_found_by_its_words_at_once(services: Services) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    result = seat.register_call(agent, _call(Outcome.HOLD))
    row = _row(services, result.number)
    assert row.status == OrderStatus.PENDING_DISPATCH.value
    assert row.village_unit_id == district.units["GC-XB"]  # the address names 夏北社区
    assert row.search_text  # searchable now, not after the worker's next backfill


def test_the_callers_history_shows_their_orders_newest_first_and_marks_the_open_ones(
    services: Services,
) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    first = seat.register_call(agent, _call(Outcome.RESOLVE, reply="已解答"))
    second = seat.register_call(agent, _call(Outcome.HOLD, title="垃圾没人清运", content="门口垃圾堆积"))
    seat.register_call(agent, _call(Outcome.HOLD, citizen_phone="13900139000"))
    history = seat.caller_history(agent, "+86 138-0013-8000")
    assert [o.number for o in history.orders] == [second.number, first.number]
    assert [o.number for o in history.open_orders] == [second.number, first.number]  # 待回访 is still open
    assert history.orders[1].reply == "已解答"


def test_another_centers_agent_sees_no_history_of_orders_outside_its_subtree(services: Services) -> None:
    district, seat = _world(services)
    district_agent, town_agent = district.actors["agent"], district.actors["town_agent"]
    # registered at the district center, dispatched to 大沥镇: never at 桂城
    result = seat.register_call(
        district_agent, _call(Outcome.DISPATCH, target_unit_id=district.units["DL"], reply="请办理")
    )
    assert [o.number for o in seat.caller_history(district_agent, PHONE).orders] == [result.number]
    history = seat.caller_history(town_agent, PHONE)
    assert history.orders == [] and history.total == 0
    with pytest.raises(NotFound):
        seat.repeat_call(town_agent, result.number, "又来电")


def test_an_agent_does_not_see_a_confidential_callers_orders_by_typing_the_number(services: Services) -> None:
    district, seat = _world(services)
    seat.register_call(district.actors["district"], _call(Outcome.HOLD, confidential=True))
    history = seat.caller_history(district.actors["agent"], PHONE)
    assert history.orders == [] and history.hidden_confidential == 1
    assert len(seat.caller_history(district.actors["district"], PHONE).orders) == 1  # a dispatcher does


def test_a_repeat_call_urges_the_open_order_and_registers_nothing_new(services: Services) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    result = seat.register_call(agent, _call(Outcome.HOLD))
    seat.repeat_call(agent, result.number, "市民再次来电，询问进度")
    row = _row(services, result.number)
    assert row.urge_count == 1 and row.version == 2
    trail = services.orders.transitions(agent, result.number)
    assert trail[-1].action == "repeat_call" and trail[-1].note == "市民再次来电催办：市民再次来电，询问进度"
    with services.db.reading() as session:
        assert session.query(WorkOrderRow).count() == 1


def test_a_repeat_call_on_a_closed_order_is_refused(services: Services) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    result = seat.register_call(agent, _call(Outcome.HOLD))
    from zhiyun.domain.workorder import Cancel, CancelReason

    services.orders.act(
        district.actors["district"], result.number, Cancel(reason=CancelReason.INVALID, note="无效")
    )
    with pytest.raises(PermissionDenied):
        seat.repeat_call(agent, result.number, "又来电")


def test_roles_that_take_no_calls_are_refused_every_seat_use_case(services: Services) -> None:
    district, seat = _world(services)
    for name in ("xiabei", "leader", "inspector"):
        who = district.actors[name]
        with pytest.raises(PermissionDenied):
            seat.caller_history(who, PHONE)
        with pytest.raises(PermissionDenied):
            seat.suggest(who, Draft(title="路灯不亮"))
        with pytest.raises(PermissionDenied):
            seat.places(who, "夏北")


def test_suggestions_name_the_category_the_unit_and_why_and_the_possible_duplicates(
    services: Services, classifier: TextClassifier
) -> None:
    district, seat = _world(services)
    admin = district.actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY)
    services.responsibility.import_csv(admin, RULES)
    services.auto_dispatch.model_source = lambda _session: classifier
    agent = district.actors["agent"]
    earlier = seat.register_call(
        agent, _call(Outcome.HOLD, title="夏北社区垃圾堆积", content="门口垃圾堆积没人清运，气味很大")
    )
    found = seat.suggest(
        agent,
        Draft(
            title="夏北社区垃圾堆积",
            content="门口垃圾堆积没人清运，气味很大",
            address="桂城街道夏北社区",
            phone=PHONE,
        ),
    )
    assert found.has_model and found.categories[0]["category_code"] == "CG"
    assert found.categories[0]["unit_id"] == district.units["GC-CG"] and found.categories[0]["reason"]
    assert found.village == "夏北社区"
    assert [d["number"] for d in found.duplicates] == [earlier.number]
    # another town's agent is not shown an order it may not read
    assert seat.suggest(district.actors["town_agent"], Draft(title="x")).duplicates == []


def test_place_suggestions_come_from_the_gazetteer(services: Services) -> None:
    district, seat = _world(services)
    assert seat.places(district.actors["agent"], "夏北") == ["桂城街道夏北社区"]
    assert seat.places(district.actors["agent"], "") == []


def _publish(services: Services, district: District) -> int:
    kb = services.get(KnowledgeService)
    item = kb.create(
        district.actors["admin"],
        ItemInput(
            title="居住证办理",
            answer="持身份证、居住证明到居住地派出所申领居住证。",
            department="市公安局",
            questions=("居住证怎么申请",),
        ),
    )
    kb.act(district.actors["inspector"], item.id, "review")
    kb.act(district.actors["inspector"], item.id, "publish")
    return item.id


def test_the_seat_offers_the_knowledge_bases_best_items_and_records_the_one_a_call_was_answered_with(
    services: Services,
) -> None:
    district, seat = _world(services)
    agent = district.actors["agent"]
    item_id = _publish(services, district)
    found = seat.suggest(agent, Draft(title="咨询居住证", content="请问居住证怎么申请，要带什么材料"))
    assert found.answers and found.answers[0]["item_id"] == item_id
    assert 0 < found.answers[0]["score"] <= 1, found.answers
    result = seat.register_call(
        agent,
        _call(
            Outcome.RESOLVE, reply=found.answers[0]["answer"], knowledge_item_id=item_id, title="咨询居住证"
        ),
    )
    trail = services.orders.transitions(agent, result.number)
    assert [t.action for t in trail] == ["register", "resolve_on_intake"]
    assert trail[0].details["attributes"]["knowledge_item"] == item_id
    assert trail[-1].note == "持身份证、居住证明到居住地派出所申领居住证。"
    with pytest.raises(ValidationFailed):  # an item is the answer of a call closed on the phone only
        seat.register_call(agent, _call(Outcome.HOLD, knowledge_item_id=item_id))
