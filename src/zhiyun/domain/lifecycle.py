"""A reusable kit for audited life cycles: a transition table, a may-act hook, an audit record.

The work order is the first thing with a life cycle and an audit trail; patrol tasks,
alarms, inspections and knowledge items follow. Each of them is the same three parts,
which this module gives once, with no storage and no web:

- `TransitionTable`: which actions each state allows and to which states each may lead,
  as one table of ``(state, action) → next states`` (Amsterdam signals'
  ``ALLOWED_STATUS_CHANGES``, made per action). A step outside the table is refused with
  `ActionNotAllowed` (409), and a rule that leads somewhere the table does not name is a
  bug the table catches (`TransitionTable.check_target`).
- `Lifecycle`: a table plus a may-act predicate (who may take an action on this thing
  now, given its role and unit): `check` refuses with `PermissionDenied` (403), `allowed`
  lists what an actor may do (the buttons a face shows), and `record` checks a step and
  describes its `AuditRecord`.
- `AuditRecord`: one row of a trail as the rules describe it (action, from and to state,
  note, details); storage adds who and when (`zhiyun.store.lifecycle`).

A new audited thing declares its states and actions as `StrEnum`s, writes its table and
its may-act rule, and stores each step through `zhiyun.store.lifecycle.AuditedTable`,
which bumps the thing's version and writes exactly one audit row per step.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied
from zhiyun.domain.principals import Actor

S = TypeVar("S", bound=Hashable)  # a state (a StrEnum member, say)
A = TypeVar("A", bound=Hashable)  # an action or event
T = TypeVar("T")  # the thing whose life cycle it is, as its rules read it

_NOTHING: frozenset[Any] = frozenset()


def _value(x: Hashable) -> str:
    """The stored form of a state or action: a StrEnum's value, else its str()."""
    return str(getattr(x, "value", x))


