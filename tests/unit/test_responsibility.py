"""Resolving the responsibility list (权责清单): priority, specificity, area inheritance, conflicts, fallback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.world import (
    DEPARTMENT,
    DISTRICT,
    OFFICE_A,
    ORG,
    TOWN_A,
    TOWN_B,
    UNKNOWN_UNIT,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
)
from zhiyun.domain.responsibility import Case, Outcome, Rule, check_rules, resolve
from zhiyun.domain.taxonomy import Category, Taxonomy
from zhiyun.domain.workorder import OrderType

TAX = Taxonomy.of(
    [
        Category("CG", "城市管理"),
        Category("CG01", "市容环境", "CG"),
        Category("CG0101", "垃圾清运", "CG01"),
        Category("HB", "环境保护"),
    ]
)


def case(category: str | None = "CG0101", area: int | None = VILLAGE_A1, **kw: object) -> Case:
    return Case(category_code=category, area_unit_id=area, **kw)  # type: ignore[arg-type]


def test_a_district_wide_rule_applies_to_orders_anywhere() -> None:
    result = resolve([Rule(1, DEPARTMENT, category_code="CG")], case(), ORG, TAX)
    assert result.outcome is Outcome.RULE and result.unit_id == DEPARTMENT and result.rule is not None
    assert "规则#1" in result.reason and "城市管理" in result.reason


def test_an_area_rule_is_inherited_by_the_villages_below_the_town() -> None:
    rules = [Rule(1, OFFICE_A, category_code="CG", area_unit_id=TOWN_A)]
    assert resolve(rules, case(area=VILLAGE_A2), ORG, TAX).unit_id == OFFICE_A
    assert resolve(rules, case(area=VILLAGE_B1), ORG, TAX).outcome is Outcome.NO_RULE


def test_the_deeper_area_wins_over_the_district_wide_rule() -> None:
    rules = [
        Rule(1, DEPARTMENT, category_code="CG"),
        Rule(2, OFFICE_A, category_code="CG", area_unit_id=TOWN_A),
        Rule(3, VILLAGE_A1, category_code="CG", area_unit_id=VILLAGE_A1),
    ]
    assert resolve(rules, case(area=VILLAGE_A1), ORG, TAX).rule == rules[2]
    assert resolve(rules, case(area=VILLAGE_A2), ORG, TAX).rule == rules[1]
    assert resolve(rules, case(area=VILLAGE_B1), ORG, TAX).rule == rules[0]


def test_the_deeper_category_wins_over_its_parent() -> None:
    rules = [Rule(1, DEPARTMENT, category_code="CG"), Rule(2, OFFICE_A, category_code="CG0101")]
    assert resolve(rules, case(area=None), ORG, TAX).unit_id == OFFICE_A
    assert resolve(rules, case("CG01", area=None), ORG, TAX).unit_id == DEPARTMENT


def test_priority_beats_specificity() -> None:
    rules = [
        Rule(1, OFFICE_A, category_code="CG0101", area_unit_id=VILLAGE_A1),
        Rule(2, DEPARTMENT, category_code="CG", priority=10),
    ]
    assert resolve(rules, case(), ORG, TAX).unit_id == DEPARTMENT


def test_keyword_type_and_urgency_conditions_narrow_a_rule() -> None:
    rules = [
        Rule(1, DEPARTMENT, category_code="CG"),
        Rule(2, OFFICE_A, category_code="CG", keywords=("垃圾桶",)),
        Rule(3, TOWN_B, category_code="CG", order_type=OrderType.REPORT, urgent=True, priority=5),
    ]
    assert resolve(rules, case(text="小区垃圾桶满了"), ORG, TAX).unit_id == OFFICE_A
    assert resolve(rules, case(text="垃圾没人清"), ORG, TAX).unit_id == DEPARTMENT
    urgent = case(text="垃圾", order_type=OrderType.REPORT, urgent=True)
    assert resolve(rules, urgent, ORG, TAX).unit_id == TOWN_B


def test_equal_rank_rules_naming_different_units_conflict_and_fall_back_to_the_town() -> None:
    rules = [Rule(1, DEPARTMENT, category_code="CG"), Rule(2, OFFICE_A, category_code="CG")]
    result = resolve(rules, case(area=VILLAGE_A1), ORG, TAX)
    assert result.outcome is Outcome.CONFLICT and not result.decided
    assert result.unit_id == TOWN_A and result.rule is None
    assert "规则#1、规则#2" in result.reason or "规则#2、规则#1" in result.reason
    assert "桂城街道" in result.reason


def test_equal_rank_rules_naming_the_same_unit_do_not_conflict() -> None:
    rules = [Rule(1, DEPARTMENT, category_code="CG"), Rule(2, DEPARTMENT, category_code="CG")]
    assert resolve(rules, case(), ORG, TAX).decided


def test_no_rule_falls_back_to_the_center_of_the_area() -> None:
    result = resolve([Rule(1, DEPARTMENT, category_code="HB")], case(area=VILLAGE_B1), ORG, TAX)
    assert result.outcome is Outcome.NO_RULE and result.unit_id == TOWN_B
    assert "首接负责" in result.reason


def test_no_rule_and_no_area_leaves_the_order_with_the_registering_center() -> None:
    result = resolve([], case(area=None), ORG, TAX)
    assert result.outcome is Outcome.NO_RULE and result.unit_id is None
    assert "人工研判" in result.reason


def test_an_order_without_a_category_only_matches_rules_for_any_category() -> None:
    rules = [Rule(1, DEPARTMENT, category_code="CG"), Rule(2, TOWN_A, area_unit_id=TOWN_A)]
    assert resolve(rules, case(None), ORG, TAX).unit_id == TOWN_A


def test_inactive_rules_are_ignored() -> None:
    rules = [Rule(1, DEPARTMENT, category_code="CG", active=False)]
    assert resolve(rules, case(), ORG, TAX).outcome is Outcome.NO_RULE


def test_a_rule_naming_an_unknown_unit_or_category_is_reported() -> None:
    problems = check_rules([Rule(7, UNKNOWN_UNIT, category_code="ZZ")], ORG, TAX)
    assert problems == [f"规则#7: 责任单位 {UNKNOWN_UNIT} 不存在", "规则#7: 分类编码 ZZ 不存在"]


UNITS = [DEPARTMENT, OFFICE_A, TOWN_A, TOWN_B, VILLAGE_A1]
AREAS = [None, DISTRICT, TOWN_A, VILLAGE_A1, TOWN_B]
CATS = [None, "CG", "CG01", "CG0101", "HB"]


@given(
    st.lists(
        st.tuples(st.sampled_from(UNITS), st.sampled_from(CATS), st.sampled_from(AREAS), st.integers(0, 3)),
        max_size=6,
    ),
    st.sampled_from(CATS),
    st.sampled_from(AREAS[1:]),
)
def test_a_decided_resolution_names_a_matching_rule_that_no_other_matching_rule_outranks(
    specs: list[tuple[int, str | None, int | None, int]], category: str | None, area: int
) -> None:
    rules = [
        Rule(i + 1, u, category_code=c, area_unit_id=a, priority=p) for i, (u, c, a, p) in enumerate(specs)
    ]
    result = resolve(rules, case(category, area), ORG, TAX)
    if result.decided:
        assert result.rule is not None and result.unit_id == result.rule.unit_id
        assert result.rule in result.matched
        assert all(r.priority <= result.rule.priority for r in result.matched)
    else:
        assert result.rule is None
        assert result.unit_id in (None, TOWN_A, TOWN_B, DISTRICT)
