"""From a grid hazard to a work order, the pure rules (domain/grid_hazards.py): what a re-check
does in each order status, rectification deadlines, who reports, re-checks and sets deadlines,
what counts as solved in the village, and the share 就地解决率."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.world import (
    ADMIN,
    DEPARTMENT,
    INSPECTOR,
    LEADER,
    OFFICE_A,
    ORG,
    TOWN_A,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    act,
    agent,
    context,
    dispatcher,
    grid_worker,
    handler,
    new_order,
)
from zhiyun.domain.grid import GridPlace, GridPost, WorkerKind
from zhiyun.domain.grid_hazards import (
    HazardStatus,
    LocalFigures,
    RecheckStep,
    is_overdue,
    may_recheck,
    may_report_in_grid,
    may_set_rectification,
    recheck_plan,
    rectify_deadline,
    solved_in_village,
)
from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder import (
    Action,
    Callback,
    Close,
    OrderStatus,
    ResolveOnIntake,
    Satisfaction,
    allowed_actions,
)

GRID = GridPlace(11, VILLAGE_A1)
OTHER_GRID = GridPlace(12, VILLAGE_A1)
FAR_GRID = GridPlace(21, VILLAGE_B1)
POST = GridPost(VILLAGE_A1, 11, WorkerKind.FULL_TIME)
CHIEF = GridPost(VILLAGE_A1, None, WorkerKind.CHIEF)
RECHECK = Actor.system("网格复查")


# --------------------------------------------------------------------------- the re-check


def _plan(status: OrderStatus, fixed: bool, reopens: int = 0) -> tuple[RecheckStep, HazardStatus]:
    plan = recheck_plan(status, fixed, reopen_count=reopens, max_reopens=1)
    return plan.step, plan.status


def test_a_fixed_recheck_closes_an_order_awaiting_its_callback() -> None:
    assert _plan(OrderStatus.AWAITING_CALLBACK, True) == (RecheckStep.CLOSE, HazardStatus.FIXED)


def test_an_unfixed_recheck_reopens_an_order_awaiting_its_callback_while_reopens_remain() -> None:
    assert _plan(OrderStatus.AWAITING_CALLBACK, False) == (RecheckStep.REOPEN, HazardStatus.UNFIXED)
    assert _plan(OrderStatus.AWAITING_CALLBACK, False, reopens=1) == (
        RecheckStep.NOTHING,
        HazardStatus.UNFIXED,
    )


@pytest.mark.parametrize(
    "status",
    [
        OrderStatus.PENDING_DISPATCH,
        OrderStatus.DISPATCHED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.SUSPENDED,
        OrderStatus.REPLIED,
    ],
)
def test_a_recheck_leaves_an_order_still_being_handled_to_its_holder(status: OrderStatus) -> None:
    assert _plan(status, True) == (RecheckStep.NOTHING, HazardStatus.FIXED)
    assert _plan(status, False) == (RecheckStep.NOTHING, HazardStatus.UNFIXED)


@pytest.mark.parametrize("status", [OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.MERGED])
def test_a_hazard_still_there_after_its_order_ended_is_reported_again(status: OrderStatus) -> None:
    assert _plan(status, True) == (RecheckStep.NOTHING, HazardStatus.FIXED)
    assert _plan(status, False) == (RecheckStep.FOLLOW_UP, HazardStatus.SUPERSEDED)


def test_every_order_status_has_a_recheck_rule() -> None:
    for status in OrderStatus:
        for fixed in (True, False):
            assert recheck_plan(status, fixed, reopen_count=0, max_reopens=1).reason


def test_the_recheck_steps_are_the_system_principals_on_an_order_the_village_solved_at_intake() -> None:
    order = new_order(VILLAGE_A1)
    resolved = act(order, dispatcher(VILLAGE_A1), ResolveOnIntake(note="已当场整改")).state
    assert resolved.status is OrderStatus.AWAITING_CALLBACK
    ctx = context(resolved.registered_at)
    assert {Action.CLOSE, Action.CALLBACK} <= set(allowed_actions(resolved, RECHECK, ctx))
    assert act(resolved, RECHECK, Close(note="复查已整改")).state.status is OrderStatus.CLOSED
    reopened = act(
        resolved, RECHECK, Callback(satisfaction=Satisfaction.UNSATISFIED, note="复查未整改")
    ).state
    assert reopened.status is OrderStatus.PENDING_DISPATCH and reopened.chain == (VILLAGE_A1,)
    # the system still takes no other person's action
    assert Action.RESOLVE_ON_INTAKE not in allowed_actions(order, RECHECK, ctx)


def test_the_hazard_statuses_that_are_open_are_rechecked_again() -> None:
    assert {s for s in HazardStatus if s.is_open} == {HazardStatus.OPEN, HazardStatus.UNFIXED}
    assert all(s.label and s.colour for s in HazardStatus)


# --------------------------------------------------------------------------- rectification


def test_a_default_rectification_period_counts_calendar_days_from_the_day_found() -> None:
    assert rectify_deadline(date(2026, 12, 7), 7) == date(2026, 12, 14)
    assert rectify_deadline(date(2026, 12, 7), None) is None
    with pytest.raises(ValueError):
        rectify_deadline(date(2026, 12, 7), 0)


def test_an_open_hazard_is_overdue_after_its_deadline_day_and_a_fixed_one_never() -> None:
    deadline = date(2026, 12, 14)
    assert not is_overdue(HazardStatus.OPEN, deadline, date(2026, 12, 14))
    assert is_overdue(HazardStatus.OPEN, deadline, date(2026, 12, 15))
    assert is_overdue(HazardStatus.UNFIXED, deadline, date(2026, 12, 15))
    assert not is_overdue(HazardStatus.FIXED, deadline, date(2027, 1, 1))
    assert not is_overdue(HazardStatus.OPEN, None, date(2027, 1, 1))


# --------------------------------------------------------------------------- who


def test_a_grid_worker_reports_and_rechecks_only_in_the_grids_of_their_posts() -> None:
    worker = grid_worker(VILLAGE_A1)
    assert may_report_in_grid(worker, GRID, ORG, [POST])
    assert may_recheck(worker, GRID, ORG, [POST])
    assert not may_report_in_grid(worker, OTHER_GRID, ORG, [POST])
    assert not may_recheck(worker, OTHER_GRID, ORG, [POST])
    assert not may_recheck(worker, FAR_GRID, ORG, [POST])
    # a chief's post covers every grid of the village, and no other village's
    assert may_recheck(worker, OTHER_GRID, ORG, [CHIEF])
    assert not may_recheck(worker, FAR_GRID, ORG, [CHIEF])


@pytest.mark.parametrize(
    "actor", [dispatcher(VILLAGE_A1), handler(VILLAGE_A1), ADMIN, LEADER, INSPECTOR, RECHECK]
)
def test_only_grid_workers_report_and_recheck(actor: Actor) -> None:
    assert not may_report_in_grid(actor, GRID, ORG, [POST])
    assert not may_recheck(actor, GRID, ORG, [POST])


def test_the_village_or_a_center_above_it_sets_the_rectification_deadline() -> None:
    assert may_set_rectification(dispatcher(VILLAGE_A1), VILLAGE_A1, ORG)
    assert may_set_rectification(agent(VILLAGE_A1), VILLAGE_A1, ORG)
    assert may_set_rectification(dispatcher(TOWN_A), VILLAGE_A1, ORG)
    assert may_set_rectification(ADMIN, VILLAGE_A1, ORG)
    assert not may_set_rectification(dispatcher(VILLAGE_A2), VILLAGE_A1, ORG)
    assert not may_set_rectification(dispatcher(DEPARTMENT), VILLAGE_A1, ORG)
    assert not may_set_rectification(handler(VILLAGE_A1), VILLAGE_A1, ORG)
    assert not may_set_rectification(grid_worker(VILLAGE_A1), VILLAGE_A1, ORG)
    assert not may_set_rectification(LEADER, VILLAGE_A1, ORG)


# --------------------------------------------------------------------------- figures


def test_an_order_is_solved_in_the_village_when_closed_without_ever_leaving_it() -> None:
    assert solved_in_village(OrderStatus.CLOSED, VILLAGE_A1, {VILLAGE_A1}, ORG)
    assert not solved_in_village(OrderStatus.CLOSED, VILLAGE_A1, {VILLAGE_A1, TOWN_A}, ORG)
    assert not solved_in_village(OrderStatus.CLOSED, VILLAGE_A1, {VILLAGE_A1, TOWN_A, OFFICE_A}, ORG)
    assert not solved_in_village(OrderStatus.AWAITING_CALLBACK, VILLAGE_A1, {VILLAGE_A1}, ORG)
    assert not solved_in_village(OrderStatus.MERGED, VILLAGE_A1, {VILLAGE_A1}, ORG)


def test_the_share_is_solved_in_the_village_over_closed_and_figures_add_up() -> None:
    assert LocalFigures().share is None and LocalFigures().share_text == "—"
    a = LocalFigures(
        registered=6, closed=5, solved_in_village=4, hazards_found=6, hazards_fixed=4, hazards_open=2
    )
    b = LocalFigures(registered=2, closed=0, hazards_found=2, hazards_open=2, hazards_overdue=1)
    assert a.share == pytest.approx(0.8) and a.share_text == "80.0%"
    total = a + b
    assert (total.registered, total.closed, total.solved_in_village, total.share) == (
        8,
        5,
        4,
        pytest.approx(0.8),
    )
    assert (total.hazards_found, total.hazards_open, total.hazards_overdue) == (8, 4, 1)
