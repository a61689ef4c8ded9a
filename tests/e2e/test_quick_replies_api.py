"""Quick replies (常用语) over HTTP: /api/v1/quick-replies, with a token or the console's session,
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import API, Api, order_at_village

URL = f"{API}/quick-replies"


def _create(client: Any, **body: Any) -> dict[str, Any]:
    response = client.post(URL, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_handler_lists_the_snippets_filled_for_their_order_with_the_session_cookie(api: Api) -> None:
    admin = api.as_("admin")
    order = order_at_village(api)
    _create(
        admin,
        scope="unit",
        unit_id=api.unit("NH"),
        title="回访",
        text="{市民称呼}您好，工单{工单编号}已办结。",
    )
    _create(
        admin, scope="unit", unit_id=api.unit("GC-XB"), title="签收", text="{本单位}已签收。", sort_order=1
    )
    _create(admin, scope="unit", unit_id=api.unit("DL-YB"), title="盐步", text="盐步社区已收到。")
    session = api.login("xiabei")  # the console's cookie, as the picker's fetch sends it
    mine = _create(session, scope="personal", title="我的", text="{我的姓名}马上去现场。")
    assert mine["scope"] == "personal" and mine["set_label"] == "我的常用语"

    listed = session.get(URL, params={"order": order["number"]})
    assert listed.status_code == 200, listed.text
    assert [(r["set_label"], r["title"], r["expanded"]) for r in listed.json()] == [
        ("夏北社区", "签收", "夏北社区已签收。"),
        ("我的常用语", "我的", "xiabei马上去现场。"),
        ("南海区", "回访", f"张先生/女士您好，工单{order['number']}已办结。"),
    ]
    assert all(r["unfilled"] == [] for r in listed.json())
    # without an order: the order's placeholders stay as written, and are named
    plain = {r["title"]: r for r in session.get(URL).json()}
    assert plain["回访"]["expanded"] == "{市民称呼}您好，工单{工单编号}已办结。"
    assert plain["回访"]["unfilled"] == ["市民称呼", "工单编号"]
    # one snippet, filled
    one = session.get(f"{URL}/{plain['回访']['id']}/expand", params={"order": order["id"]})
    assert one.status_code == 200 and one.json()["expanded"].startswith("张先生/女士您好")
    names = [p["name"] for p in session.get(f"{URL}/placeholders").json()]
    assert {"市民称呼", "工单编号", "承办单位", "今天"} <= set(names)


def test_another_units_snippets_and_orders_answer_404_and_change_nothing(api: Api) -> None:
    admin = api.as_("admin")
    order = order_at_village(api)
    theirs = _create(admin, scope="unit", unit_id=api.unit("DL-YB"), title="盐步", text="盐步社区已收到。")
    shared = _create(admin, scope="unit", unit_id=api.unit("NH"), title="致谢", text="谢谢")
    personal = _create(api.as_("xiabei"), scope="personal", title="我的", text="我的。")
    yanbu, xiabei = api.as_("yanbu"), api.as_("xiabei")
    for reply in (theirs["id"],):
        assert xiabei.get(f"{URL}/{reply}").status_code == 404
        assert xiabei.get(f"{URL}/{reply}/expand").status_code == 404
        assert xiabei.put(f"{URL}/{reply}", json={"title": "改", "text": "改"}).status_code == 404
        assert xiabei.delete(f"{URL}/{reply}").status_code == 404
    for who in (yanbu, api.as_("pingnan"), admin):
        assert who.get(f"{URL}/{personal['id']}").status_code == 404
        assert who.delete(f"{URL}/{personal['id']}").status_code == 404
    # a shared snippet filled for an order yanbu may not read: 404, nothing of the order
    refused = yanbu.get(f"{URL}/{shared['id']}/expand", params={"order": order["number"]})
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    assert "路灯" not in refused.text and "张" not in refused.text
    assert yanbu.get(URL, params={"order": order["number"]}).status_code == 404
    # used but not kept: 403
    assert xiabei.put(f"{URL}/{shared['id']}", json={"title": "致谢", "text": "改"}).status_code == 403
    assert xiabei.delete(f"{URL}/{shared['id']}").status_code == 403
    assert xiabei.get(f"{URL}/units/{api.unit('GC-XB')}").status_code == 403
    created = xiabei.post(
        URL, json={"scope": "unit", "unit_id": api.unit("GC-XB"), "title": "x", "text": "y"}
    )
    assert created.status_code == 403 and created.json()["error"] == "permission_denied"
    # and all is as it was
    assert admin.get(f"{URL}/{theirs['id']}").json()["text"] == "盐步社区已收到。"
    assert admin.get(f"{URL}/{shared['id']}").json()["text"] == "谢谢"
    assert [r["id"] for r in api.as_("xiabei").get(f"{URL}/mine").json()] == [personal["id"]]


def test_admins_keep_a_units_set_and_users_their_own(api: Api) -> None:
    admin, xiabei = api.as_("admin"), api.as_("xiabei")
    made = _create(admin, scope="unit", unit_id=api.unit("GC"), title="街道", text="桂城街道已收到。")
    assert made["unit_name"] == "桂城街道" and made["created_by"] == "admin"
    changed = admin.put(
        f"{URL}/{made['id']}", json={"title": "街道", "text": "已收到。", "sort_order": 3, "active": False}
    )
    assert changed.status_code == 200 and (changed.json()["sort_order"], changed.json()["active"]) == (
        3,
        False,
    )
    kept = admin.get(f"{URL}/units/{api.unit('GC')}")
    assert kept.status_code == 200
    assert kept.json()["unit_path"] == "南海区 / 桂城街道"
    assert [r["title"] for r in kept.json()["replies"]] == ["街道"]  # inactive ones listed for keepers
    assert xiabei.get(URL).json() == []  # but not offered
    assert admin.delete(f"{URL}/{made['id']}").status_code == 204
    assert admin.get(f"{URL}/{made['id']}").status_code == 404

    mine = _create(xiabei, scope="personal", title="/我的", text="我的。")
    assert mine["title"] == "我的"
    assert xiabei.put(f"{URL}/{mine['id']}", json={"title": "我的", "text": "改了"}).json()["text"] == "改了"
    assert xiabei.delete(f"{URL}/{mine['id']}").status_code == 204
    assert xiabei.get(f"{URL}/mine").json() == []


def test_bad_input_is_answered_in_chinese(api: Api) -> None:
    xiabei = api.as_("xiabei")
    _create(xiabei, scope="personal", title="回访", text="您好")
    duplicate = xiabei.post(URL, json={"scope": "personal", "title": "回访", "text": "又一条"})
    assert duplicate.status_code == 409 and "回访" in duplicate.json()["message"]
    spaced = xiabei.post(URL, json={"scope": "personal", "title": "有 空格", "text": "x"})
    assert spaced.status_code == 422 and spaced.json()["message"] == "关键词不能包含空格"
    for body in (
        {"scope": "personal", "title": "x", "text": ""},
        {"scope": "personal", "title": "x", "text": "字" * 2001},
        {"scope": "everyone", "title": "x", "text": "y"},
        {"scope": "personal", "title": "x", "text": "y", "sort_order": 10_000},
    ):
        assert xiabei.post(URL, json=body).status_code == 422, body
    assert api.as_("admin").post(URL, json={"scope": "unit", "title": "x", "text": "y"}).status_code == 422
    assert xiabei.get(f"{URL}/0").status_code == 422
    assert xiabei.get(f"{URL}/{2**31}").status_code == 422
    assert xiabei.get(URL, params={"order": "NH209912319999"}).status_code == 404
    assert api.anonymous().get(URL).status_code == 401
