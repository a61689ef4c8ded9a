"""The citizens' portal over HTTP (the served app: API and console), without a login: report
with a photo, track, rate; CSRF, the honeypot, body limits, throttles, escaping, and another
citizen's order out of reach without its phone digits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.e2e.console_harness import csrf_of
from tests.e2e.harness import PNG, Api, app_for
from tests.portal_support import bring_to_callback
from tests.support import ONLY_SQLITE, TEST_ADMIN, build_small_district
from zhiyun.bootstrap import Services
from zhiyun.domain import portal as rules
from zhiyun.portal.service import UNKNOWN_ORDER
from zhiyun.server import create_server_app
from zhiyun.store.tables import AttachmentRow, TransitionRow, WorkOrderRow

HOSTILE = "<script>alert('x')</script>"
NUMBER = re.compile(r'data-testid="receipt-number">([A-Z0-9]+)<')


@pytest.fixture(name="site")
def site_fixture(services: Services) -> Iterator[Api]:
    services.taxonomy.ensure_default(TEST_ADMIN)
    harness = Api(services, build_small_district(services), app_for(services, create_server_app))
    try:
        yield harness
    finally:
        for client in harness.clients:
            client.close()


def _citizen(site: Api) -> TestClient:
    return site.anonymous()


def _report(client: TestClient, *, photos: list[tuple[str, bytes, str]] | None = None, **fields: Any) -> Any:
    page = client.get("/portal/report")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_of(page.text),
        "category_code": "CX01",
        "content": "夏北路 3 号路灯不亮，晚上很黑",
        "address": "桂城街道夏北路3号",
        "latitude": "23.010000",
        "longitude": "113.110000",
        "citizen_name": "陈先生",
        "citizen_phone": "13812345678",
        "website": "",
        **fields,
    }
    files = [("photos", p) for p in (photos if photos is not None else [("现场.png", PNG, "image/png")])]
    return client.post("/portal/report", data=data, files=files or None)


def _number(html: str) -> str:
    found = NUMBER.search(html)
    assert found, html
    return found.group(1)


def _track(client: TestClient, number: str, digits: str) -> Any:
    token = client.cookies.get("zhiyun_csrf") or csrf_of(client.get("/portal/track").text)
    return client.post("/portal/track", data={"number": number, "digits": digits, "csrf_token": token})


def _orders(site: Api) -> int:
    return site.stored()[0]


def test_the_portal_opens_without_a_login_on_local_files_only(site: Api) -> None:
    client = _citizen(site)
    for path in ("/portal", "/portal/report", "/portal/track"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assets = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert assets and all(a.startswith(("/", "#", "data:")) for a in assets), assets
    home = client.get("/portal").text
    assert (
        'data-testid="assistant"' in home
        and "/static/js/assistant.js" in home
        and "反映问题" in home
        and "查询进度" in home
    )
    form = client.get("/portal/report").text
    assert 'accept="image/*"' in form and 'capture="environment"' in form and "<optgroup" in form
    assert client.get("/static/css/portal.css").status_code == 200
    assert client.get("/static/js/portal.js").status_code == 200
    outlines = client.get("/portal/boundaries.geojson")
    assert outlines.status_code == 200 and outlines.json()["type"] == "FeatureCollection"


def test_a_report_with_a_photo_registers_one_order_and_shows_its_number(site: Api) -> None:
    client = _citizen(site)
    response = _report(client)
    assert response.status_code == 200, response.text
    number = _number(response.text)
    with site.services.db.reading() as session:
        row = session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == number)).one()
        assert (row.channel, row.category_code, row.latitude) == ("web", "CX01", 23.01)
        assert session.scalars(
            select(AttachmentRow.content_type).where(AttachmentRow.order_id == row.id)
        ).all() == ["image/png"]
    assert "已收到照片 1 张" in response.text


@ONLY_SQLITE
def test_a_report_without_the_forms_token_or_with_the_honeypot_filled_registers_nothing(site: Api) -> None:
    client = _citizen(site)
    client.get("/portal/report")
    refused = client.post(
        "/portal/report", data={"content": "路灯不亮很久了", "citizen_phone": "13812345678"}
    )
    assert refused.status_code == 403
    trapped = _report(client, website="http://spam.example")
    assert trapped.status_code == 422 and "提交失败" in trapped.text
    assert _orders(site) == 0


@ONLY_SQLITE
def test_a_refused_report_keeps_what_was_typed_escaped(site: Api) -> None:
    client = _citizen(site)
    response = _report(
        client, content=HOSTILE + "路灯不亮", photos=[("a.jpg", b"MZ\x90\x00" + b"\x00" * 64, "image/jpeg")]
    )
    assert response.status_code == 422
    assert "不是照片" in response.text
    assert HOSTILE not in response.text and "&lt;script&gt;" in response.text
    assert _orders(site) == 0


@ONLY_SQLITE
def test_a_body_over_the_portals_limit_is_refused_before_it_is_read(site: Api) -> None:
    client = _citizen(site)
    page = client.get("/portal/report")
    big = b"\xff\xd8\xff" + b"\x00" * (17 * 1024 * 1024)
    response = client.post(
        "/portal/report",
        data={"csrf_token": csrf_of(page.text)},
        files=[("photos", ("big.jpg", big, "image/jpeg"))],
    )
    assert response.status_code == 413
    assert _orders(site) == 0


@ONLY_SQLITE
def test_tracking_needs_the_phones_last_four_digits_and_escapes_what_the_citizen_wrote(site: Api) -> None:
    mine = _citizen(site)
    number = _number(_report(mine, content=HOSTILE + " 路灯不亮", citizen_name="<b>王</b>").text)
    shown = _track(mine, number, "5678")
    assert shown.status_code == 200
    assert HOSTILE not in shown.text and "&lt;script&gt;" in shown.text
    assert "<b>" not in shown.text and "138****5678" in shown.text and "13812345678" not in shown.text
    # someone else, with the number but not the digits, learns nothing; a missing order answers alike
    stranger = _citizen(site)
    stranger.get("/portal/track")
    wrong = _track(stranger, number, "1234")
    missing = _track(stranger, "NH209901010001", "5678")
    assert wrong.status_code == missing.status_code == 404
    assert UNKNOWN_ORDER in wrong.text and UNKNOWN_ORDER in missing.text
    assert "路灯不亮" not in wrong.text and number not in wrong.text.replace(f'value="{number}"', "")


@ONLY_SQLITE
def test_a_rating_on_the_page_is_the_callback_and_unsatisfied_reopens(site: Api) -> None:
    client = _citizen(site)
    number = _number(_report(client).text)
    bring_to_callback(site.services, site.district, number)
    page = _track(client, number, "5678")
    assert 'data-testid="rate-form"' in page.text and "已更换灯泡" in page.text
    rated = client.post(
        "/portal/rate",
        data={
            "number": number,
            "digits": "5678",
            "satisfaction": "unsatisfied",
            "words": HOSTILE,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert rated.status_code == 200 and 'data-testid="rated-reopened"' in rated.text
    with site.services.db.reading() as session:
        row = session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == number)).one()
        last = session.scalars(
            select(TransitionRow).where(TransitionRow.order_id == row.id).order_by(TransitionRow.id.desc())
        ).first()
        assert row.status == "dispatched" and last is not None and last.action == "callback"
    after = _track(client, number, "5678")
    assert (
        "市民不满意，已重新办理" in after.text
        and HOSTILE not in after.text
        and "&lt;script&gt;" in after.text
    )
    again = client.post(
        "/portal/rate",
        data={
            "number": number,
            "digits": "5678",
            "satisfaction": "satisfied",
            "csrf_token": csrf_of(page.text),
        },
    )
    # reopened: no reply to rate until the next one (the same reply rated twice: 409, the use case's test)
    assert again.status_code == 403 and "不在待评价阶段" in again.text


@ONLY_SQLITE
def test_too_many_look_ups_answer_429_with_retry_after(site: Api) -> None:
    client = _citizen(site)
    client.get("/portal/track")
    for i in range(rules.TRACK_PER_ADDRESS.limit):
        assert _track(client, f"NH20261126{i:04d}", "0000").status_code == 404
    refused = _track(client, "NH202611269999", "0000")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "操作过于频繁" in refused.text
