"""Merging an order into its master by hand: what the dispatcher may merge, and what is refused.

The rules of `WorkOrderService._check_master`: not into itself, not into an order that does
not exist or that the dispatcher may not see, not into an ended one, and not an order that
already has duplicates of its own (those are merged into it instead). A refused merge
answers 422 on the field `master_id` and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.harness import API, Api, act, order_at_village, register


def merge(client: TestClient, key: int | str, master: int | str) -> Any:
    return client.post(f"{API}/orders/{key}/merge", json={"master": str(master), "note": "同一事项"})


def test_an_order_merged_into_an_open_master_ends_as_its_duplicate(api: Api) -> None:
    district = api.as_("district")
    master, duplicate = register(district), register(district)
    merged = act(district, duplicate["id"], "merge", master=master["number"], note="同一路灯")
    assert merged["status"] == "merged"
    assert merged["master_id"] == master["id"]
    shown = district.get(f"{API}/orders/{master['id']}").json()
    assert [d["id"] for d in shown["duplicates"]] == [duplicate["id"]]


REFUSALS = {
    "itself": "不能与自身合并",
    "unknown": "主工单不存在",
    "merged": "主工单已办结或撤销，不能合并到该工单",
    "cancelled": "主工单已办结或撤销，不能合并到该工单",
}


@pytest.mark.parametrize("master", list(REFUSALS))
def test_a_merge_into_itself_an_unknown_or_an_ended_order_is_refused_and_changes_nothing(
    api: Api, master: str
) -> None:
    district = api.as_("district")
    order = register(district)
    target: int | str = {"itself": order["id"], "unknown": "NH209901019999"}.get(master, 0)
    if master == "cancelled":
        target = register(district)["id"]
        act(district, target, "cancel", note="无效诉求", reason="invalid")
    elif master == "merged":  # a duplicate itself: ended
        target = register(district)["id"]
        act(district, target, "merge", master=register(district)["id"], note="同一事项")
    before = api.stored()
    response = merge(district, order["id"], target)
    assert response.status_code == 422, response.text
    assert response.json()["message"] == REFUSALS[master]
    assert api.stored() == before
    assert district.get(f"{API}/orders/{order['id']}").json()["status"] == "pending_dispatch"


def test_an_order_that_has_duplicates_of_its_own_cannot_be_merged_into_another(api: Api) -> None:
    district = api.as_("district")
    master, duplicate, other = register(district), register(district), register(district)
    act(district, duplicate["id"], "merge", master=master["id"], note="同一事项")
    response = merge(district, master["id"], other["id"])
    assert response.status_code == 422, response.text
    assert "已有重复件" in response.json()["message"]
    assert district.get(f"{API}/orders/{master['id']}").json()["status"] == "pending_dispatch"


def test_a_master_the_dispatcher_may_not_see_is_refused_as_if_it_did_not_exist(api: Api) -> None:
    elsewhere = order_at_village(api)  # at 桂城's village 夏北: 大沥's dispatcher does not see it
    town2 = api.as_("town2")
    own = register(town2)
    response = merge(town2, own["id"], elsewhere["id"])
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "主工单不存在"
