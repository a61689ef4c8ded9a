"""Merged patrols (合并巡查) in the domain: one visit per object per due window covering every
item due in it, placed on the grid's workers' working days within their daily capacity, the
figures of the tasks saved, and the progress rules (status, coverage, which items a visit
satisfied)."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel, WorkerKind
from zhiyun.domain.grid_items import (
    AnswerType,
    Due,
    Frequency,
    FrequencyUnit,
    GridItem,
    Period,
    Question,
    Season,
    due_in,
)
from zhiyun.domain.patrol_plan import (
    Coverage,
    GridWorker,
    MergedVisit,
    MonthPlan,
    PatrolTask,
    PlanItem,
    PlanObject,
    TaskItem,
    TaskStatus,
    Visit,
    WorkerPost,
    coverage,
    grid_crews,
    merge_dues,
    plan_month,
    record_visit,
    satisfied_items,
    task_status,
)

DECEMBER = Period.month(2026, 12)  # 1 December 2026 is a Tuesday; 23 weekdays


def weekdays(period: Period) -> list[date]:
    days = [period.start + timedelta(days=i) for i in range((period.end - period.start).days)]
    return [d for d in days if d.weekday() < 5]


def item(
    code: str,
    frequency: Frequency,
    kinds: tuple[ObjectKind, ...] = (ObjectKind.SHOP,),
    **changes: object,
) -> GridItem:
    question = Question("ok", "是否正常", AnswerType.YES_NO)
    note = Question("note", "备注", AnswerType.TEXT, required=False)
    made = GridItem(code, f"事项 {code}", "区网格中心", kinds, frequency, (question, note))
    return replace(made, **changes)  # type: ignore[arg-type]


MONTHLY = Frequency(FrequencyUnit.MONTHLY)
WEEKLY = Frequency(FrequencyUnit.WEEKLY)
QUARTERLY = Frequency(FrequencyUnit.QUARTERLY)
FIRE = item("XF-001", MONTHLY)
GAS = item("RQ-001", MONTHLY)
SIGNS = item("ZP-001", MONTHLY)
SANITATION = item("HW-001", WEEKLY)
ELDER = item("YL-001", Frequency.every(14), (ObjectKind.BUILDING,))
BUILDING_FIRE = item("XF-002", QUARTERLY, (ObjectKind.BUILDING,))


def shop(object_id: int, grid_id: int = 1, risk: RiskLevel = RiskLevel.LOW, *tags: str) -> PlanObject:
    return PlanObject(object_id, ObjectKind.SHOP, risk, grid_id, frozenset(tags))


def one_worker(grid_id: int = 1, user_id: int = 100) -> dict[int, list[GridWorker]]:
    return {grid_id: [GridWorker(user_id, WorkerKind.FULL_TIME)]}


def plan(
    objects: list[PlanObject],
    items: list[GridItem],
    *,
    visits: tuple[Visit, ...] = (),
    crews: Mapping[int, Sequence[GridWorker]] | None = None,
    period: Period = DECEMBER,
    working_days: list[date] | None = None,
    capacity: int = 12,
) -> MonthPlan:
    return plan_month(
        period=period,
        objects=objects,
        items=[PlanItem(i, 3) for i in items],
        visits=visits,
        crews=one_worker() if crews is None else crews,
        working_days=weekdays(period) if working_days is None else working_days,
        daily_capacity=capacity,
    )


def codes(task: PatrolTask) -> list[str]:
    return sorted(task.item_codes)


# --------------------------------------------------------------------------- the merge


def test_an_object_due_for_three_monthly_items_gets_one_visit_with_three_checklists() -> None:
    result = plan([shop(1)], [FIRE, GAS, SIGNS])
    (task,) = result.tasks
    assert task.items == (TaskItem("RQ-001", 3), TaskItem("XF-001", 3), TaskItem("ZP-001", 3))
    assert (task.earliest, task.latest) == (date(2026, 12, 1), date(2026, 12, 31))
    assert task.object_id == 1 and task.grid_id == 1 and task.worker_id == 100
    assert (result.tasks_made, result.per_item_tasks, result.tasks_saved) == (1, 3, 2)
    assert result.share_saved == pytest.approx(2 / 3)


def test_a_weekly_item_makes_a_visit_a_week_and_the_monthly_items_ride_on_the_first() -> None:
    result = plan([shop(1)], [FIRE, GAS, SANITATION])
    assert [(t.earliest, t.latest, codes(t)) for t in result.tasks] == [
        # weeks from Monday: 30 Nov (inside December from the 1st), 7, 14, 21 and 28 Dec (to 3 Jan)
        (date(2026, 12, 1), date(2026, 12, 6), ["HW-001", "RQ-001", "XF-001"]),
        (date(2026, 12, 7), date(2026, 12, 13), ["HW-001"]),
        (date(2026, 12, 14), date(2026, 12, 20), ["HW-001"]),
        (date(2026, 12, 21), date(2026, 12, 27), ["HW-001"]),
        (date(2026, 12, 28), date(2027, 1, 3), ["HW-001"]),
    ]
    assert (result.tasks_made, result.per_item_tasks, result.tasks_saved) == (5, 7, 2)
    for t in result.tasks:
        assert t.earliest <= t.day <= t.last_day(DECEMBER) and t.day.weekday() < 5


def test_windows_that_overlap_merge_on_the_latest_start_still_inside_every_window() -> None:
    # every 14 days from a visit on 26 Nov: due 10–23 Dec, then 24 Dec (to 6 Jan); monthly: 1–31 Dec
    elder = due_in(ELDER, ObjectKind.BUILDING, RiskLevel.LOW, DECEMBER, [date(2026, 11, 26)])
    monthly = due_in(replace(FIRE, object_kinds=(ObjectKind.BUILDING,)), ObjectKind.BUILDING, None, DECEMBER)
    visits = merge_dues(
        [(TaskItem("YL-001", 1), d) for d in elder] + [(TaskItem("XF-001", 1), d) for d in monthly]
    )
    assert visits == [
        MergedVisit(
            date(2026, 12, 10),
            date(2026, 12, 23),
            date(2026, 12, 23),
            (TaskItem("XF-001", 1), TaskItem("YL-001", 1)),
        ),
        MergedVisit(date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 6), (TaskItem("YL-001", 1),)),
    ]


def test_windows_that_do_not_overlap_stay_apart() -> None:
    first = Due(date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 7), date(2026, 12, 1), date(2026, 12, 8))
    later = Due(
        date(2026, 12, 10), date(2026, 12, 20), date(2026, 12, 19), date(2026, 12, 10), date(2026, 12, 20)
    )
    visits = merge_dues([(TaskItem("B", 1), later), (TaskItem("A", 1), first)])
    assert [(v.earliest, v.last_day, [i.code for i in v.items]) for v in visits] == [
        (date(2026, 12, 1), date(2026, 12, 7), ["A"]),
        (date(2026, 12, 10), date(2026, 12, 19), ["B"]),
    ]


def test_items_visited_already_or_not_applying_are_not_due_and_an_object_with_nothing_due_is_counted() -> (
    None
):
    objects = [
        shop(1),
        shop(2, 1, RiskLevel.LOW, "餐饮"),
        PlanObject(3, ObjectKind.FACILITY, RiskLevel.LOW, 1),
    ]
    gas = replace(GAS, tags=("餐饮",))
    visits = (Visit(1, "XF-001", date(2026, 12, 3)), Visit(2, "XF-001", date(2026, 11, 30)))
    result = plan(objects, [FIRE, gas], visits=visits)
    assert [(t.object_id, codes(t)) for t in result.tasks] == [(2, ["RQ-001", "XF-001"])]
    assert (result.objects, result.objects_nothing_due) == (3, 2)
    assert result.grids[0].objects_nothing_due == 2


def test_a_quarterly_item_visited_earlier_in_the_quarter_is_not_due() -> None:
    building = PlanObject(1, ObjectKind.BUILDING, RiskLevel.LOW, 1)
    result = plan([building], [BUILDING_FIRE], visits=(Visit(1, "XF-002", date(2026, 10, 20)),))
    assert result.tasks == ()
    (task,) = plan([building], [BUILDING_FIRE]).tasks
    assert task.latest == date(2026, 12, 31)


def test_an_item_visited_long_ago_is_flagged_overdue() -> None:
    building = PlanObject(1, ObjectKind.BUILDING, RiskLevel.LOW, 7)
    result = plan(
        [building],
        [ELDER],
        visits=(Visit(1, "YL-001", date(2026, 10, 1)),),
        crews={7: [GridWorker(5, WorkerKind.FULL_TIME)]},
    )
    assert [(t.earliest, t.overdue) for t in result.tasks] == [
        (date(2026, 12, 1), True),
        (date(2026, 12, 15), False),
        (date(2026, 12, 29), False),
    ]
    assert result.overdue_tasks == 1 and result.grids[0].overdue == 1


# --------------------------------------------------------------------------- workers, days, capacity


def test_the_full_time_workers_take_the_work_first_with_balanced_counts() -> None:
    crews = {
        1: [
            GridWorker(30, WorkerKind.PART_TIME),
            GridWorker(20, WorkerKind.FULL_TIME),
            GridWorker(10, WorkerKind.FULL_TIME),
            GridWorker(99, WorkerKind.CHIEF),
        ]
    }
    result = plan([shop(i) for i in range(1, 11)], [FIRE], crews=crews)
    assert Counter(t.worker_id for t in result.tasks) == {10: 5, 20: 5}
    assert {w.user_id: w.tasks for w in result.workers} == {10: 5, 20: 5, 30: 0, 99: 0}


def test_the_part_time_workers_take_what_the_full_time_ones_cannot() -> None:
    crews = {1: [GridWorker(10, WorkerKind.FULL_TIME), GridWorker(30, WorkerKind.PART_TIME)]}
    three_days = [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    result = plan([shop(i) for i in range(1, 9)], [FIRE], crews=crews, working_days=three_days, capacity=2)
    assert Counter(t.worker_id for t in result.tasks) == {10: 6, 30: 2}
    assert result.overloads == () and result.over_capacity_tasks == 0


def test_the_grid_chief_plans_only_for_a_grid_with_no_other_worker() -> None:
    posts = [
        WorkerPost(99, WorkerKind.CHIEF, village_id=500),
        WorkerPost(10, WorkerKind.FULL_TIME, village_id=500, grid_id=1),
        WorkerPost(10, WorkerKind.CHIEF, village_id=500),  # also the chief: keeps the higher post
        WorkerPost(11, WorkerKind.PART_TIME, village_id=500),  # no grid: no post to plan with
    ]
    crews = grid_crews(posts, {1: 500, 2: 500, 3: 600})
    assert crews == {
        1: (GridWorker(10, WorkerKind.FULL_TIME), GridWorker(99, WorkerKind.CHIEF)),
        2: (GridWorker(10, WorkerKind.CHIEF), GridWorker(99, WorkerKind.CHIEF)),
        3: (),
    }
    result = plan([shop(1, 1), shop(2, 2), shop(3, 3)], [FIRE], crews=crews)
    # grid 2: the chief with fewer tasks (10 has one in grid 1); grid 3: no one
    assert [(t.grid_id, t.worker_id) for t in result.tasks] == [(1, 10), (2, 99), (3, None)]
    assert [g.unassigned for g in result.grids] == [0, 0, 1] and result.unassigned_tasks == 1


def test_the_visits_are_spread_over_the_working_days() -> None:
    result = plan([shop(i) for i in range(1, 24)], [FIRE])  # 23 visits, 23 weekdays
    assert sorted(t.day for t in result.tasks) == weekdays(DECEMBER)
    (worker,) = result.workers
    assert (worker.tasks, worker.busiest_day_tasks, worker.busiest_day) == (23, 1, date(2026, 12, 1))


def test_the_nearest_deadline_is_placed_first_and_capacity_is_kept() -> None:
    # capacity 1 on three days: the weekly visit due by Sunday 6 Dec takes Friday the 4th, the
    # next week's Monday the 7th; the monthly visit of the shop (object 1) the first day left
    working = [date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 8)]
    objects = [shop(1), PlanObject(2, ObjectKind.BUILDING, RiskLevel.LOW, 1)]
    sanitation = replace(SANITATION, object_kinds=(ObjectKind.BUILDING,))
    result = plan(objects, [FIRE, sanitation], working_days=working, capacity=1)
    days = {(t.object_id, t.earliest): t.day for t in result.tasks}
    assert days[(2, date(2026, 12, 1))] == date(2026, 12, 4)
    assert days[(2, date(2026, 12, 7))] == date(2026, 12, 7)
    assert days[(1, date(2026, 12, 1))] == date(2026, 12, 8)
    assert result.overloads == () and result.over_capacity_tasks == 0


def test_a_grid_that_cannot_make_it_is_reported_overloaded() -> None:
    two_days = [date(2026, 12, 1), date(2026, 12, 2)]
    result = plan([shop(i) for i in range(1, 8)], [FIRE], working_days=two_days, capacity=2)
    assert result.tasks_made == 7 and result.over_capacity_tasks == 3
    loads = Counter(t.day for t in result.tasks)
    assert sorted(loads.values()) == [3, 4]
    assert [(o.user_id, o.tasks, o.capacity) for o in result.overloads] == [(100, 4, 2), (100, 3, 2)]
    (worker,) = result.workers
    assert worker.days_over_capacity == 2 and worker.busiest_day_tasks == 4


def test_a_window_without_a_working_day_is_planned_on_a_rest_day_inside_it() -> None:
    working = [d for d in weekdays(DECEMBER) if not date(2026, 12, 7) <= d <= date(2026, 12, 13)]
    result = plan([shop(1)], [SANITATION], working_days=working)
    second = result.tasks[1]
    assert (second.earliest, second.latest) == (date(2026, 12, 7), date(2026, 12, 13))
    assert second.day == date(2026, 12, 7) and result.rest_day_tasks == 1


def test_the_planner_refuses_what_it_cannot_plan() -> None:
    with pytest.raises(ValidationFailed, match="重复"):
        plan([shop(1), shop(1, 2)], [FIRE])
    with pytest.raises(ValidationFailed, match="XF-001"):
        plan([shop(1)], [FIRE, replace(FIRE, name="另一版本")])
    with pytest.raises(ValidationFailed, match="至少为 1"):
        plan([shop(1)], [FIRE], capacity=0)
    with pytest.raises(ValidationFailed, match="不在计划月份内"):
        plan([shop(1)], [FIRE], working_days=[date(2027, 1, 4)])


# --------------------------------------------------------------------------- progress


def task(latest: date = date(2026, 12, 31), **changes: object) -> PatrolTask:
    made = PatrolTask(
        1,
        1,
        100,
        date(2026, 12, 10),
        date(2026, 12, 1),
        latest,
        (TaskItem("RQ-001", 3), TaskItem("XF-001", 3)),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_a_task_is_done_on_time_done_late_missed_once_its_deadline_passed_or_pending() -> None:
    assert task_status(task(visited_on=date(2026, 12, 31)), date(2027, 1, 5)) is TaskStatus.DONE_ON_TIME
    assert task_status(task(visited_on=date(2027, 1, 2)), date(2027, 1, 5)) is TaskStatus.DONE_LATE
    assert task_status(task(), date(2026, 12, 31)) is TaskStatus.PENDING
    assert task_status(task(), date(2027, 1, 1)) is TaskStatus.MISSED
    assert TaskStatus.MISSED.label == "漏巡" and TaskStatus.MISSED.is_settled
    assert not TaskStatus.PENDING.is_settled


def test_coverage_is_objects_visited_on_time_over_objects_due_so_far() -> None:
    today = date(2026, 12, 20)
    tasks = [
        task(object_id=1, latest=date(2026, 12, 6), visited_on=date(2026, 12, 3)),  # on time
        task(object_id=1, latest=date(2026, 12, 13), visited_on=date(2026, 12, 9)),  # on time
        task(object_id=2, latest=date(2026, 12, 6), visited_on=date(2026, 12, 3)),  # on time …
        task(object_id=2, latest=date(2026, 12, 13)),  # … then missed
        task(object_id=3, latest=date(2026, 12, 13), visited_on=date(2026, 12, 15)),  # late
        task(object_id=4, latest=date(2026, 12, 31)),  # pending: not due yet
        task(object_id=5, latest=date(2026, 12, 31), visited_on=date(2026, 12, 2)),  # done early
    ]
    found = coverage(tasks, today)
    assert found == Coverage(objects_due=4, objects_on_time=2)
    assert found.rate == 0.5
    assert coverage([task()], today).rate is None


def test_a_visit_satisfies_the_items_whose_checklists_it_answered() -> None:
    checklists = {TaskItem("RQ-001", 3): GAS, TaskItem("XF-001", 3): FIRE}
    answers = {"XF-001": {"ok": "是"}, "RQ-001": {"note": "没人"}}  # the gas check's required answer missing
    assert satisfied_items(task(), answers, checklists) == (TaskItem("XF-001", 3),)
    both = {"XF-001": {"ok": "是"}, "RQ-001": {"ok": "否"}}
    assert satisfied_items(task(), both, checklists.__getitem__) == task().items
    assert satisfied_items(task(), {}, checklists) == ()


def test_a_visit_that_answered_only_some_items_leaves_the_others_on_a_follow_up_task() -> None:
    result = record_visit(task(), date(2026, 12, 12), ["XF-001"])
    assert result.done == task(items=(TaskItem("XF-001", 3),), visited_on=date(2026, 12, 12))
    assert result.follow_up == task(items=(TaskItem("RQ-001", 3),), day=date(2026, 12, 13))
    later = coverage([result.done, result.follow_up], date(2027, 1, 1))
    assert later == Coverage(1, 0)  # the follow-up was missed
    whole = record_visit(task(), date(2026, 12, 12), ["XF-001", "RQ-001"])
    assert whole.follow_up is None and whole.done == task(visited_on=date(2026, 12, 12))
    nothing = record_visit(task(), date(2026, 12, 12), [])
    assert nothing.done is None and nothing.follow_up == task()
    with pytest.raises(ValidationFailed):
        record_visit(task(), date(2026, 12, 12), ["HW-001"])
    with pytest.raises(ValidationFailed):
        record_visit(whole.done, date(2026, 12, 13), ["XF-001"])


# --------------------------------------------------------------------------- properties

POOL = [
    FIRE,
    GAS,
    SANITATION,
    item("XF-002", QUARTERLY, (ObjectKind.BUILDING, ObjectKind.SHOP)),
    item("YL-001", Frequency(FrequencyUnit.WEEKLY), (ObjectKind.BUILDING,), tags=("独居老人",)),
    item(
        "AJ-001",
        QUARTERLY,
        (ObjectKind.ENTERPRISE, ObjectKind.SHOP),
        risk_frequencies=((RiskLevel.MEDIUM, MONTHLY), (RiskLevel.HIGH, Frequency.every(9))),
    ),
    item("CZ-001", Frequency.every(5), (ObjectKind.RENTAL_HOUSE, ObjectKind.BUILDING)),
    item("SF-001", MONTHLY, (ObjectKind.BUILDING, ObjectKind.SHOP), season=Season(3, 5)),
    item("HZ-001", Frequency.every(3), (ObjectKind.SHOP,), min_risk=RiskLevel.HIGH),
    item("BJ-001", Frequency(FrequencyUnit.YEARLY), (ObjectKind.FACILITY, ObjectKind.SHOP)),
]
KINDS = [
    ObjectKind.SHOP,
    ObjectKind.BUILDING,
    ObjectKind.RENTAL_HOUSE,
    ObjectKind.ENTERPRISE,
    ObjectKind.FACILITY,
]


@st.composite
def worlds(draw: st.DrawFn, *, shared_workers: bool = True) -> dict[str, object]:
    """A small district: a month, some items, objects in a few grids with visits on record,
    the grids' workers, the working days and a capacity."""
    period = Period.month(draw(st.integers(2026, 2027)), draw(st.integers(1, 12)))
    items = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6, unique_by=lambda i: i.code))
    grid_count = draw(st.integers(1, 3))
    objects = [
        PlanObject(
            object_id,
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from(list(RiskLevel))),
            draw(st.integers(1, grid_count)),
            frozenset(draw(st.sets(st.sampled_from(["独居老人", "餐饮"])))),
        )
        for object_id in draw(st.sets(st.integers(1, 500), max_size=20))
    ]
    days = [period.start + timedelta(days=i) for i in range((period.end - period.start).days)]
    visits = tuple(
        Visit(o.id, draw(st.sampled_from([i.code for i in items])), draw(st.sampled_from(days)) - offset)
        for o in objects
        for offset in draw(
            st.lists(st.sampled_from([timedelta(days=d) for d in (0, 3, 20, 40, 100)]), max_size=2)
        )
    )
    users = itertools.count(1)
    crews: dict[int, list[GridWorker]] = {}
    chief = GridWorker(900, WorkerKind.CHIEF)
    for grid_id in range(1, grid_count + 1):
        kinds = draw(st.lists(st.sampled_from(list(WorkerKind)), max_size=3))
        crews[grid_id] = [
            chief if kind is WorkerKind.CHIEF and shared_workers else GridWorker(next(users), kind)
            for kind in kinds
        ]
    if shared_workers and grid_count > 1 and draw(st.booleans()):
        crews[1].append(GridWorker(1, WorkerKind.PART_TIME))  # a worker posted to two grids
    weekdays_left = [
        d for d in days if d.weekday() < 5 and d not in draw(st.sets(st.sampled_from(days), max_size=8))
    ]
    working = draw(
        st.one_of(st.just(weekdays_left), st.lists(st.sampled_from(days), unique=True, max_size=8))
    )
    return {
        "period": period,
        "objects": objects,
        "items": [PlanItem(i, 1 + n) for n, i in enumerate(items)],
        "visits": visits,
        "crews": crews,
        "working_days": working,
        "daily_capacity": draw(st.integers(1, 5)),
    }


