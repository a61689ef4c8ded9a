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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from zhiyun.domain.deadlines import Deadline, DeadlinePlanner, DeadlineState, TimeLimit
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied, ValidationFailed
from zhiyun.domain.lifecycle import TransitionTable
from zhiyun.domain.org import OrgTree
from zhiyun.domain.principals import Actor, Role

# --------------------------------------------------------------------------- choice sets


class OrderStatus(StrEnum):
    """Where an order is in its life cycle."""

    PENDING_DISPATCH = "pending_dispatch"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    REPLIED = "replied"
    AWAITING_CALLBACK = "awaiting_callback"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MERGED = "merged"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self]

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_DISPATCH: "待分拨",
    OrderStatus.DISPATCHED: "待签收",
    OrderStatus.IN_PROGRESS: "办理中",
    OrderStatus.SUSPENDED: "已挂起",
    OrderStatus.REPLIED: "待审核",
    OrderStatus.AWAITING_CALLBACK: "待回访",
    OrderStatus.CLOSED: "已归档",
    OrderStatus.CANCELLED: "已撤销",
    OrderStatus.MERGED: "已合并",
}

STATUS_COLOURS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_DISPATCH: "orange",
    OrderStatus.DISPATCHED: "amber",
    OrderStatus.IN_PROGRESS: "blue",
    OrderStatus.SUSPENDED: "grey",
    OrderStatus.REPLIED: "purple",
    OrderStatus.AWAITING_CALLBACK: "teal",
    OrderStatus.CLOSED: "green",
    OrderStatus.CANCELLED: "dark-grey",
    OrderStatus.MERGED: "dark-grey",
}

TERMINAL_STATUSES = frozenset({OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.MERGED})
OPEN_STATUSES = frozenset(OrderStatus) - TERMINAL_STATUSES


class OrderType(StrEnum):
    """What the citizen asks for."""

    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"

    @property
    def label(self) -> str:
        return {
            "consult": "咨询",
            "help": "求助",
            "complaint": "投诉",
            "report": "举报",
            "suggestion": "建议",
            "praise": "表扬",
        }[self.value]


class Urgency(StrEnum):
    """How fast the order must move."""

    NORMAL = "normal"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {"normal": "一般", "urgent": "紧急"}[self.value]


