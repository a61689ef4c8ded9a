"""System events: the changes to an order no life-cycle command makes, built by the domain.

`record_event` is to updates from a channel, duplicate flags and their dismissal, category
changes, files and the sweep's alerts what `apply` is to commands: the new state and the
one audit record, with the same words the trail always had. `import_record` does the same
for an order taken over from an export.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from tests.unit.world import (
    ADMIN,
    DISTRICT,
    TOWN_A,
    VILLAGE_A1,
    act,
    context,
    dispatcher,
    handler,
    local,
    new_order,
)
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied, ValidationFailed
from zhiyun.domain.workorder import (
    ORDER_EVENTS,
    SYSTEM_ONLY_EVENTS,
    AlertLevel,
    Attach,
    Cancel,
    ChannelUpdate,
    DeadlineAlert,
    DeadlineKind,
    DecideExtension,
    DismissDuplicate,
    Dispatch,
    Event,
    FlagDuplicate,
    Merge,
    OrderState,
    OrderStatus,
    OrderType,
    Recategorize,
    RequestExtension,
    Satisfaction,
    SetRectification,
    Sign,
    SystemEvent,
    TransitionRecord,
    Urgency,
    event_label,
    import_chain,
    import_record,
    imported,
    record_event,
)

MON_9 = local(2026, 3, 2, 9)  # an ordinary Monday morning
SYSTEM = Actor.system("12345接口")
SWEEP = Actor.system("时限监控")
CANDIDATES = (
    {"number": "NH202611260001", "score": 0.71, "decision": "flag"},
    {"number": None, "score": 0.52, "decision": "flag"},  # a candidate the reader may not see
)


def dispatched(at: datetime = MON_9) -> OrderState:
    """Registered at the district, dispatched to town A at 10:00 (sign-for due the next working day)."""
    return act(new_order(DISTRICT, at=at), dispatcher(DISTRICT), Dispatch(target_unit_id=TOWN_A)).state


def record(
    state: OrderState, event: Event, actor: Actor = SYSTEM, at: datetime | None = None
) -> tuple[OrderState, TransitionRecord]:
    outcome = record_event(state, event, actor, context(at or state.registered_at + timedelta(hours=2)))
    return outcome.state, outcome.record


# --------------------------------------------------------------------------- every event


EXAMPLES: dict[SystemEvent, tuple[Event, Actor]] = {
    SystemEvent.UPDATE: (ChannelUpdate(changes={"content": "又坏了一盏"}), SYSTEM),
    SystemEvent.ATTACH: (Attach("现场照片.png", "ab" * 32, 68, "image/png"), handler(TOWN_A)),
    SystemEvent.FLAG_DUPLICATE: (FlagDuplicate(candidates=CANDIDATES), SYSTEM),
    SystemEvent.RECATEGORIZE: (Recategorize("CG01", path="城市管理 / 市容环境"), dispatcher(DISTRICT)),
    SystemEvent.SET_RECTIFICATION: (SetRectification(date(2026, 3, 9), date(2026, 3, 6)), dispatcher(TOWN_A)),
    SystemEvent.DEADLINE_WARNING: (DeadlineAlert(DeadlineKind.SIGN, AlertLevel.WARNING), SWEEP),
}


@pytest.mark.parametrize("kind", list(EXAMPLES), ids=str)
def test_each_event_leaves_the_status_and_the_holder_and_makes_one_record_named_for_it(
    kind: SystemEvent,
) -> None:
    event, actor = EXAMPLES[kind]
    state = dispatched()
    when = state.sign_deadline.warn_at if state.sign_deadline else None
    new, rec = record(state, event, actor, at=when)
    assert event.kind is kind
    assert new.status is state.status and new.chain == state.chain
    assert rec.action == kind.value and event_label(rec.action) == kind.label
    assert (rec.from_status, rec.to_status) == (state.status, state.status)
    assert rec.from_unit_id == rec.to_unit_id == state.current_unit_id


def test_every_system_event_is_described_in_the_events_table_or_is_an_import() -> None:
    described = {event for (_status, event) in ORDER_EVENTS.rows}
    assert described | {SystemEvent.IMPORT} == set(SystemEvent)


def test_a_person_may_not_record_what_only_the_system_records() -> None:
    state = dispatched()
    assert state.sign_deadline is not None
    events = [EXAMPLES[SystemEvent.UPDATE][0], EXAMPLES[SystemEvent.FLAG_DUPLICATE][0]]
    events += [DeadlineAlert(DeadlineKind.SIGN, level) for level in (AlertLevel.WARNING, AlertLevel.OVERDUE)]
    assert {e.kind for e in events} == SYSTEM_ONLY_EVENTS - {SystemEvent.IMPORT}
    for event in events:
        for person in (dispatcher(DISTRICT), ADMIN):
            with pytest.raises(PermissionDenied):
                record(state, event, person, at=state.sign_deadline.due_at)


def test_an_ended_order_takes_only_updates_from_its_channel() -> None:
    state = act(new_order(DISTRICT), dispatcher(DISTRICT), Cancel(note="重复来电")).state
    new, rec = record(state, ChannelUpdate(changes={"title": "路灯"}, first_message=True))
    assert rec.to_status is OrderStatus.CANCELLED and new == state
    for kind in (SystemEvent.ATTACH, SystemEvent.FLAG_DUPLICATE, SystemEvent.RECATEGORIZE):
        event, actor = EXAMPLES[kind]
        with pytest.raises(ActionNotAllowed) as refused:
            record(state, event, actor)
        assert refused.value.status == "cancelled"


# --------------------------------------------------------------------------- the words of each record


def test_an_update_from_a_channel_records_what_changed_in_the_words_the_trail_always_had() -> None:
    state = new_order(DISTRICT)
    _, repeat = record(state, ChannelUpdate(changes={"content": "又坏了一盏"}))
    assert repeat.note == "渠道重复推送且内容有变化，已记录为诉求更新"
    assert repeat.details == {"changes": {"content": "又坏了一盏"}}
    _, first = record(state, ChannelUpdate(changes={}, first_message=True))
    assert first.note == "渠道推送了该编号的报文（工单由其他途径先行登记），已记录为诉求更新"
    assert first.details == {"changes": {}}


def test_a_duplicate_flag_marks_the_order_and_counts_the_candidates_it_can_name() -> None:
    state = new_order(DISTRICT)
    new, rec = record(state, FlagDuplicate(candidates=CANDIDATES))
    assert new.possible_duplicate and not state.possible_duplicate
    assert rec.note == "疑似重复：1 件候选工单，待派单员确认"
    assert rec.details == {"candidates": [dict(c) for c in CANDIDATES]}
    with pytest.raises(ValidationFailed):
        record(state, FlagDuplicate(candidates=()))


def test_dismissing_a_flag_clears_it_and_without_a_flag_there_is_nothing_to_dismiss() -> None:
    flagged, _ = record(new_order(DISTRICT), FlagDuplicate(candidates=CANDIDATES))
    cleared, rec = record(flagged, DismissDuplicate(), dispatcher(DISTRICT))
    assert not cleared.possible_duplicate
    assert (rec.note, rec.details) == ("经核实不是重复件", {})
    _, noted = record(flagged, DismissDuplicate(note="地点不同"), dispatcher(DISTRICT))
    assert noted.note == "地点不同"
    with pytest.raises(ValidationFailed) as refused:
        record(cleared, DismissDuplicate(), dispatcher(DISTRICT))
    assert refused.value.details["field"] == "possible_duplicate"


def test_merging_a_flagged_order_settles_its_flag_in_the_same_change() -> None:
    flagged, _ = record(new_order(DISTRICT), FlagDuplicate(candidates=CANDIDATES))
    merged = act(flagged, dispatcher(DISTRICT), Merge(master_id=42, note="确认为重复件")).state
    assert merged.status is OrderStatus.MERGED and not merged.possible_duplicate


def test_a_category_change_records_from_and_to_and_says_so_unless_the_dispatcher_did() -> None:
    state = replace(new_order(DISTRICT), category_code="HB")
    new, rec = record(state, Recategorize("CG01", path="城市管理 / 市容环境"), dispatcher(DISTRICT))
    assert new.category_code == "CG01"
    assert rec.note == "分类由 HB 改为 城市管理 / 市容环境" and rec.details == {"from": "HB", "to": "CG01"}
    _, first = record(new_order(DISTRICT), Recategorize("CG01", path="城市管理 / 市容环境"), ADMIN)
    assert first.note == "分类由 未分类 改为 城市管理 / 市容环境"
    _, own = record(state, Recategorize("CG01", note="  按权责清单改  "), ADMIN)
    assert own.note == "按权责清单改"
    with pytest.raises(ValidationFailed):
        record(new, Recategorize("CG01"), ADMIN)


def test_a_rectification_deadline_records_from_and_to_and_the_same_date_changes_nothing() -> None:
    _, rec = record(dispatched(), SetRectification(date(2026, 3, 9), date(2026, 3, 6)), dispatcher(TOWN_A))
    assert rec.note == "整改期限定为 2026-03-09（原 2026-03-06）"
    assert rec.details == {"from": "2026-03-06", "to": "2026-03-09"}
    _, first = record(dispatched(), SetRectification(date(2026, 3, 9)), dispatcher(TOWN_A))
    assert first.note == "整改期限定为 2026-03-09" and first.details["from"] is None
    with pytest.raises(ValidationFailed, match="没有变化"):
        record(dispatched(), SetRectification(date(2026, 3, 9), date(2026, 3, 9)), dispatcher(TOWN_A))


def test_a_file_is_recorded_by_its_name_with_its_hash_size_and_type() -> None:
    _, rec = record(dispatched(), Attach("现场照片.png", "ab" * 32, 68, "image/png"), handler(TOWN_A))
    assert rec.note == "现场照片.png"
    assert rec.details == {"sha256": "ab" * 32, "size": 68, "content_type": "image/png"}


# --------------------------------------------------------------------------- deadline alerts


def test_the_sweep_warns_then_marks_overdue_each_once_with_the_deadline_it_means() -> None:
    state = dispatched()
    sign = state.sign_deadline
    assert sign is not None
    warned, warning = record(
        state, DeadlineAlert(DeadlineKind.SIGN, AlertLevel.WARNING), SWEEP, at=sign.warn_at
    )
    assert warned.sign_alert is AlertLevel.WARNING and warned.reply_alert is AlertLevel.NONE
    assert (warning.action, warning.note) == ("deadline_warning", "签收期限将至")
    assert warning.details == {"deadline": "sign", "due_at": sign.due_at.isoformat()}
    overdue_alert = DeadlineAlert(DeadlineKind.SIGN, AlertLevel.OVERDUE)
    over, overdue = record(warned, overdue_alert, SWEEP, at=sign.due_at)
    assert over.sign_alert is AlertLevel.OVERDUE
    assert (overdue.action, overdue.note) == ("deadline_overdue", "签收期限已过")
    for again in (warning, overdue):
        alert = DeadlineAlert(DeadlineKind.SIGN, AlertLevel(again.action.removeprefix("deadline_")))
        with pytest.raises(ValidationFailed):
            record(over, alert, SWEEP, at=sign.due_at + timedelta(days=1))


def test_an_alert_before_its_time_or_on_a_deadline_that_is_not_running_is_refused() -> None:
    state = dispatched()
    assert state.sign_deadline is not None
    too_early = state.sign_deadline.warn_at - timedelta(seconds=1)
    with pytest.raises(ValidationFailed):
        record(state, DeadlineAlert(DeadlineKind.SIGN, AlertLevel.WARNING), SWEEP, at=too_early)
    signed = act(state, dispatcher(TOWN_A), Sign()).state  # the sign-for deadline is met
    with pytest.raises(ValidationFailed):
        record(
            signed, DeadlineAlert(DeadlineKind.SIGN, AlertLevel.OVERDUE), SWEEP, at=state.sign_deadline.due_at
        )
    with pytest.raises(ValidationFailed):  # registered, not dispatched: no reply deadline yet
        record(new_order(DISTRICT), DeadlineAlert(DeadlineKind.REPLY, AlertLevel.WARNING), SWEEP)


def test_a_deadline_that_moves_is_announced_afresh_and_one_that_stays_is_not() -> None:
    state = act(dispatched(), dispatcher(TOWN_A), Sign()).state
    reply = state.reply_deadline
    assert reply is not None
    warned, _ = record(state, DeadlineAlert(DeadlineKind.REPLY, AlertLevel.WARNING), SWEEP, at=reply.warn_at)
    later = reply.warn_at + timedelta(minutes=1)
    asked = act(
        warned,
        dispatcher(TOWN_A),
        RequestExtension(note="需要采购", new_due_at=reply.due_at + timedelta(days=7)),
        at=later,
    ).state
    assert asked.reply_alert is AlertLevel.WARNING  # the deadline has not moved yet
    extended = act(asked, dispatcher(DISTRICT), DecideExtension(approve=True), at=later).state
    assert extended.reply_deadline is not None and extended.reply_deadline.due_at > reply.due_at
    assert extended.reply_alert is AlertLevel.NONE


# --------------------------------------------------------------------------- imports


def test_an_imported_order_has_one_record_at_the_unit_that_last_had_it() -> None:
    chain = import_chain(DISTRICT, VILLAGE_A1)
    rec = import_record(OrderStatus.CLOSED, chain, file="history.csv", row=2)
    assert rec == TransitionRecord(
        action="import",
        from_status=None,
        to_status=OrderStatus.CLOSED,
        from_unit_id=None,
        to_unit_id=VILLAGE_A1,
        note="",
        details={"file": "history.csv", "row": 2},
    )
    assert import_chain(DISTRICT, None) == import_chain(DISTRICT, DISTRICT) == (DISTRICT,)


def test_imported_gives_the_state_as_the_export_says_and_the_same_record() -> None:
    outcome = imported(
        status=OrderStatus.CLOSED,
        chain=(DISTRICT, VILLAGE_A1),
        order_type=OrderType.COMPLAINT,
        urgency=Urgency.NORMAL,
        registered_at=MON_9,
        closed_at=MON_9 + timedelta(days=1),
        satisfaction=Satisfaction.SATISFIED,
        file="history.csv",
        row=2,
    )
    assert outcome.state.status is OrderStatus.CLOSED and outcome.state.sign_deadline is None
    assert outcome.record == import_record(
        OrderStatus.CLOSED, (DISTRICT, VILLAGE_A1), file="history.csv", row=2
    )
