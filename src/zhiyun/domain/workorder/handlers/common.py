"""What several command handlers share: a required note, a dispatch down a chain."""

from __future__ import annotations

from dataclasses import replace

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder.choices import OrderStatus
from zhiyun.domain.workorder.commands import Command
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.state import OrderState


def require_note(command: Command, what: str) -> str:
    note = command.note.strip()
    if not note:
        raise ValidationFailed(f"{what}不能为空", field="note")
    return note


def dispatch_to(state: OrderState, chain: tuple[int, ...], ctx: RuleContext, *, first: bool) -> OrderState:
    sign_limit, reply_limit = ctx.limits_for(state.order_type, state.urgency)
    reply_deadline = state.reply_deadline
    if reply_deadline is None or first:
        reply_deadline = ctx.planner.plan(ctx.now, reply_limit)
    return replace(
        state,
        status=OrderStatus.DISPATCHED,
        chain=chain,
        sign_deadline=ctx.planner.plan(ctx.now, sign_limit),
        reply_deadline=reply_deadline,
        first_dispatched_at=state.first_dispatched_at or ctx.now,
        signed_at=None,
        pending=None,
    )
