"""The work order (工单) and its life cycle as a pure state machine.

An order is registered at a center, dispatched down the org tree, signed for,
handled, replied, reviewed by the center that dispatched it, called back and
closed. The route it took is its *chain*: the units from the registering center
down to the unit that holds it now (``chain[-1]``); the center that dispatched
the holder is ``chain[-2]``. A return pops the chain, a dispatch pushes it, a
redispatch cuts it at the redispatching center and pushes the new unit.

`apply` takes an order's state, a command and the acting user and gives the new
state and one audit record, or raises: ActionNotAllowed (409) when the status
does not allow the action, PermissionDenied (403) when the actor may not take it
here, ValidationFailed (422) when its input breaks a rule.

The package, one job a module (import from the package itself; it re-exports every
public name):

- `choices`: the choice sets (status, type, urgency, rating, cancel reason) and the audit
  trail's codes (`Action`, `SystemEvent`), with their Chinese labels;
- `transitions`: the life cycle as tables (`ORDER_TRANSITIONS`, `ORDER_EVENTS`, …);
- `state`: `OrderState`, the part of an order the rules read and write, and its parts;
- `commands`: one command dataclass per action;
- `events`: the system events, the changes no command makes;
- `context`: `RuleContext`, what the rules need besides the order (`WorkflowPolicy`: a site's limits);
- `outcome`: `TransitionRecord` and `Outcome`, what a step gives back;
- `who_may`: `WHO_MAY`, who may take each action, and `allowed_actions`;
- `registry`: typed handler tables, which give each command or event class its own handler;
- `handlers`: what each command and each event does to the state, one module per group;
- `machine`: the entry points `register`, `apply` and `record_event`;
- `history_import`: orders taken over from another system's history.
"""

from __future__ import annotations

from zhiyun.domain.workorder.choices import (
    ACTION_LABELS,
    OPEN_STATUSES,
    STATUS_COLOURS,
    STATUS_LABELS,
    SYSTEM_EVENT_LABELS,
    TERMINAL_STATUSES,
    Action,
    CancelReason,
    OrderStatus,
    OrderType,
    Satisfaction,
    SystemEvent,
    Urgency,
    event_label,
)
from zhiyun.domain.workorder.commands import (
    Callback,
    Cancel,
    Close,
    Command,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Instruct,
    Merge,
    Redispatch,
    Reply,
    RequestExtension,
    RequestSuspension,
    ResolveOnIntake,
    Resume,
    Return,
    Review,
    Sign,
    Supervise,
    Urge,
)
from zhiyun.domain.workorder.context import LimitsFor, RuleContext, WorkflowPolicy
from zhiyun.domain.workorder.events import (
    Attach,
    ChannelUpdate,
    DeadlineAlert,
    DeadlineKind,
    DismissDuplicate,
    Event,
    FlagDuplicate,
    Recategorize,
    RepeatCall,
    SetRectification,
)
from zhiyun.domain.workorder.handlers import COMMAND_HANDLERS, EVENT_HANDLERS
from zhiyun.domain.workorder.history_import import (
    IMPORT_ACTOR_NAME,
    import_actor,
    import_chain,
    import_record,
    imported,
)
from zhiyun.domain.workorder.machine import apply, record_event, register
from zhiyun.domain.workorder.outcome import Outcome, TransitionRecord
from zhiyun.domain.workorder.registry import UnknownCommand
from zhiyun.domain.workorder.state import (
    AlertLevel,
    OrderDeadline,
    OrderState,
    PendingRequest,
    RequestKind,
    order_deadline,
    reply_deadline_state,
    sign_deadline_state,
)
from zhiyun.domain.workorder.transitions import (
    ALLOWED_ACTIONS,
    ALLOWED_STATUS_CHANGES,
    ORDER_EVENTS,
    ORDER_TRANSITIONS,
    SYSTEM_ONLY_EVENTS,
)
from zhiyun.domain.workorder.who_may import (
    SYSTEM_ACTIONS,
    WHO_MAY,
    MayTake,
    WhoMay,
    allowed_actions,
    return_target,
)

__all__ = [
    "ACTION_LABELS",
    "ALLOWED_ACTIONS",
    "ALLOWED_STATUS_CHANGES",
    "COMMAND_HANDLERS",
    "EVENT_HANDLERS",
    "IMPORT_ACTOR_NAME",
    "OPEN_STATUSES",
    "ORDER_EVENTS",
    "ORDER_TRANSITIONS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "SYSTEM_ACTIONS",
    "SYSTEM_EVENT_LABELS",
    "SYSTEM_ONLY_EVENTS",
    "TERMINAL_STATUSES",
    "WHO_MAY",
    "Action",
    "AlertLevel",
    "Attach",
    "Callback",
    "Cancel",
    "CancelReason",
    "ChannelUpdate",
    "Close",
    "Command",
    "DeadlineAlert",
    "DeadlineKind",
    "DecideExtension",
    "DecideSuspension",
    "DismissDuplicate",
    "Dispatch",
    "Event",
    "FlagDuplicate",
    "Instruct",
    "LimitsFor",
    "MayTake",
    "Merge",
    "OrderDeadline",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "Outcome",
    "PendingRequest",
    "Recategorize",
    "Redispatch",
    "RepeatCall",
    "Reply",
    "RequestExtension",
    "RequestKind",
    "RequestSuspension",
    "ResolveOnIntake",
    "Resume",
    "Return",
    "Review",
    "RuleContext",
    "Satisfaction",
    "SetRectification",
    "Sign",
    "Supervise",
    "SystemEvent",
    "TransitionRecord",
    "UnknownCommand",
    "Urge",
    "Urgency",
    "WhoMay",
    "WorkflowPolicy",
    "allowed_actions",
    "apply",
    "event_label",
    "import_actor",
    "import_chain",
    "import_record",
    "imported",
    "order_deadline",
    "record_event",
    "register",
    "reply_deadline_state",
    "return_target",
    "sign_deadline_state",
]

# The command table under its old name (tests/unit/test_workorder_state_machine.py reads it).
_HANDLERS = COMMAND_HANDLERS