class Satisfaction(StrEnum):
    """The citizen's rating at callback (回访)."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"

    @property
    def label(self) -> str:
        return {
            "satisfied": "满意",
            "basically_satisfied": "基本满意",
            "unsatisfied": "不满意",
            "unreachable": "联系不上",
        }[self.value]


class CancelReason(StrEnum):
    """Why an order is cancelled (撤销 / 无效件)."""

    INVALID = "invalid"
    HARASSMENT = "harassment"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def label(self) -> str:
        return {"invalid": "无效诉求", "harassment": "骚扰来电", "out_of_scope": "非受理范围"}[self.value]


class Action(StrEnum):
    """Everything a user can do to an order; each is one audited transition."""

    REGISTER = "register"
    RESOLVE_ON_INTAKE = "resolve_on_intake"
    DISPATCH = "dispatch"
    REDISPATCH = "redispatch"
    SIGN = "sign"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    REQUEST_SUSPENSION = "request_suspension"
    DECIDE_SUSPENSION = "decide_suspension"
    RESUME = "resume"
    REPLY = "reply"
    REVIEW = "review"
    CALLBACK = "callback"
    CLOSE = "close"
    CANCEL = "cancel"
    MERGE = "merge"
    SUPERVISE = "supervise"
    URGE = "urge"
    INSTRUCT = "instruct"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.REGISTER: "受理",
    Action.RESOLVE_ON_INTAKE: "即时办结",
    Action.DISPATCH: "派单",
    Action.REDISPATCH: "改派",
    Action.SIGN: "签收",
    Action.RETURN: "退单",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.DECIDE_EXTENSION: "审批延期",
    Action.REQUEST_SUSPENSION: "申请挂起",
    Action.DECIDE_SUSPENSION: "审批挂起",
    Action.RESUME: "恢复办理",
    Action.REPLY: "办结反馈",
    Action.REVIEW: "审核",
    Action.CALLBACK: "回访",
    Action.CLOSE: "归档",
    Action.CANCEL: "撤销",
    Action.MERGE: "合并",
    Action.SUPERVISE: "督办",
    Action.URGE: "催办",
    Action.INSTRUCT: "批示",
}


class SystemEvent(StrEnum):
    """Changes to an order that no life-cycle command makes; each is one audited change too.

    Updates from a channel, duplicate flags and the dispatcher's dismissal, category
    changes, files, imports and the deadline sweep's alerts: `record_event` builds their
    audit records as `apply` does for commands, and the order use cases store them the same
    way (the version goes up, one audit row).
    """

    UPDATE = "update"
    ATTACH = "attach"
    IMPORT = "import"
    FLAG_DUPLICATE = "flag_duplicate"
    DISMISS_DUPLICATE = "dismiss_duplicate"
    RECATEGORIZE = "recategorize"
    DEADLINE_WARNING = "deadline_warning"
    DEADLINE_OVERDUE = "deadline_overdue"

    @property
    def label(self) -> str:
        return SYSTEM_EVENT_LABELS[self.value]


# Events recorded in the audit trail that no user command causes.
SYSTEM_EVENT_LABELS: dict[str, str] = {
    SystemEvent.DEADLINE_WARNING.value: "即将超时预警",
    SystemEvent.DEADLINE_OVERDUE.value: "超时",
    SystemEvent.UPDATE.value: "诉求更新",
    SystemEvent.ATTACH.value: "上传附件",
    SystemEvent.IMPORT.value: "历史导入",
    SystemEvent.FLAG_DUPLICATE.value: "疑似重复",
    SystemEvent.DISMISS_DUPLICATE.value: "排除重复",
    SystemEvent.RECATEGORIZE.value: "修改分类",
}


def event_label(action: str) -> str:
    """The Chinese label of an audit trail entry."""
    try:
        return Action(action).label
    except ValueError:
        return SYSTEM_EVENT_LABELS.get(action, action)


_S = OrderStatus
_OPEN = (
    _S.PENDING_DISPATCH,
    _S.DISPATCHED,
    _S.IN_PROGRESS,
    _S.SUSPENDED,
    _S.REPLIED,
    _S.AWAITING_CALLBACK,
)
_BEFORE_REPLY = (_S.PENDING_DISPATCH, _S.DISPATCHED, _S.IN_PROGRESS)
_OVERSIGHT = frozenset({Action.SUPERVISE, Action.URGE, Action.INSTRUCT})

# The life cycle as one signals-style table: (status, action) → the statuses the action may
# lead to. Who may take an action is `_may`; which of its statuses it reaches, its handler's
# rule (`apply` refuses a handler that leaves the table).
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
        **{(s, Action.CANCEL): {_S.CANCELLED} for s in _BEFORE_REPLY},
        **{(s, Action.MERGE): {_S.MERGED} for s in _BEFORE_REPLY},
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
# only while a deadline runs (`_do_deadline_alert` checks which one).
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
            ),
        ),
        **TransitionTable.staying(
            _BEFORE_REPLY, (SystemEvent.DEADLINE_WARNING, SystemEvent.DEADLINE_OVERDUE)
        ),
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


# --------------------------------------------------------------------------- state


class RequestKind(StrEnum):
    """A request from the handling unit that its dispatching center must decide."""

    EXTENSION = "extension"
    SUSPENSION = "suspension"


@dataclass(frozen=True)
class PendingRequest:
    """An extension or suspension request awaiting the dispatching center's decision."""

    kind: RequestKind
    reason: str
    requested_at: datetime
    requested_by_unit_id: int
    new_due_at: datetime | None = None


class AlertLevel(StrEnum):
    """What the deadline sweep has announced of a deadline: nothing yet, near (预警) or past (超时)."""

    NONE = ""
    WARNING = "warning"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class WorkflowPolicy:
    """Limits of the workflow that a site may configure."""

    max_extensions: int = 2
    max_reopens: int = 1
    max_callback_attempts: int = 3


@dataclass(frozen=True)
class OrderState:
    """The part of a work order that the life-cycle rules read and write."""

    status: OrderStatus
    chain: tuple[int, ...]
    order_type: OrderType
    urgency: Urgency
    registered_at: datetime
    sign_deadline: Deadline | None = None
    reply_deadline: Deadline | None = None
    pending: PendingRequest | None = None
    first_dispatched_at: datetime | None = None
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    suspended_at: datetime | None = None
    closed_at: datetime | None = None
    extension_count: int = 0
    reopen_count: int = 0
    rework_count: int = 0
    return_count: int = 0
    callback_attempts: int = 0
    urge_count: int = 0
    satisfaction: Satisfaction | None = None
    cancel_reason: CancelReason | None = None
    master_id: int | None = None
    supervised: bool = False
    has_instruction: bool = False
    result: str | None = None
    # what system events change: the category (taxonomy code), the flag of a possible
    # duplicate awaiting a dispatcher, and what the sweep announced of each deadline
    category_code: str | None = None
    possible_duplicate: bool = False
    sign_alert: AlertLevel = AlertLevel.NONE
    reply_alert: AlertLevel = AlertLevel.NONE

    @property
    def current_unit_id(self) -> int:
        return self.chain[-1]

    @property
    def dispatching_unit_id(self) -> int | None:
        """The center that dispatched the current holder (it reviews and approves)."""
        return self.chain[-2] if len(self.chain) > 1 else None

    @property
    def registering_unit_id(self) -> int:
        return self.chain[0]

    def deadline_states(self, now: datetime) -> tuple[DeadlineState | None, DeadlineState | None]:
        """(sign-for, reply) deadline states at `now`; None where there is no deadline."""
        return sign_deadline_state(self, now), reply_deadline_state(self, now)


