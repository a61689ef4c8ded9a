"""The work-order life cycle as a hypothesis state machine.

Random commands by random actors at random times drive one order through the rules of
zhiyun.domain.workorder; after every step the invariants of the life cycle must hold.
Pure domain: no database, no I/O beyond importing the holidays package.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from zhiyun.domain import workorder as wo
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.deadlines import DeadlinePlanner, LimitUnit, TimeLimit
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied, ValidationFailed
from zhiyun.domain.org import OrgTree, Unit, UnitKind
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
from zhiyun.workflow.calendar_source import build_calendar

# --------------------------------------------------------------------------- the world

DISTRICT, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2, DEPARTMENT, OFFICE_A = range(1, 10)
UNKNOWN_UNIT = 99

ORG = OrgTree.of(
    [
        Unit(DISTRICT, "440605", "南海区", UnitKind.DISTRICT, None),
        Unit(TOWN_A, "440605001", "桂城街道", UnitKind.TOWN, DISTRICT),
        Unit(TOWN_B, "440605002", "九江镇", UnitKind.TOWN, DISTRICT),
        Unit(VILLAGE_A1, "440605001001", "夏北社区", UnitKind.VILLAGE, TOWN_A),
        Unit(VILLAGE_A2, "440605001002", "平洲社区", UnitKind.VILLAGE, TOWN_A),
        Unit(VILLAGE_B1, "440605002001", "沙头村", UnitKind.VILLAGE, TOWN_B),
        Unit(VILLAGE_B2, "440605002002", "下西村", UnitKind.VILLAGE, TOWN_B),
        Unit(DEPARTMENT, "440605900", "区城管局", UnitKind.DEPARTMENT, DISTRICT),
        Unit(OFFICE_A, "440605001900", "桂城街道城管办", UnitKind.OFFICE, TOWN_A),
    ]
)
UNIT_IDS = sorted(ORG.units)
CENTERS = [u for u in UNIT_IDS if ORG.is_center(u)]


def _actors() -> list[Actor]:
    actors: list[Actor] = []
    user_id = 0
    for unit in UNIT_IDS:
        for role in (Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER):
            user_id += 1
            actors.append(Actor(user_id, role, unit, f"{role.value}@{unit}"))
    for role, unit in (
        (Role.LEADER, DISTRICT),
        (Role.LEADER, TOWN_A),
        (Role.INSPECTOR, DISTRICT),
        (Role.ADMIN, None),
        (Role.ADMIN, DISTRICT),
    ):
        user_id += 1
        actors.append(Actor(user_id, role, unit, f"{role.value}@{unit}"))
    return actors


ACTORS = _actors()
ADMIN = next(a for a in ACTORS if a.role is Role.ADMIN)

POLICY = WorkflowPolicy()
PLANNER = DeadlinePlanner(build_calendar({}, []))
LIMITS = {
    Urgency.NORMAL: (TimeLimit(1, LimitUnit.WORKDAYS), TimeLimit(10, LimitUnit.WORKDAYS)),
    Urgency.URGENT: (TimeLimit(1, LimitUnit.HOURS), TimeLimit(24, LimitUnit.HOURS)),
}


def limits_for(order_type: OrderType, urgency: Urgency) -> tuple[TimeLimit, TimeLimit]:
    return LIMITS[urgency]


def context(now: datetime) -> RuleContext:
    return RuleContext(now=now, org=ORG, planner=PLANNER, limits_for=limits_for, policy=POLICY)


# Start instants around the holidays of 2025/2026 (all in years the calendar knows).
STARTS = [
    datetime(2025, 9, 26, 1, 30, tzinfo=UTC),  # before National Day 2025
    datetime(2025, 12, 29, 2, 0, tzinfo=UTC),  # across the year boundary
    datetime(2026, 2, 10, 3, 0, tzinfo=UTC),  # before Spring Festival 2026
    datetime(2026, 2, 15, 4, 0, tzinfo=UTC),  # inside Spring Festival 2026
    datetime(2026, 6, 1, 9, 15, tzinfo=UTC),  # an ordinary Monday
    datetime(2026, 9, 18, 7, 0, tzinfo=UTC),  # before National Day 2026
]

NOTES = st.sampled_from(["", "   ", "已核实", "请按期办理", "已联系群众", "现场已处理"])
# Actions that end the order: drawn less often so that runs get deep into the life cycle.
ENDINGS = frozenset({Action.CANCEL, Action.MERGE, Action.CLOSE})

COMMAND_TYPES = {sub for sub in Command.__subclasses__()}


def _command(data: st.DataObject, action: Action, state: OrderState, now: datetime) -> Command:
    """A command for `action` with random but sensible arguments (sometimes bad ones)."""
    note = data.draw(NOTES, label="note")
    target = data.draw(st.sampled_from([*UNIT_IDS, UNKNOWN_UNIT]), label="target")
    approve = data.draw(st.booleans(), label="approve")
    if action is Action.RESOLVE_ON_INTAKE:
        return wo.ResolveOnIntake(note=note)
    if action is Action.DISPATCH:
        return wo.Dispatch(note=note, target_unit_id=target)
    if action is Action.REDISPATCH:
        return wo.Redispatch(note=note, target_unit_id=target)
    if action is Action.SIGN:
        return wo.Sign(note=note)
    if action is Action.RETURN:
        return wo.Return(note=note)
    if action is Action.REQUEST_EXTENSION:
        base = state.reply_deadline.due_at if state.reply_deadline else now
        hours = data.draw(st.one_of(st.none(), st.integers(-72, 24 * 20)), label="extend_by_hours")
        new_due_at = None if hours is None else base + timedelta(hours=hours)
        return wo.RequestExtension(note=note, new_due_at=new_due_at)
    if action is Action.DECIDE_EXTENSION:
        return wo.DecideExtension(note=note, approve=approve)
    if action is Action.REQUEST_SUSPENSION:
        return wo.RequestSuspension(note=note)
    if action is Action.DECIDE_SUSPENSION:
        return wo.DecideSuspension(note=note, approve=approve)
    if action is Action.RESUME:
        return wo.Resume(note=note)
    if action is Action.REPLY:
        return wo.Reply(note=note)
    if action is Action.REVIEW:
        return wo.Review(note=note, approve=approve)
    if action is Action.CALLBACK:
        return wo.Callback(note=note, satisfaction=data.draw(st.sampled_from(Satisfaction), label="rating"))
    if action is Action.CLOSE:
        return wo.Close(note=note)
    if action is Action.CANCEL:
        return wo.Cancel(note=note, reason=data.draw(st.sampled_from(CancelReason), label="reason"))
    if action is Action.MERGE:
        return wo.Merge(note=note, master_id=data.draw(st.sampled_from([0, -3, 7, 1024]), label="master"))
    if action is Action.SUPERVISE:
        return wo.Supervise(note=note)
    if action is Action.URGE:
        return wo.Urge(note=note)
    if action is Action.INSTRUCT:
        return wo.Instruct(note=note)
    raise AssertionError(f"no command for {action}")  # pragma: no cover


def _probe(action: Action, state: OrderState) -> Command:
    """A well-formed command for `action` (used to check what allowed_actions promises)."""
    due = state.reply_deadline.due_at if state.reply_deadline else state.registered_at
    probes: dict[Action, Command] = {
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
    return probes[action]


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
    for action in actions:
        assert _probe(action, state).action is action


# --------------------------------------------------------------------------- the machine


class WorkOrderLifeCycle(RuleBasedStateMachine):
    """One order, many actors, a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.state: OrderState | None = None
        self.audit: list[TransitionRecord] = []
        self.successes = 0
        self.now = STARTS[0]
        self.center = DISTRICT
        self.terminal_seen: OrderState | None = None

    @initialize(
        center=st.sampled_from(CENTERS),
        order_type=st.sampled_from(OrderType),
        urgency=st.sampled_from(Urgency),
        start=st.sampled_from(STARTS),
        offset=st.integers(0, 86_399),
        note=NOTES,
    )
    def register_order(
        self,
        center: int,
        order_type: OrderType,
        urgency: Urgency,
        start: datetime,
        offset: int,
        note: str,
    ) -> None:
        self.now = start + timedelta(seconds=offset)
        self.center = center
        outcome = register(center_unit_id=center, order_type=order_type, urgency=urgency, now=self.now, note=note)
        record = outcome.record
        assert record.action == Action.REGISTER.value
        assert record.from_status is None
        assert record.to_status is OrderStatus.PENDING_DISPATCH
        assert record.to_unit_id == center
        self.state = outcome.state
        self.audit.append(record)

    # -- helpers ----------------------------------------------------------------

    def _relevant_actors(self, state: OrderState) -> list[Actor]:
        """Actors likely to be allowed something: those at units on or above the chain."""
        units = set(state.chain)
        for unit in state.chain:
            units |= {a.id for a in ORG.ancestors(unit)}
        return [a for a in ACTORS if a.unit_id in units or a.role in (Role.ADMIN, Role.LEADER, Role.INSPECTOR)]

    def _check_failure(self, exc: Exception, action: Action, before: OrderState, promised: list[Action]) -> None:
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

    # -- rules --------------------------------------------------------------------

    def _check_promises(self, state: OrderState, actor: Actor, ctx: RuleContext, promised: list[Action]) -> None:
        """allowed_actions lists exactly the actions that apply does not refuse for this actor."""
        assert set(promised) <= ALLOWED_ACTIONS[state.status]
        for action in Action:
            if action is Action.REGISTER:
                continue
            try:
                apply(state, _probe(action, state), actor, ctx)
            except (ActionNotAllowed, PermissionDenied):
                assert action not in promised, f"{actor.role}@{actor.unit_id} promised {action}"
            except ValidationFailed:
                assert action in promised
            else:
                assert action in promised

    @precondition(lambda self: self.state is not None)
    @rule(data=st.data(), advance=st.integers(0, 3 * 86_400))
    def act(self, data: st.DataObject, advance: int) -> None:
        state = self.state
        assert state is not None
        self.now += timedelta(seconds=advance)
        ctx = context(self.now)
        actor = data.draw(
            st.one_of(st.sampled_from(self._relevant_actors(state)), st.sampled_from(ACTORS)), label="actor"
        )
        promised = allowed_actions(state, actor, ctx)
        self._check_promises(state, actor, ctx, promised)
        moves = [a for a in promised if a not in ENDINGS]
        pick = data.draw(st.integers(0, 19), label="pick")
        if moves and pick < 14:
            action = data.draw(st.sampled_from(moves), label="action")
        elif promised and pick < 16:
            action = data.draw(st.sampled_from(promised), label="action")
        else:
            action = data.draw(st.sampled_from([a for a in Action if a is not Action.REGISTER]), label="action")
        command = _command(data, action, state, self.now)

        must_refuse_status = action not in ALLOWED_ACTIONS[state.status]
        try:
            outcome = apply(state, command, actor, ctx)
        except (ActionNotAllowed, PermissionDenied, ValidationFailed) as exc:
            self._check_failure(exc, action, state, promised)
            assert isinstance(exc, ActionNotAllowed) == must_refuse_status
            return
        assert not must_refuse_status, f"{action} succeeded in {state.status}"
        assert action in promised
        record = outcome.record
        new = outcome.state
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
        assert state.chain[0] == self.center == state.registering_unit_id
        for upper, lower in zip(state.chain, state.chain[1:], strict=False):
            assert upper != lower and ORG.is_within(lower, upper)
            assert ORG.is_center(upper)

    @invariant()
    def counters_stay_within_policy(self) -> None:
        state = self.state
        if state is None:
            return
        assert 0 <= state.extension_count <= POLICY.max_extensions
        assert 0 <= state.reopen_count <= POLICY.max_reopens
        assert 0 <= state.callback_attempts <= POLICY.max_callback_attempts

    @invariant()
    def a_terminal_order_never_changes_and_allows_nothing(self) -> None:
        state = self.state
        if state is None:
            return
        if self.terminal_seen is not None:
            assert state is self.terminal_seen
        if state.status in TERMINAL_STATUSES:
            self.terminal_seen = state
            ctx = context(self.now)
            for actor in ACTORS:
                assert allowed_actions(state, actor, ctx) == []

    @invariant()
    def open_orders_are_never_stuck(self) -> None:
        """An admin can always move an open order (not only supervise it)."""
        state = self.state
        if state is None or state.status in TERMINAL_STATUSES:
            return
        moves = set(allowed_actions(state, ADMIN, context(self.now))) - {
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

    @invariant()
    def state_fields_are_well_typed(self) -> None:
        state = self.state
        if state is None:
            return
        for f in fields(state):
            if f.name.endswith("_count") or f.name == "callback_attempts":
                assert isinstance(getattr(state, f.name), int)


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
