"""The handler of each command and of each system event: what it does to the order's state.

One module per group of actions (`dispatching`, `requests`, `closing`, `oversight`) and one
for the system events (`system_events`); each handler is typed with its own class. The two
tables below give each class its handler (mypy checks every row, `registry`), and
`machine.apply` / `machine.record_event` look them up. A new command is a dataclass in
`commands`, a row in `transitions` and `who_may`, a handler here and its row below.
"""

from __future__ import annotations

from zhiyun.domain.workorder.commands import (
    Callback,
    Cancel,
    Close,
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
from zhiyun.domain.workorder.events import (
    Attach,
    ChannelUpdate,
    DeadlineAlert,
    DismissDuplicate,
    FlagDuplicate,
    Recategorize,
    RepeatCall,
    SetRectification,
)
from zhiyun.domain.workorder.handlers import closing, dispatching, oversight, requests, system_events
from zhiyun.domain.workorder.registry import CommandTable, EventTable, on_command, on_event

COMMAND_HANDLERS = CommandTable(
    on_command(ResolveOnIntake, closing.do_resolve_on_intake),
    on_command(Dispatch, dispatching.do_dispatch),
    on_command(Redispatch, dispatching.do_redispatch),
    on_command(Sign, dispatching.do_sign),
    on_command(Return, dispatching.do_return),
    on_command(RequestExtension, requests.do_request_extension),
    on_command(DecideExtension, requests.do_decide_extension),
    on_command(RequestSuspension, requests.do_request_suspension),
    on_command(DecideSuspension, requests.do_decide_suspension),
    on_command(Resume, requests.do_resume),
    on_command(Reply, closing.do_reply),
    on_command(Review, closing.do_review),
    on_command(Callback, closing.do_callback),
    on_command(Close, closing.do_close),
    on_command(Cancel, closing.do_cancel),
    on_command(Merge, closing.do_merge),
    on_command(Supervise, oversight.do_supervise),
    on_command(Urge, oversight.do_urge),
    on_command(Instruct, oversight.do_instruct),
)

EVENT_HANDLERS = EventTable(
    on_event(ChannelUpdate, system_events.on_update),
    on_event(Attach, system_events.on_attach),
    on_event(FlagDuplicate, system_events.on_flag_duplicate),
    on_event(DismissDuplicate, system_events.on_dismiss_duplicate),
    on_event(Recategorize, system_events.on_recategorize),
    on_event(SetRectification, system_events.on_set_rectification),
    on_event(RepeatCall, system_events.on_repeat_call),
    on_event(DeadlineAlert, system_events.on_deadline_alert),
)
