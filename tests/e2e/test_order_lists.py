"""One list of orders behind both faces: GET /api/v1/orders and the console's workbench and
exports run the same query (orders/worklists.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import API, Api
from zhiyun.kernel.text import search_text
from zhiyun.orders.service import NewOrder

RESULTS = {"hx-request": "true", "hx-target": "results"}


def _register(console: Api, title: str, *, words: bool = True, username: str = "town") -> str:
    """An order as intake registers it (its words stored), or by hand (`words=False`)."""
    actor = console.district.actors[username]
    new = NewOrder(title=title, content=f"{title}，请尽快处理").validated()
    if not words:
        return console.services.orders.register(actor, new).order.summary.number
    with console.services.db.transaction() as session:
        extra = {"search_text": search_text(new.title, new.content)}
        return console.services.orders.register_in(session, actor, new, datetime.now(UTC), extra=extra).number


def _api_numbers(client: Any, **params: Any) -> set[str]:
    numbers: set[str] = set()
    cursor = None
    while True:
        answer = client.get(
            f"{API}/orders", params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert answer.status_code == 200, answer.text
        numbers |= {o["number"] for o in answer.json()["items"]}
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return numbers


def _workbench_numbers(client: Any, **params: Any) -> set[str]:
    page = client.get("/workbench", params={"queue": "all", **params}, headers=RESULTS)
    assert page.status_code == 200 and 'role="alert"' not in page.text, page.text
    return set(re.findall(r'data-order="([^"]+)"', page.text))


def _export_numbers(client: Any, **params: Any) -> set[str]:
    answer = client.get("/export.csv", params=params)
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    return {row[0] for row in rows[1:]}


def test_the_api_and_the_console_find_the_same_orders_for_the_same_words(console: Api) -> None:
    lamp = _register(console, "夏北路的路灯一到晚上就不亮")
    lamp_by_hand = _register(console, "桂城路灯一直不亮", words=False)
    pole = _register(console, "路灯杆倾斜")
    _register(console, "小区门口井盖缺失", words=False)
    _register(console, "路灯不亮", username="town2")  # another town's: town may not read it
    api, page = console.as_("town"), page_login(console, "town")

    for words, expected in (
        ("路灯 不亮", {lamp, lamp_by_hand}),
        ("不亮 路灯", {lamp, lamp_by_hand}),
        ("路灯", {lamp, lamp_by_hand, pole}),
        ("井盖 路灯", set()),
        (pole, {pole}),
    ):
        assert _api_numbers(api, q=words) == expected, words
        assert _workbench_numbers(page, q=words) == expected, words
        assert _export_numbers(page, q=words) == expected, words


def test_the_api_and_the_console_narrow_a_list_alike(console: Api) -> None:
    lamp = _register(console, "路灯不亮")
    _register(console, "井盖缺失", words=False)
    api, page = console.as_("town"), page_login(console, "town")
    today = datetime.now(UTC).date().isoformat()
    for api_params, console_params in (
        ({"status": "pending_dispatch"}, {"status": "pending_dispatch"}),
        ({"status": "closed"}, {"status": "closed"}),
        ({"order_type": "help"}, {"type": "help"}),
        ({"urgency": "urgent"}, {"urgency": "urgent"}),
        ({"unit_id": console.unit("GC")}, {"unit": console.unit("GC")}),
        ({"registered_from": "2000-01-01", "registered_to": today}, {"from": "2000-01-01", "to": today}),
        ({"q": "路灯", "channel": "manual"}, {"q": "路灯", "channel": "manual"}),
    ):
        assert _api_numbers(api, **api_params) == _workbench_numbers(page, **console_params), api_params
    assert _api_numbers(api, q="路灯") == {lamp}


def test_a_tampered_cursor_is_refused_as_invalid_input_by_the_api_and_the_console(console: Api) -> None:
    for i in range(3):
        _register(console, f"路灯不亮{i}")
    api, page = console.as_("town"), page_login(console, "town")
    first = api.get(f"{API}/orders", params={"limit": 1}).json()
    cursor = first["next_cursor"]
    assert api.get(f"{API}/orders", params={"limit": 1, "cursor": cursor}).status_code == 200

    payload, check = cursor.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for tampered in (f"{flipped}.{check}", f"{payload}.{check[::-1]}", payload, cursor + "x", "not-a-cursor"):
        answer = api.get(f"{API}/orders", params={"limit": 1, "cursor": tampered})
        assert answer.status_code == 422, tampered
        assert answer.json()["error"] == "validation_failed" and answer.json()["message"] == "分页游标无效"
        html = page.get("/workbench", params={"queue": "all", "cursor": tampered}, headers=RESULTS).text
        assert "分页游标无效" in html and "data-order=" not in html
    # a cursor is for its own list: another filter's list refuses it
    other = api.get(f"{API}/orders", params={"limit": 1, "cursor": cursor, "q": "路灯"})
    assert other.status_code == 422 and other.json()["message"] == "分页游标无效"
