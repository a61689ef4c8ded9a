"""Lists of orders (the API's and the console's are one): queues per role, scoping, filters, search,
keyset pages and their cursors, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from tests.support import District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.calendar import local_midnight
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Dispatch, OrderType, Sign, Supervise, Urgency
from zhiyun.kernel.text import search_text
from zhiyun.orders.service import NewOrder


def _register(
    services: Services, district: District, title: str, username: str = "town", **kw: object
) -> str:
    actor = district.actors[username]
    fields: dict[str, object] = {"citizen_phone": "13812345678", **kw}
    new = NewOrder(title=title, content=f"{title}，请尽快处理", **fields).validated()  # type: ignore[arg-type]
    with services.db.transaction() as session:
        row = services.orders.register_in(
            session, actor, new, datetime.now(UTC), extra={"search_text": search_text(new.title, new.content)}
        )
        return row.number


def _counts(services: Services, district: District, username: str) -> dict[str, int]:
    return {q.key: q.count for q in services.worklists.counts(district.actors[username])}


def test_each_role_sees_its_own_queues_with_counts(services: Services) -> None:
    district = build_small_district(services)
    a = _register(services, district, "路灯不亮")
    _register(services, district, "井盖缺失")
    services.orders.act(district.actors["town"], a, Dispatch(target_unit_id=district.units["GC-XB"]))

    town = _counts(services, district, "town")
    assert town["to_dispatch"] == 1
    assert town["all"] == 2
    xiabei = _counts(services, district, "xiabei")
    assert xiabei["to_sign"] == 1
    assert "to_dispatch" not in xiabei  # a village handler dispatches nothing
    assert _counts(services, district, "pingnan")["all"] == 0  # another village sees none of it
    assert _counts(services, district, "town2")["all"] == 0  # nor another town


def test_review_queue_holds_what_a_unit_below_replied(services: Services) -> None:
    from zhiyun.domain.workorder import Reply

    district = build_small_district(services)
    number = _register(services, district, "噪音扰民")
    services.orders.act(district.actors["town"], number, Dispatch(target_unit_id=district.units["GC-XB"]))
    services.orders.act(district.actors["xiabei"], number, Sign())
    services.orders.act(district.actors["xiabei"], number, Reply(note="已处理"))

    page = services.worklists.page(district.actors["town"], OrderQuery(queue="to_review"))
    assert [o.number for o in page.items] == [number]
    assert _counts(services, district, "district")["to_review"] == 1


def test_supervised_queue_and_filters_narrow_the_list(services: Services) -> None:
    district = build_small_district(services)
    a = _register(services, district, "违章搭建", order_type=OrderType.REPORT)
    _register(services, district, "路面积水", urgency=Urgency.URGENT)
    services.orders.act(district.actors["leader"], a, Supervise(note="请加快"))

    leader = district.actors["leader"]
    assert [o.number for o in services.worklists.page(leader, OrderQuery(queue="supervised")).items] == [a]
    urgent = services.worklists.page(leader, OrderQuery(urgency="urgent")).items
    assert [o.title for o in urgent] == ["路面积水"]
    assert [o.number for o in services.worklists.page(leader, OrderQuery(order_type="report")).items] == [a]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    assert services.worklists.page(leader, OrderQuery(registered_from=local_midnight(tomorrow))).items == []


def test_chinese_search_finds_orders_by_words_and_by_number(services: Services) -> None:
    district = build_small_district(services)
    lamp = _register(services, district, "夏北路路灯不亮")
    _register(services, district, "小区垃圾没人清运")
    town = district.actors["town"]

    found = services.worklists.page(town, OrderQuery(text="路灯")).items
    assert [o.number for o in found] == [lamp]
    assert [o.number for o in services.worklists.page(town, OrderQuery(text=lamp)).items] == [lamp]
    assert services.worklists.page(town, OrderQuery(text="电梯故障")).items == []


def test_keyset_pages_cover_every_order_once_in_each_sort(services: Services) -> None:
    district = build_small_district(services)
    numbers = {_register(services, district, f"工单{i}") for i in range(7)}
    first = sorted(numbers)[0]
    services.orders.act(district.actors["town"], first, Dispatch(target_unit_id=district.units["GC-XB"]))
    town = district.actors["town"]
    for sort in ("newest", "oldest", "deadline", "updated"):
        seen: list[str] = []
        cursor = None
        while True:
            page = services.worklists.page(town, OrderQuery(sort=sort), cursor=cursor, limit=3)
            seen += [o.number for o in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(numbers), sort
        assert len(seen) == len(set(seen)), sort
    deadline_first = services.worklists.page(town, OrderQuery(sort="deadline"), limit=1).items
    assert [o.number for o in deadline_first] == [first]  # the only order with a reply deadline


def test_export_rows_mask_the_phone_for_a_leader(services: Services) -> None:
    district = build_small_district(services)
    _register(services, district, "路灯不亮")
    leader_rows = list(services.worklists.export_rows(district.actors["leader"], OrderQuery(), batch=1))
    town_rows = list(services.worklists.export_rows(district.actors["town"], OrderQuery(), batch=1))
    assert [r.citizen_phone for r in leader_rows] == ["138****5678"]
    assert [r.citizen_phone for r in town_rows] == ["13812345678"]


def test_queue_counts_stop_at_the_cap_and_say_there_are_more(services: Services) -> None:
    district = build_small_district(services)
    for i in range(3):
        _register(services, district, f"工单{i}")
    counts = {q.key: q for q in services.worklists.counts(district.actors["town"], cap=2)}
    assert (counts["to_dispatch"].count, counts["to_dispatch"].more) == (2, True)
    assert (counts["to_sign"].count, counts["to_sign"].more) == (0, False)


def test_a_handlers_queues_hold_only_what_the_unit_holds_now(services: Services) -> None:
    from zhiyun.domain.workorder import Return

    district = build_small_district(services)
    number = _register(services, district, "楼道堆物", urgency=Urgency.URGENT)
    services.orders.act(district.actors["town"], number, Dispatch(target_unit_id=district.units["GC-XB"]))
    assert _counts(services, district, "xiabei")["to_sign"] == 1
    services.orders.act(district.actors["xiabei"], number, Return(note="不属于本社区"))
    counts = _counts(services, district, "xiabei")
    assert counts["to_sign"] == 0 and counts["in_progress"] == 0
    assert counts["all"] == 1  # it is still in the unit's history


def _register_by_hand(services: Services, district: District, title: str, username: str = "town") -> str:
    """An order stored without words, as imported history is until the backfill gives it some."""
    new = NewOrder(title=title, content=f"{title}，请尽快处理").validated()
    with services.db.transaction() as session:
        return services.orders.register_in(session, district.actors[username], new, datetime.now(UTC)).number


def _found(services: Services, district: District, words: str, username: str = "town") -> set[str]:
    page = services.worklists.page(district.actors[username], OrderQuery(text=words), limit=500)
    assert page.next_cursor is None
    return {o.number for o in page.items}


def test_words_match_in_any_order_and_apart(services: Services) -> None:
    district = build_small_district(services)
    stored = _register(services, district, "夏北路的路灯一到晚上就不亮")  # words stored at intake
    by_hand = _register_by_hand(services, district, "桂城路灯一直不亮")
    _register(services, district, "路灯杆倾斜")
    _register_by_hand(services, district, "小区门口不亮")

    for words in ("路灯 不亮", "不亮 路灯", "路灯不亮", "  路灯   不亮 "):
        assert _found(services, district, words) == {stored, by_hand}, words
    assert _found(services, district, "路灯 漏水") == set()  # every word must be there
    assert _found(services, district, "夏北路 路灯 不亮") == {stored}
    assert _found(services, district, by_hand) == {by_hand}  # or the order's number


def test_search_finds_only_within_the_readers_scope(services: Services) -> None:
    district = build_small_district(services)
    at_town = _register(services, district, "路灯不亮", username="town")
    at_town2 = _register(services, district, "路灯不亮", username="town2")
    assert _found(services, district, "路灯 不亮", "town") == {at_town}
    assert _found(services, district, "路灯 不亮", "town2") == {at_town2}
    assert _found(services, district, "路灯 不亮", "pingnan") == set()
    assert _found(services, district, at_town2, "town") == set()  # another town's number finds nothing
    assert _found(services, district, "路灯 不亮", "leader") == {at_town, at_town2}


def test_search_words_are_words_not_patterns(services: Services) -> None:
    district = build_small_district(services)
    _register(services, district, "路灯不亮")
    _register_by_hand(services, district, "井盖缺失")
    for pattern in ("%", "_", "%路灯%", "路_", "\\", "'", "' OR '1'='1", "路灯 & 不亮 | 井盖"):
        found = _found(services, district, pattern)
        assert len(found) <= 1, pattern  # taken literally: no wildcard, no syntax, no error


def test_a_tampered_cursor_is_refused_before_any_query_runs(services: Services) -> None:
    district = build_small_district(services)
    for i in range(4):
        _register(services, district, f"工单{i}")
    town = district.actors["town"]
    cursor = services.worklists.page(town, OrderQuery(), limit=1).next_cursor
    assert cursor is not None
    payload, check = cursor.split(".")
    sort, value, order_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def forged(*fields: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(fields)).encode()).decode().rstrip("=") + "." + check

    tampered = [
        forged(sort, value, order_id + 1_000),  # another position, the old check
        forged(sort, value, -1),
        forged("oldest", value, order_id),
        payload,  # no check
        f"{payload}.{check[:-2]}",
        f"{payload}.{check}=",
        f"{payload} .{check}",
        "路灯.不亮",
        "W10.AAAA",
    ]
    for bad in tampered:
        with pytest.raises(ValidationFailed) as refused:
            services.worklists.page(town, OrderQuery(), cursor=bad, limit=1)
        assert refused.value.details == {"field": "cursor"} and refused.value.message == "分页游标无效", bad
    # a cursor continues its own list only: another sort, filter or queue refuses it
    for other in (OrderQuery(sort="oldest"), OrderQuery(text="工单"), OrderQuery(queue="to_dispatch")):
        with pytest.raises(ValidationFailed):
            services.worklists.page(town, other, cursor=cursor, limit=1)
    assert len(services.worklists.page(town, OrderQuery(), cursor=cursor, limit=1).items) == 1


def test_a_phone_number_finds_the_callers_orders_however_it_is_written(services: Services) -> None:
    district = build_small_district(services)
    mine = _register(services, district, "路灯不亮")  # the caller 13812345678
    _register(services, district, "井盖缺失", citizen_phone="13900001111")
    for typed in ("13812345678", "138 1234 5678", "+86 138-1234-5678"):
        assert _found(services, district, typed) == {mine}, typed
    assert _found(services, district, "13800000000") == set()


def test_a_phone_search_never_confirms_a_number_the_reader_sees_masked(services: Services) -> None:
    district = build_small_district(services)
    hidden = _register(services, district, "邻里纠纷", confidential=True)
    assert _found(services, district, "13812345678", "town") == {hidden}  # a dispatcher sees it
    assert _found(services, district, "13812345678", "leader") == set()  # leaders see phones masked
    number = services.orders.get(district.actors["town"], hidden).summary.id
    services.orders.act(district.actors["town"], number, Dispatch(target_unit_id=district.units["GC-XB"]))
    # the handler reads the order, but a confidential caller's number is masked for them
    assert _found(services, district, "13812345678", "xiabei") == set()
    assert _found(services, district, hidden, "xiabei") == {hidden}


def test_an_order_registered_by_hand_is_found_by_any_word_at_once(services: Services) -> None:
    district = build_small_district(services)
    new = NewOrder(title="噪音扰民", content="搅拌站夜间施工，影响休息")
    number = services.orders.register(district.actors["town"], new).order.summary.number
    assert _found(services, district, "搅拌站 施工") == {number}  # words of the content, no backfill
