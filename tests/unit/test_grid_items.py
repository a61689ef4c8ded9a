"""Grid items (入格事项) in the domain: validating an item, when visits are due, which answers
are hazards, and checking a visit's answers against the checklist of the version it answered."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.grid_items import (
    Answer,
    AnswerType,
    Due,
    Frequency,
    FrequencyUnit,
    GridItem,
    HazardLevel,
    HazardRule,
    Period,
    PhotoRule,
    Question,
    Season,
    answer_problems,
    applies,
    due_in,
    frequency_for,
    hazards,
    item_from_json,
    item_problems,
    item_to_json,
    next_due,
    validate_answers,
    validate_item,
    version_problems,
)

EXITS = Question(
    "exits",
    "消防通道是否畅通",
    AnswerType.YES_NO,
    photo=PhotoRule.ON_HAZARD,
    hazards=(HazardRule(HazardLevel.GENERAL, ("no",)),),
)
EXTINGUISHERS = Question(
    "extinguishers",
    "灭火器数量",
    AnswerType.NUMBER,
    unit="具",
    minimum=0,
    maximum=100,
    hazards=(HazardRule(HazardLevel.MAJOR, below=1), HazardRule(HazardLevel.GENERAL, below=2)),
)
LODGING = Question(
    "lodging",
    "住人情况",
    AnswerType.SINGLE_CHOICE,
    options=("无人住宿", "住人有分隔", "住人无分隔"),
    hazards=(HazardRule(HazardLevel.MAJOR, ("住人无分隔",)),),
)
ISSUES = Question(
    "issues",
    "其他问题",
    AnswerType.MULTIPLE_CHOICE,
    required=False,
    options=("未培训", "无标志", "无"),
    hazards=(HazardRule(HazardLevel.GENERAL, ("未培训", "无标志")),),
)
NOTE = Question("note", "备注", AnswerType.TEXT, required=False)
PHOTO = Question("photo", "全景照片", AnswerType.PHOTO, photo=PhotoRule.ALWAYS)

SHOP_FIRE = GridItem(
    code="XF-001",
    name="三小场所消防安全检查",
    department="区消防救援大队",
    object_kinds=(ObjectKind.SHOP,),
    frequency=Frequency(FrequencyUnit.MONTHLY),
    questions=(EXITS, EXTINGUISHERS, LODGING, ISSUES, NOTE, PHOTO),
    legal_basis="《中华人民共和国消防法》",
    risk_frequencies=(
        (RiskLevel.HIGH, Frequency.every(14)),
        (RiskLevel.MAJOR, Frequency(FrequencyUnit.WEEKLY)),
    ),
)
GOOD_ANSWERS = {
    "exits": "是",
    "extinguishers": "3",
    "lodging": "无人住宿",
    "photo": Answer(None, ("p1",)),
}


def _problems(item: GridItem) -> str:
    return "；".join(item_problems(item))


# --------------------------------------------------------------------------- validating an item


def test_a_sound_item_has_no_problems_and_survives_its_file_form() -> None:
    assert item_problems(SHOP_FIRE) == []
    assert validate_item(SHOP_FIRE) is SHOP_FIRE
    assert item_from_json(item_to_json(SHOP_FIRE)) == SHOP_FIRE


def test_an_item_is_refused_with_every_problem_in_chinese() -> None:
    broken = replace(
        SHOP_FIRE,
        code="xf 1",
        name="",
        object_kinds=(),
        questions=(EXITS, replace(EXITS, text="重复")),
    )
    with pytest.raises(ValidationFailed) as refused:
        validate_item(broken)
    message = refused.value.message
    assert "事项编码「xf 1」格式不对" in message
    assert "请填写事项名称" in message
    assert "请选择适用的对象类型" in message
    assert "问题编号重复：exits" in message
    assert len(refused.value.details["problems"]) == 4  # type: ignore[arg-type]


def test_a_question_is_refused_when_its_hazards_do_not_fit_its_type() -> None:
    wrong_answer = replace(EXITS, hazards=(HazardRule(HazardLevel.GENERAL, ("也许",)),))
    assert "隐患答案「也许」不是该题的可选答案" in _problems(replace(SHOP_FIRE, questions=(wrong_answer,)))
    number_by_answer = replace(EXTINGUISHERS, hazards=(HazardRule(HazardLevel.GENERAL, ("no",)),))
    assert "数值题的隐患条件应为" in _problems(replace(SHOP_FIRE, questions=(number_by_answer,)))
    text_hazard = replace(NOTE, hazards=(HazardRule(HazardLevel.GENERAL, ("x",)),))
    assert "文字题不能设置隐患答案" in _problems(replace(SHOP_FIRE, questions=(text_hazard,)))
    photo_without_hazard = replace(NOTE, photo=PhotoRule.ON_HAZARD)
    assert "不能设置“发现隐患时拍照”" in _problems(replace(SHOP_FIRE, questions=(photo_without_hazard,)))


def test_a_choice_question_needs_two_distinct_options_and_a_number_a_sound_range() -> None:
    one_option = replace(LODGING, options=("只有一个",), hazards=())
    assert "选择题应有 2–20 个选项" in _problems(replace(SHOP_FIRE, questions=(one_option,)))
    upside_down = replace(EXTINGUISHERS, minimum=5, maximum=1)
    assert "最小值不能大于最大值" in _problems(replace(SHOP_FIRE, questions=(upside_down,)))
    options_on_yes_no = replace(EXITS, options=("是", "否"))
    assert "只有选择题可以设置选项" in _problems(replace(SHOP_FIRE, questions=(options_on_yes_no,)))


def test_a_higher_risk_may_raise_the_frequency_but_never_lower_it() -> None:
    lower = replace(SHOP_FIRE, risk_frequencies=((RiskLevel.HIGH, Frequency(FrequencyUnit.QUARTERLY)),))
    assert "高风险的频次（每季度）不能低于风险更低对象的频次" in _problems(lower)
    below_minimum = replace(
        SHOP_FIRE, min_risk=RiskLevel.HIGH, risk_frequencies=((RiskLevel.MEDIUM, Frequency.every(7)),)
    )
    assert "不能为中风险设置频次" in _problems(below_minimum)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monthly", Frequency(FrequencyUnit.MONTHLY)),
        ("每月", Frequency(FrequencyUnit.MONTHLY)),
        ("每季度", Frequency(FrequencyUnit.QUARTERLY)),
        ("weekly", Frequency(FrequencyUnit.WEEKLY)),
        ("每年", Frequency(FrequencyUnit.YEARLY)),
        ("every 14 days", Frequency.every(14)),
        ("每14天", Frequency.every(14)),
        ("10d", Frequency.every(10)),
    ],
)
def test_a_frequency_is_read_in_english_or_chinese(text: str, expected: Frequency) -> None:
    assert Frequency.parse(text) == expected
    assert Frequency.parse(str(expected)) == expected
    assert Frequency.parse(expected.label) == expected


def test_a_frequency_that_means_nothing_is_refused() -> None:
    for text in ("sometimes", "每0天", "every 400 days", ""):
        with pytest.raises(ValidationFailed):
            Frequency.parse(text)


def test_a_new_version_keeps_the_answer_type_of_every_question_id_ever_used() -> None:
    v1 = SHOP_FIRE
    v2 = replace(SHOP_FIRE, questions=(EXITS, PHOTO))  # extinguishers dropped
    v3 = replace(SHOP_FIRE, questions=(EXITS, replace(NOTE, id="extinguishers"), PHOTO))
    assert version_problems([v1], v2) == []
    assert version_problems([v1, v2], v3) == [
        "问题 extinguishers 在以前的版本中是数值题，不能改为文字题；请给新问题换一个编号"
    ]


def test_the_file_form_refuses_unknown_fields_and_wrong_types_with_reasons() -> None:
    data = item_to_json(SHOP_FIRE) | {"colour": "red", "frequency": "sometimes"}
    data["questions"] = [*data["questions"][:1], {"id": "x", "text": "?", "type": "essay"}]
    with pytest.raises(ValidationFailed) as refused:
        item_from_json(data, where="第 2 项：")
    problems = refused.value.details["problems"]
    assert isinstance(problems, list)
    assert all(p.startswith("第 2 项：") for p in problems)
    assert any("频次「sometimes」无法识别" in p for p in problems)
    assert any("答案类型「essay」不存在" in p for p in problems)
    assert any("不认识的字段：colour" in p for p in problems)


# --------------------------------------------------------------------------- applying and due dates


def test_an_item_applies_to_its_kinds_at_or_above_its_risk_with_its_tags() -> None:
    gas = replace(SHOP_FIRE, tags=("餐饮",), min_risk=RiskLevel.MEDIUM, risk_frequencies=())
    assert not applies(gas, ObjectKind.SHOP, RiskLevel.HIGH)  # not a restaurant
    assert not applies(gas, ObjectKind.SHOP, RiskLevel.LOW, ["餐饮"])
    assert not applies(gas, ObjectKind.ENTERPRISE, RiskLevel.HIGH, ["餐饮"])
    assert applies(gas, ObjectKind.SHOP, RiskLevel.MEDIUM, ["餐饮", "临街"])


def test_a_riskier_object_gets_the_override_of_the_highest_level_at_or_below_its_risk() -> None:
    assert frequency_for(SHOP_FIRE, RiskLevel.LOW) == Frequency(FrequencyUnit.MONTHLY)
    assert frequency_for(SHOP_FIRE, RiskLevel.MEDIUM) == Frequency(FrequencyUnit.MONTHLY)
    assert frequency_for(SHOP_FIRE, RiskLevel.HIGH) == Frequency.every(14)
    assert frequency_for(SHOP_FIRE, RiskLevel.MAJOR) == Frequency(FrequencyUnit.WEEKLY)
    assert frequency_for(SHOP_FIRE, None) == Frequency(FrequencyUnit.MONTHLY)


def test_a_monthly_item_is_due_once_in_a_month_unless_visited_already() -> None:
    december = Period.month(2026, 12)
    due = due_in(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.LOW, december)
    assert due == [
        Due(date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1))
    ]
    assert due_in(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.LOW, december, [date(2026, 12, 3)]) == []
    # a visit in November does not count for December
    assert len(due_in(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.LOW, december, [date(2026, 11, 30)])) == 1
    assert due_in(SHOP_FIRE, ObjectKind.BUILDING, RiskLevel.LOW, december) == []


def test_a_weekly_item_is_due_in_every_week_touching_the_month() -> None:
    major = due_in(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.MAJOR, Period.month(2026, 12), [date(2026, 12, 9)])
    # weeks from Monday: 11-30, 12-7 (visited on the 9th), 12-14, 12-21, 12-28
    assert [(d.start, d.cycle_start) for d in major] == [
        (date(2026, 12, 1), date(2026, 11, 30)),
        (date(2026, 12, 14), date(2026, 12, 14)),
        (date(2026, 12, 21), date(2026, 12, 21)),
        (date(2026, 12, 28), date(2026, 12, 28)),
    ]
    assert major[-1].end == date(2027, 1, 1) and major[-1].deadline == date(2027, 1, 3)


def test_a_quarterly_item_planned_in_a_month_is_due_by_the_end_of_its_quarter() -> None:
    quarterly = replace(SHOP_FIRE, frequency=Frequency(FrequencyUnit.QUARTERLY), risk_frequencies=())
    (due,) = due_in(quarterly, ObjectKind.SHOP, None, Period.month(2026, 11))
    assert (due.start, due.end, due.deadline) == (date(2026, 11, 1), date(2026, 12, 1), date(2026, 12, 31))
    assert due_in(quarterly, ObjectKind.SHOP, None, Period.month(2026, 12), [date(2026, 10, 20)]) == []


def test_every_n_days_counts_from_the_last_visit_and_starts_again_at_each_visit() -> None:
    high = due_in(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.HIGH, Period.month(2026, 12), [date(2026, 11, 25)])
    assert [d.start for d in high] == [date(2026, 12, 9), date(2026, 12, 23)]
    assert high[0].deadline == date(2026, 12, 22)
    visited = due_in(
        SHOP_FIRE,
        ObjectKind.SHOP,
        RiskLevel.HIGH,
        Period.month(2026, 12),
        [date(2026, 11, 25), date(2026, 12, 12)],
    )
    assert [d.start for d in visited] == [date(2026, 12, 26)]


def test_an_every_n_days_item_visited_long_ago_is_due_at_once_and_overdue() -> None:
    (first, second, third) = due_in(
        SHOP_FIRE, ObjectKind.SHOP, RiskLevel.HIGH, Period.month(2026, 12), [date(2026, 10, 1)]
    )
    assert first.start == date(2026, 12, 1) and first.overdue
    assert not second.overdue and second.start == date(2026, 12, 15)
    assert third.start == date(2026, 12, 29) and third.end == date(2027, 1, 1)


def test_a_seasonal_item_is_due_only_in_its_months() -> None:
    flood = replace(
        SHOP_FIRE,
        frequency=Frequency(FrequencyUnit.YEARLY),
        risk_frequencies=((RiskLevel.HIGH, Frequency(FrequencyUnit.MONTHLY)),),
        season=Season(3, 4),
    )
    year = Period(date(2027, 1, 1), date(2028, 1, 1))
    (yearly,) = due_in(flood, ObjectKind.SHOP, RiskLevel.LOW, year)
    assert (yearly.start, yearly.end, yearly.deadline) == (
        date(2027, 3, 1),
        date(2027, 5, 1),
        date(2027, 4, 30),
    )
    assert [d.start for d in due_in(flood, ObjectKind.SHOP, RiskLevel.HIGH, year)] == [
        date(2027, 3, 1),
        date(2027, 4, 1),
    ]
    assert due_in(flood, ObjectKind.SHOP, RiskLevel.LOW, Period.month(2027, 6)) == []
    assert due_in(flood, ObjectKind.SHOP, RiskLevel.LOW, year, [date(2027, 3, 15)]) == []


def test_the_next_visit_after_the_last_one() -> None:
    today = date(2026, 12, 10)
    monthly = next_due(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.LOW, date(2026, 12, 3), today=today)
    assert monthly is not None and (monthly.start, monthly.deadline) == (date(2027, 1, 1), date(2027, 1, 31))
    interval = next_due(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.HIGH, date(2026, 12, 3), today=today)
    assert interval is not None and interval.start == date(2026, 12, 17)
    never = next_due(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.LOW, None, today=today)
    assert never is not None and never.start == today
    assert next_due(SHOP_FIRE, ObjectKind.FACILITY, RiskLevel.LOW, None, today=today) is None
    late = next_due(SHOP_FIRE, ObjectKind.SHOP, RiskLevel.HIGH, date(2026, 10, 1), today=today)
    assert late is not None and late.start < today


def test_a_month_is_read_as_a_period() -> None:
    assert Period.parse_month("2026-12") == Period(date(2026, 12, 1), date(2027, 1, 1))
    for bad in ("2026-13", "12/2026", ""):
        with pytest.raises(ValidationFailed):
            Period.parse_month(bad)


FREQUENCIES = st.one_of(
    st.sampled_from([Frequency(u) for u in FrequencyUnit if u is not FrequencyUnit.EVERY_DAYS]),
    st.integers(1, 60).map(Frequency.every),
)
SEASONS = st.one_of(
    st.none(), st.tuples(st.integers(1, 12), st.integers(1, 12)).map(lambda p: Season(min(p), max(p)))
)
DAYS = st.dates(date(2025, 1, 1), date(2028, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    frequency=FREQUENCIES,
    season=SEASONS,
    start=DAYS,
    length=st.integers(1, 400),
    visits=st.lists(DAYS, max_size=6),
)
def test_a_due_calculation_never_schedules_two_visits_in_one_cycle(
    frequency: Frequency, season: Season | None, start: date, length: int, visits: list[date]
) -> None:
    item = replace(SHOP_FIRE, frequency=frequency, risk_frequencies=(), season=season)
    period = Period(start, start + timedelta(days=length))
    due = due_in(item, ObjectKind.SHOP, RiskLevel.LOW, period, visits)
    for d in due:
        assert period.start <= d.start < d.end <= period.end  # inside the period
        assert d.cycle_start <= d.start and d.end <= d.cycle_end
        assert d.start <= d.deadline < d.cycle_end
        assert not any(d.start <= v < d.end for v in visits)  # nothing already visited
        if season is not None:
            assert season.holds(d.start) and season.holds(d.end - timedelta(days=1))
    for a, b in itertools.pairwise(due):
        assert a.cycle_end <= b.cycle_start  # one visit per cycle, in order
    if frequency.unit is FrequencyUnit.EVERY_DAYS:
        step = timedelta(days=frequency.days or 1)
        for a, b in itertools.pairwise(due):
            assert b.start - a.start >= step
        for d in due:
            assert all(d.start - v >= step for v in visits if v <= d.start)
    else:
        cycles = {(d.cycle_start, d.cycle_end) for d in due}
        assert len(cycles) == len(due)
        for d in due:
            assert not any(d.cycle_start <= v < d.cycle_end for v in visits)


@settings(max_examples=200, deadline=None)
@given(frequency=FREQUENCIES, start=DAYS, visits=st.lists(DAYS, max_size=4))
def test_planning_month_by_month_gives_the_same_calendar_visits_as_planning_the_year(
    frequency: Frequency, start: date, visits: list[date]
) -> None:
    if frequency.unit is FrequencyUnit.EVERY_DAYS:
        return  # the count restarts at the visits planned, not at those made: a plan of its own
    item = replace(SHOP_FIRE, frequency=frequency, risk_frequencies=())
    months = [Period.month(start.year, m) for m in range(1, 13)]
    by_month = {
        (d.cycle_start, d.cycle_end) for p in months for d in due_in(item, ObjectKind.SHOP, None, p, visits)
    }
    whole = Period(months[0].start, months[-1].end)
    assert by_month == {
        (d.cycle_start, d.cycle_end) for d in due_in(item, ObjectKind.SHOP, None, whole, visits)
    }


# --------------------------------------------------------------------------- answers and hazards


def test_sound_answers_are_normalized() -> None:
    clean = validate_answers(SHOP_FIRE, GOOD_ANSWERS | {"issues": ["无"], "note": " 正常 "})
    assert clean == {
        "exits": Answer(True),
        "extinguishers": Answer(3),
        "lodging": Answer("无人住宿"),
        "issues": Answer(("无",)),
        "note": Answer("正常"),
        "photo": Answer(None, ("p1",)),
    }
    assert answer_problems(SHOP_FIRE, GOOD_ANSWERS) == []


def test_answers_of_the_wrong_type_missing_or_unknown_are_refused_with_their_question() -> None:
    answers = {
        "exits": "可能",
        "extinguishers": "101",
        "lodging": "别的",
        "issues": ["未培训", "未培训"],
        "ghost": "?",
    }
    problems = {p.question_id: p.message for p in answer_problems(SHOP_FIRE, answers)}
    assert problems == {
        "ghost": "事项 XF-001 没有问题 ghost",
        "exits": "消防通道是否畅通：应回答“是”或“否”",
        "extinguishers": "灭火器数量：不能大于 100具",
        "lodging": "住人情况：「别的」不是可选的答案",
        "issues": "其他问题：同一选项只能选一次",
        "photo": "全景照片：请拍照",
    }
    with pytest.raises(ValidationFailed, match="检查结果有误"):
        validate_answers(SHOP_FIRE, answers)


def test_a_required_question_must_be_answered_and_an_optional_one_may_be_left_out() -> None:
    missing = {p.question_id for p in answer_problems(SHOP_FIRE, {"photo": Answer(None, ("p",))})}
    assert missing == {"exits", "extinguishers", "lodging"}
    assert "note" not in validate_answers(SHOP_FIRE, GOOD_ANSWERS)


def test_a_hazard_answer_needs_its_photo_when_the_question_says_so() -> None:
    blocked = GOOD_ANSWERS | {"exits": "否"}
    assert [p.message for p in answer_problems(SHOP_FIRE, blocked)] == ["消防通道是否畅通：发现隐患，须拍照"]
    with_photo = GOOD_ANSWERS | {"exits": {"value": "否", "photos": ["p2"]}}
    assert validate_answers(SHOP_FIRE, with_photo)["exits"] == Answer(False, ("p2",))


def test_hazards_are_the_answers_their_rules_name_at_the_highest_level() -> None:
    answers = GOOD_ANSWERS | {
        "exits": "否",
        "extinguishers": 0,
        "lodging": "住人无分隔",
        "issues": ["无标志", "未培训"],
    }
    found = hazards(SHOP_FIRE, answers)
    assert [(h.question_id, h.answer, h.level) for h in found] == [
        ("exits", "否", HazardLevel.GENERAL),
        ("extinguishers", "0具", HazardLevel.MAJOR),  # < 1 is major, < 2 general: the higher wins
        ("lodging", "住人无分隔", HazardLevel.MAJOR),
        ("issues", "未培训、无标志", HazardLevel.GENERAL),
    ]
    assert hazards(SHOP_FIRE, GOOD_ANSWERS) == []
    assert [h.level for h in hazards(SHOP_FIRE, {"extinguishers": 1})] == [HazardLevel.GENERAL]


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 100), exits=st.booleans())
def test_a_number_is_a_hazard_exactly_when_a_rule_says_so(count: int, exits: bool) -> None:
    found = {h.question_id: h.level for h in hazards(SHOP_FIRE, {"extinguishers": count, "exits": exits})}
    expected_count = HazardLevel.MAJOR if count < 1 else HazardLevel.GENERAL if count < 2 else None
    assert found.get("extinguishers") == expected_count
    assert ("exits" in found) is (not exits)


def test_an_older_version_still_checks_the_answers_it_was_given() -> None:
    v2 = replace(
        SHOP_FIRE, questions=(*SHOP_FIRE.questions, Question("gas", "是否使用燃气", AnswerType.YES_NO))
    )
    assert answer_problems(SHOP_FIRE, GOOD_ANSWERS) == []
    assert [p.question_id for p in answer_problems(v2, GOOD_ANSWERS)] == ["gas"]
