"""Who may do what to an order beyond its life-cycle actions: the order policies of the
policy table in `domain/access.py`, which the use cases check (and the faces ask, to decide
what to show).

Reading is `access.can_view`; the life-cycle actions are `workorder.allowed_actions`. The
other things people do to an order follow from those two, so that one rule answers "may
this user touch this order now":

- `may_attach`: files go onto an open order by whoever takes part in its handling now —
  the unit holding it, or anyone with an action on it (never a leader, who only reads, nor
  the system or a citizen: `may_upload`);
- `may_change_category`: dispatchers and admins with an action on the open order (a
  category change feeds the classifier's training, so only those responsible for it);
- `may_decide_duplicate`: dispatchers, inspectors and admins, on an open order that sits
  in a dispatcher's own subtree;
- `may_record_repeat_call`: whoever takes calls (agents, dispatchers, admins), on an open
  order they may read (the use case checks reading first).
"""

from __future__ import annotations

from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.workorder import OrderState, OrderStatus, RuleContext, allowed_actions

UPLOADERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.HANDLER, Role.INSPECTOR, Role.GRID_WORKER})
CATEGORY_EDITORS = frozenset({Role.ADMIN, Role.DISPATCHER})
DUPLICATE_DECIDERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.INSPECTOR})
# Who takes citizens' calls at a center's seat (受理坐席).
CALL_TAKERS = frozenset({Role.ADMIN, Role.AGENT, Role.DISPATCHER})


def takes_part(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """Whether `actor` takes part in handling the open order now: its unit holds it, or the
    life-cycle rules give it an action on it."""
    if state.status.is_terminal:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.unit_id is not None and actor.unit_id == state.current_unit_id:
        return True
    return bool(allowed_actions(state, actor, ctx))


def may_upload(actor: Actor) -> bool:
    """Whether `actor`'s role ever adds files to orders (checked before a byte is read)."""
    return actor.role in UPLOADERS


def may_attach(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """Whether `actor` may add a file (photo, recording, document) to the order now."""
    return may_upload(actor) and takes_part(actor, state, ctx)


def may_attach_to_report(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """Whether a citizen may add the photos of the problem they report (the citizens' portal):
    only to the order their report registers, while it is still at intake — never dispatched,
    waiting at the center that registered it. The portal attaches them in the registration's
    own transaction, before anything else can happen to the order."""
    return (
        actor.role is Role.CITIZEN
        and state.status is OrderStatus.PENDING_DISPATCH
        and state.first_dispatched_at is None
        and len(state.chain) == 1
    )


def attachment_allowed(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """The rule a file recorded on an order passes: staff taking part (`may_attach`), or a
    citizen's photos of their own report (`may_attach_to_report`)."""
    if actor.role is Role.CITIZEN:
        return may_attach_to_report(actor, state, ctx)
    return may_attach(actor, state, ctx)


def may_change_category(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """Whether `actor` may correct the order's category now."""
    if actor.role not in CATEGORY_EDITORS or state.status.is_terminal:
        return False
    return actor.role is Role.ADMIN or bool(allowed_actions(state, actor, ctx))


def may_decide_duplicate(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """Whether `actor` may settle a possible-duplicate flag (merge it or dismiss it)."""
    if actor.role not in DUPLICATE_DECIDERS or state.status.is_terminal:
        return False
    if actor.role is not Role.DISPATCHER:
        return True
    if actor.unit_id is None:
        return False
    return ctx.org.is_within(state.current_unit_id, actor.unit_id)


def may_record_repeat_call(actor: Actor, state: OrderState, ctx: RuleContext) -> bool:
    """Whether `actor` may record a citizen's repeat call on the order (an urge, 重复来电):
    a call taker, while the order is open."""
    return actor.role in CALL_TAKERS and not state.status.is_terminal
