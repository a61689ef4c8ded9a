"""The reusable life-cycle kit (domain/lifecycle.py): a transition table, a may-act hook, an audit record.

Specified on a small patrol task (巡查任务) the way a later capability would declare its own
life cycle, with Hypothesis over random tables and random walks; and on the work order,
whose table is one of these.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from enum import StrEnum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import ActionNotAllowed, PermissionDenied
from zhiyun.domain.lifecycle import AuditRecord, Lifecycle, TransitionTable
from zhiyun.domain.workorder import (
    ALLOWED_ACTIONS,
    ALLOWED_STATUS_CHANGES,
    ORDER_EVENTS,
    ORDER_TRANSITIONS,
    TERMINAL_STATUSES,
    Action,
    OrderStatus,
    SystemEvent,
)

# --------------------------------------------------------------------------- a patrol task


class TaskState(StrEnum):
    PLANNED = "planned"
    UNDERWAY = "underway"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskAction(StrEnum):
    START = "start"
    FINISH = "finish"
    REPORT = "report"  # a finding noted on the way: the task stays underway
    CANCEL = "cancel"


TASK_TABLE: TransitionTable[TaskState, TaskAction] = TransitionTable(
    {
        (TaskState.PLANNED, TaskAction.START): {TaskState.UNDERWAY},
        (TaskState.UNDERWAY, TaskAction.FINISH): {TaskState.DONE},
        **TransitionTable.staying((TaskState.UNDERWAY,), (TaskAction.REPORT,)),
        (TaskState.PLANNED, TaskAction.CANCEL): {TaskState.CANCELLED},
        (TaskState.UNDERWAY, TaskAction.CANCEL): {TaskState.CANCELLED},
    }
)


@dataclass(frozen=True)
class Task:
    state: TaskState
    grid_worker_id: int


def grid_worker_of_the_task(action: TaskAction, task: Task, actor: Actor) -> bool:
    """The task's own grid worker works it; a dispatcher may only cancel it."""
    if action is TaskAction.CANCEL:
        return actor.role is Role.DISPATCHER
    return actor.role is Role.GRID_WORKER and actor.user_id == task.grid_worker_id


PATROL = Lifecycle(
    TASK_TABLE,
    state_of=lambda task: task.state,
    may=grid_worker_of_the_task,
    labels={TaskState.PLANNED: "待巡查", TaskAction.FINISH: "完成巡查"},
)
WORKER = Actor(7, Role.GRID_WORKER, 3, "网格员甲")
OTHER_WORKER = Actor(8, Role.GRID_WORKER, 3, "网格员乙")
DISPATCHER = Actor(2, Role.DISPATCHER, 1, "派单员")


def test_a_table_says_what_each_state_allows_and_where_it_leads() -> None:
    assert TASK_TABLE.allows(TaskState.PLANNED, TaskAction.START)
    assert not TASK_TABLE.allows(TaskState.PLANNED, TaskAction.FINISH)
    assert TASK_TABLE.actions_from(TaskState.UNDERWAY) == {
        TaskAction.FINISH,
        TaskAction.REPORT,
        TaskAction.CANCEL,
    }
    assert TASK_TABLE.targets(TaskState.UNDERWAY, TaskAction.REPORT) == {TaskState.UNDERWAY}
    assert TASK_TABLE.targets(TaskState.DONE, TaskAction.START) == frozenset()
    assert TASK_TABLE.successors(TaskState.PLANNED) == {TaskState.UNDERWAY, TaskState.CANCELLED}
    assert TASK_TABLE.is_final(TaskState.DONE) and not TASK_TABLE.is_final(TaskState.PLANNED)
    assert TASK_TABLE.reachable(TaskState.PLANNED) == set(TaskState)
    assert TASK_TABLE.states == set(TaskState)


def test_a_row_that_leads_nowhere_is_refused_when_the_table_is_built() -> None:
    with pytest.raises(ValueError, match="leads nowhere"):
        TransitionTable({(TaskState.PLANNED, TaskAction.START): set()})


