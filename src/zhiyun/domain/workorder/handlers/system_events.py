"""What each system event does to an order: its new state, the audit note and details."""

from __future__ import annotations

from dataclasses import replace

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder.choices import OrderStatus
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.events import (
    Attach,
    ChannelUpdate,
    DeadlineAlert,
    DeadlineKind,
    DismissDuplicate,
    FlagDuplicate,
    Recategorize,
    RepeatCall,
    SetRectification,
)
from zhiyun.domain.workorder.registry import EventResult
from zhiyun.domain.workorder.state import AlertLevel, OrderState
from zhiyun.domain.workorder.transitions import BEFORE_REPLY


def on_update(state: OrderState, event: ChannelUpdate, ctx: RuleContext) -> EventResult:
    note = (
        "渠道推送了该编号的报文（工单由其他途径先行登记），已记录为诉求更新"
        if event.first_message
        else "渠道重复推送且内容有变化，已记录为诉求更新"
    )
    return state, note, {"changes": dict(event.changes)}


def on_attach(state: OrderState, event: Attach, ctx: RuleContext) -> EventResult:
    details = {"sha256": event.sha256, "size": event.size, "content_type": event.content_type}
    return state, event.filename, details


def on_flag_duplicate(state: OrderState, event: FlagDuplicate, ctx: RuleContext) -> EventResult:
    if not event.candidates:
        raise ValidationFailed("疑似重复须列出候选工单", field="candidates")
    shown = sum(1 for c in event.candidates if c.get("number"))
    note = f"疑似重复：{shown} 件候选工单，待派单员确认"
    details = {"candidates": [dict(c) for c in event.candidates]}
    return replace(state, possible_duplicate=True), note, details


def on_dismiss_duplicate(state: OrderState, event: DismissDuplicate, ctx: RuleContext) -> EventResult:
    if not state.possible_duplicate:
        raise ValidationFailed("该工单没有待确认的疑似重复", field="possible_duplicate")
    return replace(state, possible_duplicate=False), event.note or "经核实不是重复件", {}


def on_recategorize(state: OrderState, event: Recategorize, ctx: RuleContext) -> EventResult:
    old = state.category_code
    if event.category_code == old:
        raise ValidationFailed("分类没有变化", field="category_code")
    note = event.note.strip() or f"分类由 {old or '未分类'} 改为 {event.path or event.category_code}"
    details = {"from": old, "to": event.category_code}
    return replace(state, category_code=event.category_code), note, details


def on_set_rectification(state: OrderState, event: SetRectification, ctx: RuleContext) -> EventResult:
    if event.previous == event.rectify_by:
        raise ValidationFailed("整改期限没有变化", field="rectify_by")
    moved = f"（原 {event.previous:%Y-%m-%d}）" if event.previous is not None else ""
    note = event.note.strip() or f"整改期限定为 {event.rectify_by:%Y-%m-%d}{moved}"
    details = {
        "from": event.previous.isoformat() if event.previous is not None else None,
        "to": event.rectify_by.isoformat(),
    }
    return state, note, details


def on_deadline_alert(state: OrderState, event: DeadlineAlert, ctx: RuleContext) -> EventResult:
    sign = event.deadline is DeadlineKind.SIGN
    deadline = state.sign_deadline if sign else state.reply_deadline
    live = state.status is OrderStatus.DISPATCHED if sign else state.status in BEFORE_REPLY
    if deadline is None or not live:
        raise ValidationFailed(f"工单没有进行中的{event.deadline.label}期限", field="deadline")
    announced = state.sign_alert if sign else state.reply_alert
    overdue = event.level is AlertLevel.OVERDUE
    if announced is AlertLevel.OVERDUE or announced is event.level or not event.level:
        raise ValidationFailed(f"{event.deadline.label}期限的提醒已发出", field="deadline")
    if ctx.now < (deadline.due_at if overdue else deadline.warn_at):
        raise ValidationFailed(f"{event.deadline.label}期限尚未到提醒时间", field="deadline")
    note = f"{event.deadline.label}期限{'已过' if overdue else '将至'}"
    details = {"deadline": event.deadline.value, "due_at": deadline.due_at.isoformat()}
    new = replace(state, sign_alert=event.level) if sign else replace(state, reply_alert=event.level)
    return new, note, details


REPEAT_CALL_NOTE_MAX = 2000


def on_repeat_call(state: OrderState, event: RepeatCall, ctx: RuleContext) -> EventResult:
    text = event.note.strip()
    if len(text) > REPEAT_CALL_NOTE_MAX:
        raise ValidationFailed(f"来电记录不能超过{REPEAT_CALL_NOTE_MAX}字", field="note")
    note = f"市民再次来电催办：{text}" if text else "市民再次来电催办"
    return replace(state, urge_count=state.urge_count + 1), note, {"urge_count": state.urge_count + 1}