class TransitionTable(Generic[S, A]):
    """Which actions each state allows, and the states each (state, action) may lead to.

    Built from ``{(state, action): next states}``; an action that never changes the state
    maps to its own state (`staying` builds those rows). Lookups are dictionary reads, so
    the table can sit on the hottest path.
    """

    __slots__ = ("_actions", "_targets")

    def __init__(self, rows: Mapping[tuple[S, A], Iterable[S]]) -> None:
        targets: dict[tuple[S, A], frozenset[S]] = {}
        actions: dict[S, set[A]] = {}
        for (state, action), to in rows.items():
            leads = frozenset(to)
            if not leads:
                raise ValueError(f"({state!r}, {action!r}) leads nowhere")
            targets[(state, action)] = leads
            actions.setdefault(state, set()).add(action)
        self._targets = targets
        self._actions = {state: frozenset(acts) for state, acts in actions.items()}

    @staticmethod
    def staying(states: Iterable[S], actions: Iterable[A]) -> dict[tuple[S, A], frozenset[S]]:
        """Rows for actions that leave the state as it is, in each of `states`."""
        acts = tuple(actions)
        return {(s, a): frozenset({s}) for s in states for a in acts}

    @property
    def rows(self) -> Mapping[tuple[S, A], frozenset[S]]:
        return dict(self._targets)

    @property
    def states(self) -> frozenset[S]:
        """Every state the table names, as a source or as a target."""
        named: set[S] = set(self._actions)
        for leads in self._targets.values():
            named.update(leads)
        return frozenset(named)

    def allows(self, state: S, action: A) -> bool:
        return action in self._actions.get(state, _NOTHING)

    def actions_from(self, state: S) -> frozenset[A]:
        """The actions `state` allows (before anyone asks who may take them)."""
        return self._actions.get(state, _NOTHING)

    def targets(self, state: S, action: A) -> frozenset[S]:
        """The states `action` may lead to from `state`; empty when the table refuses it."""
        return self._targets.get((state, action), _NOTHING)

    def successors(self, state: S) -> frozenset[S]:
        """Every state some action leads to from `state`."""
        return frozenset().union(*(self._targets[(state, a)] for a in self.actions_from(state)))

    def is_final(self, state: S) -> bool:
        """No action leads out of `state`."""
        return not self.actions_from(state)

    def reachable(self, start: S) -> frozenset[S]:
        """The states some sequence of allowed actions leads to from `start` (itself included)."""
        seen = {start}
        todo = [start]
        while todo:
            for nxt in self.successors(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def check_target(self, state: S, action: A, to: S) -> None:
        """Raise AssertionError when a rule led `action` from `state` to a state the table does not name."""
        if to not in self._targets.get((state, action), _NOTHING):
            raise AssertionError(f"{action!r} led from {state!r} to {to!r}, outside the transition table")

    def merged(self, other: TransitionTable[S, A]) -> TransitionTable[S, A]:
        """The two tables as one (a thing's commands and its system events, say)."""
        rows: dict[tuple[S, A], frozenset[S]] = dict(self._targets)
        for key, leads in other._targets.items():
            rows[key] = rows.get(key, _NOTHING) | leads
        return TransitionTable(rows)


@dataclass(frozen=True)
class AuditRecord:
    """One entry of an audit trail, as the rules describe it; storage adds who and when."""

    action: str
    from_state: str | None
    to_state: str
    note: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


MayAct = Callable[[A, T, Actor], bool]


class Lifecycle(Generic[S, A, T]):
    """A transition table and who may act on a thing: the rules of one audited life cycle.

    `state_of` reads a thing's state; `may` says whether an actor may take an action on it
    now (its role, its unit, the thing's holder; the table has already said the state
    allows the action). `labels` gives the words users read in refusals.
    """

    def __init__(
        self,
        table: TransitionTable[S, A],
        *,
        state_of: Callable[[T], S],
        may: MayAct[A, T] | None = None,
        labels: Mapping[Hashable, str] | None = None,
    ) -> None:
        self.table = table
        self.state_of = state_of
        self.may = may
        self.labels: Mapping[Hashable, str] = labels or {}

    def _label(self, x: Hashable) -> str:
        return self.labels.get(x, _value(x))

    def allowed(self, thing: T, actor: Actor) -> list[A]:
        """What `actor` may do to `thing` now (in the table's order of insertion per state)."""
        state = self.state_of(thing)
        may = self.may
        return [a for a in self.table.actions_from(state) if may is None or may(a, thing, actor)]

    def check(self, thing: T, action: A, actor: Actor) -> S:
        """The thing's state, if `actor` may take `action` on it now; else ActionNotAllowed
        (the state does not allow the action at all) or PermissionDenied (not this actor)."""
        state = self.state_of(thing)
        if not self.table.allows(state, action):
            raise ActionNotAllowed(
                f"当前状态为「{self._label(state)}」，不能{self._label(action)}",
                status=_value(state),
                allowed_actions=[_value(a) for a in self.allowed(thing, actor)],
            )
        if self.may is not None and not self.may(action, thing, actor):
            raise PermissionDenied(
                f"您无权执行「{self._label(action)}」",
                action=_value(action),
                allowed_actions=sorted(_value(a) for a in self.allowed(thing, actor)),
            )
        return state

    def record(
        self,
        thing: T,
        action: A,
        actor: Actor,
        *,
        to: S | None = None,
        note: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Check one step (`check`, and that the table lets it lead to `to`) and describe its
        audit record; `to` None: the step leaves the state as it is."""
        state = self.check(thing, action, actor)
        target = state if to is None else to
        self.table.check_target(state, action, target)
        return AuditRecord(
            action=_value(action),
            from_state=_value(state),
            to_state=_value(target),
            note=note,
            details=dict(details or {}),
        )


__all__ = ["AuditRecord", "Lifecycle", "MayAct", "TransitionTable"]