def sign_deadline_state(state: OrderState, now: datetime) -> DeadlineState | None:
    if state.sign_deadline is None:
        return None
    if state.status is OrderStatus.DISPATCHED:
        return state.sign_deadline.state(now)
    return DeadlineState.MET


def reply_deadline_state(state: OrderState, now: datetime) -> DeadlineState | None:
    if state.reply_deadline is None:
        return None
    if state.status is OrderStatus.SUSPENDED:
        return DeadlineState.PAUSED
    if state.status in (OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS):
        return state.reply_deadline.state(now)
    return DeadlineState.MET


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    """Base of every user command; `note` goes into the audit trail."""

    note: str = ""

    action: Action = field(init=False, default=Action.REGISTER)


@dataclass(frozen=True)
class ResolveOnIntake(Command):
    action: Action = field(init=False, default=Action.RESOLVE_ON_INTAKE)


@dataclass(frozen=True)
class Dispatch(Command):
    target_unit_id: int = 0
    action: Action = field(init=False, default=Action.DISPATCH)


@dataclass(frozen=True)
class Redispatch(Command):
    target_unit_id: int = 0
    action: Action = field(init=False, default=Action.REDISPATCH)


@dataclass(frozen=True)
class Sign(Command):
    action: Action = field(init=False, default=Action.SIGN)


@dataclass(frozen=True)
class Return(Command):
    action: Action = field(init=False, default=Action.RETURN)


@dataclass(frozen=True)
class RequestExtension(Command):
    new_due_at: datetime | None = None
    action: Action = field(init=False, default=Action.REQUEST_EXTENSION)


@dataclass(frozen=True)
class DecideExtension(Command):
    approve: bool = True
    action: Action = field(init=False, default=Action.DECIDE_EXTENSION)


@dataclass(frozen=True)
class RequestSuspension(Command):
    action: Action = field(init=False, default=Action.REQUEST_SUSPENSION)


@dataclass(frozen=True)
class DecideSuspension(Command):
    approve: bool = True
    action: Action = field(init=False, default=Action.DECIDE_SUSPENSION)


@dataclass(frozen=True)
class Resume(Command):
    action: Action = field(init=False, default=Action.RESUME)


@dataclass(frozen=True)
class Reply(Command):
    action: Action = field(init=False, default=Action.REPLY)


@dataclass(frozen=True)
class Review(Command):
    approve: bool = True
    action: Action = field(init=False, default=Action.REVIEW)


@dataclass(frozen=True)
class Callback(Command):
    satisfaction: Satisfaction = Satisfaction.SATISFIED
    action: Action = field(init=False, default=Action.CALLBACK)


@dataclass(frozen=True)
class Close(Command):
    action: Action = field(init=False, default=Action.CLOSE)


@dataclass(frozen=True)
class Cancel(Command):
    reason: CancelReason = CancelReason.INVALID
    action: Action = field(init=False, default=Action.CANCEL)


@dataclass(frozen=True)
class Merge(Command):
    master_id: int = 0
    action: Action = field(init=False, default=Action.MERGE)


@dataclass(frozen=True)
class Supervise(Command):
    action: Action = field(init=False, default=Action.SUPERVISE)


@dataclass(frozen=True)
class Urge(Command):
    action: Action = field(init=False, default=Action.URGE)


@dataclass(frozen=True)
class Instruct(Command):
    action: Action = field(init=False, default=Action.INSTRUCT)


# --------------------------------------------------------------------------- context


