"""The typed handler tables of the work order (zhiyun.domain.workorder.registry).

Each command and system event class has exactly one handler, looked up by its exact class;
a class a table does not name is a clear error (UnknownCommand), not a KeyError. (No test
here subclasses Command or Event: the state machine's tests read their subclasses.)
"""

from __future__ import annotations

import pytest

from tests.unit.world import TOWN_A
from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder import (
    COMMAND_HANDLERS,
    EVENT_HANDLERS,
    ChannelUpdate,
    Command,
    Dispatch,
    Event,
    OrderState,
    Redispatch,
    RuleContext,
    Sign,
    UnknownCommand,
)
from zhiyun.domain.workorder.handlers import dispatching
from zhiyun.domain.workorder.registry import CommandResult, CommandTable, EventTable, on_command


def _keep(state: OrderState, command: Sign, actor: Actor, ctx: RuleContext) -> CommandResult:
    return state, {}, None


def test_every_command_and_event_class_has_its_own_handler() -> None:
    assert set(COMMAND_HANDLERS) == set(Command.__subclasses__())
    assert set(EVENT_HANDLERS) == set(Event.__subclasses__())
    assert COMMAND_HANDLERS.handler_for(Dispatch(target_unit_id=TOWN_A)) is dispatching.do_dispatch
    assert COMMAND_HANDLERS.handler_for(Redispatch(target_unit_id=TOWN_A)) is dispatching.do_redispatch


def test_a_class_no_table_names_is_a_clear_error() -> None:
    with pytest.raises(UnknownCommand, match="no handler for the command Dispatch"):
        CommandTable(on_command(Sign, _keep)).handler_for(Dispatch())
    with pytest.raises(UnknownCommand, match="no handler for the system event ChannelUpdate"):
        EventTable().handler_for(ChannelUpdate())


def test_a_class_gets_one_handler() -> None:
    with pytest.raises(ValueError, match="two handlers for the command Sign"):
        CommandTable(on_command(Sign, _keep), on_command(Sign, _keep))
