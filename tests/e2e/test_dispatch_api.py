"""The taxonomy, the responsibility list and an order's dispatch suggestion over HTTP."""

from __future__ import annotations

from tests.e2e.harness import API, Api, register

TAXONOMY = "code,name,parent_code,keywords\nCG,城市管理,,\nCG01,市容环境,CG,垃圾\n"


def test_admin_imports_taxonomy_and_rules_and_everyone_reads_them(api: Api) -> None:
    admin = api.as_("admin")
    imported = admin.post(f"{API}/taxonomy/import", content=TAXONOMY, headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    created = admin.post(
        f"{API}/responsibility-rules",
        json={"category_code": "CG01", "area_code": "GC", "unit_code": "GC-CG", "priority": 3},
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["unit_name"] == "桂城街道城管办" and "规则#" in rule["description"]
    dispatcher = api.as_("district")
    listed = dispatcher.get(f"{API}/responsibility-rules").json()
    assert [r["id"] for r in listed] == [rule["id"]]
    assert [c["path"] for c in dispatcher.get(f"{API}/taxonomy").json()] == [
        "城市管理",
        "城市管理 / 市容环境",
    ]


def test_rule_edits_are_versioned_and_readable_as_history(api: Api) -> None:
    admin = api.as_("admin")
    admin.post(f"{API}/taxonomy/import", content=TAXONOMY, headers={"Content-Type": "text/csv"})
    rule = admin.post(
        f"{API}/responsibility-rules", json={"category_code": "CG01", "unit_code": "GC-CG"}
    ).json()
    updated = admin.put(
        f"{API}/responsibility-rules/{rule['id']}",
        json={"category_code": "CG01", "unit_code": "ZJJ", "change_note": "职责调整"},
    )
    assert updated.status_code == 200 and updated.json()["unit_code"] == "ZJJ"
    history = admin.get(f"{API}/responsibility-rules/history", params={"rule_id": rule["id"]}).json()
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["before"]["unit_code"] == "GC-CG" and history[0]["after"]["unit_code"] == "ZJJ"
    assert history[0]["note"] == "职责调整" and history[0]["actor_name"] == "admin"


def test_a_rule_naming_an_unknown_unit_or_category_is_a_422_in_chinese(api: Api) -> None:
    admin = api.as_("admin")
    admin.post(f"{API}/taxonomy/import", content=TAXONOMY, headers={"Content-Type": "text/csv"})
    unknown_unit = admin.post(
        f"{API}/responsibility-rules", json={"category_code": "CG01", "unit_code": "NOPE"}
    )
    assert unknown_unit.status_code == 422 and "责任单位编码 NOPE 不存在" in unknown_unit.json()["message"]
    unknown_cat = admin.post(f"{API}/responsibility-rules", json={"category_code": "ZZ", "unit_code": "ZJJ"})
    assert unknown_cat.status_code == 422 and "分类编码 ZZ 不存在" in unknown_cat.json()["message"]


def test_a_taxonomy_with_a_cycle_or_unknown_parent_is_a_422_and_nothing_changes(api: Api) -> None:
    admin = api.as_("admin")
    cycle = admin.post(
        f"{API}/taxonomy/import",
        content="code,name,parent_code\nA,甲,B\nB,乙,A\n",
        headers={"Content-Type": "text/csv"},
    )
    assert cycle.status_code == 422 and "成环" in cycle.json()["message"]
    orphan = admin.post(
        f"{API}/taxonomy/import",
        content="code,name,parent_code\nA,甲,Z\n",
        headers={"Content-Type": "text/csv"},
    )
    assert orphan.status_code == 422 and "上级分类 Z 不存在" in orphan.json()["message"]
    assert admin.get(f"{API}/taxonomy").json() == []


def test_only_admins_edit_the_lists(api: Api) -> None:
    dispatcher = api.as_("district")
    response = dispatcher.post(
        f"{API}/taxonomy/import", content=TAXONOMY, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 403


def test_an_order_with_a_category_shows_the_rules_suggestion_without_a_model(api: Api) -> None:
    admin = api.as_("admin")
    admin.post(f"{API}/taxonomy/import", content=TAXONOMY, headers={"Content-Type": "text/csv"})
    admin.post(f"{API}/responsibility-rules", json={"category_code": "CG", "unit_code": "GC-CG"})
    dispatcher = api.as_("district")
    order = register(
        dispatcher, title="垃圾没人清运", content="夏北社区门口垃圾堆了三天", category_code="CG01"
    )
    assert order["status"] == "pending_dispatch"
    suggestion = dispatcher.get(f"{API}/orders/{order['number']}/dispatch-suggestion")
    assert suggestion.status_code == 200, suggestion.text
    body = suggestion.json()
    assert body["auto_dispatched"] is False and body["decision"] == "no_model"
    assert body["suggestions"][0]["unit_name"] == "桂城街道城管办"
    assert body["rule_id"] is not None and "规则#" in body["reason"]


def test_changing_an_orders_category_over_http_is_recorded_as_feedback(api: Api) -> None:
    admin = api.as_("admin")
    admin.post(f"{API}/taxonomy/import", content=TAXONOMY, headers={"Content-Type": "text/csv"})
    admin.post(f"{API}/responsibility-rules", json={"category_code": "CG", "unit_code": "GC-CG"})
    dispatcher = api.as_("district")
    order = register(dispatcher, title="垃圾没人清运", content="夏北社区门口垃圾堆了三天", category_code="CG")
    changed = dispatcher.post(
        f"{API}/orders/{order['id']}/category", json={"category_code": "CG01", "note": "细化"}
    )
    assert changed.status_code == 204, changed.text
    unknown = dispatcher.post(f"{API}/orders/{order['id']}/category", json={"category_code": "ZZ"})
    assert unknown.status_code == 422 and "分类编码 ZZ 不存在" in unknown.json()["message"]
    body = dispatcher.get(f"{API}/orders/{order['id']}/dispatch-suggestion").json()
    assert [(f["kind"], f["corrected_category"]) for f in body["feedback"]] == [("category", "CG01")]
    trail = dispatcher.get(f"{API}/orders/{order['id']}/transitions").json()
    assert trail[-1]["action"] == "recategorize" and trail[-1]["note"] == "细化"
