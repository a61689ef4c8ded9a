"""What the order page shows of what was stored with an order, over HTTP.

Call recording ids (a link with ZHIYUN_RECORDING_URL, the id URL-encoded), device ids of
sensor alarms, and the order's photos as thumbnails whose files only readers of the order
can fetch.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import API, PNG, Api
from tests.support import TEST_ADMIN
from zhiyun.domain.workorder import Dispatch, Sign
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.orders.service import NewOrder


def _register(console: Api, title: str = "路灯不亮", username: str = "town", **kw: Any) -> str:
    new = NewOrder(title=title, content=f"{title}，请尽快处理", citizen_phone="13812345678", **kw)
    return console.services.orders.register(console.district.actors[username], new).order.summary.number


def _intake(console: Api, channel: str, **changes: Any) -> str:
    client = console.anonymous()
    client.headers["X-Channel-Key"] = console.services.channels.issue_key(TEST_ADMIN, channel).key
    payload = {**CHANNEL_SPECS[channel].example, **changes}
    response = client.post(f"{API}/intake/{channel}", json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["order_number"])


def test_the_order_page_shows_the_recording_id_as_text_or_as_a_link(console: Api) -> None:
    number = _intake(console, "12345", call_id="CALL-LIVE-1", recording_id="REC/2026 #1")
    client = page_login(console, "admin")
    page = client.get(f"/orders/{number}").text
    shown = re.search(r'data-testid="recordings">(.*?)</dd>', page, re.S)
    assert shown and "REC/2026 #1" in unescape(shown.group(1)) and "<a " not in shown.group(1)
    settings = console.services.settings
    console.services.settings = settings.model_copy(update={"recording_url": "http://rec.example/play/{id}"})
    try:
        page = client.get(f"/orders/{number}").text
    finally:
        console.services.settings = settings
    assert 'href="http://rec.example/play/REC%2F2026%20%231"' in page


def test_the_order_page_shows_the_device_of_a_sensor_alarm(console: Api) -> None:
    number = _intake(console, "iot", alarm_id="IOT-LIVE-1", device_id="WL-GC-0042")
    page = page_login(console, "admin").get(f"/orders/{number}").text
    devices = re.search(r'data-testid="devices">(.*?)</dd>', page, re.S)
    assert devices and devices.group(1) == "WL-GC-0042"
    assert 'data-testid="recordings"' not in page


def test_photos_show_as_thumbnails_whose_files_only_the_orders_readers_fetch(console: Api) -> None:
    town = console.district.actors["town"]
    number = _register(console)
    console.services.orders.act(town, number, Dispatch(target_unit_id=console.unit("GC-XB")))
    console.services.orders.act(console.district.actors["xiabei"], number, Sign())
    client = page_login(console, "xiabei")
    client.get(f"/orders/{number}")
    page = post_form(client, f"/orders/{number}/attachments", files={"file": ("现场.png", PNG, "image/png")})
    photo = re.search(
        r'<li data-photo="(\d+)">\s*<a href="/attachments/(\d+)" data-viewer="order-photos"', page.text
    )
    assert photo and photo.group(1) == photo.group(2)
    assert f'<img src="/attachments/{photo.group(1)}"' in page.text
    assert "办理过程" in page.text and "承办人 xiabei" in page.text
    served = client.get(f"/attachments/{photo.group(1)}")
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith("inline")
    for outsider in ("yanbu", "town2", "pingnan"):  # another town's handler and dispatcher, a sibling village
        refused = page_login(console, outsider).get(f"/attachments/{photo.group(1)}")
        assert refused.status_code == 404 and refused.content != PNG
