"""The pure rules of verification (核实): who is asked, who is told of a severe event, who may answer
a task or see an event's evidence, and where a late task goes (domain/sensing_verification.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.grid import GridPost, WorkerKind
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.sensing_verification import (
    EventPlace,
    TaskPlace,
    WorkerPost,
    choose_verifier,
    escalation_target,
    may_answer,
    may_dispatch_verifications,
    may_see_event,
    nearest_worker,
)

ORG = OrgTree.of(
    [
        Unit(1, "NH", "南海区", UnitKind.DISTRICT, None),
        Unit(2, "GC", "桂城街道", UnitKind.TOWN, 1),
        Unit(3, "GC-XB", "夏北社区", UnitKind.VILLAGE, 2),
        Unit(4, "GC-CG", "城管办", UnitKind.OFFICE, 2),
        Unit(5, "DL", "大沥镇", UnitKind.TOWN, 1),
        Unit(6, "DL-YB", "盐步社区", UnitKind.VILLAGE, 5),
    ]
)
XB, YB = 3, 6
G1, G2, G3 = 11, 12, 13  # 夏北's grids: 1 north-west, 2 north-east, 3 south-west
CENTRES = {G1: (23.015, 113.105), G2: (23.015, 113.115), G3: (23.005, 113.105)}
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def post(user: int, grid: int | None, kind: WorkerKind = WorkerKind.FULL_TIME, owed: int = 0) -> WorkerPost:
    return WorkerPost(user, XB, grid, kind, CENTRES.get(grid) if grid else None, owed, post_id=user)


def worker(user: int) -> Actor:
    return Actor(user_id=user, role=Role.GRID_WORKER, unit_id=XB)


def test_a_task_goes_to_a_full_time_worker_of_its_grid_with_the_fewest_tasks_else_to_the_village() -> None:
    posts = [post(1, G1, WorkerKind.PART_TIME), post(2, G1, owed=3), post(3, G1, owed=1), post(4, G2)]
    assert choose_verifier(posts, G1, XB) == 3
    assert choose_verifier([post(9, None, WorkerKind.CHIEF), post(4, G2)], G3, XB) == 4  # the chief last
    assert choose_verifier(posts, G1, YB) is None  # 盐步 has nobody


def test_a_severe_event_is_told_to_its_grids_worker_else_to_the_worker_of_the_nearest_grid() -> None:
    posts = [post(1, G1), post(2, G2), post(9, None, WorkerKind.CHIEF)]
    assert nearest_worker(posts, G2, XB, (23.0, 113.0)) == 2
    south_east = (23.005, 113.115)  # in no posted grid: grid 2 is right north of it
    assert nearest_worker(posts, None, XB, south_east) == 2
    assert nearest_worker([post(9, None, WorkerKind.CHIEF)], None, XB, south_east) == 9
    assert nearest_worker(posts, None, YB, south_east) is None


def test_the_tasks_worker_a_worker_of_its_grid_or_a_dispatcher_above_its_village_may_answer() -> None:
    task = TaskPlace(G1, XB, worker_id=1)
    own = [GridPost(XB, G1, WorkerKind.FULL_TIME)]
    assert may_answer(worker(1), task, ORG, [])
    assert may_answer(worker(2), task, ORG, own)
    assert not may_answer(worker(3), task, ORG, [GridPost(XB, G2, WorkerKind.FULL_TIME)])
    assert may_answer(worker(9), task, ORG, [GridPost(XB, None, WorkerKind.CHIEF)])
    for unit, allowed in ((XB, True), (2, True), (1, True), (5, False), (6, False)):
        assert may_answer(Actor(user_id=50, role=Role.DISPATCHER, unit_id=unit), task, ORG, []) is allowed
    assert not may_answer(Actor(user_id=51, role=Role.HANDLER, unit_id=XB), task, ORG, [])
    assert not may_answer(Actor.system(), task, ORG, [])
    assert may_dispatch_verifications(Actor(user_id=52, role=Role.ADMIN, unit_id=None), None, ORG)


def test_an_events_evidence_is_seen_by_its_grid_its_village_and_above_and_the_devices_owner() -> None:
    event = EventPlace(G1, XB, owner_unit_id=4)
    own = [GridPost(XB, G1, WorkerKind.FULL_TIME)]
    assert may_see_event(worker(1), event, ORG, own)
    assert not may_see_event(worker(2), event, ORG, [GridPost(XB, G2, WorkerKind.FULL_TIME)])
    for unit, allowed in ((XB, True), (2, True), (1, True), (4, True), (5, False), (6, False)):
        assert may_see_event(Actor(user_id=60, role=Role.HANDLER, unit_id=unit), event, ORG, []) is allowed
    assert may_see_event(Actor(user_id=61, role=Role.LEADER, unit_id=None), event, ORG, [])
    assert not may_see_event(Actor.citizen(1), event, ORG, [])


def test_a_late_task_goes_once_to_its_village_and_late_again_after_a_reassignment_to_the_town() -> None:
    due = NOW
    assert (
        escalation_target(
            village_unit_id=XB, town_unit_id=2, escalated_to=None, escalated_at=None, due_at=due, now=due
        )
        is None
    )  # on the minute it is due, still in time
    later = due + timedelta(minutes=1)
    assert (
        escalation_target(
            village_unit_id=XB, town_unit_id=2, escalated_to=None, escalated_at=None, due_at=due, now=later
        )
        == XB
    )
    assert (
        escalation_target(
            village_unit_id=XB, town_unit_id=2, escalated_to=XB, escalated_at=later, due_at=due, now=later
        )
        is None
    )  # once
    new_due = later + timedelta(minutes=30)  # reassigned: due anew
    assert (
        escalation_target(
            village_unit_id=XB,
            town_unit_id=2,
            escalated_to=XB,
            escalated_at=later,
            due_at=new_due,
            now=new_due + timedelta(minutes=1),
        )
        == 2
    )
    assert (
        escalation_target(
            village_unit_id=None, town_unit_id=2, escalated_to=None, escalated_at=None, due_at=due, now=later
        )
        == 2
    )
