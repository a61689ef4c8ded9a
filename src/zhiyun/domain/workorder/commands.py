"""The commands a user gives an order: one frozen dataclass per `Action`.

A face builds them (`zhiyun.domain.actions.command_for`); `machine.apply` takes them and
hands each to its own handler (`handlers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from zhiyun.domain.workorder.choices import Action, CancelReason, Satisfaction


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
