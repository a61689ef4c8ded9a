"""Who may take each action, besides what the status allows (`WHO_MAY`), and the buttons it gives.

One named rule per action, with the sentence the docs show (docs/workflow.md "Who may act"
is generated from `WHO_MAY` by scripts/docs_tables.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from zhiyun.domain.org import OrgTree
from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.workorder.choices import Action, OrderStatus
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.state import OrderState, RequestKind
from zhiyun.domain.workorder.transitions import ALLOWED_ACTIONS


def _acts_for(actor: Actor, unit_id: int | None, roles: frozenset[Role]) -> bool:
    """The actor has one of `roles` and belongs to `unit_id` (admins act for any unit)."""
    if unit_id is None:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.SYSTEM:  # automatic steps act for the center holding the order
        return Role.DISPATCHER in roles
    return actor.role in roles and actor.unit_id == unit_id


_DISPATCHERS = frozenset({Role.DISPATCHER})
# Who may close an order on the call or send it on while it is still at the center that
# registered it and has never been dispatched: the center's dispatchers and its agents.
_INTAKE = frozenset({Role.DISPATCHER, Role.AGENT})
# What the system principal does to orders by itself: automatic dispatch, a channel's
# duplicate merged into its master at intake, and a grid order's re-check (复查) on the next
# patrol visit — closing it when the hazard is fixed, calling it back as unsatisfied (reopened
# down its chain) when not; the grid capability has checked the re-checking worker's right to
# the hazard's grid first (domain.grid_hazards.may_recheck) — and a citizen's rating on the
# portal, recorded as the callback once the portal has checked the citizen's claim to the order
# (domain.access.may_rate_by_phone). Every other action needs a person.
SYSTEM_ACTIONS = frozenset({Action.DISPATCH, Action.MERGE, Action.CALLBACK, Action.CLOSE})
_HOLDERS = frozenset({Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER})


def _is_upper_center(actor: Actor, state: OrderState, org: OrgTree) -> bool:
    """A dispatcher whose unit lies strictly above the holder, on the chain or above it."""
    if actor.role is Role.ADMIN:
        return len(state.chain) > 1
    if actor.role is not Role.DISPATCHER or actor.unit_id is None:
        return False
    if actor.unit_id in state.chain[:-1]:
        return True
    return actor.unit_id != state.current_unit_id and org.is_within(state.current_unit_id, actor.unit_id)


def _callback_actor(actor: Actor, state: OrderState, org: OrgTree) -> bool:
    if actor.role in (
        Role.ADMIN,
        Role.INSPECTOR,
        Role.SYSTEM,
    ):  # the system: a grid re-check, a portal rating
        return True
    return (
        actor.role is Role.DISPATCHER
        and actor.unit_id is not None
        and org.is_within(state.registering_unit_id, actor.unit_id)
    )


# Who may take each action, besides what the status allows: one named rule per action, with
# the sentence the docs show (docs/workflow.md "Who may act" is generated from this table).
# Admins pass every rule the status allows; the system principal only SYSTEM_ACTIONS.
MayTake = Callable[[OrderState, Actor, RuleContext], bool]


@dataclass(frozen=True)
class WhoMay:
    """Who may take one action: the rule and how the docs say it."""

    who: str
    rule: MayTake


def _at_intake(state: OrderState) -> bool:
    """Still at the center that registered it, never dispatched."""
    return len(state.chain) == 1 and state.first_dispatched_at is None


def _resolve_on_intake(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return _at_intake(state) and _acts_for(actor, state.current_unit_id, _INTAKE)


def _dispatch(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    holder, org = state.current_unit_id, ctx.org
    if state.status is OrderStatus.IN_PROGRESS and (state.pending is not None or not org.is_center(holder)):
        return False
    roles = _INTAKE if _at_intake(state) else _DISPATCHERS
    return _acts_for(actor, holder, roles) and org.is_center(holder)


def _redispatch(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    # Only a center on the order's route (at or below the registering center) may redispatch:
    # the chain must keep starting at the registering center.
    on_route = actor.role is Role.ADMIN or (
        actor.unit_id is not None and ctx.org.is_within(actor.unit_id, state.registering_unit_id)
    )
    return on_route and _is_upper_center(actor, state, ctx.org) and state.pending is None


def _holding_unit(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return _acts_for(actor, state.current_unit_id, _HOLDERS)


def return_target(chain: tuple[int, ...], org: OrgTree) -> int | None:
    """Where a return (退单) sends an order on the route `chain`: back to the center that
    dispatched the holder; from its registering center, up to the center above (上报); None
    for an order at the district center, which has nobody above it."""
    if len(chain) > 1:
        return chain[-2]
    return org.get(chain[0]).parent_id


def _return(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    if len(state.chain) > 1:
        return _holding_unit(state, actor, ctx)
    # 上报: the registering center hands an order it cannot dispatch up to the center above
    return (
        state.status is OrderStatus.PENDING_DISPATCH
        and return_target(state.chain, ctx.org) is not None
        and _holding_unit(state, actor, ctx)
    )


def _request_extension(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return (
        state.pending is None
        and state.extension_count < ctx.policy.max_extensions
        and state.reply_deadline is not None
        and _holding_unit(state, actor, ctx)
    )


def _request_suspension(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return state.pending is None and _holding_unit(state, actor, ctx)


def _dispatching_center(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return _acts_for(actor, state.dispatching_unit_id, _DISPATCHERS)


def _decides(kind: RequestKind) -> MayTake:
    def rule(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
        pending = state.pending
        return pending is not None and pending.kind is kind and _dispatching_center(state, actor, ctx)

    return rule


def _resume(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return _holding_unit(state, actor, ctx) or _dispatching_center(state, actor, ctx)


def _calls_back(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return _callback_actor(actor, state, ctx.org)


def _registering_center(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    if state.status is OrderStatus.PENDING_DISPATCH and _acts_for(actor, state.current_unit_id, _DISPATCHERS):
        return True
    return _acts_for(actor, state.registering_unit_id, _DISPATCHERS)


def _oversees(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return actor.role is Role.LEADER or _is_upper_center(actor, state, ctx.org)


def _leader(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return actor.role in (Role.LEADER, Role.ADMIN)


_HOLDING = "the holding unit (handler or dispatcher)"
WHO_MAY: Mapping[Action, WhoMay] = {
    Action.RESOLVE_ON_INTAKE: WhoMay(
        "the registering center's dispatcher or agent, before any dispatch", _resolve_on_intake
    ),
    Action.DISPATCH: WhoMay(
        "the holding center's dispatcher, to any unit below it (its agent too, before the first dispatch)",
        _dispatch,
    ),
    Action.REDISPATCH: WhoMay("a dispatcher of a center above the holder, on the order's route", _redispatch),
    Action.SIGN: WhoMay(_HOLDING, _holding_unit),
    Action.RETURN: WhoMay(
        f"{_HOLDING}, once the order has left its registering center; at a registering center below "
        "the district, while the order waits for dispatch, to hand it up to the center above (上报)",
        _return,
    ),
    Action.REQUEST_EXTENSION: WhoMay(
        f"{_HOLDING}, within the allowed number of extensions", _request_extension
    ),
    Action.REQUEST_SUSPENSION: WhoMay(f"{_HOLDING}, with no request pending", _request_suspension),
    Action.DECIDE_EXTENSION: WhoMay("the dispatching center's dispatcher", _decides(RequestKind.EXTENSION)),
    Action.DECIDE_SUSPENSION: WhoMay("the dispatching center's dispatcher", _decides(RequestKind.SUSPENSION)),
    Action.RESUME: WhoMay("the holding unit or its dispatching center", _resume),
    Action.REPLY: WhoMay(_HOLDING, _holding_unit),
    Action.REVIEW: WhoMay("the dispatching center's dispatcher", _dispatching_center),
    Action.CALLBACK: WhoMay(
        "a dispatcher of the registering center (or above), an inspector; the system for a grid re-check "
        "and for a citizen's rating on the portal",
        _calls_back,
    ),
    Action.CLOSE: WhoMay(
        "a dispatcher of the registering center (or above), an inspector; the system for a grid re-check",
        _calls_back,
    ),
    Action.CANCEL: WhoMay(
        "the registering center's dispatcher, or the holder while it waits for dispatch", _registering_center
    ),
    Action.MERGE: WhoMay(
        "the registering center's dispatcher, or the holder while it waits for dispatch", _registering_center
    ),
    Action.SUPERVISE: WhoMay("a leader, or a dispatcher of a center above the holder", _oversees),
    Action.URGE: WhoMay("a leader, or a dispatcher of a center above the holder", _oversees),
    Action.INSTRUCT: WhoMay("a leader", _leader),
}


def may_act(action: Action, state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    """Whether the actor's role and unit let them take `action` on this order now (`WHO_MAY`)."""
    if actor.role is Role.SYSTEM and action not in SYSTEM_ACTIONS:
        return False
    who = WHO_MAY.get(action)
    return who is not None and who.rule(state, actor, ctx)


def allowed_actions(state: OrderState, actor: Actor, ctx: RuleContext) -> list[Action]:
    """The actions `actor` may take on the order now: what the console shows as buttons."""
    return [a for a in Action if a in ALLOWED_ACTIONS[state.status] and may_act(a, state, actor, ctx)]