LimitsFor = Callable[[OrderType, Urgency], tuple[TimeLimit, TimeLimit]]


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the order: the time, the org tree, the clock and limits."""

    now: datetime
    org: OrgTree
    planner: DeadlinePlanner
    limits_for: LimitsFor
    policy: WorkflowPolicy = WorkflowPolicy()


@dataclass(frozen=True)
class TransitionRecord:
    """One row of the audit trail, as the rules describe it."""

    action: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    from_unit_id: int | None
    to_unit_id: int | None
    note: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """The new state of an order and the audit record of how it got there."""

    state: OrderState
    record: TransitionRecord


# --------------------------------------------------------------------------- who may


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
# What the system principal does to orders by itself: automatic dispatch, and a channel's
# duplicate merged into its master at intake. Every other action needs a person.
SYSTEM_ACTIONS = frozenset({Action.DISPATCH, Action.MERGE})
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
    if actor.role in (Role.ADMIN, Role.INSPECTOR):
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


def _resolve_on_intake(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return (
        len(state.chain) == 1
        and state.first_dispatched_at is None
        and _acts_for(actor, state.current_unit_id, _DISPATCHERS)
    )


def _dispatch(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    holder, org = state.current_unit_id, ctx.org
    if state.status is OrderStatus.IN_PROGRESS and (state.pending is not None or not org.is_center(holder)):
        return False
    return _acts_for(actor, holder, _DISPATCHERS) and org.is_center(holder)


def _redispatch(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    # Only a center on the order's route (at or below the registering center) may redispatch:
    # the chain must keep starting at the registering center.
    on_route = actor.role is Role.ADMIN or (
        actor.unit_id is not None and ctx.org.is_within(actor.unit_id, state.registering_unit_id)
    )
    return on_route and _is_upper_center(actor, state, ctx.org) and state.pending is None


def _holding_unit(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return _acts_for(actor, state.current_unit_id, _HOLDERS)


def _return(state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    return len(state.chain) > 1 and _holding_unit(state, actor, ctx)


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
        "the registering center's dispatcher, before any dispatch", _resolve_on_intake
    ),
    Action.DISPATCH: WhoMay("the holding center's dispatcher, to any unit below it", _dispatch),
    Action.REDISPATCH: WhoMay("a dispatcher of a center above the holder, on the order's route", _redispatch),
    Action.SIGN: WhoMay(_HOLDING, _holding_unit),
    Action.RETURN: WhoMay(f"{_HOLDING}, once the order has left its registering center", _return),
    Action.REQUEST_EXTENSION: WhoMay(
        f"{_HOLDING}, within the allowed number of extensions", _request_extension
    ),
    Action.REQUEST_SUSPENSION: WhoMay(f"{_HOLDING}, with no request pending", _request_suspension),
    Action.DECIDE_EXTENSION: WhoMay("the dispatching center's dispatcher", _decides(RequestKind.EXTENSION)),
    Action.DECIDE_SUSPENSION: WhoMay("the dispatching center's dispatcher", _decides(RequestKind.SUSPENSION)),
    Action.RESUME: WhoMay("the holding unit or its dispatching center", _resume),
    Action.REPLY: WhoMay(_HOLDING, _holding_unit),
    Action.REVIEW: WhoMay("the dispatching center's dispatcher", _dispatching_center),
    Action.CALLBACK: WhoMay("a dispatcher of the registering center (or above), an inspector", _calls_back),
    Action.CLOSE: WhoMay("a dispatcher of the registering center (or above), an inspector", _calls_back),
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


def _may(action: Action, state: OrderState, actor: Actor, ctx: RuleContext) -> bool:
    """Whether the actor's role and unit let them take `action` on this order now (`WHO_MAY`)."""
    if actor.role is Role.SYSTEM and action not in SYSTEM_ACTIONS:
        return False
    who = WHO_MAY.get(action)
    return who is not None and who.rule(state, actor, ctx)


def allowed_actions(state: OrderState, actor: Actor, ctx: RuleContext) -> list[Action]:
    """The actions `actor` may take on the order now: what the console shows as buttons."""
    return [a for a in Action if a in ALLOWED_ACTIONS[state.status] and _may(a, state, actor, ctx)]


# --------------------------------------------------------------------------- apply


def register(
    *,
    center_unit_id: int,
    order_type: OrderType,
    urgency: Urgency,
    now: datetime,
    note: str = "",
    category_code: str | None = None,
) -> Outcome:
    """A new order, registered (受理) at `center_unit_id` and waiting to be dispatched."""
    state = OrderState(
        status=OrderStatus.PENDING_DISPATCH,
        chain=(center_unit_id,),
        order_type=order_type,
        urgency=urgency,
        registered_at=now,
        category_code=category_code,
    )
    record = TransitionRecord(
        action=Action.REGISTER.value,
        from_status=None,
        to_status=state.status,
        from_unit_id=None,
        to_unit_id=center_unit_id,
        note=note,
        details={},
    )
    return Outcome(state, record)


