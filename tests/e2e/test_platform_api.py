"""Health, the OpenAPI document, and the reference data over HTTP: calendar, time limits, org, users."""

from __future__ import annotations

import pytest

from tests.e2e.harness import API, Api, act, order_at_village
from zhiyun.domain.workorder import Action


def test_healthz_reports_whether_the_database_answers(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    client = api.anonymous()
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    monkeypatch.setattr(api.services.db, "ping", lambda: False)
    down = client.get("/healthz")
    assert down.status_code == 503 and down.json()["database"] == "unreachable"


def test_the_openapi_document_lists_every_action_route(api: Api) -> None:
    document = api.anonymous().get("/openapi.json").json()
    assert document["info"]["title"] == "智运 zhiyun API"
    paths = document["paths"]
    for action in Action:
        if action is not Action.REGISTER:
            assert "post" in paths[f"{API}/orders/{{key}}/{action.value}"], action
    dispatch = paths[f"{API}/orders/{{key}}/dispatch"]["post"]
    assert dispatch["summary"] == "派单（dispatch）"
    assert "409" in dispatch["responses"]
    assert api.anonymous().get("/docs").status_code == 200


def test_an_unexpected_error_answers_500_without_internals(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret connection string")

    monkeypatch.setattr(api.services.orders, "get", broken)
    client = api.as_("district", raise_server_exceptions=False)
    response = client.get(f"{API}/orders/1")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "服务器内部错误"}


def test_the_calendar_counts_working_days_and_admins_adjust_it(api: Api) -> None:
    town, admin = api.as_("town"), api.as_("admin")
    # National Day 2025: 1–8 October off, so the first working day after 30 September is the 9th.
    after = town.get(f"{API}/calendar/add-workdays", params={"date": "2025-09-30", "n": 1})
    assert after.json() == {"start": "2025-09-30", "n": 1, "date": "2025-10-09"}

    changed = admin.put(f"{API}/calendar/overrides/2025-10-09", json={"kind": "holiday", "note": "台风停工"})
    assert changed.status_code == 200 and changed.json()["override"]["kind_label"] == "休息"
    assert town.get(f"{API}/calendar/add-workdays", params={"date": "2025-09-30", "n": 1}).json()["date"] == (
        "2025-10-10"
    )
    overrides = town.get(f"{API}/calendar/overrides").json()
    assert [(o["date"], o["kind"], o["updated_by"]) for o in overrides] == [
        ("2025-10-09", "holiday", "admin")
    ]
    cleared = admin.put(f"{API}/calendar/overrides/2025-10-09", json={"kind": "default"})
    assert cleared.json() == {"date": "2025-10-09", "kind": "default", "override": None}

    unknown = town.get(f"{API}/calendar/add-workdays", params={"date": "2099-01-05", "n": 3})
    assert unknown.status_code == 422
    assert unknown.json()["error"] == "calendar_unknown" and "2099" in unknown.json()["message"]
    confirmed = admin.post(f"{API}/calendar/years/2099/confirm")
    assert 2099 in confirmed.json()["confirmed"]
    assert town.get(f"{API}/calendar/add-workdays", params={"date": "2099-01-05", "n": 3}).status_code == 200


def test_time_limits_are_listed_with_labels_and_admins_change_them(api: Api) -> None:
    limits = api.as_("town").get(f"{API}/time-limits").json()
    assert len(limits) == 12
    complaint = next(t for t in limits if (t["order_type"], t["urgency"]) == ("complaint", "normal"))
    assert complaint["reply"] == {"amount": 15, "unit": "workdays", "label": "15个工作日"}
    assert complaint["order_type_label"] == "投诉"

    changed = api.as_("admin").put(
        f"{API}/time-limits/complaint/normal",
        json={"sign": {"amount": 4, "unit": "hours"}, "reply": {"amount": 20, "unit": "workdays"}},
    )
    assert changed.status_code == 200 and changed.json()["sign"]["label"] == "4小时"
    bad = api.as_("admin").put(
        f"{API}/time-limits/complaint/normal",
        json={"sign": {"amount": 0, "unit": "hours"}, "reply": {"amount": 20, "unit": "weeks"}},
    )
    assert bad.status_code == 422 and {"sign.amount", "reply.unit"} <= set(bad.json()["fields"])


def test_units_are_a_flat_tree_and_admins_import_and_export_them(api: Api) -> None:
    town = api.as_("town")
    units = town.get(f"{API}/units").json()
    assert units[0]["code"] == "NH" and units[0]["parent_id"] is None and units[0]["depth"] == 0
    by_code = {u["code"]: u for u in units}
    assert by_code["GC-XB"]["parent_id"] == by_code["GC"]["id"] and by_code["GC-XB"]["kind_label"] == "村居"
    targets = town.get(f"{API}/units/{api.unit('GC')}/dispatch-targets").json()
    assert {u["code"] for u in targets} == {"GC-XB", "GC-PN", "GC-CG"}
    assert town.get(f"{API}/units/99999/dispatch-targets").status_code == 404

    admin = api.as_("admin")
    imported = admin.post(
        f"{API}/units/import",
        json=[
            {"code": "GC-DH", "name": "东华社区", "kind": "village", "parent_code": "GC", "aliases": ["东华"]}
        ],
    )
    assert imported.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert "GC-DH" in {u["code"] for u in town.get(f"{API}/units/{api.unit('GC')}/dispatch-targets").json()}
    broken = admin.post(
        f"{API}/units/import", json=[{"code": "X", "name": "孤儿", "kind": "village", "parent_code": "NOPE"}]
    )
    assert broken.status_code == 422 and broken.json()["error"] == "validation_failed"

    csv = admin.get(f"{API}/units/export", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "GC-DH,东华社区,village,GC,东华" in csv.text.splitlines()
    as_json = admin.get(f"{API}/units/export", params={"format": "json"}).json()
    assert "GC-DH" in {u["code"] for u in as_json["units"]}


def test_admins_add_users_who_can_then_log_in(api: Api) -> None:
    admin = api.as_("admin")
    body = {
        "username": "dongua",
        "password": "a-long-password",
        "role": "handler",
        "unit_code": "GC-PN",
        "display_name": "平南承办人",
    }
    created = admin.post(f"{API}/users", json=body)
    assert created.status_code == 201 and created.json()["role_label"] == "承办人"
    assert admin.post(f"{API}/users", json=body).json()["error"] == "conflict"
    assert admin.post(f"{API}/users", json={**body, "username": "x2", "unit_code": "NOPE"}).status_code == 422
    assert "dongua" in {u["username"] for u in admin.get(f"{API}/users").json()}
    login = api.anonymous().post(
        f"{API}/auth/login", json={"username": "dongua", "password": "a-long-password"}
    )
    assert login.status_code == 200


def test_returns_are_counted_per_unit(api: Api) -> None:
    order = order_at_village(api)
    act(api.as_("xiabei"), order["id"], "return", note="不属于本社区")
    counts = api.as_("leader").get(f"{API}/stats/returns-by-unit").json()
    assert counts == [{"unit": {"id": api.unit("GC-XB"), "code": "GC-XB", "name": "夏北社区"}, "returns": 1}]
