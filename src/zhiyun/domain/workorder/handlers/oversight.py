"""Oversight that leaves the status as it is: supervise (督办), urge (催办), instruct (批示)."""

from __future__ import annotations

from dataclasses import replace

from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder.commands import Instruct, Supervise, Urge
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.handlers.common import require_note
from zhiyun.domain.workorder.registry import CommandResult
from zhiyun.domain.workorder.state import OrderState


def do_supervise(state: OrderState, cmd: Supervise, actor: Actor, ctx: RuleContext) -> CommandResult:
    require_note(cmd, "督办意见")
    return replace(state, supervised=True), {}, None


def do_urge(state: OrderState, cmd: Urge, actor: Actor, ctx: RuleContext) -> CommandResult:
    return replace(state, urge_count=state.urge_count + 1), {}, None


def do_instruct(state: OrderState, cmd: Instruct, actor: Actor, ctx: RuleContext) -> CommandResult:
    require_note(cmd, "批示内容")
    return replace(state, has_instruction=True), {}, None
