"""Electronic ledgers (电子台账) and patrol figures in the domain: the request a reader makes, the
words on the cover and the tabs, the columns and rows an inspector prints (hazards and whether
they were fixed), the totals, and the figures — tasks by status and coverage counted per group
exactly as `patrol_plan.coverage` defines it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import ObjectKind
from zhiyun.domain.grid_hazards import HazardStatus
from zhiyun.domain.grid_items import AnswerType, Frequency, FrequencyUnit, GridItem, HazardLevel, Question
from zhiyun.domain.patrol_ledger import (
    AFTER_ANSWERS,
    BEFORE_ANSWERS,
    HazardFix,
    LedgerAnswer,
    LedgerCheck,
    LedgerLine,
    LedgerObject,
    LedgerRequest,
    LedgerSection,
    ScopeKind,
    figures_month,
    fix_cell,
    hazard_cell,
    hazard_fix,
    hazard_tally,
    ledger_title,
    ledger_totals,
    may_read_patrol_ledger,
    needs_attention,
    period_label,
    question_columns,
    sheet_header,
    sheet_rows,
    sheet_title,
    tally,
)
from zhiyun.domain.patrol_plan import PatrolTask, TaskItem, TaskStatus, coverage, task_status

DEC = {"start": date(2026, 12, 1), "end": date(2026, 12, 31)}


def checklist(*questions: tuple[str, str]) -> GridItem:
    return GridItem(
        "XF-001",
        "消防安全检查",
        "区消防救援大队",
        (ObjectKind.SHOP,),
        Frequency(FrequencyUnit.MONTHLY),
        tuple(Question(qid, text, AnswerType.YES_NO) for qid, text in questions),
    )


def answer(
    qid: str, text: str, level: HazardLevel | None = None, fix: HazardFix | None = None, photos: int = 0
) -> LedgerAnswer:
    return LedgerAnswer(qid, f"问题 {qid}", text, level, fix if level else None, photos)


def check(visit_id: int, day: int, *answers: LedgerAnswer) -> LedgerCheck:
    return LedgerCheck(visit_id, date(2026, 12, day), "张网格", 1, answers)


def obj(object_id: int, name: str) -> LedgerObject:
    return LedgerObject(object_id, name, f"{name}地址", "三小场所", "440605001001001", "夏北社区")


# --------------------------------------------------------------------------- the request


def test_a_request_names_exactly_one_scope_normalized_and_at_most_a_year() -> None:
    assert LedgerRequest.parse(item=" xf-001 ", **DEC).value == "XF-001"
    assert LedgerRequest.parse(object_id=7, **DEC).kind is ScopeKind.OBJECT
    assert LedgerRequest.parse(grid="440605001001001", **DEC).kind is ScopeKind.GRID
    assert LedgerRequest.parse(village=" GC-XB ", **DEC).value == "GC-XB"
    for bad in (
        {"village": "GC-XB", "item": "XF-001"},
        {},
        {"grid": "12345"},
        {"object_id": "x1"},
    ):
        with pytest.raises(ValidationFailed):
            LedgerRequest.parse(**bad, **DEC)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(village="GC-XB", start=date(2026, 12, 2), end=date(2026, 12, 1))
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(village="GC-XB", start=date(2025, 11, 30), end=date(2026, 12, 1))
    with pytest.raises(ValidationFailed):
        LedgerRequest.parse(village="GC-XB", start=date(9999, 12, 31), end=date(9999, 12, 31))
    assert LedgerRequest.parse(village="GC-XB", start=date(2026, 1, 1), end=date(2026, 12, 31)).days == 365


def test_figures_take_a_month_within_the_years_a_ledger_covers() -> None:
    assert figures_month("2026-12").start == date(2026, 12, 1)
    for bad in ("9999-12", "1900-01", "2026-13", "12-2026"):
        with pytest.raises(ValidationFailed):
            figures_month(bad)


def test_ledgers_are_read_by_grid_workers_village_and_town_staff_and_the_district_readers() -> None:
    readers = {r for r in Role if may_read_patrol_ledger(Actor(None, r, None))}
    assert readers == {
        Role.GRID_WORKER,
        Role.HANDLER,
        Role.DISPATCHER,
        Role.ADMIN,
        Role.LEADER,
        Role.INSPECTOR,
        Role.SYSTEM,
    }


# --------------------------------------------------------------------------- the words


def test_the_title_names_the_scope_and_the_period_as_an_inspector_writes_it() -> None:
    assert (
        ledger_title("夏北社区", date(2026, 12, 1), date(2026, 12, 31))
        == "夏北社区 网格巡查电子台账 2026年12月"
    )
    assert period_label(date(2026, 10, 1), date(2026, 12, 31)) == "2026年10月—12月"
    assert period_label(date(2026, 11, 1), date(2027, 1, 31)) == "2026年11月—2027年1月"
    assert period_label(date(2026, 12, 1), date(2026, 12, 15)) == "2026年12月1日—15日"
    assert period_label(date(2026, 11, 20), date(2026, 12, 15)) == "2026年11月20日—12月15日"
    assert period_label(date(2026, 12, 28), date(2027, 1, 3)) == "2026年12月28日—2027年1月3日"
    assert period_label(date(2026, 12, 3), date(2026, 12, 3)) == "2026年12月3日"


def test_a_sheet_tab_drops_what_excel_refuses_keeps_to_31_characters_and_is_unique() -> None:
    assert sheet_title("XF-001", "消防安全检查") == "XF-001 消防安全检查"
    assert sheet_title("A-1", "燃气[瓶]/管道:检查?") == "A-1 燃气瓶管道检查"
    long = sheet_title("XF-001", "很" * 40)
    assert len(long) == 31
    second = sheet_title("XF-001", "很" * 40, [long.upper()])
    assert len(second) == 31 and second.endswith("(2)") and second != long


def test_the_columns_follow_the_newest_version_and_keep_questions_only_older_versions_asked() -> None:
    v1 = checklist(("exit", "安全出口是否畅通"), ("old", "是否张贴旧式标识"))
    v2 = checklist(("ext", "灭火器是否有效"), ("exit", "安全出口、疏散通道是否畅通"))
    columns = question_columns([v1, v2])
    assert [(c.question_id, c.text) for c in columns] == [
        ("ext", "灭火器是否有效"),
        ("exit", "安全出口、疏散通道是否畅通"),
        ("old", "是否张贴旧式标识"),
    ]


# --------------------------------------------------------------------------- the rows


def section() -> LedgerSection:
    columns = question_columns([checklist(("exit", "安全出口是否畅通"), ("ext", "灭火器是否有效"))])
    eatery = LedgerLine(
        obj(1, "陈记粉面店"),
        (
            check(
                10,
                3,
                answer("exit", "否", HazardLevel.MAJOR, HazardFix.UNCHECKED, 1),
                answer("ext", "是", photos=1),
            ),
            check(11, 17, answer("exit", "是"), answer("ext", "否", HazardLevel.GENERAL, HazardFix.FIXED)),
        ),
    )
    shop = LedgerLine(obj(2, "好又多便利店"), (check(12, 4, answer("exit", "是")),))
    return LedgerSection("XF-001", "消防安全检查", "区消防救援大队", columns, (eatery, shop))


def test_each_check_is_a_numbered_row_with_every_answer_its_hazards_and_whether_they_were_fixed() -> None:
    s = section()
    assert sheet_header(s) == [*BEFORE_ANSWERS, "安全出口是否畅通", "灭火器是否有效", *AFTER_ANSWERS]
    rows = sheet_rows(s)
    assert [r[0] for r in rows] == [1, 2, 3]
    first, second, third = rows
    assert first[1:6] == ["陈记粉面店", "陈记粉面店地址", "440605001001001", date(2026, 12, 3), "张网格"]
    assert first[6:8] == ["否", "是"]
    assert first[-3] == "重大隐患：问题 exit（否）" and first[-2] == "待复查" and first[-1] == 2
    assert second[-3].startswith("一般隐患") and second[-2] == "已整改"
    assert third[6:8] == ["是", ""]  # a question the check did not answer stays empty
    assert third[-3] == "无" and third[-2] == "" and third[-1] == 0


def test_a_check_with_hazards_in_several_states_counts_each() -> None:
    mixed = check(
        1,
        3,
        answer("a", "否", HazardLevel.MAJOR, HazardFix.FIXED),
        answer("b", "否", HazardLevel.GENERAL, HazardFix.UNCHECKED),
        answer("c", "否", HazardLevel.GENERAL, HazardFix.UNCHECKED),
    )
    assert fix_cell(mixed) == "待复查 2，已整改 1"
    assert hazard_cell(mixed).count("；") == 2
    assert fix_cell(check(2, 3, answer("a", "是"))) == "" and hazard_cell(check(2, 3)) == "无"


def test_the_totals_count_objects_visits_checks_and_hazards_found_fixed_and_open() -> None:
    other = LedgerSection(
        "RQ-001",
        "燃气安全检查",
        "",
        (),
        (LedgerLine(obj(1, "陈记粉面店"), (check(10, 3, answer("gas", "是")),)),),
    )
    t = ledger_totals([section(), other])
    assert (t.objects, t.visits, t.items_checked) == (2, 3, 4)
    assert (t.hazards_found, t.hazards_fixed, t.hazards_open) == (2, 1, 1)


# --------------------------------------------------------------------------- the figures

TODAY = date(2026, 12, 20)


def task(
    object_id: int, latest: int, visited: int | None, *, grid: int = 1, worker: int = 7, overdue: bool = False
) -> PatrolTask:
    first = date(2026, 12, 1)
    return PatrolTask(
        object_id=object_id,
        grid_id=grid,
        worker_id=worker,
        day=first,
        earliest=first,
        latest=first + timedelta(days=latest),
        items=(TaskItem("XF-001", 1),),
        overdue=overdue,
        visited_on=None if visited is None else first + timedelta(days=visited),
    )


def test_tasks_are_counted_by_status_and_coverage_per_group() -> None:
    tasks = [
        task(1, 10, 3),  # on time
        task(1, 25, None),  # pending: not held against object 1
        task(2, 5, 8),  # late
        task(3, 5, None, grid=2),  # missed
        task(4, 30, None, grid=2, worker=8),  # pending: object 4 not due yet
    ]
    by_all, by_grid, by_worker = tally(
        tasks, TODAY, lambda t: "all", lambda t: t.grid_id, lambda t: t.worker_id
    )
    everything = by_all["all"]
    assert (
        everything.tasks,
        everything.pending,
        everything.done_on_time,
        everything.done_late,
        everything.missed,
    ) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert (everything.objects_due, everything.objects_on_time, everything.coverage) == (3, 1, 1 / 3)
    assert (by_grid[1].objects_due, by_grid[1].objects_on_time) == (2, 1)
    assert by_grid[2].coverage == 0.0 and by_worker[8].coverage is None


statuses = st.tuples(
    st.integers(1, 6),
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 40)),
    st.integers(1, 3),
    st.integers(1, 3),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(statuses, max_size=40))
def test_the_tally_gives_every_group_the_coverage_the_domain_defines(
    rows: list[tuple[int, int, int | None, int, int]],
) -> None:
    tasks = [task(o, latest, visited, grid=g, worker=w) for o, latest, visited, g, w in rows]
    (by_grid,) = tally(tasks, TODAY, lambda t: t.grid_id)
    for grid, counted in by_grid.items():
        expected = coverage([t for t in tasks if t.grid_id == grid], TODAY)
        assert (counted.objects_due, counted.objects_on_time) == (
            expected.objects_due,
            expected.objects_on_time,
        )
        assert counted.tasks == counted.pending + counted.done_on_time + counted.done_late + counted.missed
    assert sum(c.tasks for c in by_grid.values()) == len(tasks)


def test_hazards_are_counted_found_and_fixed_per_group() -> None:
    counted = hazard_tally([(1, HazardFix.FIXED), (1, HazardFix.UNCHECKED), (2, HazardFix.OPEN)])
    assert (counted[1].found, counted[1].fixed, counted[1].open) == (2, 1, 1)
    assert (counted[2].found, counted[2].fixed) == (1, 0)


def test_the_chief_and_the_village_are_shown_missed_late_and_carried_over_tasks() -> None:
    assert needs_attention(task(1, 5, None), TODAY)  # missed
    assert needs_attention(task(1, 5, 8), TODAY)  # done late
    assert needs_attention(task(1, 25, None, overdue=True), TODAY)  # carried over, still pending
    assert not needs_attention(task(1, 25, None), TODAY)
    assert not needs_attention(task(1, 10, 3), TODAY)
    assert task_status(task(1, 5, None), TODAY) is TaskStatus.MISSED


def test_a_hazard_reads_fixed_not_fixed_or_not_yet_rechecked_from_its_record() -> None:
    in_time, past = date(2026, 12, 25), date(2026, 12, 10)
    assert hazard_fix(HazardStatus.FIXED, past, TODAY) is HazardFix.FIXED
    assert hazard_fix(HazardStatus.UNFIXED, in_time, TODAY) is HazardFix.OPEN
    assert hazard_fix(HazardStatus.OPEN, past, TODAY) is HazardFix.OPEN  # past its rectification deadline
    assert hazard_fix(HazardStatus.OPEN, in_time, TODAY) is HazardFix.UNCHECKED
    assert hazard_fix(HazardStatus.OPEN, None, TODAY) is HazardFix.UNCHECKED
    assert hazard_fix(HazardStatus.SUPERSEDED, None, TODAY) is HazardFix.OPEN  # its follower not found
    assert [f.label for f in HazardFix] == ["待复查", "未整改", "已整改"]
