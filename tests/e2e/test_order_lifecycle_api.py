"""A work order's life over HTTP: register, dispatch down two levels, handle, review, call back."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from tests.e2e.harness import API, PNG, Api, act, order_at_village, register
from tests.support import TEST_SYSTEM
from zhiyun.domain.calendar import local_date


def test_town_dispatcher_takes_an_order_through_the_whole_life_cycle(api: Api) -> None:
    district = api.as_("district")
    xiabei = api.as_("xiabei")
    town = api.login("town")
    assert town.get(f"{API}/auth/me").json()["username"] == "town"

    order = register(district, citizen_phone="13812345678", order_type="complaint")
    assert order["status"] == "pending_dispatch" and order["status_label"] == "待分拨"
    assert order["order_type_label"] == "投诉" and order["number"].startswith("NH")
    assert order["registered_at"].endswith("+08:00")
    number = order["number"]

    dispatched = act(district, number, "dispatch", target_unit_code="GC", version=order["version"])
    assert dispatched["status"] == "dispatched" and dispatched["current_unit"]["code"] == "GC"
    assert dispatched["sign_deadline"]["state"] == "on_time"

    listed = town.get(f"{API}/orders", params={"status": "dispatched"}).json()
    assert [o["number"] for o in listed["items"]] == [number]
    actions = town.get(f"{API}/orders/{number}/actions").json()
    assert {"action": "sign", "label": "签收", "path": f"/api/v1/orders/{number}/sign"} in actions

    act(town, number, "sign", note="已签收")
    at_village = act(town, number, "dispatch", target_unit_id=api.unit("GC-XB"), note="请夏北社区处理")
    assert at_village["current_unit"]["code"] == "GC-XB"
    assert [u["code"] for u in at_village["chain"]] == ["NH", "GC", "GC-XB"]

    act(xiabei, number, "sign")
    upload = xiabei.post(
        f"{API}/orders/{number}/attachments", files={"file": ("现场照片.png", PNG, "image/png")}
    )
    assert upload.status_code == 201, upload.text
    photo = upload.json()
    replied = act(xiabei, number, "reply", note="已更换灯泡，恢复照明", attachment_ids=[photo["id"]])
    assert replied["status"] == "replied" and replied["result"] == "已更换灯泡，恢复照明"

    reviewed = act(town, number, "review", approve=True)
    assert reviewed["status"] == "awaiting_callback"
    closed = act(district, number, "callback", satisfaction="satisfied", note="市民表示满意")
    assert closed["status"] == "closed" and closed["status_label"] == "已归档"
    assert closed["satisfaction_label"] == "满意" and closed["allowed_actions"] == []
    assert closed["responsible_unit"]["code"] == "GC"

    trail = town.get(f"{API}/orders/{number}/transitions").json()
    assert [(t["action"], t["actor_name"]) for t in trail] == [
        ("register", "district"),
        ("dispatch", "district"),
        ("sign", "town"),
        ("dispatch", "town"),
        ("sign", "xiabei"),
        ("attach", "xiabei"),
        ("reply", "xiabei"),
        ("review", "town"),
        ("callback", "district"),
    ]
    assert trail[1]["action_label"] == "派单" and trail[1]["to_unit"]["code"] == "GC"
    assert trail[6]["details"]["attachment_ids"] == [photo["id"]]
    assert trail[-1]["to_status"] == "closed" and trail[-1]["to_status_label"] == "已归档"
    assert all(t["created_at"].endswith("+08:00") for t in trail)

    listed = town.get(f"{API}/orders/{number}/attachments").json()
    assert [a["filename"] for a in listed] == ["现场照片.png"]
    download = town.get(photo["url"])
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert f"filename*=UTF-8''{quote('现场照片.png')}" in download.headers["content-disposition"]


def test_registering_the_same_channel_and_external_id_twice_returns_the_same_order(api: Api) -> None:
    district = api.as_("district")
    body = {"title": "噪音扰民", "content": "夜间施工噪音", "channel": "manual", "external_id": "GD-0001"}
    first = district.post(f"{API}/orders", json=body)
    again = district.post(f"{API}/orders", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert api.stored()[0] == 1


def test_the_citizens_phone_is_masked_for_the_leader_and_visible_for_the_dispatcher(api: Api) -> None:
    order = register(api.as_("district"), citizen_phone="13812345678", citizen_name="张三")
    as_dispatcher = api.as_("district").get(f"{API}/orders/{order['id']}").json()
    as_leader = api.as_("leader").get(f"{API}/orders/{order['id']}").json()
    assert (as_dispatcher["citizen_phone"], as_dispatcher["contact_masked"]) == ("13812345678", False)
    assert (as_leader["citizen_phone"], as_leader["contact_masked"]) == ("138****5678", True)
    assert as_leader["citizen_name"] == "张*"


def test_an_extension_to_a_date_moves_the_reply_deadline_to_the_end_of_that_day(api: Api) -> None:
    order = order_at_village(api)
    due = order["reply_deadline"]["due_at"]
    new_day = local_date(datetime.fromisoformat(due)) + timedelta(days=10)
    requested = act(
        api.as_("xiabei"),
        order["id"],
        "request_extension",
        new_due_at=new_day.isoformat(),
        note="需协调供电局",
    )
    assert requested["pending"]["kind"] == "extension" and requested["pending"]["kind_label"] == "延期申请"
    approved = act(api.as_("town"), order["id"], "decide_extension", approve=True)
    assert approved["reply_deadline"]["due_at"] == f"{new_day.isoformat()}T23:59:59+08:00"
    assert approved["counters"]["extensions"] == 1 and approved["pending"] is None


def test_orders_are_listed_newest_first_in_pages_and_filtered(api: Api) -> None:
    district = api.as_("district")
    numbers = [register(district, title=f"工单{i}", content=f"内容{i}")["number"] for i in range(3)]
    act(district, numbers[0], "dispatch", target_unit_code="GC")

    first = district.get(f"{API}/orders", params={"limit": 2}).json()
    assert [o["number"] for o in first["items"]] == numbers[:0:-1]
    second = district.get(f"{API}/orders", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [o["number"] for o in second["items"]] == [numbers[0]] and second["next_cursor"] is None

    pending = district.get(f"{API}/orders", params=[("status", "pending_dispatch"), ("status", "closed")])
    assert sorted(o["number"] for o in pending.json()["items"]) == sorted(numbers[1:])
    found = district.get(f"{API}/orders", params={"q": "工单1"}).json()["items"]
    assert [o["number"] for o in found] == [numbers[1]]
    at_town = district.get(f"{API}/orders", params={"current_unit_id": api.unit("GC")}).json()["items"]
    assert [o["number"] for o in at_town] == [numbers[0]]


def test_an_overdue_order_leaves_an_urge_notice_for_the_unit_that_holds_it(api: Api) -> None:
    district = api.as_("district")
    order = register(district)
    act(district, order["id"], "dispatch", target_unit_code="GC")
    api.services.sweep.run(TEST_SYSTEM, api.services.orders.clock() + timedelta(days=60))

    notices = api.as_("town").get(f"{API}/notices").json()
    # both the sign-for and the reply deadline went by
    assert sorted((n["order_id"], n["kind_label"], n["deadline"]) for n in notices) == [
        (order["id"], "催办", "reply"),
        (order["id"], "催办", "sign"),
    ]
    assert all(order["number"] in n["message"] and n["unit"]["code"] == "GC" for n in notices)
    assert api.as_("xiabei").get(f"{API}/notices").json() == []
    overdue = district.get(f"{API}/orders", params={"deadline": "overdue"}).json()["items"]
    assert overdue == []  # judged now, not 60 days ahead