def _require_note(command: Command, what: str) -> str:
    note = command.note.strip()
    if not note:
        raise ValidationFailed(f"{what}不能为空", field="note")
    return note


def apply(state: OrderState, command: Command, actor: Actor, ctx: RuleContext) -> Outcome:
    """Apply `command` by `actor` to an order in `state`."""
    action = command.action
    if not ORDER_TRANSITIONS.allows(state.status, action):
        raise ActionNotAllowed(
            f"工单当前状态为「{state.status.label}」，不能{action.label}",
            status=state.status.value,
            allowed_actions=[a.value for a in allowed_actions(state, actor, ctx)],
        )
    if not _may(action, state, actor, ctx):
        raise PermissionDenied(
            f"您无权对该工单执行「{action.label}」",
            action=action.value,
            allowed_actions=sorted(a.value for a in allowed_actions(state, actor, ctx)),
        )
    handler = _HANDLERS[type(command)]
    new_state, details, to_unit = handler(state, command, actor, ctx)
    ORDER_TRANSITIONS.check_target(state.status, action, new_state.status)
    if state.sign_alert or state.reply_alert:
        new_state = _announced_afresh(state, new_state)
    record = TransitionRecord(
        action=action.value,
        from_status=state.status,
        to_status=new_state.status,
        from_unit_id=state.current_unit_id,
        to_unit_id=to_unit if to_unit is not None else new_state.current_unit_id,
        note=command.note.strip(),
        details=details,
    )
    return Outcome(new_state, record)


_Result = tuple[OrderState, dict[str, Any], int | None]


def _due(deadline: Deadline | None) -> datetime | None:
    return deadline.due_at if deadline is not None else None


def _announced_afresh(before: OrderState, after: OrderState) -> OrderState:
    """A deadline that moved (a new dispatch, an extension, a resume) is announced afresh by
    the sweep: what it announced of the old one is forgotten."""
    sign_alert, reply_alert = after.sign_alert, after.reply_alert
    if sign_alert and _due(after.sign_deadline) != _due(before.sign_deadline):
        sign_alert = AlertLevel.NONE
    if reply_alert and _due(after.reply_deadline) != _due(before.reply_deadline):
        reply_alert = AlertLevel.NONE
    if (sign_alert, reply_alert) == (after.sign_alert, after.reply_alert):
        return after
    return replace(after, sign_alert=sign_alert, reply_alert=reply_alert)


def _dispatch_to(state: OrderState, chain: tuple[int, ...], ctx: RuleContext, *, first: bool) -> OrderState:
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


