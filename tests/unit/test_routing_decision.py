"""Automatic dispatch's decision ladder (domain/routing.py) and the conflict a citizen's text settles."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.world import DEPARTMENT, DISTRICT, ORG, TOWN_A, VILLAGE_A1, VILLAGE_B1
from zhiyun.domain.responsibility import Outcome, Resolution, Rule, settle_by_named_units
from zhiyun.domain.routing import Decision, RoutingFacts, category_code_for, decide, decision_label
from zhiyun.domain.taxonomy import Category, Taxonomy

READY = RoutingFacts(
    enabled=True,
    has_model=True,
    possible_duplicate=False,
    confidence=0.9,
    threshold=0.6,
    target_unit_id=DEPARTMENT,
    center_unit_id=DISTRICT,
    pending_dispatch=True,
)


def test_a_confident_order_with_a_unit_below_its_center_is_dispatched_automatically() -> None:
    assert decide(READY, ORG) is Decision.AUTO


def test_each_rung_of_the_ladder_stops_automatic_dispatch_for_its_reason() -> None:
    cases = [
        (replace(READY, enabled=False), Decision.DISABLED),
        (replace(READY, has_model=False), Decision.NO_MODEL),
        (replace(READY, possible_duplicate=True), Decision.POSSIBLE_DUPLICATE),
        (replace(READY, confidence=0.59), Decision.LOW_CONFIDENCE),
        (replace(READY, confidence=None), Decision.LOW_CONFIDENCE),
        (replace(READY, target_unit_id=None), Decision.NO_TARGET),
        (replace(READY, target_unit_id=DISTRICT), Decision.OUT_OF_REACH),  # the center itself
        # another town's village: the town hands the order up (tests/unit/test_hand_up.py)
        (replace(READY, center_unit_id=TOWN_A, target_unit_id=VILLAGE_B1), Decision.HAND_UP),
        (replace(READY, center_unit_id=None), Decision.OUT_OF_REACH),
        (replace(READY, pending_dispatch=False), Decision.OUT_OF_REACH),
    ]
    for facts, expected in cases:
        assert decide(facts, ORG) is expected, facts


def test_the_threshold_itself_is_confident_enough() -> None:
    assert decide(replace(READY, confidence=0.6), ORG) is Decision.AUTO


def test_a_town_center_dispatches_to_its_own_village() -> None:
    facts = replace(READY, center_unit_id=TOWN_A, target_unit_id=VILLAGE_A1)
    assert decide(facts, ORG) is Decision.AUTO


@given(
    enabled=st.booleans(),
    has_model=st.booleans(),
    duplicate=st.booleans(),
    confidence=st.one_of(st.none(), st.floats(0, 1)),
    target=st.one_of(st.none(), st.sampled_from(sorted(ORG.units))),
    pending=st.booleans(),
)
def test_the_first_failing_rung_wins_and_only_a_clear_path_dispatches(
    enabled: bool,
    has_model: bool,
    duplicate: bool,
    confidence: float | None,
    target: int | None,
    pending: bool,
) -> None:
    facts = RoutingFacts(enabled, has_model, duplicate, confidence, 0.6, target, DISTRICT, pending)
    decision = decide(facts, ORG)
    if not enabled:
        assert decision is Decision.DISABLED
    elif not has_model:
        assert decision is Decision.NO_MODEL
    elif duplicate:
        assert decision is Decision.POSSIBLE_DUPLICATE
    assert (decision is Decision.AUTO) == (
        enabled
        and has_model
        and not duplicate
        and confidence is not None
        and confidence >= 0.6
        and target is not None
        and target != DISTRICT
        and pending
    )


def test_every_decision_has_a_chinese_label_and_unknown_stored_values_show_as_they_are() -> None:
    assert all(decision.label for decision in Decision)
    assert decision_label("auto_dispatched") == "已自动派单"
    assert decision_label("something_old") == "something_old"


def test_a_classifier_label_may_be_a_code_or_a_category_name() -> None:
    taxonomy = Taxonomy.of([Category("CG", "城市管理", None), Category("CG01", "占道经营", "CG")])
    assert category_code_for("CG01", taxonomy) == "CG01"
    assert category_code_for("占道经营", taxonomy) == "CG01"
    assert category_code_for("不存在", taxonomy) is None


def _conflict() -> Resolution:
    a, b = Rule(1, DEPARTMENT, "CG01"), Rule(2, VILLAGE_A1, "CG01")
    return Resolution(
        Outcome.CONFLICT, TOWN_A, None, (a, b), "规则#1、规则#2 同级冲突（指向不同单位），按首接负责", (a, b)
    )


def test_a_conflict_is_settled_when_the_text_names_exactly_one_of_its_units() -> None:
    settled = settle_by_named_units(_conflict(), [VILLAGE_A1])

    assert settled.outcome is Outcome.RULE
    assert settled.unit_id == VILLAGE_A1
    assert settled.rule is not None and settled.rule.id == 2
    assert settled.reason == "规则#1、规则#2 同级冲突（指向不同单位）；诉求中点名责任单位，采用规则#2"


def test_a_conflict_stays_when_the_text_names_none_or_both_of_its_units() -> None:
    conflict = _conflict()
    assert settle_by_named_units(conflict, []) is conflict
    assert settle_by_named_units(conflict, [TOWN_A]) is conflict
    assert settle_by_named_units(conflict, [DEPARTMENT, VILLAGE_A1]) is conflict


def test_a_rule_that_matched_is_never_overridden_by_a_name_in_the_text() -> None:
    rule = Rule(1, DEPARTMENT, "CG01")
    decided = Resolution(Outcome.RULE, DEPARTMENT, rule, (rule,), "命中规则#1")
    assert settle_by_named_units(decided, [VILLAGE_A1]) is decided
