"""The handler of each command and of each system event: what it does to the order's state.

One module per group of actions (`dispatching`, `requests`, `closing`, `oversight`) and one
for the system events (`system_events`); the tables below give each command and event class
its handler, and `machine` looks them up.
"""

from __future__ import annotations

from collections.abc import Callable

from zhiyun.domain.principals import Actor
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
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.events import (
    Attach,
    ChannelUpdate,
    DeadlineAlert,
    DismissDuplicate,
    Event,
    FlagDuplicate,
    Recategorize,
)
from zhiyun.domain.workorder.handlers import closing, dispatching, oversight, requests, system_events
from zhiyun.domain.workorder.handlers.common import CommandResult
from zhiyun.domain.workorder.handlers.system_events import EventResult
from zhiyun.domain.workorder.state import OrderState

_HANDLERS: dict[type[Command], Callable[[OrderState, Command, Actor, RuleContext], CommandResult]] = {
    ResolveOnIntake: closing.do_resolve_on_intake,
    Dispatch: dispatching.do_dispatch,
    Redispatch: dispatching.do_redispatch,
    Sign: dispatching.do_sign,
    Return: dispatching.do_return,
    RequestExtension: requests.do_request_extension,
    DecideExtension: requests.do_decide_extension,
    RequestSuspension: requests.do_request_suspension,
    DecideSuspension: requests.do_decide_suspension,
    Resume: requests.do_resume,
    Reply: closing.do_reply,
    Review: closing.do_review,
    Callback: closing.do_callback,
    Close: closing.do_close,
    Cancel: closing.do_cancel,
    Merge: closing.do_merge,
    Supervise: oversight.do_supervise,
    Urge: oversight.do_urge,
    Instruct: oversight.do_instruct,
}

_EVENT_HANDLERS: dict[type[Event], Callable[[OrderState, Event, RuleContext], EventResult]] = {
    ChannelUpdate: system_events.on_update,
    Attach: system_events.on_attach,
    FlagDuplicate: system_events.on_flag_duplicate,
    DismissDuplicate: system_events.on_dismiss_duplicate,
    Recategorize: system_events.on_recategorize,
    DeadlineAlert: system_events.on_deadline_alert,
}
