"""Findings 10 and 13: what one may read and do is what the access rules say, checked in the use case.

10. Duplicate candidates showed other units' orders; any role could dismiss a duplicate flag,
    also on closed orders; a town that had returned an order could still change its category
    and upload to it.
13. Phone and ID numbers typed into the text were shown to roles that see the phone masked.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import API, PNG, Api, act, order_at_village, register
from zhiyun.domain.access import Actor, Role, mask_personal_numbers, text_for
from zhiyun.store.tables import DuplicateCandidateRow, WorkOrderRow


def _returned_and_redispatched(api: Api) -> dict[str, Any]:
    """Dispatched to 桂城, returned by 桂城, then dispatched by the district to 大沥镇."""
    district, town = api.as_("district"), api.as_("town")
    order = register(district)
    act(district, order["id"], "dispatch", target_unit_code="GC")
    act(town, order["id"], "sign")
    act(town, order["id"], "return", note="不属于本街道")
    return act(district, order["id"], "dispatch", target_unit_code="DL")


# -- finding 10 -----------------------------------------------------------------------------


def test_duplicate_candidates_list_only_orders_the_reader_may_read(api: Api) -> None:
    district, town2 = api.as_("district"), api.as_("town2")
    # an order kept inside 大沥镇, then a near-identical report flagged against it
    elsewhere = register(town2, title="盐步社区路灯不亮很久了", content="盐步社区广佛路路灯连续一周不亮")
    flagged = register(district, title="盐步社区路灯不亮很久了", content="盐步社区广佛路路灯连续一周不亮")
    with api.services.db.transaction() as session:
        session.add(
            DuplicateCandidateRow(
                order_id=flagged["id"],
                candidate_id=elsewhere["id"],
                score=0.4,
                text_similarity=0.9,
                distance_m=None,
                same_caller=False,
                decision="open",
            )
        )
    _flag(api, flagged["id"])
    act(district, flagged["id"], "dispatch", target_unit_code="GC")
    town = api.as_("town")
    as_town = town.get(f"{API}/orders/{flagged['id']}/duplicate-candidates")
    assert as_town.status_code == 200
    assert as_town.json() == []
    assert "盐步" not in as_town.text
    as_district = district.get(f"{API}/orders/{flagged['id']}/duplicate-candidates").json()
    assert [c["number"] for c in as_district] == [elsewhere["number"]]


def _flag(api: Api, order_id: int) -> None:
    with api.services.db.transaction() as session:
        row = session.get(WorkOrderRow, order_id)
        assert row is not None
        row.possible_duplicate = True


@pytest.mark.parametrize("username", ["xiabei", "leader"])
def test_only_dispatchers_inspectors_and_admins_may_settle_a_duplicate_flag(api: Api, username: str) -> None:
    order = order_at_village(api)  # at 夏北社区: its handler and the leader both read it
    _flag(api, order["id"])
    reader = api.as_(username)
    assert reader.get(f"{API}/orders/{order['id']}").status_code == 200
    refused = reader.post(f"{API}/orders/{order['id']}/duplicate-decision", json={"decision": "dismiss"})
    assert refused.status_code == 403
    allowed = api.as_("town").post(
        f"{API}/orders/{order['id']}/duplicate-decision", json={"decision": "dismiss"}
    )
    assert allowed.status_code == 200


def test_a_duplicate_flag_on_a_closed_order_cannot_be_settled(api: Api) -> None:
    district = api.as_("district")
    order = register(district)
    act(district, order["id"], "cancel", reason="invalid", note="无效件")
    _flag(api, order["id"])
    response = district.post(f"{API}/orders/{order['id']}/duplicate-decision", json={"decision": "dismiss"})
    assert response.status_code == 403


def test_a_town_that_returned_an_order_may_read_it_but_not_recategorize_it(api: Api) -> None:
    order = _returned_and_redispatched(api)
    town = api.as_("town")
    assert town.get(f"{API}/orders/{order['id']}").status_code == 200
    assert town.get(f"{API}/orders/{order['id']}/actions").json() == []
    response = town.post(f"{API}/orders/{order['id']}/category", json={"category_code": "CG01"})
    assert response.status_code == 403
    assert api.as_("district").get(f"{API}/orders/{order['id']}").json()["category_code"] is None


def test_a_town_that_returned_an_order_may_not_upload_to_it(api: Api) -> None:
    order = _returned_and_redispatched(api)
    before = api.stored()
    response = api.as_("town").post(
        f"{API}/orders/{order['id']}/attachments", files={"file": ("证据.png", PNG, "image/png")}
    )
    assert response.status_code == 403
    assert api.stored() == before
    holder = api.as_("town2").post(
        f"{API}/orders/{order['id']}/attachments", files={"file": ("证据.png", PNG, "image/png")}
    )
    assert holder.status_code == 201


# -- finding 13 -----------------------------------------------------------------------------

TYPED = "请回电 13955556666，身份证 440602199001011234，座机 0757-86281234"


def test_numbers_typed_into_the_text_are_masked_for_a_leader_and_shown_to_a_dispatcher(api: Api) -> None:
    order = register(
        api.as_("district"),
        title="来电 13955556666 反映路灯",
        content=TYPED,
        address="夏北路 3 号，联系 13955556666",
        citizen_phone="13955556666",
    )
    leader = api.as_("leader").get(f"{API}/orders/{order['id']}").json()
    assert leader["citizen_phone"] == "139****6666"
    for field in ("title", "content", "address"):
        assert "13955556666" not in str(leader[field]) and "440602199001011234" not in str(leader[field])
    assert "139****6666" in leader["content"] and "440602********1234" in leader["content"]
    listed = api.as_("leader").get(f"{API}/orders").json()["items"][0]["title"]
    assert listed == "来电 139****6666 反映路灯"
    dispatcher = api.as_("district").get(f"{API}/orders/{order['id']}").json()
    assert "13955556666" in dispatcher["content"] and "440602199001011234" in dispatcher["content"]


def test_numbers_in_the_audit_trail_are_masked_for_a_leader(api: Api) -> None:
    district = api.as_("district")
    order = register(district)
    act(district, order["id"], "dispatch", target_unit_code="GC", note="市民要求回电 13955556666")
    trail = api.as_("leader").get(f"{API}/orders/{order['id']}/transitions").json()
    assert "13955556666" not in str(trail) and "139****6666" in str(trail)
    assert "13955556666" in str(district.get(f"{API}/orders/{order['id']}/transitions").json())


def test_a_confidential_orders_text_is_masked_even_for_its_handler() -> None:
    handler = Actor(user_id=1, role=Role.HANDLER, unit_id=3)
    assert text_for(handler, False, TYPED) == TYPED
    assert "13955556666" not in (text_for(handler, True, TYPED) or "")


def test_masking_keeps_other_numbers_and_masks_every_mobile_and_id_card() -> None:
    text = "工单 NH202612060001，金额 12345678901234567890，手机 13800001234 和 15912345678，身份证 44060219900101123X"
    masked = mask_personal_numbers(text)
    assert "NH202612060001" in masked and "12345678901234567890" in masked
    assert "138****1234" in masked and "159****5678" in masked and "440602********123X" in masked