def due_visits(world: dict[str, object]) -> dict[tuple[int, str], list[Due]]:
    """What grid_items.due_in says is due, per (object, item code)."""
    period: Period = world["period"]  # type: ignore[assignment]
    seen: dict[tuple[int, str], list[date]] = defaultdict(list)
    for v in world["visits"]:  # type: ignore[attr-defined]
        seen[(v.object_id, v.item_code)].append(v.day)
    due = {}
    for o in world["objects"]:  # type: ignore[attr-defined]
        for p in world["items"]:  # type: ignore[attr-defined]
            found = due_in(p.item, o.kind, o.risk, period, seen[(o.id, p.code)], o.tags)
            if found:
                due[(o.id, p.code)] = found
    return due


@settings(max_examples=150, deadline=None)
@given(world=worlds())
def test_every_due_object_item_is_covered_by_exactly_one_task_inside_its_window(
    world: dict[str, object],
) -> None:
    result = plan_month(**world)  # type: ignore[arg-type]
    period: Period = world["period"]  # type: ignore[assignment]
    versions = {p.code: p.version for p in world["items"]}  # type: ignore[attr-defined]
    due = due_visits(world)
    by_object: dict[int, list[PatrolTask]] = defaultdict(list)
    for t in result.tasks:
        by_object[t.object_id].append(t)
        assert t.earliest <= t.day <= t.last_day(period)  # planned inside its window
        assert all(i.version == versions[i.code] for i in t.items)
    for (object_id, code), dues in due.items():
        carrying = [t for t in by_object[object_id] if code in t.item_codes]
        assert len(carrying) == len(dues)
        for d, t in zip(dues, sorted(carrying, key=lambda t: t.earliest), strict=True):
            assert d.start <= t.earliest and t.last_day(period) <= d.end - timedelta(days=1)
            assert t.latest <= d.deadline
            if d.overdue:
                assert t.overdue
    for t in result.tasks:  # nothing planned that is not due, overdue only when an item is
        assert all((t.object_id, code) in due for code in t.item_codes)
        if t.overdue:
            assert any(d.overdue for code in t.item_codes for d in due[(t.object_id, code)])
    assert result.per_item_tasks == sum(len(d) for d in due.values())
    assert result.objects_nothing_due == len(world["objects"]) - len(by_object)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(world=worlds())