def _do_resolve_on_intake(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    result = _require_note(cmd, "答复内容")
    return replace(state, status=OrderStatus.AWAITING_CALLBACK, replied_at=ctx.now, result=result), {}, None


def _do_dispatch(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, Dispatch)
    _check_target(state, state.current_unit_id, cmd.target_unit_id, ctx)
    first = state.first_dispatched_at is None
    new = _dispatch_to(state, (*state.chain, cmd.target_unit_id), ctx, first=first)
    return new, {"target_unit_id": cmd.target_unit_id}, None


def _do_redispatch(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, Redispatch)
    acting_here = actor.role is Role.DISPATCHER and actor.unit_id is not None
    center = actor.unit_id if acting_here and actor.unit_id is not None else state.chain[-2]
    _check_target(state, center, cmd.target_unit_id, ctx)
    if center in state.chain:
        base = state.chain[: state.chain.index(center) + 1]
    else:
        # a center above the holder that the order skipped on its way down
        base = (*(u for u in state.chain if ctx.org.is_within(center, u)), center)
    new = _dispatch_to(state, (*base, cmd.target_unit_id), ctx, first=False)
    return new, {"redispatched_by_unit_id": center, "previous_unit_id": state.current_unit_id}, None


def _do_sign(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    on_time = state.sign_deadline is None or ctx.now <= state.sign_deadline.due_at
    return replace(state, status=OrderStatus.IN_PROGRESS, signed_at=ctx.now), {"on_time": on_time}, None


def _do_return(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    _require_note(cmd, "退单理由")
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


def _do_request_extension(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, RequestExtension)
    _require_note(cmd, "延期理由")
    if cmd.new_due_at is None:
        raise ValidationFailed("请填写申请延期至的日期", field="new_due_at")
    assert state.reply_deadline is not None
    if cmd.new_due_at <= state.reply_deadline.due_at:
        raise ValidationFailed("申请的期限必须晚于当前办理期限", field="new_due_at")
    pending = PendingRequest(
        RequestKind.EXTENSION, cmd.note.strip(), ctx.now, state.current_unit_id, cmd.new_due_at
    )
    return replace(state, pending=pending), {"new_due_at": cmd.new_due_at.isoformat()}, None


def _do_decide_extension(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, DecideExtension) and state.pending is not None
    details: dict[str, Any] = {"approved": cmd.approve, "request_reason": state.pending.reason}
    if not cmd.approve:
        _require_note(cmd, "不同意延期的理由")
        return replace(state, pending=None), details, None
    assert state.reply_deadline is not None and state.pending.new_due_at is not None
    new_deadline = ctx.planner.extend(state.reply_deadline, state.pending.new_due_at)
    details["new_due_at"] = new_deadline.due_at.isoformat()
    new = replace(state, pending=None, reply_deadline=new_deadline, extension_count=state.extension_count + 1)
    return new, details, None


def _do_request_suspension(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    reason = _require_note(cmd, "挂起理由")
    pending = PendingRequest(RequestKind.SUSPENSION, reason, ctx.now, state.current_unit_id)
    return replace(state, pending=pending), {}, None


def _do_decide_suspension(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, DecideSuspension) and state.pending is not None
    details: dict[str, Any] = {"approved": cmd.approve, "request_reason": state.pending.reason}
    if not cmd.approve:
        _require_note(cmd, "不同意挂起的理由")
        return replace(state, pending=None), details, None
    return replace(state, pending=None, status=OrderStatus.SUSPENDED, suspended_at=ctx.now), details, None


def _do_resume(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    paused_at = state.suspended_at or ctx.now
    reply_deadline = state.reply_deadline
    if reply_deadline is not None:
        reply_deadline = ctx.planner.resume(reply_deadline, paused_at, ctx.now)
    details: dict[str, Any] = {"paused_seconds": (ctx.now - paused_at).total_seconds()}
    if reply_deadline is not None:
        details["new_due_at"] = reply_deadline.due_at.isoformat()
    new = replace(state, status=OrderStatus.IN_PROGRESS, suspended_at=None, reply_deadline=reply_deadline)
    return new, details, None


def _do_reply(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    result = _require_note(cmd, "办理结果")
    on_time = state.reply_deadline is None or ctx.now <= state.reply_deadline.due_at
    new = replace(state, status=OrderStatus.REPLIED, replied_at=ctx.now, result=result, pending=None)
    return new, {"on_time": on_time}, None


def _do_review(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, Review)
    if cmd.approve:
        return replace(state, status=OrderStatus.AWAITING_CALLBACK), {"approved": True}, None
    _require_note(cmd, "退回返工的意见")
    new = replace(state, status=OrderStatus.IN_PROGRESS, replied_at=None, rework_count=state.rework_count + 1)
    return new, {"approved": False, "rework": True}, None


def _do_callback(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, Callback)
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
        return _dispatch_to(reopened, state.chain, ctx, first=True), details, None
    closed = replace(state, status=OrderStatus.CLOSED, satisfaction=rating, closed_at=ctx.now)
    return closed, details, None


def _do_close(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    return replace(state, status=OrderStatus.CLOSED, closed_at=ctx.now), {}, None


def _do_cancel(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, Cancel)
    _require_note(cmd, "撤销说明")
    new = replace(
        state, status=OrderStatus.CANCELLED, cancel_reason=cmd.reason, closed_at=ctx.now, pending=None
    )
    return new, {"reason": cmd.reason.value}, None


def _do_merge(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    assert isinstance(cmd, Merge)
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


def _do_supervise(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    _require_note(cmd, "督办意见")
    return replace(state, supervised=True), {}, None


def _do_urge(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    return replace(state, urge_count=state.urge_count + 1), {}, None


def _do_instruct(state: OrderState, cmd: Command, actor: Actor, ctx: RuleContext) -> _Result:
    _require_note(cmd, "批示内容")
    return replace(state, has_instruction=True), {}, None


_HANDLERS: dict[type[Command], Callable[[OrderState, Command, Actor, RuleContext], _Result]] = {
    ResolveOnIntake: _do_resolve_on_intake,
    Dispatch: _do_dispatch,
    Redispatch: _do_redispatch,
    Sign: _do_sign,
    Return: _do_return,
    RequestExtension: _do_request_extension,
    DecideExtension: _do_decide_extension,
    RequestSuspension: _do_request_suspension,
    DecideSuspension: _do_decide_suspension,
    Resume: _do_resume,
    Reply: _do_reply,
    Review: _do_review,
    Callback: _do_callback,
    Close: _do_close,
    Cancel: _do_cancel,
    Merge: _do_merge,
    Supervise: _do_supervise,
    Urge: _do_urge,
    Instruct: _do_instruct,
}


# --------------------------------------------------------------------------- system events


@dataclass(frozen=True)
class Event:
    """Base of the system events: changes to an order that no life-cycle command makes."""

    @property
    def kind(self) -> SystemEvent:  # pragma: no cover - every event names its kind
        raise NotImplementedError


@dataclass(frozen=True)
class ChannelUpdate(Event):
    """A channel sent a message about an order it already has (诉求更新): recorded, never dropped.

    `changes`: the fields whose new text differs (title, content, address), as sent;
    `first_message`: the channel's first message for an order registered another way
    (by hand, by an import) rather than a repeat with changed content.
    """

    changes: Mapping[str, Any] = field(default_factory=dict)
    first_message: bool = False

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.UPDATE


@dataclass(frozen=True)
class Attach(Event):
    """A file (photo, recording, document) added to the order."""

    filename: str
    sha256: str
    size: int
    content_type: str

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.ATTACH


@dataclass(frozen=True)
class FlagDuplicate(Event):
    """Duplicate detection found candidates between its thresholds: a dispatcher decides.

    `candidates`: one description per candidate, best first (number, score, …; a number is
    None where the candidate has none to show).
    """

    candidates: tuple[Mapping[str, Any], ...] = ()

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.FLAG_DUPLICATE


@dataclass(frozen=True)
class DismissDuplicate(Event):
    """A dispatcher found the flagged order not to be a duplicate (排除重复)."""

    note: str = ""

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.DISMISS_DUPLICATE


@dataclass(frozen=True)
class Recategorize(Event):
    """The order's category corrected (修改分类); `path` is the new category's names, for the note."""

    category_code: str
    path: str = ""
    note: str = ""

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.RECATEGORIZE


class DeadlineKind(StrEnum):
    """The two deadlines of an order: to sign for it (签收) and to reply (办理)."""

    SIGN = "sign"
    REPLY = "reply"

    @property
    def label(self) -> str:
        return {"sign": "签收", "reply": "办理"}[self.value]


@dataclass(frozen=True)
class DeadlineAlert(Event):
    """The deadline sweep announces that a deadline is near (warning) or past (overdue)."""

    deadline: DeadlineKind
    level: AlertLevel

    @property
    def kind(self) -> SystemEvent:
        return (
            SystemEvent.DEADLINE_OVERDUE if self.level is AlertLevel.OVERDUE else SystemEvent.DEADLINE_WARNING
        )


_EventResult = tuple[OrderState, str, dict[str, Any]]  # new state, note, details


def record_event(state: OrderState, event: Event, actor: Actor, ctx: RuleContext) -> Outcome:
    """Record a system event on an order in `state`: its new state and its one audit record.

    The counterpart of `apply` for the changes no command makes. Raises ActionNotAllowed
    (409) when the status does not take the event (a category change on a closed order, an
    alert on a replied one), PermissionDenied (403) when a person records what only the
    system may (`SYSTEM_ONLY_EVENTS`), ValidationFailed (422) when the event changes nothing
    it should (a dismissal without a flag, an alert not due or already given). Who of the
    people may record theirs is the order use cases' named policy (`domain.order_access`).
    """
    kind = event.kind
    if not ORDER_EVENTS.allows(state.status, kind):
        raise ActionNotAllowed(
            f"工单当前状态为「{state.status.label}」，不能记录「{kind.label}」",
            status=state.status.value,
            allowed_actions=[a.value for a in allowed_actions(state, actor, ctx)],
        )
    if kind in SYSTEM_ONLY_EVENTS and not actor.is_system:
        raise PermissionDenied(f"「{kind.label}」只能由系统记录", action=kind.value, allowed_actions=[])
    new_state, note, details = _EVENT_HANDLERS[type(event)](state, event, ctx)
    ORDER_EVENTS.check_target(state.status, kind, new_state.status)
    record = TransitionRecord(
        action=kind.value,
        from_status=state.status,
        to_status=new_state.status,
        from_unit_id=state.current_unit_id,
        to_unit_id=new_state.current_unit_id,
        note=note,
        details=details,
    )
    return Outcome(new_state, record)


def _on_update(state: OrderState, event: Event, ctx: RuleContext) -> _EventResult:
    assert isinstance(event, ChannelUpdate)
    note = (
        "渠道推送了该编号的报文（工单由其他途径先行登记），已记录为诉求更新"
        if event.first_message
        else "渠道重复推送且内容有变化，已记录为诉求更新"
    )
    return state, note, {"changes": dict(event.changes)}


def _on_attach(state: OrderState, event: Event, ctx: RuleContext) -> _EventResult:
    assert isinstance(event, Attach)
    details = {"sha256": event.sha256, "size": event.size, "content_type": event.content_type}
    return state, event.filename, details


def _on_flag_duplicate(state: OrderState, event: Event, ctx: RuleContext) -> _EventResult:
    assert isinstance(event, FlagDuplicate)
    if not event.candidates:
        raise ValidationFailed("疑似重复须列出候选工单", field="candidates")
    shown = sum(1 for c in event.candidates if c.get("number"))
    note = f"疑似重复：{shown} 件候选工单，待派单员确认"
    details = {"candidates": [dict(c) for c in event.candidates]}
    return replace(state, possible_duplicate=True), note, details


def _on_dismiss_duplicate(state: OrderState, event: Event, ctx: RuleContext) -> _EventResult:
    assert isinstance(event, DismissDuplicate)
    if not state.possible_duplicate:
        raise ValidationFailed("该工单没有待确认的疑似重复", field="possible_duplicate")
    return replace(state, possible_duplicate=False), event.note or "经核实不是重复件", {}


def _on_recategorize(state: OrderState, event: Event, ctx: RuleContext) -> _EventResult:
    assert isinstance(event, Recategorize)
    old = state.category_code
    if event.category_code == old:
        raise ValidationFailed("分类没有变化", field="category_code")
    note = event.note.strip() or f"分类由 {old or '未分类'} 改为 {event.path or event.category_code}"
    details = {"from": old, "to": event.category_code}
    return replace(state, category_code=event.category_code), note, details


def _on_deadline_alert(state: OrderState, event: Event, ctx: RuleContext) -> _EventResult:
    assert isinstance(event, DeadlineAlert)
    sign = event.deadline is DeadlineKind.SIGN
    deadline = state.sign_deadline if sign else state.reply_deadline
    live = state.status is OrderStatus.DISPATCHED if sign else state.status in _BEFORE_REPLY
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


_EVENT_HANDLERS: dict[type[Event], Callable[[OrderState, Event, RuleContext], _EventResult]] = {
    ChannelUpdate: _on_update,
    Attach: _on_attach,
    FlagDuplicate: _on_flag_duplicate,
    DismissDuplicate: _on_dismiss_duplicate,
    Recategorize: _on_recategorize,
    DeadlineAlert: _on_deadline_alert,
}


# --------------------------------------------------------------------------- import

IMPORT_ACTOR_NAME = "历史数据导入"


def import_actor() -> Actor:
    """Who imported orders are recorded as: the system, named for the import."""
    return Actor.system(IMPORT_ACTOR_NAME)


def import_chain(registering_unit_id: int, responsible_unit_id: int | None) -> tuple[int, ...]:
    """The route of an imported order: its registering center, then the unit that handled it."""
    if responsible_unit_id is None or responsible_unit_id == registering_unit_id:
        return (registering_unit_id,)
    return (registering_unit_id, responsible_unit_id)


def import_record(status: OrderStatus, chain: tuple[int, ...], *, file: str, row: int) -> TransitionRecord:
    """The one audit record of an order taken over from a historical export (历史导入): it
    arrived as it stood (no status before it) at the unit that last had it, from `row` of
    `file`. The bulk writers store it as it says (`store.bulk`)."""
    return TransitionRecord(
        action=SystemEvent.IMPORT.value,
        from_status=None,
        to_status=status,
        from_unit_id=None,
        to_unit_id=chain[-1],
        note="",
        details={"file": file, "row": row},
    )


def imported(
    *,
    status: OrderStatus,
    chain: tuple[int, ...],
    order_type: OrderType,
    urgency: Urgency,
    registered_at: datetime,
    file: str,
    row: int,
    replied_at: datetime | None = None,
    closed_at: datetime | None = None,
    satisfaction: Satisfaction | None = None,
    result: str | None = None,
    category_code: str | None = None,
) -> Outcome:
    """An order taken over from another system's history: its state as the export gives it
    (no deadlines: they ran out in the old system) and its one audit record."""
    state = OrderState(
        status=status,
        chain=chain,
        order_type=order_type,
        urgency=urgency,
        registered_at=registered_at,
        replied_at=replied_at,
        closed_at=closed_at,
        satisfaction=satisfaction,
        result=result,
        category_code=category_code,
    )
    return Outcome(state, import_record(status, chain, file=file, row=row))