def test_a_rule_that_leaves_the_table_is_caught() -> None:
    TASK_TABLE.check_target(TaskState.PLANNED, TaskAction.START, TaskState.UNDERWAY)
    with pytest.raises(AssertionError, match="outside the transition table"):
        TASK_TABLE.check_target(TaskState.PLANNED, TaskAction.START, TaskState.DONE)


def test_the_tasks_own_grid_worker_finishes_it_with_one_audit_record() -> None:
    task = Task(TaskState.UNDERWAY, grid_worker_id=WORKER.user_id or 0)
    record = PATROL.record(
        task, TaskAction.FINISH, WORKER, to=TaskState.DONE, note="已巡查", details={"items": 3}
    )
    assert record == AuditRecord("finish", "underway", "done", "已巡查", {"items": 3})


def test_an_action_that_leaves_the_state_as_it_is_records_the_same_state_twice() -> None:
    task = Task(TaskState.UNDERWAY, grid_worker_id=WORKER.user_id or 0)
    record = PATROL.record(task, TaskAction.REPORT, WORKER, note="发现占道经营")
    assert (record.from_state, record.to_state) == ("underway", "underway")


def test_an_action_the_state_does_not_allow_is_409_with_what_the_actor_may_do_instead() -> None:
    task = Task(TaskState.PLANNED, grid_worker_id=WORKER.user_id or 0)
    with pytest.raises(ActionNotAllowed) as refused:
        PATROL.check(task, TaskAction.FINISH, WORKER)
    assert refused.value.status == "planned"
    assert refused.value.allowed_actions == ["start"]
    assert "待巡查" in refused.value.message and "完成巡查" in refused.value.message


def test_another_grid_worker_may_not_work_the_task_and_is_told_what_they_may_do() -> None:
    task = Task(TaskState.PLANNED, grid_worker_id=WORKER.user_id or 0)
    with pytest.raises(PermissionDenied) as refused:
        PATROL.check(task, TaskAction.START, OTHER_WORKER)
    assert refused.value.details["allowed_actions"] == []
    assert PATROL.allowed(task, DISPATCHER) == [TaskAction.CANCEL]


def test_a_step_to_a_state_the_table_does_not_name_is_a_bug_not_a_record() -> None:
    task = Task(TaskState.PLANNED, grid_worker_id=WORKER.user_id or 0)
    with pytest.raises(AssertionError):
        PATROL.record(task, TaskAction.START, WORKER, to=TaskState.DONE)


def test_without_a_may_act_hook_the_table_alone_decides() -> None:
    open_to_all = Lifecycle(TASK_TABLE, state_of=lambda task: task.state)
    task = Task(TaskState.PLANNED, grid_worker_id=1)
    assert set(open_to_all.allowed(task, OTHER_WORKER)) == {TaskAction.START, TaskAction.CANCEL}


def test_merging_two_tables_unites_their_rows() -> None:
    extra: TransitionTable[TaskState, TaskAction] = TransitionTable(
        {(TaskState.DONE, TaskAction.START): {TaskState.UNDERWAY}}  # reopened
    )
    merged = TASK_TABLE.merged(extra)
    assert merged.allows(TaskState.DONE, TaskAction.START)
    assert merged.rows.keys() == TASK_TABLE.rows.keys() | extra.rows.keys()


# --------------------------------------------------------------------------- any table

STATES = list(TaskState)
ACTIONS = list(TaskAction)

tables = st.dictionaries(
    st.tuples(st.sampled_from(STATES), st.sampled_from(ACTIONS)),
    st.frozensets(st.sampled_from(STATES), min_size=1),
    max_size=len(STATES) * len(ACTIONS),
)


@given(tables)
def test_every_query_of_any_table_agrees_with_its_rows(
    rows: dict[tuple[TaskState, TaskAction], frozenset[TaskState]],
) -> None:
    table: TransitionTable[TaskState, TaskAction] = TransitionTable(rows)
    for state in STATES:
        assert table.actions_from(state) == {a for (s, a) in rows if s == state}
        assert table.is_final(state) == (not table.actions_from(state))
        for action in ACTIONS:
            assert table.allows(state, action) == ((state, action) in rows)
            assert table.targets(state, action) == rows.get((state, action), frozenset())
        assert table.successors(state) == frozenset().union(*(rows[k] for k in rows if k[0] == state))


