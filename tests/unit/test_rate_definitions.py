"""The rate definition (统计口径) as pure rules: which orders it leaves out, how a new version is
asked for and refused, and what each version changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.analytics import rates
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.rate_definitions import (
    DEFAULT,
    Exclusion,
    RateDefinition,
    changes,
    in_categories,
    next_version,
    parse_draft,
)
from zhiyun.domain.workorder import OrderStatus, Satisfaction

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)


def test_the_built_in_definition_leaves_out_cancelled_and_merged_orders_only() -> None:
    assert DEFAULT.version == 1
    assert DEFAULT.leaves_out(cancelled=True, merged=False, category_code="A")
    assert DEFAULT.leaves_out(cancelled=False, merged=True, category_code=None)
    assert not DEFAULT.leaves_out(cancelled=False, merged=False, category_code="03")
    assert "无效件" in DEFAULT.describe() and "基本满意计为满意" in DEFAULT.describe()


def test_a_not_duty_category_leaves_out_its_whole_subtree() -> None:
    definition = RateDefinition(2, frozenset({Exclusion.NOT_DUTY}), ("03",))
    assert definition.leaves_out(cancelled=False, merged=False, category_code="030102")
    assert not definition.leaves_out(cancelled=False, merged=False, category_code="0403")
    assert not definition.leaves_out(cancelled=True, merged=True, category_code=None)  # counted now


def test_categories_listed_without_the_not_duty_exclusion_leave_nothing_out() -> None:
    definition = RateDefinition(2, frozenset({Exclusion.INVALID}), ("03",))
    assert definition.leaves_out_categories == ()
    assert not definition.leaves_out(cancelled=False, merged=False, category_code="03")


def test_a_draft_needs_a_note_known_exclusions_and_codes_for_not_duty() -> None:
    with pytest.raises(ValidationFailed, match="理由"):
        parse_draft({"exclusions": ["invalid"]})
    with pytest.raises(ValidationFailed, match="未知的排除项"):
        parse_draft({"exclusions": ["cancelled"], "note": "x"})
    with pytest.raises(ValidationFailed, match="类别编码"):
        parse_draft({"exclusions": ["not_duty"], "note": "x"})
    with pytest.raises(ValidationFailed, match="类别编码无效"):
        parse_draft({"exclusions": ["not_duty"], "not_duty_categories": "03%", "note": "x"})
    draft = parse_draft(
        {
            "exclusions": ["not_duty", "invalid"],
            "not_duty_categories": "03，0402 03",
            "note": " 依据考核办法 ",
        }
    )
    assert draft.not_duty_categories == ("03", "0402") and draft.note == "依据考核办法"


def test_a_new_version_that_changes_nothing_is_refused_and_one_that_does_says_what() -> None:
    same = parse_draft({"exclusions": ["invalid", "repeat"], "note": "再存一次"})
    with pytest.raises(ValidationFailed, match="相同"):
        next_version(DEFAULT, same, by="管理员", at="2026-12-07T10:00+08:00")
    draft = parse_draft(
        {
            "exclusions": ["invalid", "not_duty"],
            "not_duty_categories": ["05"],
            "basic_counts_satisfied": "false",
            "note": "调整",
        }
    )
    made = next_version(DEFAULT, draft, by="管理员", at="2026-12-07T10:00+08:00")
    assert made.version == 2 and made.defined_by == "管理员"
    assert changes(DEFAULT, made) == [
        "不再排除重复件（已合并）",
        "排除非政府职责事项",
        "非政府职责类别增加 05",
        "基本满意不再计为满意",
    ]


def test_only_satisfied_counts_when_basic_is_not_counted() -> None:
    strict = RateDefinition(2, DEFAULT.exclusions, basic_counts_satisfied=False)
    basic = rates.OrderFacts(status=OrderStatus.CLOSED, satisfaction=Satisfaction.BASICALLY_SATISFIED)
    assert rates.satisfied(basic) and not rates.satisfied(basic, strict)
    assert rates.satisfaction_counted(basic, strict)


codes = st.text(alphabet="0123456789AB", min_size=1, max_size=6)


@given(code=codes, prefixes=st.lists(codes, max_size=4))
def test_an_order_is_left_out_exactly_when_its_category_is_under_a_listed_one(
    code: str, prefixes: list[str]
) -> None:
    definition = RateDefinition(2, frozenset({Exclusion.NOT_DUTY}), tuple(prefixes))
    facts = rates.OrderFacts(status=OrderStatus.IN_PROGRESS, category_code=code)
    left_out = any(code[: len(p)] == p for p in prefixes)
    assert in_categories(code, prefixes) is left_out
    counts = rates.count_rates([facts], NOW, definition)
    assert (counts.valid, counts.excluded) == ((0, 1) if left_out else (1, 0))