def test_no_two_tasks_of_an_object_overlap_and_merging_never_makes_more_tasks(
    world: dict[str, object],
) -> None:
    result = plan_month(**world)  # type: ignore[arg-type]
    by_object: dict[int, list[PatrolTask]] = defaultdict(list)
    for t in result.tasks:
        by_object[t.object_id].append(t)
    for tasks in by_object.values():
        for a, b in itertools.pairwise(sorted(tasks, key=lambda t: t.earliest)):
            assert a.latest < b.earliest
    assert result.tasks_made <= result.per_item_tasks
    assert result.tasks_saved >= 0 and 0 <= result.share_saved < 1
    assert sum(g.tasks for g in result.grids) == result.tasks_made
    assert sum(g.per_item_tasks for g in result.grids) == result.per_item_tasks


@settings(max_examples=150, deadline=None)
@given(world=worlds())
def test_a_worker_is_only_given_tasks_of_their_grids_and_a_chief_only_where_no_one_else_works(
    world: dict[str, object],
) -> None:
    result = plan_month(**world)  # type: ignore[arg-type]
    crews: dict[int, list[GridWorker]] = world["crews"]  # type: ignore[assignment]
    for t in result.tasks:
        crew = crews.get(t.grid_id, [])
        if not crew:
            assert t.worker_id is None
            continue
        others = {w.user_id for w in crew if w.kind is not WorkerKind.CHIEF}
        assert t.worker_id in (others or {w.user_id for w in crew})
    assigned = Counter(t.worker_id for t in result.tasks if t.worker_id is not None)
    assert {w.user_id: w.tasks for w in result.workers if w.tasks} == dict(assigned)
    assert result.unassigned_tasks == sum(1 for t in result.tasks if t.worker_id is None)


