"""Moving an order along its chain: dispatch (派单), redispatch (改派), sign for it (签收), return it (退单)."""

from __future__ import annotations

from dataclasses import replace

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.workorder.choices import OrderStatus
from zhiyun.domain.workorder.commands import Dispatch, Redispatch, Return, Sign
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.handlers.common import dispatch_to, require_note
from zhiyun.domain.workorder.registry import CommandResult
from zhiyun.domain.workorder.state import OrderState
from zhiyun.domain.workorder.who_may import return_target


def _check_target(state: OrderState, from_unit: int, target: int, ctx: RuleContext) -> None:
    if target not in ctx.org.units:
        raise ValidationFailed("派单目标单位不存在", field="target_unit_id", target_unit_id=target)
    if target == from_unit or not ctx.org.is_within(target, from_unit):
        raise ValidationFailed(
            f"只能派往{ctx.org.get(from_unit).name}的下级单位",
            field="target_unit_id",
            target_unit_id=target,
        )
    if target == state.current_unit_id and state.status is not OrderStatus.PENDING_DISPATCH:
        raise ValidationFailed("工单已在该单位", field="target_unit_id", target_unit_id=target)


def do_dispatch(state: OrderState, cmd: Dispatch, actor: Actor, ctx: RuleContext) -> CommandResult:
    _check_target(state, state.current_unit_id, cmd.target_unit_id, ctx)
    first = state.first_dispatched_at is None
    new = dispatch_to(state, (*state.chain, cmd.target_unit_id), ctx, first=first)
    return new, {"target_unit_id": cmd.target_unit_id}, None


def do_redispatch(state: OrderState, cmd: Redispatch, actor: Actor, ctx: RuleContext) -> CommandResult:
    acting_here = actor.role is Role.DISPATCHER and actor.unit_id is not None
    center = actor.unit_id if acting_here and actor.unit_id is not None else state.chain[-2]
    _check_target(state, center, cmd.target_unit_id, ctx)
    if center in state.chain:
        base = state.chain[: state.chain.index(center) + 1]
    else:
        # a center above the holder that the order skipped on its way down
        base = (*(u for u in state.chain if ctx.org.is_within(center, u)), center)
    new = dispatch_to(state, (*base, cmd.target_unit_id), ctx, first=False)
    return new, {"redispatched_by_unit_id": center, "previous_unit_id": state.current_unit_id}, None


def do_sign(state: OrderState, cmd: Sign, actor: Actor, ctx: RuleContext) -> CommandResult:
    on_time = state.sign_deadline is None or ctx.now <= state.sign_deadline.due_at
    return replace(state, status=OrderStatus.IN_PROGRESS, signed_at=ctx.now), {"on_time": on_time}, None


def do_return(state: OrderState, cmd: Return, actor: Actor, ctx: RuleContext) -> CommandResult:
    if len(state.chain) == 1:
        return _hand_up(state, cmd, ctx)
    require_note(cmd, "退单理由")
    new = replace(
        state,
        status=OrderStatus.PENDING_DISPATCH,
        chain=state.chain[:-1],
        sign_deadline=None,
        signed_at=None,
        pending=None,
        return_count=state.return_count + 1,
    )
    return new, {"returned_by_unit_id": state.current_unit_id}, None


def _hand_up(state: OrderState, cmd: Return, ctx: RuleContext) -> CommandResult:
    """上报: the registering center hands an order waiting for dispatch up to the center above,
    which becomes its registering center (the trail keeps who registered it first). No refusal
    of work: the return count stays."""
    require_note(cmd, "上报理由")
    above = return_target(state.chain, ctx.org)
    if above is None:  # pragma: no cover - who_may refuses the district center first
        raise ValidationFailed("区中心没有上级中心可上报", field="action")
    new = replace(state, chain=(above,), sign_deadline=None, signed_at=None, pending=None)
    return new, {"returned_by_unit_id": state.current_unit_id, "handed_up_to_unit_id": above}, None
