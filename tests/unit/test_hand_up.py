"""上报: an order its registering center cannot dispatch (the responsible unit is not below it)
is handed up to the center above; automatic dispatch says so, with the reason, instead of
leaving it to wait for a dispatcher who cannot send it anywhere."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.world import (
    DEPARTMENT,
    DISTRICT,
    ORG,
    TOWN_A,
    VILLAGE_A1,
    VILLAGE_B1,
    act,
    context,
    dispatcher,
    grid_worker,
    handler,
    local,
    new_order,
)
from zhiyun.domain.errors import PermissionDenied
from zhiyun.domain.routing import Decision, RoutingFacts, decide, hand_up_reason
from zhiyun.domain.workorder import Action, Dispatch, OrderStatus, Return, allowed_actions, return_target

READY = RoutingFacts(
    enabled=True,
    has_model=True,
    possible_duplicate=False,
    confidence=0.9,
    threshold=0.6,
    target_unit_id=DEPARTMENT,
    center_unit_id=TOWN_A,
    pending_dispatch=True,
)


def test_a_unit_above_or_beside_the_registering_center_means_hand_it_up() -> None:
    assert decide(READY, ORG) is Decision.HAND_UP  # a district department, registered at a town
    assert decide(replace(READY, target_unit_id=VILLAGE_B1), ORG) is Decision.HAND_UP  # another town's
    assert decide(replace(READY, target_unit_id=DISTRICT), ORG) is Decision.HAND_UP  # the center above
    assert "上报" in Decision.HAND_UP.label and "待人工派单" not in Decision.HAND_UP.label


def test_what_is_not_a_hand_up() -> None:
    assert decide(replace(READY, target_unit_id=VILLAGE_A1), ORG) is Decision.AUTO  # below: dispatch
    assert decide(replace(READY, target_unit_id=TOWN_A), ORG) is Decision.OUT_OF_REACH  # the center itself
    assert decide(replace(READY, pending_dispatch=False), ORG) is Decision.OUT_OF_REACH
    # the district center has nobody above it
    assert (
        decide(replace(READY, center_unit_id=DISTRICT, target_unit_id=DISTRICT), ORG) is Decision.OUT_OF_REACH
    )


def test_the_reason_says_who_handles_it_and_where_it_goes() -> None:
    assert (
        hand_up_reason(ORG, DEPARTMENT, DISTRICT)
        == "权责清单：该事项由区级部门（区城管局）承办，需上报区中心（南海区）"
    )
    assert (
        hand_up_reason(ORG, VILLAGE_B1, DISTRICT)
        == "权责清单：该事项由村居（沙头村）承办，需上报区中心（南海区）"
    )


def test_the_registering_town_center_hands_an_order_up_to_the_district() -> None:
    state = new_order(TOWN_A)
    town = dispatcher(TOWN_A)
    assert return_target(state.chain, ORG) == DISTRICT
    assert Action.RETURN in allowed_actions(state, town, context(local(2026, 3, 2, 10)))
    outcome = act(state, town, Return(note="权责清单：该事项由区级部门承办，需上报区中心"))
    new = outcome.state
    assert new.chain == (DISTRICT,) and new.registering_unit_id == DISTRICT
    assert new.status is OrderStatus.PENDING_DISPATCH
    assert new.return_count == 0  # handing up is no refusal of the work
    assert outcome.record.details == {"returned_by_unit_id": TOWN_A, "handed_up_to_unit_id": DISTRICT}
    # the district center then dispatches it to its department
    dispatched = act(new, dispatcher(DISTRICT), Dispatch(target_unit_id=DEPARTMENT)).state
    assert dispatched.chain == (DISTRICT, DEPARTMENT)


def test_a_village_center_hands_a_grid_workers_order_up_to_its_town() -> None:
    state = new_order(VILLAGE_A1)
    for actor in (handler(VILLAGE_A1), grid_worker(VILLAGE_A1)):
        assert Action.RETURN in allowed_actions(state, actor, context(local(2026, 3, 2, 10)))
    new = act(state, grid_worker(VILLAGE_A1), Return(note="需街道处理")).state
    assert new.chain == (TOWN_A,)


def test_only_the_holder_hands_up_and_only_while_it_waits_for_dispatch() -> None:
    state = new_order(TOWN_A)
    when = context(local(2026, 3, 2, 10))
    for outsider in (dispatcher(DISTRICT), dispatcher(VILLAGE_A1), handler(VILLAGE_A1)):
        assert Action.RETURN not in allowed_actions(state, outsider, when)
    with pytest.raises(PermissionDenied):
        act(state, dispatcher(DISTRICT), Return(note="退回"))
    assert return_target(new_order(DISTRICT).chain, ORG) is None