@given(tables, st.sampled_from(STATES))
def test_what_is_reachable_contains_the_start_and_is_closed_under_every_step(
    rows: dict[tuple[TaskState, TaskAction], frozenset[TaskState]], start: TaskState
) -> None:
    table: TransitionTable[TaskState, TaskAction] = TransitionTable(rows)
    reachable = table.reachable(start)
    assert start in reachable
    for state in reachable:
        assert table.successors(state) <= reachable


@given(tables, tables)
def test_a_merged_table_leads_wherever_either_table_led(
    a: dict[tuple[TaskState, TaskAction], frozenset[TaskState]],
    b: dict[tuple[TaskState, TaskAction], frozenset[TaskState]],
) -> None:
    merged = TransitionTable(a).merged(TransitionTable(b))
    for state in STATES:
        for action in ACTIONS:
            assert merged.targets(state, action) == a.get((state, action), frozenset()) | b.get(
                (state, action), frozenset()
            )


ACTORS = [WORKER, OTHER_WORKER, DISPATCHER]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(ACTORS), st.integers(0, 3)), max_size=12))
def test_a_random_walk_records_each_step_the_table_and_the_hook_allow_and_refuses_the_rest(
    steps: list[tuple[TaskAction, Actor, int]],
) -> None:
    task = Task(TaskState.PLANNED, grid_worker_id=WORKER.user_id or 0)
    trail: list[AuditRecord] = []
    for action, actor, pick in steps:
        allowed = TASK_TABLE.allows(task.state, action)
        may = grid_worker_of_the_task(action, task, actor)
        targets = sorted(TASK_TABLE.targets(task.state, action))
        to = targets[pick % len(targets)] if targets else None
        try:
            record = PATROL.record(task, action, actor, to=to)
        except ActionNotAllowed:
            assert not allowed
            continue
        except PermissionDenied:
            assert allowed and not may
            assert action not in PATROL.allowed(task, actor)
            continue
        assert allowed and may and action in PATROL.allowed(task, actor)
        assert record.from_state == task.state.value and record.to_state == (to or task.state).value
        trail.append(record)
        task = replace(task, state=TaskState(record.to_state))
    # the trail is a chain: each step starts where the one before ended
    for before, after in itertools.pairwise(trail):
        assert after.from_state == before.to_state


# --------------------------------------------------------------------------- the work order's table


def test_the_work_orders_tables_are_a_transition_table_of_the_kit() -> None:
    for status in OrderStatus:
        assert ALLOWED_ACTIONS[status] == ORDER_TRANSITIONS.actions_from(status)
        assert ALLOWED_STATUS_CHANGES[status] == ORDER_TRANSITIONS.successors(status)


def test_every_open_order_can_still_end_and_an_ended_one_never_moves() -> None:
    for status in set(OrderStatus) - TERMINAL_STATUSES:
        assert ORDER_TRANSITIONS.reachable(status) & TERMINAL_STATUSES
    for status in TERMINAL_STATUSES:
        assert ORDER_TRANSITIONS.is_final(status) and ORDER_EVENTS.actions_from(status) <= {
            SystemEvent.UPDATE
        }
    assert ORDER_TRANSITIONS.reachable(OrderStatus.PENDING_DISPATCH) == set(OrderStatus)


def test_no_system_event_changes_an_orders_status() -> None:
    for (status, _event), targets in ORDER_EVENTS.rows.items():
        assert targets == {status}


def test_oversight_is_open_to_every_open_status_and_changes_nothing_of_it() -> None:
    for status in set(OrderStatus) - TERMINAL_STATUSES:
        for action in (Action.SUPERVISE, Action.URGE, Action.INSTRUCT):
            assert ORDER_TRANSITIONS.targets(status, action) == {status}
