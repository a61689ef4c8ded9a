"""Bringing an order to its end: resolve on intake, reply, review, callback, close, cancel, merge."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder.choices import OrderStatus, Satisfaction
from zhiyun.domain.workorder.commands import Callback, Cancel, Close, Merge, Reply, ResolveOnIntake, Review
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.handlers.common import dispatch_to, require_note
from zhiyun.domain.workorder.registry import CommandResult
from zhiyun.domain.workorder.state import OrderState


def do_resolve_on_intake(
    state: OrderState, cmd: ResolveOnIntake, actor: Actor, ctx: RuleContext
) -> CommandResult:
    result = require_note(cmd, "答复内容")
    return replace(state, status=OrderStatus.AWAITING_CALLBACK, replied_at=ctx.now, result=result), {}, None


def do_reply(state: OrderState, cmd: Reply, actor: Actor, ctx: RuleContext) -> CommandResult:
    result = require_note(cmd, "办理结果")
    on_time = state.reply_deadline is None or ctx.now <= state.reply_deadline.due_at
    new = replace(state, status=OrderStatus.REPLIED, replied_at=ctx.now, result=result, pending=None)
    return new, {"on_time": on_time}, None


def do_review(state: OrderState, cmd: Review, actor: Actor, ctx: RuleContext) -> CommandResult:
    if cmd.approve:
        return replace(state, status=OrderStatus.AWAITING_CALLBACK), {"approved": True}, None
    require_note(cmd, "退回返工的意见")
    new = replace(state, status=OrderStatus.IN_PROGRESS, replied_at=None, rework_count=state.rework_count + 1)
    return new, {"approved": False, "rework": True}, None


def do_callback(state: OrderState, cmd: Callback, actor: Actor, ctx: RuleContext) -> CommandResult:
    rating = cmd.satisfaction
    details: dict[str, Any] = {"satisfaction": rating.value}
    if rating is Satisfaction.UNREACHABLE:
        attempts = state.callback_attempts + 1
        details["attempt"] = attempts
        if attempts >= ctx.policy.max_callback_attempts:
            closed = replace(
                state,
                status=OrderStatus.CLOSED,
                callback_attempts=attempts,
                satisfaction=rating,
                closed_at=ctx.now,
            )
            return closed, details, None
        return replace(state, callback_attempts=attempts), details, None
    if rating is Satisfaction.UNSATISFIED and state.reopen_count < ctx.policy.max_reopens:
        details["reopened"] = True
        reopened = replace(
            state,
            reopen_count=state.reopen_count + 1,
            replied_at=None,
            satisfaction=None,
            callback_attempts=0,  # the reopened round gets its own callback attempts
        )
        if len(state.chain) == 1:
            return replace(reopened, status=OrderStatus.PENDING_DISPATCH), details, None
        return dispatch_to(reopened, state.chain, ctx, first=True), details, None
    closed = replace(state, status=OrderStatus.CLOSED, satisfaction=rating, closed_at=ctx.now)
    return closed, details, None


def do_close(state: OrderState, cmd: Close, actor: Actor, ctx: RuleContext) -> CommandResult:
    return replace(state, status=OrderStatus.CLOSED, closed_at=ctx.now), {}, None


def do_cancel(state: OrderState, cmd: Cancel, actor: Actor, ctx: RuleContext) -> CommandResult:
    require_note(cmd, "撤销说明")
    new = replace(
        state, status=OrderStatus.CANCELLED, cancel_reason=cmd.reason, closed_at=ctx.now, pending=None
    )
    return new, {"reason": cmd.reason.value}, None


def do_merge(state: OrderState, cmd: Merge, actor: Actor, ctx: RuleContext) -> CommandResult:
    if cmd.master_id <= 0:
        raise ValidationFailed("请指定主工单", field="master_id")
    new = replace(
        state,
        status=OrderStatus.MERGED,
        master_id=cmd.master_id,
        closed_at=ctx.now,
        pending=None,
        possible_duplicate=False,  # settled: it is a duplicate
    )
    return new, {"master_id": cmd.master_id}, None