@settings(max_examples=100, deadline=None)
@given(world=worlds(), seed=st.integers(0, 2**32))
def test_the_plan_is_the_same_whatever_the_order_of_its_inputs(world: dict[str, object], seed: int) -> None:
    shuffled = dict(world)
    rng = random.Random(seed)
    for key in ("objects", "items", "visits", "working_days"):
        values = list(world[key])  # type: ignore[call-overload]
        rng.shuffle(values)
        shuffled[key] = values
    crews = list(world["crews"].items())  # type: ignore[attr-defined]
    rng.shuffle(crews)
    shuffled["crews"] = {g: rng.sample(list(c), len(c)) for g, c in crews}
    assert plan_month(**shuffled) == plan_month(**world)  # type: ignore[arg-type]


@st.composite
def crowded_grids(draw: st.DrawFn) -> dict[str, object]:
    """One grid with many shops, a few workers and few working days: near its capacity."""
    period = Period.month(2026, draw(st.integers(1, 12)))
    days = [period.start + timedelta(days=i) for i in range((period.end - period.start).days)]
    items = draw(
        st.lists(
            st.sampled_from([FIRE, GAS, SANITATION, POOL[6], POOL[8], item("XX-001", Frequency.every(10))]),
            min_size=1,
            max_size=3,
            unique_by=lambda i: i.code,
        )
    )
    objects = [
        PlanObject(n, ObjectKind.SHOP, draw(st.sampled_from(list(RiskLevel))), 1)
        for n in range(draw(st.integers(1, 40)))
    ]
    kinds = draw(
        st.lists(st.sampled_from([WorkerKind.FULL_TIME, WorkerKind.PART_TIME]), min_size=1, max_size=3)
    )
    return {
        "period": period,
        "objects": objects,
        "items": [PlanItem(i, 1) for i in items],
        "visits": (),
        "crews": {1: [GridWorker(n + 1, kind) for n, kind in enumerate(kinds)]},
        "working_days": draw(st.lists(st.sampled_from(days), unique=True, min_size=1, max_size=10)),
        "daily_capacity": draw(st.integers(1, 3)),
    }


