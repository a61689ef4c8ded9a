"""The seat over HTTP: telephony and other front ends register calls, read a caller's history,
get suggestions and record repeat calls; the console's form posts the same use case."""

from __future__ import annotations

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import API, Api, act, order_at_village, register


def test_a_call_registered_over_the_api_is_closed_on_the_phone_by_the_agent(api: Api) -> None:
    agent = api.as_("agent")
    created = agent.post(
        f"{API}/hotline/calls",
        json={
            "title": "咨询居住证",
            "content": "居住证在哪里办理",
            "citizen_phone": "137 0013 7000",
            "outcome": "resolve",
            "reply": "到街道行政服务中心办理",
            "call_id": "CALL-9",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "awaiting_callback" and body["outcome"] == "resolve"
    history = agent.get(f"{API}/hotline/callers/13700137000/orders").json()
    assert [o["number"] for o in history["orders"]] == [body["number"]]
    assert history["orders"][0]["open"] is True


def test_a_call_without_its_outcomes_fields_is_refused_with_the_field_named(api: Api) -> None:
    agent = api.as_("agent")
    before = api.stored()
    refused = agent.post(
        f"{API}/hotline/calls", json={"title": "井盖缺失", "content": "井盖丢了", "outcome": "dispatch"}
    )
    assert refused.status_code == 422 and "派单须选择承办单位" in refused.json()["message"]
    assert api.stored() == before


def test_a_handler_may_not_use_the_seat(api: Api) -> None:
    handler = api.as_("xiabei")
    assert handler.get(f"{API}/hotline/callers/13700137000/orders").status_code == 403
    assert handler.post(f"{API}/hotline/suggestions", json={"title": "路灯"}).status_code == 403
    refused = handler.post(f"{API}/hotline/calls", json={"title": "t", "content": "c"})
    assert refused.status_code == 403


def test_a_repeat_call_on_another_towns_order_is_not_found_and_on_ones_own_is_an_urge(api: Api) -> None:
    district = api.as_("district")
    elsewhere = register(district, citizen_phone="13812345678")
    act(district, elsewhere["id"], "dispatch", target_unit_code="DL")  # 大沥: never at 桂城
    before = api.stored()
    refused = api.as_("town_agent").post(
        f"{API}/orders/{elsewhere['number']}/repeat-calls", json={"note": "x"}
    )
    assert refused.status_code == 404 and api.stored() == before

    order = order_at_village(api)  # registered at the district, now at 夏北社区 (桂城)
    number = order["number"]
    assert (
        api.as_("town_agent").post(f"{API}/orders/{number}/repeat-calls", json={"note": "x"}).status_code
        == 201
    )
    assert api.as_("agent").post(f"{API}/orders/{number}/repeat-calls", json={}).status_code == 201
    detail = district.get(f"{API}/orders/{number}").json()
    assert detail["version"] == order["version"] + 2


def test_suggestions_for_a_draft_answer_without_a_model(api: Api) -> None:
    found = api.as_("agent").post(
        f"{API}/hotline/suggestions", json={"title": "夏北社区路灯不亮", "address": "桂城街道夏北社区"}
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["has_model"] is False and body["village"] == "夏北社区"


def test_the_seats_panels_show_a_hostile_title_as_text(console: Api) -> None:
    api = console
    hostile = '<img src=x onerror="alert(1)">路灯'
    register(
        api.as_("district"), title=hostile, content="<script>alert(2)</script>", citizen_phone="13312345678"
    )
    client = page_login(api, "agent")
    page = client.get("/hotline/history", params={"citizen_phone": "13312345678"})
    assert page.status_code == 200
    assert "&lt;img src=x onerror=" in page.text and "<img src=x" not in page.text
    other = page_login(api, "town_agent")  # 桂城's agent: the district's order never reached 桂城
    assert "13312345678" in other.get("/hotline/history", params={"citizen_phone": "13312345678"}).text
    assert (
        'data-testid="history-item"'
        not in other.get("/hotline/history", params={"citizen_phone": "13312345678"}).text
    )
