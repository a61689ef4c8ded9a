"""The work-order life cycle as a hypothesis state machine.

Random commands by random actors at random times drive one order through the rules of
zhiyun.domain.workorder; after every step the invariants of the life cycle must hold.
Pure domain: no database, no I/O beyond importing the holidays package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.unit import world
from tests.unit.world import ACTORS, CENTERS, DISTRICT, ORG, UNIT_IDS, UNKNOWN_UNIT, VILLAGE_A1, VILLAGE_B2
from zhiyun.domain import workorder as wo
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied, ValidationFailed
from zhiyun.domain.workorder import (
    ALLOWED_ACTIONS,
    ALLOWED_STATUS_CHANGES,
    TERMINAL_STATUSES,
    Action,
    CancelReason,
    Command,
    OrderState,
    OrderStatus,
    OrderType,
    RuleContext,
    Satisfaction,
    TransitionRecord,
    Urgency,
    WorkflowPolicy,
    allowed_actions,
    apply,
    register,
)

# --------------------------------------------------------------------------- the world
# The district of tests/unit/world.py: district → 2 towns → 2 villages each, a department
# under the district and an office under town A; a dispatcher, a handler and a grid worker
# at every unit, leaders, an inspector and admins.

ADMIN = world.ADMIN
context = world.context
# Each run draws its site's limits (the default is 2 extensions, 1 reopen, 3 callback attempts);
# small limits get reached within a run, so going past one would show.
POLICIES = st.builds(
    WorkflowPolicy,
    max_extensions=st.integers(0, 2),
    max_reopens=st.integers(0, 2),
    max_callback_attempts=st.integers(1, 3),
)

# Start instants around the holidays of 2025/2026 (all in years the calendar knows).
STARTS = [
    datetime(2025, 9, 26, 1, 30, tzinfo=UTC),  # before National Day 2025
    datetime(2025, 12, 29, 2, 0, tzinfo=UTC),  # across the year boundary
    datetime(2026, 2, 10, 3, 0, tzinfo=UTC),  # before Spring Festival 2026
    datetime(2026, 2, 15, 4, 0, tzinfo=UTC),  # inside Spring Festival 2026
    datetime(2026, 6, 1, 9, 15, tzinfo=UTC),  # an ordinary Monday
    datetime(2026, 9, 18, 7, 0, tzinfo=UTC),  # before National Day 2026
]

# a quarter of the notes are empty (a required reason missing)
NOTES = ("", "   ", "已核实", "请按期办理", "已联系群众", "现场已处理", "同意", "情况属实")
# callbacks that loop (unreachable, unsatisfied → reopen) more often than those that close
RATINGS = (*[Satisfaction.UNREACHABLE] * 3, *[Satisfaction.UNSATISFIED] * 2, *Satisfaction)
ANY_TARGET = (*UNIT_IDS, UNKNOWN_UNIT)
ALL_ACTIONS = tuple(a for a in Action if a is not Action.REGISTER)
T = TypeVar("T")
# Actions that end the order (or short-cut it): drawn less often so that runs get deep into the life cycle.
ENDINGS = frozenset({Action.CANCEL, Action.MERGE, Action.CLOSE, Action.RESOLVE_ON_INTAKE})
OVERSIGHT = frozenset({Action.SUPERVISE, Action.URGE, Action.INSTRUCT})
# How often each action that moves the order on is drawn: the loops of the life cycle (whose
# counters the policy limits) most, the forward steps often, the detours least.
WEIGHTS = {
    Action.REQUEST_EXTENSION: 4,
    Action.DECIDE_EXTENSION: 4,
    Action.REQUEST_SUSPENSION: 2,
    Action.DECIDE_SUSPENSION: 4,
    Action.RESUME: 4,
    Action.CALLBACK: 4,
    Action.RETURN: 1,
    Action.REDISPATCH: 1,
}

COMMAND_TYPES = set(Command.__subclasses__())


def _pick(data: st.DataObject, options: Sequence[T], label: str) -> T:
    """One of `options` (an index draw: cheaper than a fresh sampled_from on every step)."""
    return options[data.draw(st.integers(0, len(options) - 1), label=label)]


def _target(data: st.DataObject, action: Action, state: OrderState, actor: Actor) -> int:
    """Any unit (or none), but mostly one below the center that dispatches."""
    if action is Action.REDISPATCH:
        center = actor.unit_id if actor.unit_id is not None else state.dispatching_unit_id
    else:
        center = state.current_unit_id
    below = [u.id for u in ORG.dispatch_targets(center)] if center is not None else []
    if below and data.draw(st.booleans(), label="below"):
        return _pick(data, below, "target")
    return _pick(data, ANY_TARGET, "target")


def _command(data: st.DataObject, action: Action, state: OrderState, actor: Actor, now: datetime) -> Command:
    """A command for `action` with random but sensible arguments (sometimes bad ones)."""
    note = _pick(data, NOTES, "note")

    def approve() -> bool:
        return data.draw(st.integers(0, 3), label="approve") > 0

    if action is Action.RESOLVE_ON_INTAKE:
        return wo.ResolveOnIntake(note=note)
    if action is Action.DISPATCH:
        return wo.Dispatch(note=note, target_unit_id=_target(data, action, state, actor))
    if action is Action.REDISPATCH:
        return wo.Redispatch(note=note, target_unit_id=_target(data, action, state, actor))
    if action is Action.SIGN:
        return wo.Sign(note=note)
    if action is Action.RETURN:
        return wo.Return(note=note)
    if action is Action.REQUEST_EXTENSION:
        base = state.reply_deadline.due_at if state.reply_deadline else now
        hours = data.draw(st.integers(-72, 24 * 20), label="extend_by_hours")
        missing = data.draw(st.integers(0, 9), label="no_due") == 0
        new_due_at = None if missing else base + timedelta(hours=hours)
        return wo.RequestExtension(note=note, new_due_at=new_due_at)
    if action is Action.DECIDE_EXTENSION:
        return wo.DecideExtension(note=note, approve=approve())
    if action is Action.REQUEST_SUSPENSION:
        return wo.RequestSuspension(note=note)
    if action is Action.DECIDE_SUSPENSION:
        return wo.DecideSuspension(note=note, approve=approve())
    if action is Action.RESUME:
        return wo.Resume(note=note)
    if action is Action.REPLY:
        return wo.Reply(note=note)
    if action is Action.REVIEW:
        return wo.Review(note=note, approve=approve())
    if action is Action.CALLBACK:
        return wo.Callback(note=note, satisfaction=_pick(data, RATINGS, "rating"))
    if action is Action.CLOSE:
        return wo.Close(note=note)
    if action is Action.CANCEL:
        return wo.Cancel(note=note, reason=_pick(data, list(CancelReason), "reason"))
    if action is Action.MERGE:
        return wo.Merge(note=note, master_id=_pick(data, (0, -3, 7, 1024), "master"))
    if action is Action.SUPERVISE:
        return wo.Supervise(note=note)
    if action is Action.URGE:
        return wo.Urge(note=note)
    if action is Action.INSTRUCT:
        return wo.Instruct(note=note)
    raise AssertionError(f"no command for {action}")  # pragma: no cover


def _probes(state: OrderState) -> dict[Action, Command]:
    """A well-formed command for every action (used to check what allowed_actions promises)."""
    due = state.reply_deadline.due_at if state.reply_deadline else state.registered_at
    return {
        Action.RESOLVE_ON_INTAKE: wo.ResolveOnIntake(note="已当场答复"),
        Action.DISPATCH: wo.Dispatch(note="请办理", target_unit_id=VILLAGE_A1),
        Action.REDISPATCH: wo.Redispatch(note="改派", target_unit_id=VILLAGE_B2),
        Action.SIGN: wo.Sign(),
        Action.RETURN: wo.Return(note="非本单位职责"),
        Action.REQUEST_EXTENSION: wo.RequestExtension(note="需协调", new_due_at=due + timedelta(days=5)),
        Action.DECIDE_EXTENSION: wo.DecideExtension(note="同意", approve=True),
        Action.REQUEST_SUSPENSION: wo.RequestSuspension(note="等待司法裁定"),
        Action.DECIDE_SUSPENSION: wo.DecideSuspension(note="同意", approve=True),
        Action.RESUME: wo.Resume(),
        Action.REPLY: wo.Reply(note="已处理完毕"),
        Action.REVIEW: wo.Review(note="通过", approve=True),
        Action.CALLBACK: wo.Callback(satisfaction=Satisfaction.SATISFIED),
        Action.CLOSE: wo.Close(),
        Action.CANCEL: wo.Cancel(note="骚扰电话", reason=CancelReason.HARASSMENT),
        Action.MERGE: wo.Merge(note="重复件", master_id=7),
        Action.SUPERVISE: wo.Supervise(note="请加快办理"),
        Action.URGE: wo.Urge(),
        Action.INSTRUCT: wo.Instruct(note="务必妥善处理"),
    }


def test_every_command_class_has_a_generator_and_a_handler() -> None:
    """The state machine below draws from every Command subclass in workorder.py."""
    actions = {sub.action for sub in (cls() for cls in COMMAND_TYPES)}
    assert actions == set(Action) - {Action.REGISTER}
    assert set(wo._HANDLERS) == COMMAND_TYPES
    state = register(
        center_unit_id=DISTRICT,
        order_type=OrderType.HELP,
        urgency=Urgency.NORMAL,
        now=STARTS[0],
    ).state
    probes = _probes(state)
    assert set(probes) == actions
    for action, command in probes.items():
        assert command.action is action


# --------------------------------------------------------------------------- the machine


_MOVERS: dict[tuple[OrderState, WorkflowPolicy], list[Actor]] = {}


def _movers(state: OrderState, ctx: RuleContext) -> list[Actor]:
    """Actors who can move the order on (not only supervise or end it); a guide for drawing.

    Memoised by state (failed steps leave it unchanged); the checks never use this cache.
    """
    key = (state, ctx.policy)
    if key not in _MOVERS:
        if len(_MOVERS) > 10_000:
            _MOVERS.clear()
        _MOVERS[key] = [a for a in ACTORS if WorkOrderLifeCycle._progress(allowed_actions(state, a, ctx))]
    return _MOVERS[key]


class WorkOrderLifeCycle(RuleBasedStateMachine):
    """Orders one after another (the next registered when one ends), many actors, a clock
    that only moves forward, and the site's workflow limits drawn per run."""

    def __init__(self) -> None:
        super().__init__()
        self.state: OrderState | None = None
        self.audit: list[TransitionRecord] = []
        self.successes = 0
        self.now = STARTS[0]
        self.center = DISTRICT
        self.terminal_seen: OrderState | None = None
        self.policy = WorkflowPolicy()

    def _register(self, center: int, order_type: OrderType, urgency: Urgency, note: str) -> None:
        outcome = register(
            center_unit_id=center, order_type=order_type, urgency=urgency, now=self.now, note=note
        )
        record = outcome.record
        assert record.action == Action.REGISTER.value
        assert record.from_status is None
        assert record.to_status is OrderStatus.PENDING_DISPATCH
        assert record.to_unit_id == center
        assert record.note == note
        self.state = outcome.state
        self.center = center
        self.audit = [record]
        self.successes = 0
        self.terminal_seen = None

    @initialize(
        center=st.sampled_from(CENTERS),
        order_type=st.sampled_from(OrderType),
        urgency=st.sampled_from(Urgency),
        start=st.sampled_from(STARTS),
        offset=st.integers(0, 86_399),
        note=st.sampled_from(NOTES),
        policy=POLICIES,
    )
    def register_order(
        self,
        center: int,
        order_type: OrderType,
        urgency: Urgency,
        start: datetime,
        offset: int,
        note: str,
        policy: WorkflowPolicy,
    ) -> None:
        self.now = start + timedelta(seconds=offset)
        self.policy = policy
        self._register(center, order_type, urgency, note)

    # -- helpers ----------------------------------------------------------------

    @staticmethod
    def _progress(actions: list[Action]) -> list[Action]:
        return [a for a in actions if a not in ENDINGS and a not in OVERSIGHT]

    def _check_failure(
        self, exc: Exception, action: Action, before: OrderState, promised: list[Action]
    ) -> None:
        assert self.state is before
        if isinstance(exc, ActionNotAllowed):
            assert action not in ALLOWED_ACTIONS[before.status]
            assert exc.status == before.status.value
            assert exc.http_status == 409
            assert set(exc.allowed_actions) == {a.value for a in promised}
        elif isinstance(exc, PermissionDenied):
            assert action in ALLOWED_ACTIONS[before.status]
            assert action not in promised
        else:
            assert isinstance(exc, ValidationFailed)
            assert action in promised

    def _check_promises(
        self, state: OrderState, actor: Actor, ctx: RuleContext, promised: list[Action]
    ) -> None:
        """allowed_actions lists exactly the actions that apply does not refuse for this actor.

        Actions outside ALLOWED_ACTIONS[status] cannot be promised (first assertion); that apply
        refuses them with ActionNotAllowed is checked on every step's own command.
        """
        assert set(promised) <= ALLOWED_ACTIONS[state.status]
        for action, probe in _probes(state).items():
            if action not in ALLOWED_ACTIONS[state.status]:
                continue
            try:
                apply(state, probe, actor, ctx)
            except (ActionNotAllowed, PermissionDenied):
                assert action not in promised, f"{actor.role}@{actor.unit_id} promised {action}"
            except ValidationFailed:
                assert action in promised
            else:
                assert action in promised

    # -- rules --------------------------------------------------------------------

    @rule(data=st.data(), advance=st.integers(0, 3 * 86_400))
    def act(self, data: st.DataObject, advance: int) -> None:
        """A random command by a random actor, some time after the previous step."""
        state = self.state
        assert state is not None
        self.now += timedelta(seconds=advance)
        if state.status in TERMINAL_STATUSES and data.draw(st.integers(0, 3), label="next_order") > 0:
            # the ended order stays as it is (checked by the invariants); the next citizen calls in
            self._register(
                _pick(data, CENTERS, "center"),
                _pick(data, list(OrderType), "order_type"),
                _pick(data, list(Urgency), "urgency"),
                _pick(data, NOTES, "register_note"),
            )
            return
        ctx = context(self.now, self.policy)
        # Mostly an actor who can move the order on, so that runs get deep into the life cycle.
        movers = _movers(state, ctx)
        if movers and data.draw(st.integers(0, 4), label="mover") > 0:
            actor = _pick(data, movers, "actor")
        else:
            actor = _pick(data, ACTORS, "actor")
        promised = allowed_actions(state, actor, ctx)
        self._check_promises(state, actor, ctx, promised)
        moves = [a for a in self._progress(promised) for _ in range(WEIGHTS.get(a, 3))]
        pick = data.draw(st.integers(0, 19), label="pick")
        if moves and pick < 15:
            action = _pick(data, moves, "action")
        elif promised and pick < 17:
            action = _pick(data, promised, "action")
        else:
            action = _pick(data, ALL_ACTIONS, "action")
        command = _command(data, action, state, actor, self.now)

        must_refuse_status = action not in ALLOWED_ACTIONS[state.status]
        snapshot = replace(state)
        try:
            outcome = apply(state, command, actor, ctx)
        except (ActionNotAllowed, PermissionDenied, ValidationFailed) as exc:
            assert state == snapshot
            event(f"refused: {type(exc).__name__}")
            self._check_failure(exc, action, state, promised)
            assert isinstance(exc, ActionNotAllowed) == must_refuse_status
            return
        assert not must_refuse_status, f"{action} succeeded in {state.status}"
        assert action in promised
        record = outcome.record
        new = outcome.state
        assert isinstance(record, TransitionRecord)  # one audit record per transition
        assert record.action == action.value
        assert record.from_status is state.status
        assert record.to_status is new.status
        assert record.from_unit_id == state.current_unit_id
        assert record.note == command.note.strip()
        assert new.status in ALLOWED_STATUS_CHANGES[state.status]
        assert state.status not in TERMINAL_STATUSES, "a terminal order changed"
        self.audit.append(record)
        self.successes += 1
        self.state = new
        event(f"reached: {new.status.value}")

    # -- invariants ---------------------------------------------------------------

    @invariant()
    def status_is_a_known_status(self) -> None:
        if self.state is not None:
            assert isinstance(self.state.status, OrderStatus)
            assert self.state.status in set(OrderStatus)

    @invariant()
    def audit_trail_has_one_record_per_change(self) -> None:
        if self.state is None:
            return
        assert len(self.audit) == self.successes + 1
        assert self.audit[0].action == Action.REGISTER.value
        assert self.audit[-1].to_status is self.state.status
        for previous, record in zip(self.audit, self.audit[1:], strict=False):
            assert record.from_status is previous.to_status

    @invariant()
    def chain_starts_at_the_registering_center_and_goes_down_the_tree(self) -> None:
        state = self.state
        if state is None:
            return
        assert state.chain
        # the registering center: where it was registered, or a center above it once handed up (上报)
        assert state.chain[0] == state.registering_unit_id
        assert ORG.is_within(self.center, state.chain[0])
        for upper, lower in zip(state.chain, state.chain[1:], strict=False):
            assert upper != lower and ORG.is_within(lower, upper)
            assert ORG.is_center(upper)

    @invariant()
    def counters_stay_within_policy(self) -> None:
        state = self.state
        if state is None:
            return
        assert 0 <= state.extension_count <= self.policy.max_extensions
        assert 0 <= state.reopen_count <= self.policy.max_reopens
        assert 0 <= state.callback_attempts <= self.policy.max_callback_attempts

    @invariant()
    def a_terminal_order_never_changes_and_allows_nothing(self) -> None:
        state = self.state
        if state is None:
            return
        if self.terminal_seen is not None:
            assert state is self.terminal_seen
        if state.status in TERMINAL_STATUSES:
            self.terminal_seen = state
            ctx = context(self.now, self.policy)
            for actor in ACTORS:
                assert allowed_actions(state, actor, ctx) == []

    @invariant()
    def open_orders_are_never_stuck(self) -> None:
        """An admin can always move an open order (not only supervise it)."""
        state = self.state
        if state is None or state.status in TERMINAL_STATUSES:
            return
        moves = set(allowed_actions(state, ADMIN, context(self.now, self.policy))) - {
            Action.SUPERVISE,
            Action.URGE,
            Action.INSTRUCT,
        }
        assert moves, f"no way out of {state.status}"

    @invariant()
    def handling_statuses_have_a_holder_below_a_center_and_deadlines(self) -> None:
        state = self.state
        if state is None:
            return
        if state.status in (
            OrderStatus.DISPATCHED,
            OrderStatus.IN_PROGRESS,
            OrderStatus.SUSPENDED,
            OrderStatus.REPLIED,
        ):
            assert len(state.chain) >= 2
            assert state.sign_deadline is not None
            assert state.reply_deadline is not None
        if state.pending is not None:
            assert state.status is OrderStatus.IN_PROGRESS
        if state.status is OrderStatus.SUSPENDED:
            assert state.suspended_at is not None
        for deadline in (state.sign_deadline, state.reply_deadline):
            if deadline is not None:
                assert deadline.warn_at <= deadline.due_at
                assert deadline.budget_seconds > 0


WorkOrderLifeCycle.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_work_order_life_cycle_keeps_its_invariants = WorkOrderLifeCycle.TestCase


@pytest.mark.parametrize("status", list(OrderStatus))
def test_allowed_status_changes_cover_every_status(status: OrderStatus) -> None:
    assert status in ALLOWED_ACTIONS
    assert status in ALLOWED_STATUS_CHANGES
    assert ALLOWED_STATUS_CHANGES[status] <= set(OrderStatus)
    if status in TERMINAL_STATUSES:
        assert ALLOWED_ACTIONS[status] == frozenset()
        assert ALLOWED_STATUS_CHANGES[status] == frozenset()
