"""Typed handler tables: each command (or system event) class and the one handler of that class.

A handler is typed with its own class (``def do_dispatch(state, cmd: Dispatch, actor, ctx)``),
so it reads its command's fields with no ``isinstance``. What makes that safe is the way into
a table: a binding, `on_command(Dispatch, do_dispatch)` or `on_event(Attach, on_attach)`,
whose two arguments mypy checks against each other — a handler of `Redispatch` bound to
`Dispatch` is a type error ("Cannot infer value of type parameter"). A table is read-only
once built, so `handler_for` gives back, for a command of class ``C``, a handler of ``C``.

Lookups are by the exact class of the command, as a dict read; a class no binding names (a
new command without its handler, say) raises `UnknownCommand`, a programming error rather
than a user's (it is no `DomainError`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from zhiyun.domain.principals import Actor
from zhiyun.domain.workorder.commands import Command
from zhiyun.domain.workorder.context import RuleContext
from zhiyun.domain.workorder.events import Event
from zhiyun.domain.workorder.state import OrderState

C = TypeVar("C", bound=Command)
C_contra = TypeVar("C_contra", bound=Command, contravariant=True)
E = TypeVar("E", bound=Event)
E_contra = TypeVar("E_contra", bound=Event, contravariant=True)
K = TypeVar("K")  # the base class of what a table dispatches on (Command, Event)
H = TypeVar("H")  # its handlers, their argument's class erased

# The new state, the audit record's details, and the unit the step went to when it is not
# the new holder (None: the new state's holder).
CommandResult = tuple[OrderState, dict[str, Any], int | None]
# The new state, the audit record's note and its details.
EventResult = tuple[OrderState, str, dict[str, Any]]


class CommandHandler(Protocol[C_contra]):
    """What a command of class ``C_contra`` does to an order (`machine.apply` checked the rest)."""

    def __call__(
        self, state: OrderState, command: C_contra, actor: Actor, ctx: RuleContext, /
    ) -> CommandResult: ...


class EventHandler(Protocol[E_contra]):
    """What a system event of class ``E_contra`` does to an order (`machine.record_event` checked the rest)."""

    def __call__(self, state: OrderState, event: E_contra, ctx: RuleContext, /) -> EventResult: ...


class UnknownCommand(TypeError):
    """A command or system event whose class no handler table names: a bug, not a user's error."""


@dataclass(frozen=True)
class Binding(Generic[K, H]):
    """One row of a table; made by `on_command` or `on_event`, which check the handler's class."""

    kind: type[K]
    handler: H


def on_command(kind: type[C], handler: CommandHandler[C]) -> Binding[Command, CommandHandler[Any]]:
    """The row giving commands of class `kind` to `handler`, which must take that class."""
    return Binding(kind, handler)


def on_event(kind: type[E], handler: EventHandler[E]) -> Binding[Event, EventHandler[Any]]:
    """The row giving system events of class `kind` to `handler`, which must take that class."""
    return Binding(kind, handler)


class HandlerTable(Mapping[type[K], H]):
    """Handlers by the exact class they handle; read-only, one handler a class."""

    __slots__ = ("_handlers", "_what")

    def __init__(self, what: str, bindings: Iterable[Binding[K, H]]) -> None:
        self._what = what
        handlers: dict[type[K], H] = {}
        for binding in bindings:
            if binding.kind in handlers:
                raise ValueError(f"two handlers for the {what} {binding.kind.__qualname__}")
            handlers[binding.kind] = binding.handler
        self._handlers = handlers

    def __getitem__(self, kind: type[K]) -> H:
        return self._handlers[kind]

    def __iter__(self) -> Iterator[type[K]]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)

    def _lookup(self, message: K) -> H:
        try:
            return self._handlers[type(message)]
        except KeyError:
            raise UnknownCommand(
                f"no handler for the {self._what} {type(message).__qualname__}: "
                "bind one in zhiyun.domain.workorder.handlers"
            ) from None


class CommandTable(HandlerTable[Command, CommandHandler[Any]]):
    """The handler of each command class (`handlers.COMMAND_HANDLERS`)."""

    __slots__ = ()

    def __init__(self, *bindings: Binding[Command, CommandHandler[Any]]) -> None:
        super().__init__("command", bindings)

    def handler_for(self, command: C) -> CommandHandler[C]:
        """The handler bound to the class of `command`; `UnknownCommand` when there is none."""
        return self._lookup(command)


class EventTable(HandlerTable[Event, EventHandler[Any]]):
    """The handler of each system event class (`handlers.EVENT_HANDLERS`)."""

    __slots__ = ()

    def __init__(self, *bindings: Binding[Event, EventHandler[Any]]) -> None:
        super().__init__("system event", bindings)

    def handler_for(self, event: E) -> EventHandler[E]:
        """The handler bound to the class of `event`; `UnknownCommand` when there is none."""
        return self._lookup(event)
