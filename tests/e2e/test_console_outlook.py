"""The console's 预警 page (/outlook): a town's dispatcher sees its town's warning with its
explanation and handles it with the page's forms; another town's dispatcher sees none and its
post is refused; the dismissal's reason is escaped on output."""

from __future__ import annotations

import re

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from tests.outlook_support import seed_history
from tests.support import TEST_SYSTEM
from zhiyun.outlook.service import OutlookService


def _warning(console: Api) -> int:
    seed_history(console.services, console.district)
    outlook = console.services.get(OutlookService)
    outlook.detect(TEST_SYSTEM)
    return next(w.id for w in outlook.warnings(TEST_SYSTEM) if w.window == "day")


def test_a_town_dispatcher_sees_and_orders_its_warning(console: Api) -> None:
    warning_id = _warning(console)
    client = page_login(console, "town")
    page = client.get("/outlook")
    assert page.status_code == 200, page.text
    assert "桂城街道 噪音扰民 昨日" in page.text and "转为未诉先办工单" in page.text
    assert f'data-warning="{warning_id}"' in page.text
    done = post_form(client, f"/outlook/warnings/{warning_id}", {"op": "order"})
    assert done.status_code == 200 and "已转为未诉先办工单" in done.text
    number = console.services.get(OutlookService).warning(TEST_SYSTEM, warning_id).order_number
    assert number and number in done.text


def test_another_town_sees_no_warning_and_may_not_handle_it(console: Api) -> None:
    warning_id = _warning(console)
    client = page_login(console, "town2")
    page = client.get("/outlook")
    assert page.status_code == 200 and f'data-warning="{warning_id}"' not in page.text
    refused = post_form(client, f"/outlook/warnings/{warning_id}", {"op": "dismiss", "reason": "不是我们的"})
    assert refused.status_code == 404
    assert console.services.get(OutlookService).warning(TEST_SYSTEM, warning_id).status == "raised"


def test_a_dismissal_reason_is_shown_escaped(console: Api) -> None:
    warning_id = _warning(console)
    client = page_login(console, "district")
    done = post_form(client, f"/outlook/warnings/{warning_id}", {"op": "dismiss", "reason": "<b>临时</b>"})
    assert done.status_code == 200 and "已排除预警" in done.text
    assert "&lt;b&gt;临时&lt;/b&gt;" in done.text and "<b>临时</b>" not in done.text
    empty = post_form(client, f"/outlook/warnings/{warning_id}", {"op": "dismiss", "reason": " "})
    assert empty.status_code in (409, 422)
    assert re.search(r'role="alert"', empty.text)


def test_a_handler_may_not_open_the_page(console: Api) -> None:
    client = page_login(console, "xiabei")
    assert client.get("/outlook").status_code == 403
