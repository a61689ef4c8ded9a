"""The one description of a list of orders (domain/order_query.py): what it accepts, what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.order_query import MAX_TEXT, QUEUE_BY_KEY, QUEUES, SORT_LABELS, OrderQuery

START = datetime(2026, 11, 26, tzinfo=UTC)


def refusal(query: OrderQuery) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        query.validated()
    return refused.value


def test_an_empty_query_is_every_order_the_reader_may_see_newest_first() -> None:
    assert OrderQuery().validated() == OrderQuery(queue="all", sort="newest")


def test_blank_filters_and_blank_words_are_no_filter() -> None:
    blank = OrderQuery(channel="", order_type="", urgency="", category_code="", text="   ").validated()
    assert blank == OrderQuery()
    assert OrderQuery(text="  路灯 不亮 ").validated().text == "路灯 不亮"
    assert OrderQuery(statuses=("closed", "closed", "dispatched")).validated().statuses == (
        "closed",
        "dispatched",
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (OrderQuery(queue="mine"), "queue", "未知的队列"),
        (OrderQuery(sort="cheapest"), "sort", "未知的排序方式"),
        (OrderQuery(statuses=("closed", "lost")), "status", "未知的状态"),
        (OrderQuery(order_type="gossip"), "order_type", "未知的工单类型"),
        (OrderQuery(urgency="very"), "urgency", "未知的紧急程度"),
        (OrderQuery(deadline_alert="soon"), "deadline_alert", "未知的期限提醒"),
        (OrderQuery(text="路" * (MAX_TEXT + 1)), "text", f"搜索内容不能超过{MAX_TEXT}字"),
        (
            OrderQuery(registered_from=START, registered_to=START - timedelta(days=1)),
            "registered_to",
            "结束日期不能早于开始日期",
        ),
        (OrderQuery(registered_from=datetime(2026, 11, 26)), "registered_from", "受理时间须带时区"),
    ],
)
def test_a_wrong_field_is_refused_with_its_chinese_message(
    query: OrderQuery, field: str, message: str
) -> None:
    refused = refusal(query)
    assert refused.details["fields"] == {field: message}
    assert refused.message == message


def test_every_wrong_field_is_named_at_once() -> None:
    refused = refusal(OrderQuery(queue="mine", sort="cheapest"))
    assert refused.details["fields"] == {"queue": "未知的队列", "sort": "未知的排序方式"}
    assert refused.message == "未知的队列；未知的排序方式"


def test_a_range_of_one_day_is_not_empty_but_an_end_at_the_start_is() -> None:
    assert OrderQuery(registered_from=START, registered_to=START + timedelta(days=1)).validated()
    assert refusal(OrderQuery(registered_from=START, registered_to=START)).details["fields"] == {
        "registered_to": "结束日期不能早于开始日期"
    }


def test_the_queues_and_sorts_are_the_ones_the_workbench_offers() -> None:
    assert list(QUEUE_BY_KEY) == [q.key for q in QUEUES]
    assert QUEUES[-1].key == "all" and not QUEUES[-1].statuses  # everything the reader may see
    assert list(SORT_LABELS) == ["newest", "oldest", "deadline", "updated"]
    for queue in QUEUES:
        assert OrderQuery(queue=queue.key).validated().queue == queue.key
