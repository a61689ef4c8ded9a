"""The workbench's poll and 下一件 over HTTP.

GET /workbench/live counts every queue of the user in one query, scoped like the queues
(another unit's orders never count), and marks the arrival queues (待分拨, 待签收) so that the
page can tell a new order; GET /orders/{key}/next walks the list an order was opened from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import event

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Dispatch
from zhiyun.orders.service import NewOrder


def _register(console: Api, title: str = "路灯不亮", username: str = "town", **kw: Any) -> str:
    new = NewOrder(title=title, content=f"{title}，请尽快处理", citizen_phone="13812345678", **kw)
    return console.services.orders.register(console.district.actors[username], new).order.summary.number


def _pulse(client: Any, query: str = "") -> dict[str, Any]:
    response = client.get(f"/workbench/live{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


def _counts(pulse: dict[str, Any]) -> dict[str, int]:
    return {c["key"]: c["count"] for c in pulse["counts"]}


def _arrivals(pulse: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["key"]: a for a in pulse["arrivals"]}


def _queue_counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-queue="(\w+)".*?queue-count[^>]*>(\d+)<', html, re.S)}


@contextmanager
def _statements(console: Api) -> Iterator[list[str]]:
    """The SQL statements the database runs inside the block."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    db = console.services.db
    engines = {id(e): e for e in (db.engine, db.read_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def test_the_poll_counts_every_queue_like_the_workbench_and_not_another_towns_orders(console: Api) -> None:
    _register(console, "路灯不亮")
    _register(console, "井盖缺失")
    _register(console, "大沥的工单", username="town2")  # waits at 大沥镇: not 桂城's
    client = page_login(console, "town")
    pulse = _pulse(client)
    counts = _counts(pulse)
    assert counts["to_dispatch"] == 2 and counts["all"] == 2
    # exactly what the workbench's own counts say, queue by queue
    assert counts == _queue_counts(client.get("/workbench/counts").text)
    assert {a["key"] for a in pulse["arrivals"]} == {"to_dispatch", "to_sign"}
    assert _arrivals(pulse)["to_dispatch"]["count"] == 2
    other = _pulse(page_login(console, "town2"))
    assert _counts(other)["to_dispatch"] == 1 and _counts(other)["all"] == 1
    # the filters narrow the counts; the arrival marks stay those of the whole queue
    narrowed = _pulse(client, "?q=井盖")
    assert _counts(narrowed)["to_dispatch"] == 1
    assert _arrivals(narrowed)["to_dispatch"]["count"] == 2
    # the first look asks for the marks alone
    first = _pulse(client, "?counts=0")
    assert first["counts"] == [] and _arrivals(first)["to_dispatch"]["count"] == 2


def test_a_handlers_poll_counts_only_what_their_village_holds(console: Api) -> None:
    town = console.district.actors["town"]
    ours, theirs = _register(console, "夏北的"), _register(console, "平南的")
    console.services.orders.act(town, ours, Dispatch(target_unit_id=console.unit("GC-XB")))
    console.services.orders.act(town, theirs, Dispatch(target_unit_id=console.unit("GC-PN")))
    xiabei = _pulse(page_login(console, "xiabei"))
    assert _counts(xiabei)["to_sign"] == 1 and _counts(xiabei)["all"] == 1
    assert set(_arrivals(xiabei)) == {"to_sign"}
    yanbu = _pulse(page_login(console, "yanbu"))  # another town's village: nothing of 桂城's
    assert _counts(yanbu)["to_sign"] == 0 and _counts(yanbu)["all"] == 0


def test_the_arrival_mark_changes_when_an_order_arrives_even_as_another_leaves(console: Api) -> None:
    town = console.district.actors["town"]
    first = _register(console, "第一件")
    client = page_login(console, "town")
    before = _arrivals(_pulse(client))["to_dispatch"]
    assert _arrivals(_pulse(client))["to_dispatch"] == before  # nothing happened: the same mark
    console.services.orders.act(town, first, Dispatch(target_unit_id=console.unit("GC-XB")))  # leaves
    _register(console, "第二件")  # arrives
    after = _arrivals(_pulse(client))["to_dispatch"]
    assert after["count"] == before["count"] == 1
    assert after["top"] > before["top"] and after["total"] != before["total"]


def test_the_poll_is_one_query(console: Api) -> None:
    _register(console)
    town = console.district.actors["town"]
    console.services.live.pulse(town, OrderQuery())  # the reference data is cached after this
    with _statements(console) as seen:
        pulse = console.services.live.pulse(town, OrderQuery(queue="to_dispatch", text="路灯"))
    # besides the reference data's revision check (one small read of `setting`), one statement
    orders = [s for s in seen if "work_order" in s]
    assert len(orders) == 1, seen
    assert all("work_order" in s or "FROM setting" in s or s == "BEGIN" for s in seen), seen
    assert len(pulse.counts) == len(console.services.worklists.queues(town)) and pulse.arrivals


def test_the_poll_refuses_a_bad_filter_and_a_visitor_without_a_session(console: Api) -> None:
    client = page_login(console, "town")
    bad = client.get("/workbench/live?unit=abc")
    assert bad.status_code == 422 and "经办单位须为数字" in bad.json()["error"]
    anonymous = console.anonymous().get("/workbench/live", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]


def _location(response: Any) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 303, response.text
    parts = urlsplit(response.headers["location"])
    return parts.path, parse_qs(parts.query)


def test_next_walks_the_list_by_its_sort_and_says_when_none_is_left(console: Api) -> None:
    a, b, c = _register(console, "甲"), _register(console, "乙"), _register(console, "丙")
    _register(console, "丁", username="town2")  # another town's: never next
    client = page_login(console, "town")
    listed = client.get("/workbench?queue=to_dispatch&sort=oldest").text
    assert f'href="/orders/{a}?queue=to_dispatch&amp;sort=oldest"' in listed
    page = client.get(f"/orders/{a}?queue=to_dispatch&sort=oldest").text
    assert f'href="/orders/{a}/next?queue=to_dispatch&amp;sort=oldest"' in page
    assert "返回「待分拨」" in page
    path, query = _location(
        client.get(f"/orders/{a}/next?queue=to_dispatch&sort=oldest", follow_redirects=False)
    )
    assert path == f"/orders/{b}" and query == {"queue": ["to_dispatch"], "sort": ["oldest"]}
    path, _ = _location(client.get(f"/orders/{c}/next?queue=to_dispatch&sort=oldest", follow_redirects=False))
    assert path == f"/orders/{a}"  # after the last, the top of the list again
    path, _ = _location(client.get(f"/orders/{a}/next?queue=to_dispatch&sort=newest", follow_redirects=False))
    assert path == f"/orders/{c}"  # newest first: 丙 comes after 甲 only from the top again
    # signed and gone from the queue, an order still knows its place in it
    town = console.district.actors["town"]
    console.services.orders.act(town, b, Dispatch(target_unit_id=console.unit("GC-XB")))
    path, _ = _location(client.get(f"/orders/{b}/next?queue=to_dispatch&sort=oldest", follow_redirects=False))
    assert path == f"/orders/{c}"
    for number in (a, c):
        console.services.orders.act(town, number, Dispatch(target_unit_id=console.unit("GC-XB")))
    last = _register(console, "最后一件")
    path, query = _location(
        client.get(f"/orders/{last}/next?queue=to_dispatch&sort=oldest", follow_redirects=False)
    )
    assert path == f"/orders/{last}" and query["end"] == ["1"]
    ended = client.get(f"/orders/{last}?queue=to_dispatch&sort=oldest&end=1").text
    assert "「待分拨」中已没有其他工单了" in ended


def test_next_keeps_the_list_through_an_action_and_ignores_a_queue_not_the_users(console: Api) -> None:
    town = console.district.actors["town"]
    number = _register(console)
    console.services.orders.act(town, number, Dispatch(target_unit_id=console.unit("GC-XB")))
    client = page_login(console, "xiabei")
    page = client.get(f"/orders/{number}?queue=to_sign").text
    assert f'action="/orders/{number}/actions/sign?queue=to_sign"' in page
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    signed = post_form(
        client,
        f"/orders/{number}/actions/sign?queue=to_sign",
        {"version": version.group(1)},
        follow_redirects=False,
    )
    path, query = _location(signed)
    assert path == f"/orders/{number}" and query == {"done": ["sign"], "queue": ["to_sign"]}
    # 待分拨 is no queue of a handler's: no 下一件, and /next goes back to the order
    foreign = client.get(f"/orders/{number}?queue=to_dispatch").text
    assert "/next?" not in foreign and "下一件" not in foreign
    path, _ = _location(client.get(f"/orders/{number}/next?queue=to_dispatch", follow_redirects=False))
    assert path == f"/orders/{number}"
    # an order the handler may not read is not found, with or without a list
    other = _register(console, "平南的")
    console.services.orders.act(town, other, Dispatch(target_unit_id=console.unit("GC-PN")))
    assert client.get(f"/orders/{other}/next?queue=to_sign").status_code == 404


def test_the_printed_list_names_its_filters(console: Api) -> None:
    _register(console, "井盖缺失")
    client = page_login(console, "town")
    page = client.get("/workbench?queue=to_dispatch&q=井盖&sort=oldest").text
    head = re.search(r'data-testid="print-filters">(.*?)</dl>', page, re.S)
    assert head
    text = re.sub(r"<[^>]+>", " ", head.group(1))
    for words in ("队列", "待分拨", "搜索", "井盖", "排序", "最早受理", "本页", "1 件"):
        assert words in text
    assert "南海区智慧城市运行中心" in page
