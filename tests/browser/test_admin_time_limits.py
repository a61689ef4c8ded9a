"""The admin 办理时限 page is one table: a row per order type × urgency, each edited in place
(its amounts and units in their own columns, saved by the row's button)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer


def test_time_limits_are_a_compact_table_edited_in_place(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    login(page, "admin")
    page.goto("/admin/time-limits")
    rows = page.locator("main table tbody tr")
    count = rows.count()
    assert count == len(live.services.policy.time_limits()) == 12
    for i in range(count):
        box = rows.nth(i).bounding_box()
        assert box is not None and box["height"] <= 48, f"row {i} is {box and box['height']}px tall"
    table = page.locator("main table").bounding_box()
    assert table is not None and table["height"] <= 12 * 48 + 60, table
    shot(page, "admin-time-limits")

    # every editable cell sits in its own column, on the row's line
    row = page.locator('tr[data-limit="consult-normal"]')
    cells = row.locator("td")
    headers = page.locator("main table thead th").all_inner_texts()
    sign_cell = cells.nth(headers.index("签收时限"))
    reply_cell = cells.nth(headers.index("办理时限"))
    assert sign_cell.locator("input[type=number]").count() == 1 and sign_cell.locator("select").count() == 1
    assert reply_cell.locator("input[type=number]").count() == 1 and reply_cell.locator("select").count() == 1

    reply_cell.get_by_label("办理时限", exact=True).fill("3")
    row.get_by_role("button", name="保存 咨询·一般").click()
    page.get_by_role("status").filter(has_text="已更新「咨询·一般」的时限").wait_for()
    saved = {(t.order_type, t.urgency): t for t in live.services.policy.time_limits()}[("consult", "normal")]
    assert saved.reply.amount == 3
    assert (
        page.locator('tr[data-limit="consult-normal"]').get_by_label("办理时限", exact=True).input_value()
        == "3"
    )
    # put the shipped limit back for the other tests of this session
    page.locator('tr[data-limit="consult-normal"]').get_by_label("办理时限", exact=True).fill("2")
    page.locator('tr[data-limit="consult-normal"]').get_by_role("button", name="保存 咨询·一般").click()
    page.get_by_role("status").filter(has_text="已更新").wait_for()
