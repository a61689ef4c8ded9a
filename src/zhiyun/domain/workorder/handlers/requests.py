"""The holder's requests and the dispatching center's decisions: extension (延期), suspension (挂起), resume."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder.choices import OrderStatus
from zhiyun.domain.workorder.commands import (
    DecideExtension,
    DecideSuspension,
    RequestExtension,
    RequestSuspension,
    Resume,
)
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.handlers.common import require_note
from zhiyun.domain.workorder.registry import CommandResult
from zhiyun.domain.workorder.state import OrderState, PendingRequest, RequestKind


def do_request_extension(
    state: OrderState, cmd: RequestExtension, actor: Actor, ctx: RuleContext
) -> CommandResult:
    require_note(cmd, "延期理由")
    if cmd.new_due_at is None:
        raise ValidationFailed("请填写申请延期至的日期", field="new_due_at")
    assert state.reply_deadline is not None
    if cmd.new_due_at <= state.reply_deadline.due_at:
        raise ValidationFailed("申请的期限必须晚于当前办理期限", field="new_due_at")
    pending = PendingRequest(
        RequestKind.EXTENSION, cmd.note.strip(), ctx.now, state.current_unit_id, cmd.new_due_at
    )
    return replace(state, pending=pending), {"new_due_at": cmd.new_due_at.isoformat()}, None


def do_decide_extension(
    state: OrderState, cmd: DecideExtension, actor: Actor, ctx: RuleContext
) -> CommandResult:
    assert state.pending is not None
    details: dict[str, Any] = {"approved": cmd.approve, "request_reason": state.pending.reason}
    if not cmd.approve:
        require_note(cmd, "不同意延期的理由")
        return replace(state, pending=None), details, None
    assert state.reply_deadline is not None and state.pending.new_due_at is not None
    new_deadline = ctx.planner.extend(state.reply_deadline, state.pending.new_due_at)
    details["new_due_at"] = new_deadline.due_at.isoformat()
    new = replace(state, pending=None, reply_deadline=new_deadline, extension_count=state.extension_count + 1)
    return new, details, None


def do_request_suspension(
    state: OrderState, cmd: RequestSuspension, actor: Actor, ctx: RuleContext
) -> CommandResult:
    reason = require_note(cmd, "挂起理由")
    pending = PendingRequest(RequestKind.SUSPENSION, reason, ctx.now, state.current_unit_id)
    return replace(state, pending=pending), {}, None


def do_decide_suspension(
    state: OrderState, cmd: DecideSuspension, actor: Actor, ctx: RuleContext
) -> CommandResult:
    assert state.pending is not None
    details: dict[str, Any] = {"approved": cmd.approve, "request_reason": state.pending.reason}
    if not cmd.approve:
        require_note(cmd, "不同意挂起的理由")
        return replace(state, pending=None), details, None
    return replace(state, pending=None, status=OrderStatus.SUSPENDED, suspended_at=ctx.now), details, None


def do_resume(state: OrderState, cmd: Resume, actor: Actor, ctx: RuleContext) -> CommandResult:
    paused_at = state.suspended_at or ctx.now
    reply_deadline = state.reply_deadline
    if reply_deadline is not None:
        reply_deadline = ctx.planner.resume(reply_deadline, paused_at, ctx.now)
    details: dict[str, Any] = {"paused_seconds": (ctx.now - paused_at).total_seconds()}
    if reply_deadline is not None:
        details["new_due_at"] = reply_deadline.due_at.isoformat()
    new = replace(state, status=OrderStatus.IN_PROGRESS, suspended_at=None, reply_deadline=reply_deadline)
    return new, details, None