def fits(windows: list[tuple[int, int]], room: int, days: int) -> bool:
    """Whether unit visits with these windows (working-day indices) fit in `room` a day: a
    matching found by augmenting paths, independent of the planner's rule."""
    owner: dict[tuple[int, int], int] = {}

    def augment(v: int, seen: set[tuple[int, int]]) -> bool:
        first, stop = windows[v]
        for d in range(first, stop + 1):
            for copy in range(room):
                slot = (d, copy)
                if slot in seen:
                    continue
                seen.add(slot)
                if slot not in owner or augment(owner[slot], seen):
                    owner[slot] = v
                    return True
        return False

    return days > 0 and all(augment(v, set()) for v in range(len(windows)))


@settings(max_examples=250, deadline=None)
@given(world=st.one_of(worlds(shared_workers=False), crowded_grids()))
def test_no_worker_gets_more_than_the_daily_capacity_when_the_grid_can_make_it(
    world: dict[str, object],
) -> None:
    result = plan_month(**world)  # type: ignore[arg-type]
    period: Period = world["period"]  # type: ignore[assignment]
    capacity: int = world["daily_capacity"]  # type: ignore[assignment]
    working = sorted(set(world["working_days"]))  # type: ignore[call-overload]
    index = {d: i for i, d in enumerate(working)}
    crews: dict[int, list[GridWorker]] = world["crews"]  # type: ignore[assignment]
    for grid in result.grids:
        crew = crews.get(grid.grid_id, [])
        posted = {w.user_id for w in crew if w.kind is not WorkerKind.CHIEF} or {w.user_id for w in crew}
        windows = []
        for t in result.tasks:
            if t.grid_id != grid.grid_id:
                continue
            inside = [index[d] for d in working if t.earliest <= d <= t.last_day(period)]
            if inside:
                windows.append((inside[0], inside[-1]))
        if posted and fits(windows, capacity * len(posted), len(working)):
            assert grid.over_capacity == 0
            loads = Counter((t.worker_id, t.day) for t in result.tasks if t.grid_id == grid.grid_id)
            assert all(n <= capacity for (_, day), n in loads.items() if day in index)
        elif posted and windows:
            assert grid.over_capacity > 0
    for o in result.overloads:
        assert o.tasks > capacity


@settings(max_examples=100, deadline=None)
@given(world=worlds())
def test_a_plan_carried_out_as_planned_is_on_time_everywhere(world: dict[str, object]) -> None:
    result = plan_month(**world)  # type: ignore[arg-type]
    period: Period = world["period"]  # type: ignore[assignment]
    done = [replace(t, visited_on=t.day) for t in result.tasks]
    assert all(task_status(t, period.end) is TaskStatus.DONE_ON_TIME for t in done)
    objects = len({t.object_id for t in result.tasks})
    assert coverage(done, period.end) == Coverage(objects, objects)
    assert coverage(result.tasks, period.start).objects_due == 0  # nothing settled before it starts
