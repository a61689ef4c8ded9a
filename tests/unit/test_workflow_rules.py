"""Each rule of the work-order life cycle (issue 2, item 5), one example at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tests.unit.world import (
    ADMIN,
    DEPARTMENT,
    DISTRICT,
    INSPECTOR,
    LEADER,
    OFFICE_A,
    ORG,
    TOWN_A,
    TOWN_B,
    TOWN_LEADER,
    UNKNOWN_UNIT,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    act,
    context,
    dispatcher,
    grid_worker,
    handler,
    local,
    new_order,
)
from zhiyun.domain.access import can_view
from zhiyun.domain.deadlines import DeadlineState
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied, ValidationFailed
from zhiyun.domain.workorder import (
    Action,
    Callback,
    Cancel,
    CancelReason,
    Close,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Instruct,
    Merge,
    OrderState,
    OrderStatus,
    OrderType,
    Outcome,
    Redispatch,
    Reply,
    RequestExtension,
    RequestKind,
    RequestSuspension,
    ResolveOnIntake,
    Resume,
    Return,
    Review,
    Satisfaction,
    Sign,
    Supervise,
    Urge,
    Urgency,
    WorkflowPolicy,
    allowed_actions,
    event_label,
    register,
)

MON = local(2026, 3, 2, 9)  # an ordinary Monday morning


def end_of(year: int, month: int, day: int) -> datetime:
    """23:59:59 local time: where a deadline counted in working days ends."""
    return local(year, month, day, 23, 59, 59)


# --------------------------------------------------------------------------- helpers


def at_town(at: datetime = MON) -> OrderState:
    """Registered at the district, dispatched to town A (not yet signed)."""
    state = new_order(DISTRICT, at=at)
    return act(state, dispatcher(DISTRICT), Dispatch(target_unit_id=TOWN_A), at=at + timedelta(hours=1)).state


def at_village(at: datetime = MON) -> OrderState:
    """District → town A → village A1, dispatched to the village (not yet signed)."""
    state = at_town(at)
    state = act(state, dispatcher(TOWN_A), Sign(), at=at + timedelta(hours=2)).state
    return act(
        state, dispatcher(TOWN_A), Dispatch(target_unit_id=VILLAGE_A1), at=at + timedelta(hours=3)
    ).state


def in_progress_at_village(at: datetime = MON) -> OrderState:
    state = at_village(at)
    return act(state, handler(VILLAGE_A1), Sign(), at=at + timedelta(hours=4)).state


def replied_at_village(at: datetime = MON) -> OrderState:
    state = in_progress_at_village(at)
    return act(state, handler(VILLAGE_A1), Reply(note="已清理垃圾"), at=at + timedelta(days=1)).state


def awaiting_callback(at: datetime = MON) -> OrderState:
    state = replied_at_village(at)
    return act(state, dispatcher(TOWN_A), Review(approve=True), at=at + timedelta(days=1, hours=2)).state


# --------------------------------------------------------------------------- register


def test_register_opens_an_order_pending_dispatch_at_the_registering_center() -> None:
    outcome = register(
        center_unit_id=DISTRICT, order_type=OrderType.COMPLAINT, urgency=Urgency.NORMAL, now=MON, note="12345"
    )
    assert outcome.state.status is OrderStatus.PENDING_DISPATCH
    assert outcome.state.chain == (DISTRICT,)
    assert outcome.state.registering_unit_id == DISTRICT
    assert outcome.state.dispatching_unit_id is None
    assert outcome.state.sign_deadline is None and outcome.state.reply_deadline is None
    assert outcome.record.action == "register"
    assert outcome.record.from_status is None
    assert outcome.record.to_status is OrderStatus.PENDING_DISPATCH
    assert outcome.record.to_unit_id == DISTRICT


# --------------------------------------------------------------------------- dispatch


def test_dispatch_sends_order_to_a_child_unit_with_sign_and_reply_deadlines() -> None:
    state = new_order(DISTRICT, at=MON)
    outcome = act(state, dispatcher(DISTRICT), Dispatch(target_unit_id=TOWN_A, note="请处理"), at=MON)

    new = outcome.state
    assert new.status is OrderStatus.DISPATCHED
    assert new.chain == (DISTRICT, TOWN_A)
    assert new.current_unit_id == TOWN_A and new.dispatching_unit_id == DISTRICT
    assert new.first_dispatched_at == MON
    # sign for within 1 working day, reply within 10: both end at 23:59:59 of the last working day
    assert new.sign_deadline is not None and new.sign_deadline.due_at == end_of(2026, 3, 3)
    assert new.reply_deadline is not None and new.reply_deadline.due_at == end_of(2026, 3, 16)
    record = outcome.record
    assert (record.action, record.from_status, record.to_status) == (
        "dispatch",
        OrderStatus.PENDING_DISPATCH,
        OrderStatus.DISPATCHED,
    )
    assert (record.from_unit_id, record.to_unit_id) == (DISTRICT, TOWN_A)
    assert record.note == "请处理"
    assert record.details == {"target_unit_id": TOWN_A}


def test_district_may_dispatch_to_a_department() -> None:
    state = act(new_order(DISTRICT), dispatcher(DISTRICT), Dispatch(target_unit_id=DEPARTMENT)).state
    assert state.status is OrderStatus.DISPATCHED
    assert state.current_unit_id == DEPARTMENT


def test_district_may_dispatch_straight_to_a_village() -> None:
    state = act(new_order(DISTRICT), dispatcher(DISTRICT), Dispatch(target_unit_id=VILLAGE_B1)).state
    assert state.chain == (DISTRICT, VILLAGE_B1)


def test_town_center_dispatches_on_to_a_village_after_signing() -> None:
    state = at_town()
    reply_deadline = state.reply_deadline
    signed = act(state, dispatcher(TOWN_A), Sign(), at=MON + timedelta(hours=2)).state
    assert signed.status is OrderStatus.IN_PROGRESS
    assert Action.DISPATCH in allowed_actions(signed, dispatcher(TOWN_A), context(MON))

    outcome = act(
        signed, dispatcher(TOWN_A), Dispatch(target_unit_id=VILLAGE_A1), at=MON + timedelta(hours=3)
    )

    assert outcome.state.status is OrderStatus.DISPATCHED
    assert outcome.state.chain == (DISTRICT, TOWN_A, VILLAGE_A1)
    assert outcome.state.dispatching_unit_id == TOWN_A
    assert outcome.state.reply_deadline == reply_deadline  # the citizen's clock keeps running
    assert outcome.record.from_unit_id == TOWN_A and outcome.record.to_unit_id == VILLAGE_A1


def test_town_center_may_dispatch_to_its_own_office() -> None:
    signed = act(at_town(), dispatcher(TOWN_A), Sign()).state
    state = act(signed, dispatcher(TOWN_A), Dispatch(target_unit_id=OFFICE_A)).state
    assert state.chain == (DISTRICT, TOWN_A, OFFICE_A)


def test_town_must_sign_before_dispatching_on() -> None:
    with pytest.raises(ActionNotAllowed) as err:
        act(at_town(), dispatcher(TOWN_A), Dispatch(target_unit_id=VILLAGE_A1))
    assert err.value.status == "dispatched"
    assert "sign" in err.value.allowed_actions


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (VILLAGE_B1, "a village of another town"),
        (TOWN_B, "a sibling town"),
        (DISTRICT, "the town's own parent"),
        (TOWN_A, "the town itself"),
        (UNKNOWN_UNIT, "a unit that does not exist"),
    ],
)
def test_dispatch_outside_the_subtree_is_rejected(target: int, why: str) -> None:
    signed = act(at_town(), dispatcher(TOWN_A), Sign()).state
    with pytest.raises(ValidationFailed) as err:
        act(signed, dispatcher(TOWN_A), Dispatch(target_unit_id=target))
    assert err.value.details["field"] == "target_unit_id", why
    assert err.value.http_status == 422


def test_handler_cannot_dispatch() -> None:
    with pytest.raises(PermissionDenied) as err:
        act(new_order(DISTRICT), handler(DISTRICT), Dispatch(target_unit_id=TOWN_A))
    assert err.value.http_status == 403
    assert err.value.details["action"] == "dispatch"
    signed = act(at_town(), handler(TOWN_A), Sign()).state
    assert Action.DISPATCH not in allowed_actions(signed, handler(TOWN_A), context(MON))
    with pytest.raises(PermissionDenied):
        act(signed, handler(TOWN_A), Dispatch(target_unit_id=VILLAGE_A1))


def test_a_unit_without_children_cannot_dispatch_on() -> None:
    state = act(at_village(), dispatcher(VILLAGE_A1), Sign()).state
    with pytest.raises(PermissionDenied):
        act(state, dispatcher(VILLAGE_A1), Dispatch(target_unit_id=VILLAGE_A2))


def test_another_centers_dispatcher_cannot_dispatch_the_order() -> None:
    with pytest.raises(PermissionDenied):
        act(new_order(DISTRICT), dispatcher(TOWN_A), Dispatch(target_unit_id=VILLAGE_A1))


# --------------------------------------------------------------------------- redispatch


def test_redispatch_by_the_dispatching_center_moves_order_to_another_unit() -> None:
    state = at_village()
    later = MON + timedelta(days=1)
    outcome = act(state, dispatcher(TOWN_A), Redispatch(target_unit_id=VILLAGE_A2, note="属地有误"), at=later)

    new = outcome.state
    assert new.status is OrderStatus.DISPATCHED
    assert new.chain == (DISTRICT, TOWN_A, VILLAGE_A2)
    assert new.reply_deadline == state.reply_deadline
    assert new.sign_deadline is not None and new.sign_deadline.due_at == end_of(2026, 3, 4)
    assert outcome.record.details == {"redispatched_by_unit_id": TOWN_A, "previous_unit_id": VILLAGE_A1}
    assert (outcome.record.from_unit_id, outcome.record.to_unit_id) == (VILLAGE_A1, VILLAGE_A2)


def test_redispatch_by_the_district_cuts_the_chain_at_the_district() -> None:
    state = in_progress_at_village()
    new = act(state, dispatcher(DISTRICT), Redispatch(target_unit_id=VILLAGE_B1)).state
    assert new.chain == (DISTRICT, VILLAGE_B1)
    assert new.status is OrderStatus.DISPATCHED


def test_redispatch_by_a_center_the_order_skipped_puts_it_on_the_chain() -> None:
    state = act(new_order(DISTRICT), dispatcher(DISTRICT), Dispatch(target_unit_id=VILLAGE_A1)).state
    new = act(state, dispatcher(TOWN_A), Redispatch(target_unit_id=VILLAGE_A2)).state
    assert new.chain == (DISTRICT, TOWN_A, VILLAGE_A2)


def test_a_center_above_the_registering_center_cannot_redispatch() -> None:
    """An order registered at a town keeps its chain rooted there; the district may still urge it."""
    state = new_order(TOWN_A)
    state = act(state, dispatcher(TOWN_A), Dispatch(target_unit_id=VILLAGE_A1)).state
    assert Action.REDISPATCH not in allowed_actions(state, dispatcher(DISTRICT), context(MON))
    with pytest.raises(PermissionDenied):
        act(state, dispatcher(DISTRICT), Redispatch(target_unit_id=TOWN_A))
    urged = act(state, dispatcher(DISTRICT), Urge())
    assert urged.state.urge_count == 1
    moved = act(state, dispatcher(TOWN_A), Redispatch(target_unit_id=VILLAGE_A2)).state
    assert moved.chain == (TOWN_A, VILLAGE_A2)


def test_holder_cannot_redispatch_its_own_order() -> None:
    with pytest.raises(PermissionDenied):
        act(at_village(), dispatcher(VILLAGE_A1), Redispatch(target_unit_id=VILLAGE_A2))


def test_redispatch_to_the_unit_that_holds_the_order_is_rejected() -> None:
    with pytest.raises(ValidationFailed):
        act(at_village(), dispatcher(TOWN_A), Redispatch(target_unit_id=VILLAGE_A1))


# --------------------------------------------------------------------------- sign


def test_sign_puts_order_in_progress_and_records_whether_on_time() -> None:
    state = at_village()
    on_time = act(state, handler(VILLAGE_A1), Sign(), at=MON + timedelta(hours=5))
    assert on_time.state.status is OrderStatus.IN_PROGRESS
    assert on_time.state.signed_at == MON + timedelta(hours=5)
    assert on_time.record.details == {"on_time": True}
    late = act(state, handler(VILLAGE_A1), Sign(), at=local(2026, 3, 4, 0, 0, 1))
    assert late.record.details == {"on_time": False}


def test_sign_deadline_is_met_once_signed() -> None:
    state = at_village()
    assert state.deadline_states(MON + timedelta(hours=4))[0] is DeadlineState.ON_TIME
    assert state.deadline_states(local(2026, 3, 4, 8))[0] is DeadlineState.OVERDUE
    signed = act(state, grid_worker(VILLAGE_A1), Sign()).state
    assert signed.deadline_states(local(2026, 3, 4, 8))[0] is DeadlineState.MET


def test_only_the_holding_unit_can_sign() -> None:
    state = at_village()
    for outsider in (handler(VILLAGE_A2), dispatcher(TOWN_A), LEADER, INSPECTOR):
        with pytest.raises(PermissionDenied):
            act(state, outsider, Sign())


# --------------------------------------------------------------------------- return


def test_return_sends_order_back_to_the_dispatching_center() -> None:
    state = in_progress_at_village()
    outcome = act(state, handler(VILLAGE_A1), Return(note="不属于本村职责"), at=MON + timedelta(hours=6))

    new = outcome.state
    assert new.status is OrderStatus.PENDING_DISPATCH
    assert new.chain == (DISTRICT, TOWN_A)
    assert new.current_unit_id == TOWN_A
    assert new.return_count == 1
    assert new.sign_deadline is None and new.signed_at is None
    assert new.reply_deadline == state.reply_deadline
    assert outcome.record.from_unit_id == VILLAGE_A1 and outcome.record.to_unit_id == TOWN_A
    assert outcome.record.details == {"returned_by_unit_id": VILLAGE_A1}
    assert outcome.record.note == "不属于本村职责"


def test_return_is_possible_before_signing() -> None:
    new = act(at_village(), handler(VILLAGE_A1), Return(note="地址不在本村")).state
    assert new.status is OrderStatus.PENDING_DISPATCH
    assert new.current_unit_id == TOWN_A


@pytest.mark.parametrize("note", ["", "   "])
def test_return_requires_a_reason(note: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        act(in_progress_at_village(), handler(VILLAGE_A1), Return(note=note))
    assert err.value.details["field"] == "note"


def test_returns_are_counted_per_order_up_the_chain() -> None:
    state = in_progress_at_village()
    state = act(state, handler(VILLAGE_A1), Return(note="非本村")).state
    state = act(state, dispatcher(TOWN_A), Return(note="非本街道")).state
    assert state.chain == (DISTRICT,)
    assert state.return_count == 2
    assert state.status is OrderStatus.PENDING_DISPATCH


def test_the_registering_center_has_nobody_to_return_to() -> None:
    state = new_order(DISTRICT)
    assert Action.RETURN not in allowed_actions(state, dispatcher(DISTRICT), context(MON))
    with pytest.raises(PermissionDenied):
        act(state, dispatcher(DISTRICT), Return(note="退回"))


# --------------------------------------------------------------------------- extension


def _request_extension(state: OrderState, days: int = 5, at: datetime | None = None) -> Outcome:
    assert state.reply_deadline is not None
    new_due = state.reply_deadline.due_at + timedelta(days=days)
    return act(state, handler(VILLAGE_A1), RequestExtension(note="需协调多部门", new_due_at=new_due), at=at)


def test_extension_request_waits_for_the_dispatching_center() -> None:
    state = in_progress_at_village()
    outcome = _request_extension(state)
    new = outcome.state
    assert new.status is OrderStatus.IN_PROGRESS
    assert new.pending is not None and new.pending.kind is RequestKind.EXTENSION
    assert new.pending.requested_by_unit_id == VILLAGE_A1
    assert new.reply_deadline == state.reply_deadline
    # only the center that dispatched it decides; the district cannot
    assert Action.DECIDE_EXTENSION in allowed_actions(new, dispatcher(TOWN_A), context(MON))
    with pytest.raises(PermissionDenied):
        act(new, dispatcher(DISTRICT), DecideExtension(approve=True))
    # one request at a time
    with pytest.raises(PermissionDenied):
        _request_extension(new)


def test_approved_extension_moves_the_reply_deadline() -> None:
    state = _request_extension(in_progress_at_village(), days=5).state
    assert state.reply_deadline is not None and state.pending is not None
    outcome = act(state, dispatcher(TOWN_A), DecideExtension(approve=True))
    new = outcome.state
    assert new.pending is None
    assert new.extension_count == 1
    assert new.reply_deadline is not None
    assert new.reply_deadline.due_at == state.pending.new_due_at == end_of(2026, 3, 21)
    assert new.reply_deadline.budget_seconds > state.reply_deadline.budget_seconds
    assert outcome.record.details["approved"] is True
    assert outcome.record.details["request_reason"] == "需协调多部门"


def test_refused_extension_needs_a_reason_and_keeps_the_deadline() -> None:
    state = _request_extension(in_progress_at_village()).state
    with pytest.raises(ValidationFailed):
        act(state, dispatcher(TOWN_A), DecideExtension(approve=False))
    refused = act(state, dispatcher(TOWN_A), DecideExtension(approve=False, note="期限充足")).state
    assert refused.pending is None
    assert refused.extension_count == 0
    assert refused.reply_deadline == state.reply_deadline


def test_extension_request_needs_a_reason_and_a_later_deadline() -> None:
    state = in_progress_at_village()
    assert state.reply_deadline is not None
    due = state.reply_deadline.due_at
    with pytest.raises(ValidationFailed) as no_reason:
        act(state, handler(VILLAGE_A1), RequestExtension(note=" ", new_due_at=due + timedelta(days=1)))
    assert no_reason.value.details["field"] == "note"
    with pytest.raises(ValidationFailed) as no_date:
        act(state, handler(VILLAGE_A1), RequestExtension(note="需协调"))
    assert no_date.value.details["field"] == "new_due_at"
    with pytest.raises(ValidationFailed) as earlier:
        act(state, handler(VILLAGE_A1), RequestExtension(note="需协调", new_due_at=due - timedelta(days=1)))
    assert earlier.value.details["field"] == "new_due_at"


def test_at_most_two_extensions_by_default() -> None:
    state = in_progress_at_village()
    for expected in (1, 2):
        state = _request_extension(state).state
        state = act(state, dispatcher(TOWN_A), DecideExtension(approve=True)).state
        assert state.extension_count == expected
    assert Action.REQUEST_EXTENSION not in allowed_actions(state, handler(VILLAGE_A1), context(MON))
    with pytest.raises(PermissionDenied):
        _request_extension(state)


def test_the_number_of_extensions_is_policy() -> None:
    policy = WorkflowPolicy(max_extensions=3)
    state = in_progress_at_village()
    for _ in range(3):
        assert state.reply_deadline is not None
        state = act(
            state,
            handler(VILLAGE_A1),
            RequestExtension(note="需协调", new_due_at=state.reply_deadline.due_at + timedelta(days=2)),
            policy=policy,
        ).state
        state = act(state, dispatcher(TOWN_A), DecideExtension(approve=True), policy=policy).state
    assert state.extension_count == 3
    assert Action.REQUEST_EXTENSION not in allowed_actions(state, handler(VILLAGE_A1), context(MON, policy))


# --------------------------------------------------------------------------- suspension


def test_suspension_pauses_the_reply_deadline_which_moves_on_resume() -> None:
    """Suspended Thu 2026-02-12 10:00, resumed Wed 02-25 10:00: 4 working days paused.

    Paused working time: 12th 14 h, 13th, 14th (Saturday make-up workday), 24th, 25th 10 h;
    the Spring Festival days off 15th–23rd do not count.
    """
    start = local(2026, 2, 9, 9)
    state = in_progress_at_village(start)
    assert state.reply_deadline is not None
    # 10 working days from Mon 9 Feb: 10, 11, 12, 13, 14 (Sat, make-up), 24, 25, 26, 27, 28 (Sat, make-up)
    assert state.reply_deadline.due_at == end_of(2026, 2, 28)

    requested = act(
        state, handler(VILLAGE_A1), RequestSuspension(note="等待法院裁定"), at=local(2026, 2, 12, 9)
    )
    assert requested.state.pending is not None and requested.state.pending.kind is RequestKind.SUSPENSION
    assert requested.state.status is OrderStatus.IN_PROGRESS
    suspended = act(
        requested.state, dispatcher(TOWN_A), DecideSuspension(approve=True), at=local(2026, 2, 12, 10)
    ).state
    assert suspended.status is OrderStatus.SUSPENDED
    assert suspended.pending is None
    assert suspended.deadline_states(local(2026, 3, 10))[1] is DeadlineState.PAUSED
    assert set(allowed_actions(suspended, handler(VILLAGE_A1), context(MON))) == {Action.RESUME}
    with pytest.raises(ActionNotAllowed):
        act(suspended, handler(VILLAGE_A1), Reply(note="已办"))

    resumed = act(suspended, handler(VILLAGE_A1), Resume(), at=local(2026, 2, 25, 10))
    assert resumed.state.status is OrderStatus.IN_PROGRESS
    assert resumed.state.suspended_at is None
    assert resumed.state.reply_deadline is not None
    assert resumed.state.reply_deadline.due_at == end_of(2026, 3, 5)
    assert resumed.state.reply_deadline.budget_seconds == state.reply_deadline.budget_seconds
    assert resumed.record.details["paused_seconds"] == (13 * 24) * 3600


def test_the_dispatching_center_may_resume_a_suspended_order() -> None:
    state = act(in_progress_at_village(), handler(VILLAGE_A1), RequestSuspension(note="待鉴定")).state
    state = act(state, dispatcher(TOWN_A), DecideSuspension(approve=True)).state
    assert act(state, dispatcher(TOWN_A), Resume()).state.status is OrderStatus.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        act(state, handler(VILLAGE_A2), Resume())


def test_refused_suspension_needs_a_reason_and_keeps_the_order_in_progress() -> None:
    state = act(in_progress_at_village(), handler(VILLAGE_A1), RequestSuspension(note="待鉴定")).state
    with pytest.raises(ValidationFailed):
        act(state, dispatcher(TOWN_A), DecideSuspension(approve=False))
    refused = act(state, dispatcher(TOWN_A), DecideSuspension(approve=False, note="可先行处置")).state
    assert refused.status is OrderStatus.IN_PROGRESS
    assert refused.pending is None


def test_suspension_request_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed):
        act(in_progress_at_village(), handler(VILLAGE_A1), RequestSuspension(note=""))


# --------------------------------------------------------------------------- reply and review


def test_reply_with_result_waits_for_review() -> None:
    state = in_progress_at_village()
    outcome = act(state, handler(VILLAGE_A1), Reply(note="  已清理垃圾  "), at=MON + timedelta(days=1))
    assert outcome.state.status is OrderStatus.REPLIED
    assert outcome.state.result == "已清理垃圾"
    assert outcome.state.replied_at == MON + timedelta(days=1)
    assert outcome.record.details == {"on_time": True}
    assert outcome.state.deadline_states(local(2026, 4, 1))[1] is DeadlineState.MET
    late = act(state, handler(VILLAGE_A1), Reply(note="已清理"), at=local(2026, 3, 17, 8))
    assert late.record.details == {"on_time": False}


def test_reply_requires_a_result() -> None:
    with pytest.raises(ValidationFailed):
        act(in_progress_at_village(), handler(VILLAGE_A1), Reply(note=""))


def test_review_approve_sends_order_to_callback() -> None:
    outcome = act(replied_at_village(), dispatcher(TOWN_A), Review(approve=True))
    assert outcome.state.status is OrderStatus.AWAITING_CALLBACK
    assert outcome.record.details == {"approved": True}


def test_only_the_dispatching_center_reviews() -> None:
    state = replied_at_village()
    for outsider in (dispatcher(DISTRICT), handler(VILLAGE_A1), dispatcher(TOWN_B), LEADER):
        with pytest.raises(PermissionDenied):
            act(state, outsider, Review(approve=True))


def test_review_reject_sends_order_back_for_rework_at_the_same_unit() -> None:
    state = replied_at_village()
    with pytest.raises(ValidationFailed):
        act(state, dispatcher(TOWN_A), Review(approve=False))
    outcome = act(state, dispatcher(TOWN_A), Review(approve=False, note="现场仍有垃圾"))
    new = outcome.state
    assert new.status is OrderStatus.IN_PROGRESS
    assert new.current_unit_id == VILLAGE_A1
    assert new.chain == state.chain
    assert new.rework_count == 1
    assert new.replied_at is None
    assert outcome.record.details == {"approved": False, "rework": True}
    assert act(new, handler(VILLAGE_A1), Reply(note="已彻底清理")).state.status is OrderStatus.REPLIED


# --------------------------------------------------------------------------- callback


@pytest.mark.parametrize("rating", [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED])
def test_satisfied_callback_closes_the_order(rating: Satisfaction) -> None:
    closed_at = MON + timedelta(days=2)
    outcome = act(awaiting_callback(), dispatcher(DISTRICT), Callback(satisfaction=rating), at=closed_at)
    assert outcome.state.status is OrderStatus.CLOSED
    assert outcome.state.satisfaction is rating
    assert outcome.state.closed_at == closed_at
    assert outcome.record.details == {"satisfaction": rating.value}


def test_unsatisfied_callback_reopens_once_then_the_rating_stands() -> None:
    state = awaiting_callback()
    reopen_at = MON + timedelta(days=2)
    reopened = act(state, INSPECTOR, Callback(satisfaction=Satisfaction.UNSATISFIED), at=reopen_at)
    new = reopened.state
    assert reopened.record.details == {"satisfaction": "unsatisfied", "reopened": True}
    assert new.status is OrderStatus.DISPATCHED
    assert new.chain == state.chain and new.current_unit_id == VILLAGE_A1
    assert new.reopen_count == 1
    assert new.satisfaction is None and new.replied_at is None
    # the reopened order has fresh deadlines counted from the reopening
    assert new.reply_deadline is not None and new.reply_deadline.due_at == end_of(2026, 3, 18)

    new = act(new, handler(VILLAGE_A1), Sign(), at=reopen_at).state
    new = act(new, handler(VILLAGE_A1), Reply(note="再次处理"), at=reopen_at).state
    new = act(new, dispatcher(TOWN_A), Review(approve=True), at=reopen_at).state
    closed = act(new, INSPECTOR, Callback(satisfaction=Satisfaction.UNSATISFIED), at=reopen_at).state
    assert closed.status is OrderStatus.CLOSED
    assert closed.satisfaction is Satisfaction.UNSATISFIED
    assert closed.reopen_count == 1


def test_unsatisfied_callback_on_an_order_resolved_on_intake_reopens_at_the_center() -> None:
    state = act(new_order(DISTRICT), dispatcher(DISTRICT), ResolveOnIntake(note="已告知办理流程")).state
    reopened = act(state, dispatcher(DISTRICT), Callback(satisfaction=Satisfaction.UNSATISFIED)).state
    assert reopened.status is OrderStatus.PENDING_DISPATCH
    assert reopened.chain == (DISTRICT,)


def test_the_number_of_reopens_is_policy() -> None:
    closed = act(
        awaiting_callback(),
        INSPECTOR,
        Callback(satisfaction=Satisfaction.UNSATISFIED),
        policy=WorkflowPolicy(max_reopens=0),
    ).state
    assert closed.status is OrderStatus.CLOSED
    assert closed.satisfaction is Satisfaction.UNSATISFIED


def test_unreachable_three_times_closes_as_unreachable() -> None:
    state = awaiting_callback()
    for attempt in (1, 2):
        outcome = act(state, INSPECTOR, Callback(satisfaction=Satisfaction.UNREACHABLE))
        state = outcome.state
        assert state.status is OrderStatus.AWAITING_CALLBACK
        assert state.callback_attempts == attempt
        assert outcome.record.details == {"satisfaction": "unreachable", "attempt": attempt}
    closed = act(state, INSPECTOR, Callback(satisfaction=Satisfaction.UNREACHABLE)).state
    assert closed.status is OrderStatus.CLOSED
    assert closed.satisfaction is Satisfaction.UNREACHABLE
    assert closed.callback_attempts == 3


def test_callback_is_for_the_registering_side_and_inspectors() -> None:
    state = awaiting_callback()  # registered at the district
    for allowed in (dispatcher(DISTRICT), INSPECTOR, ADMIN):
        assert Action.CALLBACK in allowed_actions(state, allowed, context(MON))
    for outsider in (dispatcher(TOWN_A), handler(VILLAGE_A1), LEADER):
        with pytest.raises(PermissionDenied):
            act(state, outsider, Callback())


def test_close_archives_an_order_awaiting_callback() -> None:
    outcome = act(awaiting_callback(), dispatcher(DISTRICT), Close(note="来电人表示无需回访"))
    assert outcome.state.status is OrderStatus.CLOSED
    assert outcome.state.closed_at is not None


# --------------------------------------------------------------------------- resolve on intake


def test_resolve_on_intake_goes_straight_to_callback() -> None:
    state = new_order(DISTRICT, order_type=OrderType.CONSULT)
    outcome = act(state, dispatcher(DISTRICT), ResolveOnIntake(note="已告知社保查询方式"))
    assert outcome.state.status is OrderStatus.AWAITING_CALLBACK
    assert outcome.state.result == "已告知社保查询方式"
    assert outcome.state.replied_at is not None
    assert outcome.state.chain == (DISTRICT,)
    assert outcome.record.from_unit_id == outcome.record.to_unit_id == DISTRICT


def test_resolve_on_intake_needs_an_answer_and_the_registering_dispatcher() -> None:
    state = new_order(DISTRICT)
    with pytest.raises(ValidationFailed):
        act(state, dispatcher(DISTRICT), ResolveOnIntake(note=""))
    with pytest.raises(PermissionDenied):
        act(state, handler(DISTRICT), ResolveOnIntake(note="答复"))


def test_an_order_once_dispatched_cannot_be_resolved_on_intake() -> None:
    returned = act(at_town(), dispatcher(TOWN_A), Return(note="非本街道")).state
    assert returned.chain == (DISTRICT,)
    with pytest.raises(PermissionDenied):
        act(returned, dispatcher(DISTRICT), ResolveOnIntake(note="答复"))


# --------------------------------------------------------------------------- cancel and merge


def test_cancel_with_reason_ends_the_order() -> None:
    outcome = act(
        new_order(DISTRICT), dispatcher(DISTRICT), Cancel(note="重复骚扰来电", reason=CancelReason.HARASSMENT)
    )
    assert outcome.state.status is OrderStatus.CANCELLED
    assert outcome.state.cancel_reason is CancelReason.HARASSMENT
    assert outcome.state.closed_at is not None
    assert outcome.record.details == {"reason": "harassment"}


def test_cancel_needs_an_explanation() -> None:
    with pytest.raises(ValidationFailed):
        act(new_order(DISTRICT), dispatcher(DISTRICT), Cancel(note="", reason=CancelReason.INVALID))


def test_the_registering_center_may_cancel_while_the_order_is_below() -> None:
    state = in_progress_at_village()
    outcome = act(state, dispatcher(DISTRICT), Cancel(note="非受理范围", reason=CancelReason.OUT_OF_SCOPE))
    assert outcome.state.status is OrderStatus.CANCELLED
    for outsider in (handler(VILLAGE_A1), dispatcher(TOWN_A), LEADER):
        with pytest.raises(PermissionDenied):
            act(state, outsider, Cancel(note="x"))


def test_merge_marks_the_order_as_a_duplicate_of_its_master() -> None:
    outcome = act(
        new_order(DISTRICT), dispatcher(DISTRICT), Merge(note="与 NH202603020001 重复", master_id=41)
    )
    assert outcome.state.status is OrderStatus.MERGED
    assert outcome.state.master_id == 41
    assert outcome.record.details == {"master_id": 41}
    with pytest.raises(ValidationFailed):
        act(new_order(DISTRICT), dispatcher(DISTRICT), Merge(master_id=0))


@pytest.mark.parametrize(
    "ended",
    [
        lambda: act(awaiting_callback(), INSPECTOR, Callback()).state,
        lambda: act(new_order(), dispatcher(DISTRICT), Cancel(note="无效")).state,
        lambda: act(new_order(), dispatcher(DISTRICT), Merge(master_id=3)).state,
    ],
    ids=["closed", "cancelled", "merged"],
)
def test_an_ended_order_allows_nothing(ended: Callable[[], OrderState]) -> None:
    state = ended()
    for actor in (ADMIN, LEADER, dispatcher(DISTRICT), INSPECTOR):
        assert allowed_actions(state, actor, context(MON)) == []
    for command in (Urge(), Supervise(note="督办"), Dispatch(target_unit_id=TOWN_A), Callback()):
        with pytest.raises(ActionNotAllowed) as err:
            act(state, ADMIN, command)
        assert err.value.status == state.status.value
        assert err.value.allowed_actions == []


# --------------------------------------------------------------------------- oversight


def test_leader_supervises_urges_and_instructs() -> None:
    state = in_progress_at_village()
    supervised = act(state, LEADER, Supervise(note="请三天内办结")).state
    assert supervised.supervised is True
    urged = act(supervised, LEADER, Urge()).state
    urged = act(urged, TOWN_LEADER, Urge()).state
    assert urged.urge_count == 2
    instructed = act(urged, LEADER, Instruct(note="务必妥善处理，举一反三")).state
    assert instructed.has_instruction is True
    assert instructed.status is OrderStatus.IN_PROGRESS  # oversight does not move the order


def test_supervision_and_instruction_need_text() -> None:
    state = in_progress_at_village()
    with pytest.raises(ValidationFailed):
        act(state, LEADER, Supervise(note=""))
    with pytest.raises(ValidationFailed):
        act(state, LEADER, Instruct(note=" "))


def test_centers_above_the_holder_may_supervise_and_urge_but_not_instruct() -> None:
    state = in_progress_at_village()
    for center in (dispatcher(DISTRICT), dispatcher(TOWN_A)):
        assert act(state, center, Urge()).state.urge_count == 1
        assert act(state, center, Supervise(note="督办")).state.supervised
        with pytest.raises(PermissionDenied):
            act(state, center, Instruct(note="批示"))


def test_the_holder_and_other_units_cannot_urge() -> None:
    state = in_progress_at_village()
    for outsider in (handler(VILLAGE_A1), dispatcher(VILLAGE_A1), dispatcher(TOWN_B), handler(TOWN_A)):
        with pytest.raises(PermissionDenied):
            act(state, outsider, Urge())


def test_oversight_works_in_every_open_status() -> None:
    for state in (
        new_order(),
        at_village(),
        in_progress_at_village(),
        replied_at_village(),
        awaiting_callback(),
    ):
        assert {Action.SUPERVISE, Action.URGE, Action.INSTRUCT} <= set(
            allowed_actions(state, LEADER, context(MON))
        )


# --------------------------------------------------------------------------- scoping


def test_a_village_handler_cannot_act_on_another_villages_order() -> None:
    state = at_village()  # held by village A1
    neighbour = handler(VILLAGE_A2)
    assert allowed_actions(state, neighbour, context(MON)) == []
    for command in (Sign(), Return(note="退回")):
        with pytest.raises(PermissionDenied):
            act(state, neighbour, command)
    signed = act(state, handler(VILLAGE_A1), Sign()).state
    with pytest.raises(PermissionDenied):
        act(signed, neighbour, Reply(note="已办"))


def test_a_village_cannot_view_another_villages_order() -> None:
    state = at_village()
    involved = state.chain
    assert can_view(handler(VILLAGE_A1), involved, ORG)
    assert not can_view(handler(VILLAGE_A2), involved, ORG)
    assert not can_view(grid_worker(VILLAGE_B1), involved, ORG)
    assert not can_view(dispatcher(VILLAGE_A2), involved, ORG)
    assert can_view(dispatcher(TOWN_A), involved, ORG)
    assert not can_view(dispatcher(TOWN_B), involved, ORG)
    assert can_view(LEADER, involved, ORG)


# --------------------------------------------------------------------------- 409


def test_action_not_allowed_carries_the_status_and_the_allowed_actions() -> None:
    state = replied_at_village()
    with pytest.raises(ActionNotAllowed) as err:
        act(state, dispatcher(TOWN_A), Sign())
    error = err.value
    assert error.http_status == 409
    assert error.code == "action_not_allowed"
    assert error.status == "replied"
    assert error.details["status"] == "replied"
    assert error.allowed_actions == ["review", "supervise", "urge"]
    assert error.details["allowed_actions"] == error.allowed_actions

    with pytest.raises(ActionNotAllowed) as again:
        act(state, handler(VILLAGE_A1), Reply(note="再次回复"))
    assert again.value.status == "replied"
    assert again.value.allowed_actions == []


def test_permission_denied_lists_what_the_actor_may_do_instead() -> None:
    with pytest.raises(PermissionDenied) as err:
        act(in_progress_at_village(), LEADER, Reply(note="代办"))
    assert sorted(err.value.details["allowed_actions"]) == ["instruct", "supervise", "urge"]


# --------------------------------------------------------------------------- urgent orders


def test_urgent_order_deadlines_run_on_the_wall_clock_through_holidays() -> None:
    national_day = local(2026, 10, 1, 10)
    state = new_order(DISTRICT, at=national_day, urgency=Urgency.URGENT)
    state = act(state, dispatcher(DISTRICT), Dispatch(target_unit_id=TOWN_A), at=national_day).state
    assert state.sign_deadline is not None and state.reply_deadline is not None
    assert state.sign_deadline.due_at == local(2026, 10, 1, 11)
    assert state.reply_deadline.due_at == local(2026, 10, 2, 10)


def test_event_labels_cover_actions_and_system_events() -> None:
    assert event_label("dispatch") == "派单"
    assert event_label("deadline_overdue") == "超时"
    assert event_label("recategorize") == "修改分类"
    assert event_label("something_else") == "something_else"
    assert OrderStatus.AWAITING_CALLBACK.label == "待回访"
    assert OrderStatus.CLOSED.is_terminal and not OrderStatus.SUSPENDED.is_terminal
