"""Bad input answers 4xx JSON that says what is wrong, and stores nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.e2e.harness import API, ATTACHMENT_LIMIT, PNG, Api, order_at_village
from zhiyun.domain.calendar import local_date

BAD_REGISTRATIONS: list[tuple[dict[str, Any], str]] = [
    ({"content": "没有标题"}, "title"),
    ({"title": "   ", "content": "标题只有空格"}, "title"),
    ({"title": "路灯", "content": "坏了", "citizen_phone": "call me maybe"}, "citizen_phone"),
    ({"title": "路灯", "content": "坏了", "latitude": 123.0, "longitude": 113.1}, "latitude"),
    ({"title": "路灯", "content": "坏了", "latitude": 23.0}, "location"),
    ({"title": "路灯", "content": "坏了", "order_type": "gossip"}, "order_type"),
    ({"title": "路灯", "content": "坏了", "colour": "red"}, "colour"),
]


def test_registering_with_bad_fields_answers_422_naming_the_field_and_stores_nothing(api: Api) -> None:
    district = api.as_("district")
    for body, field in BAD_REGISTRATIONS:
        response = district.post(f"{API}/orders", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()
        assert error["error"] == "validation_failed" and error["message"], error
        assert field in error["fields"], (body, error)
    assert api.stored() == (0, 0, 0)


def test_a_body_that_is_not_json_answers_422(api: Api) -> None:
    response = api.as_("district").post(
        f"{API}/orders", content=b"{title:", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"] == "validation_failed"
    assert api.stored() == (0, 0, 0)


def test_bad_action_input_answers_4xx_and_leaves_the_order_as_it_was(api: Api) -> None:
    order = order_at_village(api)
    key = order["id"]
    xiabei, town = api.as_("xiabei"), api.as_("town")
    day_before_deadline = local_date(datetime.fromisoformat(order["reply_deadline"]["due_at"])) - timedelta(
        days=1
    )
    before = api.stored()

    cases: list[tuple[Any, str, dict[str, Any], int, str]] = [
        (xiabei, "return", {}, 422, "note"),
        (xiabei, "return", {"note": "  "}, 422, "note"),
        (xiabei, "reply", {"note": "已处理", "attachment_ids": [999]}, 422, "attachment_ids"),
        (
            xiabei,
            "request_extension",
            {"note": "来不及", "new_due_at": day_before_deadline.isoformat()},
            422,
            "new_due_at",
        ),
        (xiabei, "request_extension", {"note": "来不及", "new_due_at": "next week"}, 422, "new_due_at"),
        (xiabei, "callback", {"satisfaction": "thrilled"}, 422, "satisfaction"),
        (town, "redispatch", {"target_unit_code": "NOPE"}, 422, "target_unit_code"),
        (town, "redispatch", {"target_unit_id": 99999}, 422, "target_unit_id"),
        (town, "redispatch", {"target_unit_code": "DL-YB"}, 422, "target_unit_id"),
        (town, "redispatch", {}, 422, "target_unit_id"),
        (town, "cancel", {"reason": "bored", "note": "x"}, 422, "reason"),
    ]
    for client, action, body, status, field in cases:
        response = client.post(f"{API}/orders/{key}/{action}", json=body)
        assert response.status_code == status, (action, body, response.text)
        error = response.json()
        assert error["message"] and field in error.get("fields", {}), (action, body, error)

    unknown = xiabei.post(f"{API}/orders/{key}/teleport", json={})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert "reply" in unknown.json()["actions"]

    after = xiabei.get(f"{API}/orders/{key}").json()
    assert (after["status"], after["version"], after["pending"]) == ("in_progress", order["version"], None)
    assert api.stored() == before


def test_an_attachment_of_a_disallowed_type_or_too_large_is_refused_and_not_stored(api: Api) -> None:
    order = order_at_village(api)
    xiabei = api.as_("xiabei")
    before = api.stored()
    for name, content, kind in [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/octet-stream"),
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("fake.png", b"not really a png", "image/png"),
        ("huge.png", PNG + b"\x00" * ATTACHMENT_LIMIT, "image/png"),
        ("empty.txt", b"", "text/plain"),
    ]:
        response = xiabei.post(
            f"{API}/orders/{order['id']}/attachments", files={"file": (name, content, kind)}
        )
        assert response.status_code == 422, (name, response.text)
        assert response.json()["fields"] == {"file": response.json()["message"]}
    missing = xiabei.post(f"{API}/orders/{order['id']}/attachments", data={"note": "no file"})
    assert missing.status_code == 422 and "file" in missing.json()["fields"]
    assert api.stored() == before
    assert not [p for p in api.services.settings.attachment_dir.rglob("*") if p.is_file()]


def test_unknown_routes_and_methods_answer_json_404_and_405(api: Api) -> None:
    client = api.as_("district")
    missing = client.get(f"{API}/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "message": "接口不存在"}
    wrong_method = client.delete(f"{API}/orders")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"
    assert client.get(f"{API}/orders/NH000000000000").json()["error"] == "not_found"
    bad_query = client.get(f"{API}/orders", params={"limit": 0, "registered_from": "yesterday"})
    assert bad_query.status_code == 422 and "limit" in bad_query.json()["fields"]
    bad_date = client.get(f"{API}/orders", params={"registered_from": "yesterday"})
    assert bad_date.status_code == 422 and "registered_from" in bad_date.json()["fields"]
