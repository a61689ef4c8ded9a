"""The entry points of the life cycle: `register` a new order, `apply` a command, `record_event`.

Each checks the tables (`transitions`) and who may act (`who_may`), calls the handler of
the command or event (`handlers`) and describes the step's one audit record (`outcome`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from zhiyun.domain.deadlines import Deadline
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied
from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder.choices import Action, OrderStatus, OrderType, Urgency
from zhiyun.domain.workorder.commands import Command
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.events import Event
from zhiyun.domain.workorder.handlers import COMMAND_HANDLERS, EVENT_HANDLERS
from zhiyun.domain.workorder.outcome import Outcome, TransitionRecord
from zhiyun.domain.workorder.state import AlertLevel, OrderState
from zhiyun.domain.workorder.transitions import ORDER_EVENTS, ORDER_TRANSITIONS, SYSTEM_ONLY_EVENTS
from zhiyun.domain.workorder.who_may import allowed_actions, may_act


def register(
    *,
    center_unit_id: int,
    order_type: OrderType,
    urgency: Urgency,
    now: datetime,
    note: str = "",
    category_code: str | None = None,
) -> Outcome:
    """A new order, registered (受理) at `center_unit_id` and waiting to be dispatched."""
    state = OrderState(
        status=OrderStatus.PENDING_DISPATCH,
        chain=(center_unit_id,),
        order_type=order_type,
        urgency=urgency,
        registered_at=now,
        category_code=category_code,
    )
    record = TransitionRecord(
        action=Action.REGISTER.value,
        from_status=None,
        to_status=state.status,
        from_unit_id=None,
        to_unit_id=center_unit_id,
        note=note,
        details={},
    )
    return Outcome(state, record)


def apply(state: OrderState, command: Command, actor: Actor, ctx: RuleContext) -> Outcome:
    """Apply `command` by `actor` to an order in `state`."""
    action = command.action
    if not ORDER_TRANSITIONS.allows(state.status, action):
        raise ActionNotAllowed(
            f"工单当前状态为「{state.status.label}」，不能{action.label}",
            status=state.status.value,
            allowed_actions=[a.value for a in allowed_actions(state, actor, ctx)],
        )
    if not may_act(action, state, actor, ctx):
        raise PermissionDenied(
            f"您无权对该工单执行「{action.label}」",
            action=action.value,
            allowed_actions=sorted(a.value for a in allowed_actions(state, actor, ctx)),
        )
    handler = COMMAND_HANDLERS.handler_for(command)
    new_state, details, to_unit = handler(state, command, actor, ctx)
    ORDER_TRANSITIONS.check_target(state.status, action, new_state.status)
    if state.sign_alert or state.reply_alert:
        new_state = _announced_afresh(state, new_state)
    record = TransitionRecord(
        action=action.value,
        from_status=state.status,
        to_status=new_state.status,
        from_unit_id=state.current_unit_id,
        to_unit_id=to_unit if to_unit is not None else new_state.current_unit_id,
        note=command.note.strip(),
        details=details,
    )
    return Outcome(new_state, record)


def _due(deadline: Deadline | None) -> datetime | None:
    return deadline.due_at if deadline is not None else None


def _announced_afresh(before: OrderState, after: OrderState) -> OrderState:
    """A deadline that moved (a new dispatch, an extension, a resume) is announced afresh by
    the sweep: what it announced of the old one is forgotten."""
    sign_alert, reply_alert = after.sign_alert, after.reply_alert
    if sign_alert and _due(after.sign_deadline) != _due(before.sign_deadline):
        sign_alert = AlertLevel.NONE
    if reply_alert and _due(after.reply_deadline) != _due(before.reply_deadline):
        reply_alert = AlertLevel.NONE
    if (sign_alert, reply_alert) == (after.sign_alert, after.reply_alert):
        return after
    return replace(after, sign_alert=sign_alert, reply_alert=reply_alert)


def record_event(state: OrderState, event: Event, actor: Actor, ctx: RuleContext) -> Outcome:
    """Record a system event on an order in `state`: its new state and its one audit record.

    The counterpart of `apply` for the changes no command makes. Raises ActionNotAllowed
    (409) when the status does not take the event (a category change on a closed order, an
    alert on a replied one), PermissionDenied (403) when a person records what only the
    system may (`SYSTEM_ONLY_EVENTS`), ValidationFailed (422) when the event changes nothing
    it should (a dismissal without a flag, an alert not due or already given). Who of the
    people may record theirs is the order use cases' named policy (`domain.order_access`).
    """
    kind = event.kind
    if not ORDER_EVENTS.allows(state.status, kind):
        raise ActionNotAllowed(
            f"工单当前状态为「{state.status.label}」，不能记录「{kind.label}」",
            status=state.status.value,
            allowed_actions=[a.value for a in allowed_actions(state, actor, ctx)],
        )
    if kind in SYSTEM_ONLY_EVENTS and not actor.is_system:
        raise PermissionDenied(f"「{kind.label}」只能由系统记录", action=kind.value, allowed_actions=[])
    new_state, note, details = EVENT_HANDLERS.handler_for(event)(state, event, ctx)
    ORDER_EVENTS.check_target(state.status, kind, new_state.status)
    record = TransitionRecord(
        action=kind.value,
        from_status=state.status,
        to_status=new_state.status,
        from_unit_id=state.current_unit_id,
        to_unit_id=new_state.current_unit_id,
        note=note,
        details=details,
    )
    return Outcome(new_state, record)
