"""An order in 已超时 is overdue everywhere the console shows it: the list's badge (the one a
phone shows) and both exports say what the queue says."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import Api
from zhiyun.domain.workorder import Dispatch, OrderType, Urgency
from zhiyun.orders.service import NewOrder


def _sign_overdue_reply_on_time(console: Api) -> str:
    """An urgent order dispatched three hours ago: its sign-for deadline (1 hour) is past, its
    reply deadline (24 hours) is not."""
    orders, town = console.services.orders, console.district.actors["town"]
    real = orders.clock
    then = real() - timedelta(hours=3)
    orders.clock = lambda: then  # type: ignore[method-assign]
    try:
        new = NewOrder(
            title="井盖缺失",
            content="井盖缺失，请尽快处理",
            order_type=OrderType.HELP,
            urgency=Urgency.URGENT,
        )
        number = orders.register(town, new).order.summary.number
        orders.act(town, number, Dispatch(target_unit_id=console.unit("GC-XB")))
    finally:
        orders.clock = real  # type: ignore[method-assign]
    return number


def test_an_overdue_order_is_overdue_in_the_list_and_in_both_exports(console: Api) -> None:
    number = _sign_overdue_reply_on_time(console)
    client = page_login(console, "xiabei")

    page = client.get("/workbench?queue=overdue")
    row = re.search(rf'<tr data-order="{number}">(.*?)</tr>', page.text, re.S)
    assert row is not None, "the order is not in 已超时"
    # the row's deadline cell for small screens shows the order's one state
    phone = re.search(r'<td class="show-sm"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert phone is not None, "the list has no deadline cell for small screens"
    assert 'data-deadline="overdue"' in phone.group(1) and "签收已超时" in phone.group(1)

    lines = list(csv.reader(io.StringIO(client.get("/export.csv?queue=overdue").text.lstrip("\ufeff"))))
    header, rows = lines[0], {r[0]: r for r in lines[1:]}
    assert rows[number][header.index("期限状态")] == "已超时（签收）"

    book = load_workbook(io.BytesIO(client.get("/export.xlsx?queue=overdue").content), read_only=True)
    cells = [[c for c in r] for r in book.active.iter_rows(values_only=True)]
    column = cells[0].index("期限状态")
    assert [r[column] for r in cells[1:] if r[0] == number] == ["已超时（签收）"]


def test_the_api_lists_the_overdue_order_with_the_same_deadline_state(console: Api) -> None:
    number = _sign_overdue_reply_on_time(console)
    items = console.as_("xiabei").get("/api/v1/orders", params={"deadline": "overdue"}).json()["items"]
    found = {o["number"]: o for o in items}[number]
    assert (found["deadline"]["state"], found["deadline"]["kind"]) == ("overdue", "签收")
    assert found["reply_deadline"]["state"] == "on_time"  # each deadline keeps its own state
