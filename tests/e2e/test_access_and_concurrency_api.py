"""Who may read and act on an order over HTTP, and what two people acting at once get."""

from __future__ import annotations

import threading

import httpx

from tests.e2e.harness import API, PNG, Api, act, order_at_village, register


def test_a_village_handler_cannot_read_or_act_on_another_villages_order(api: Api) -> None:
    order = order_at_village(api, "GC-PN", "pingnan")
    xiabei = api.as_("xiabei")
    before = api.stored()

    for response in (
        xiabei.get(f"{API}/orders/{order['id']}"),
        xiabei.get(f"{API}/orders/{order['number']}"),
        xiabei.get(f"{API}/orders/{order['id']}/transitions"),
        xiabei.get(f"{API}/orders/{order['id']}/actions"),
        xiabei.post(f"{API}/orders/{order['id']}/reply", json={"note": "不是我们的"}),
        xiabei.post(f"{API}/orders/{order['id']}/attachments", files={"file": ("a.png", PNG, "image/png")}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "not_found"
    assert xiabei.get(f"{API}/orders").json()["items"] == []
    assert api.stored() == before


def test_a_village_handler_gets_403_for_an_action_it_may_not_take_on_its_own_order(api: Api) -> None:
    order = order_at_village(api)
    response = api.as_("xiabei").post(
        f"{API}/orders/{order['id']}/cancel", json={"reason": "invalid", "note": "无效"}
    )
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "permission_denied" and "撤销" in body["message"]
    assert "reply" in body["allowed_actions"] and "cancel" not in body["allowed_actions"]


def test_an_action_the_status_does_not_allow_answers_409_with_the_status_and_allowed_actions(
    api: Api,
) -> None:
    district = api.as_("district")
    order = register(district)
    response = district.post(f"{API}/orders/{order['id']}/sign", json={})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "action_not_allowed" and body["status"] == "pending_dispatch"
    assert "dispatch" in body["allowed_actions"] and "sign" not in body["allowed_actions"]
    assert "待分拨" in body["message"]


def test_a_stale_version_answers_409_concurrent_update_and_changes_nothing(api: Api) -> None:
    district = api.as_("district")
    order = register(district)
    act(api.as_("leader"), order["id"], "instruct", note="请尽快处理")  # someone else moved it on
    before = api.stored()
    response = district.post(
        f"{API}/orders/{order['id']}/dispatch", json={"target_unit_code": "GC", "version": order["version"]}
    )
    assert response.status_code == 409
    assert response.json()["error"] == "concurrent_update"
    assert api.stored() == before
    assert district.get(f"{API}/orders/{order['id']}").json()["status"] == "pending_dispatch"


def test_two_concurrent_actions_with_the_same_version_one_wins_and_the_other_gets_409(api: Api) -> None:
    district = api.as_("district")
    order = register(district)
    act(district, order["id"], "dispatch", target_unit_code="GC")
    town = api.as_("town")
    current = town.get(f"{API}/orders/{order['id']}").json()
    trail_before = len(town.get(f"{API}/orders/{order['id']}/transitions").json())

    start = threading.Barrier(2)
    results: dict[str, httpx.Response] = {}

    def send(action: str, body: dict[str, object]) -> None:
        start.wait()
        results[action] = town.post(
            f"{API}/orders/{order['id']}/{action}", json={**body, "version": current["version"]}
        )

    threads = [
        threading.Thread(target=send, args=("sign", {})),
        threading.Thread(target=send, args=("return", {"note": "不属于本街道"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409], {a: r.text for a, r in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.json()["error"] in ("concurrent_update", "action_not_allowed")
    trail = town.get(f"{API}/orders/{order['id']}/transitions").json()
    assert len(trail) == trail_before + 1


def test_requests_without_valid_credentials_answer_401(api: Api) -> None:
    anonymous = api.anonymous()
    missing = anonymous.get(f"{API}/orders")
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthenticated" and missing.json()["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = anonymous.get(f"{API}/auth/me", headers={"Authorization": "Bearer zy_not-a-token"})
    assert forged.status_code == 401
    stale_cookie = api.anonymous(cookies={"zhiyun_session": "expired"}).get(f"{API}/auth/me")
    assert stale_cookie.status_code == 401


ADMIN_ONLY: list[tuple[str, str, object]] = [
    ("GET", "/users", None),
    ("POST", "/users", {"username": "x1", "password": "password-1", "role": "handler", "unit_code": "GC"}),
    ("POST", "/units/import", [{"code": "GC-NEW", "name": "新社区", "kind": "village", "parent_code": "GC"}]),
    ("GET", "/units/export?format=csv", None),
    ("PUT", "/calendar/overrides/2026-10-10", {"kind": "holiday"}),
    ("POST", "/calendar/years/2031/confirm", None),
    (
        "PUT",
        "/time-limits/complaint/normal",
        {"sign": {"amount": 1, "unit": "workdays"}, "reply": {"amount": 20, "unit": "workdays"}},
    ),
]


def test_admin_only_endpoints_refuse_a_handler_with_403(api: Api) -> None:
    xiabei = api.as_("xiabei")
    for method, path, body in ADMIN_ONLY:
        response = xiabei.request(method, f"{API}{path}", json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"] == "permission_denied"
