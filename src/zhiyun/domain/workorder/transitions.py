"""The life cycle as tables: which status allows which action or system event, and where it leads.

The rules (`who_may`), the entry points (`machine`) and the docs all read these tables.
"""

from __future__ import annotations

from zhiyun.domain.lifecycle import TransitionTable
from zhiyun.domain.workorder.choices import Action, OrderStatus, SystemEvent

_S = OrderStatus
_OPEN = (
    _S.PENDING_DISPATCH,
    _S.DISPATCHED,
    _S.IN_PROGRESS,
    _S.SUSPENDED,
    _S.REPLIED,
    _S.AWAITING_CALLBACK,
)
# Before the holder replies: an order may still be cancelled or merged, and its reply deadline
# runs (the deadline sweep reads it too).
BEFORE_REPLY = (_S.PENDING_DISPATCH, _S.DISPATCHED, _S.IN_PROGRESS)
_OVERSIGHT = frozenset({Action.SUPERVISE, Action.URGE, Action.INSTRUCT})

# The life cycle as one signals-style table: (status, action) → the statuses the action may
# lead to. Who may take an action is `who_may.may_act`; which of its statuses it reaches, its
# handler's rule (`apply` refuses a handler that leaves the table).
ORDER_TRANSITIONS: TransitionTable[OrderStatus, Action] = TransitionTable(
    {
        (_S.PENDING_DISPATCH, Action.RESOLVE_ON_INTAKE): {_S.AWAITING_CALLBACK},
        (_S.PENDING_DISPATCH, Action.DISPATCH): {_S.DISPATCHED},
        (_S.IN_PROGRESS, Action.DISPATCH): {_S.DISPATCHED},  # a center passes it further down
        (_S.DISPATCHED, Action.REDISPATCH): {_S.DISPATCHED},
        (_S.IN_PROGRESS, Action.REDISPATCH): {_S.DISPATCHED},
        (_S.DISPATCHED, Action.SIGN): {_S.IN_PROGRESS},
        (_S.PENDING_DISPATCH, Action.RETURN): {_S.PENDING_DISPATCH},  # from a center to the one above
        (_S.DISPATCHED, Action.RETURN): {_S.PENDING_DISPATCH},
        (_S.IN_PROGRESS, Action.RETURN): {_S.PENDING_DISPATCH},
        (_S.IN_PROGRESS, Action.REQUEST_EXTENSION): {_S.IN_PROGRESS},
        (_S.IN_PROGRESS, Action.DECIDE_EXTENSION): {_S.IN_PROGRESS},
        (_S.IN_PROGRESS, Action.REQUEST_SUSPENSION): {_S.IN_PROGRESS},
        (_S.IN_PROGRESS, Action.DECIDE_SUSPENSION): {_S.IN_PROGRESS, _S.SUSPENDED},
        (_S.SUSPENDED, Action.RESUME): {_S.IN_PROGRESS},
        (_S.IN_PROGRESS, Action.REPLY): {_S.REPLIED},
        (_S.REPLIED, Action.REVIEW): {_S.AWAITING_CALLBACK, _S.IN_PROGRESS},  # approved / rework
        # closed; unreachable (one more attempt); unsatisfied (reopened, back down its chain)
        (_S.AWAITING_CALLBACK, Action.CALLBACK): {
            _S.CLOSED,
            _S.AWAITING_CALLBACK,
            _S.DISPATCHED,
            _S.PENDING_DISPATCH,
        },
        (_S.AWAITING_CALLBACK, Action.CLOSE): {_S.CLOSED},
        **{(s, Action.CANCEL): {_S.CANCELLED} for s in BEFORE_REPLY},
        **{(s, Action.MERGE): {_S.MERGED} for s in BEFORE_REPLY},
        **TransitionTable.staying(_OPEN, _OVERSIGHT),
    }
)

# The same table per status, as the rules and the docs read it: which actions each status
# allows at all (before who may take them), and the statuses each status can lead to.
ALLOWED_ACTIONS: dict[OrderStatus, frozenset[Action]] = {
    s: ORDER_TRANSITIONS.actions_from(s) for s in OrderStatus
}
ALLOWED_STATUS_CHANGES: dict[OrderStatus, frozenset[OrderStatus]] = {
    s: ORDER_TRANSITIONS.successors(s) for s in OrderStatus
}

# Where each system event may be recorded; none changes the status. An update from a channel
# is recorded whatever the status (a channel's message is never dropped); the sweep's alerts
# only while a deadline runs (`handlers.system_events.on_deadline_alert` checks which one).
ORDER_EVENTS: TransitionTable[OrderStatus, SystemEvent] = TransitionTable(
    {
        **TransitionTable.staying(OrderStatus, (SystemEvent.UPDATE,)),
        **TransitionTable.staying(
            _OPEN,
            (
                SystemEvent.ATTACH,
                SystemEvent.FLAG_DUPLICATE,
                SystemEvent.DISMISS_DUPLICATE,
                SystemEvent.RECATEGORIZE,
                SystemEvent.REPEAT_CALL,
                SystemEvent.SET_RECTIFICATION,
            ),
        ),
        **TransitionTable.staying(BEFORE_REPLY, (SystemEvent.DEADLINE_WARNING, SystemEvent.DEADLINE_OVERDUE)),
    }
)

# Events only the system records (a channel's interface, duplicate detection, the deadline
# sweep, an import); the others are people's, under the order use cases' named policies.
SYSTEM_ONLY_EVENTS = frozenset(
    {
        SystemEvent.UPDATE,
        SystemEvent.IMPORT,
        SystemEvent.FLAG_DUPLICATE,
        SystemEvent.DEADLINE_WARNING,
        SystemEvent.DEADLINE_OVERDUE,
    }
)
