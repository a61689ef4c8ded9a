"""Reading the console's query strings and forms into service inputs, with Chinese messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from zhiyun.domain.calendar import local_midnight
from zhiyun.domain.order_query import QUEUE_BY_KEY, SORT_LABELS, OrderQuery

FIELD_LABELS = {"unit": "经办单位", "from": "开始日期", "to": "结束日期"}
MAX_ID = 2**31 - 1  # unit ids are INTEGER columns
MIN_YEAR, MAX_YEAR = 1900, 2199
LIST_FIELDS = ("queue", "channel", "category", "type", "urgency", "status", "unit", "from", "to", "q", "sort")


def _int(value: str | None, field: str, errors: dict[str, str]) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        number = int(value)
    except ValueError:
        errors[field] = f"{FIELD_LABELS.get(field, field)}须为数字"
        return None
    if not 1 <= number <= MAX_ID:
        errors[field] = f"{FIELD_LABELS.get(field, field)}不存在"
        return None
    return number


def _day(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = f"{FIELD_LABELS.get(field, field)}格式须为 YYYY-MM-DD"
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        errors[field] = f"{FIELD_LABELS.get(field, field)}须在 {MIN_YEAR}–{MAX_YEAR} 年之间"
        return None
    return day


def list_query(params: Mapping[str, Any], default_queue: str = "all") -> tuple[OrderQuery, dict[str, str]]:
    """The list the query string asks for, and what was wrong with it (field → Chinese message).

    The dates are local days: `from` counts from its midnight, `to` up to the next one.
    """
    errors: dict[str, str] = {}

    def text(name: str) -> str | None:
        value = params.get(name)
        return value.strip() or None if isinstance(value, str) else None

    queue = text("queue") or default_queue
    if queue not in QUEUE_BY_KEY:
        errors["queue"] = "未知的队列"
        queue = default_queue
    sort = text("sort") or "newest"
    if sort not in SORT_LABELS:
        errors["sort"] = "未知的排序方式"
        sort = "newest"
    status = text("status")
    date_from = _day(text("from"), "from", errors)
    date_to = _day(text("to"), "to", errors)
    query = OrderQuery(
        queue=queue,
        channel=text("channel"),
        category_code=text("category"),
        order_type=text("type"),
        urgency=text("urgency"),
        statuses=(status,) if status else (),
        unit_id=_int(text("unit"), "unit", errors),
        registered_from=local_midnight(date_from) if date_from else None,
        registered_to=local_midnight(date_to + timedelta(days=1)) if date_to else None,
        text=text("q"),
        sort=sort,
    )
    return query, errors


def query_string(params: Mapping[str, Any], **changes: Any) -> str:
    """The list's query string with `changes` applied (None removes a field); no cursor."""
    values = {k: params.get(k) for k in LIST_FIELDS if params.get(k)}
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return urlencode(values)
