"""The knowledge item's pure rules (domain/knowledge.py): its life cycle as a state machine, what
may be answered, the input's bounds, and the evaluation's figures and threshold choice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from zhiyun.domain.errors import ActionNotAllowed, ValidationFailed
from zhiyun.domain.knowledge import (
    ITEM_LIFECYCLE,
    ITEM_STEPS,
    ItemAction,
    ItemInput,
    ItemStatus,
    Outcome,
    answerable_on,
    choose_threshold,
    decision_accuracy,
    figures,
)
from zhiyun.domain.principals import Actor, Role

ADMIN = Actor(user_id=1, role=Role.ADMIN, unit_id=None, name="管理员")
STEPS = [a for a in ItemAction if a is not ItemAction.CREATE]


class ItemLifeCycle(RuleBasedStateMachine):
    """Any sequence of actions: the table either refuses (409) or leads where it says; an item is
    published only straight after a publication of a reviewed item, and an edit always leaves a
    draft."""

    def __init__(self) -> None:
        super().__init__()
        self.status = ItemStatus.DRAFT
        self.reviewed_since_edit = False

    @rule(action=st.sampled_from(STEPS))
    def act(self, action: ItemAction) -> None:
        before = self.status
        if not ITEM_STEPS.allows(before, action):
            with pytest.raises(ActionNotAllowed):
                ITEM_LIFECYCLE.check(before, action, ADMIN)
            return
        (target,) = ITEM_STEPS.targets(before, action)
        record = ITEM_LIFECYCLE.record(before, action, ADMIN, to=target)
        assert (record.from_state, record.to_state, record.action) == (
            before.value,
            target.value,
            action.value,
        )
        if action is ItemAction.EDIT:
            assert target is ItemStatus.DRAFT
            self.reviewed_since_edit = False
        if action is ItemAction.REVIEW:
            self.reviewed_since_edit = True
        if action is ItemAction.SEND_BACK:
            self.reviewed_since_edit = False
        if target is ItemStatus.PUBLISHED:
            assert before is ItemStatus.REVIEWED and self.reviewed_since_edit
        self.status = target

    @precondition(lambda self: self.status is not ItemStatus.PUBLISHED)
    @invariant()
    def only_a_published_item_is_answered(self) -> None:
        assert not answerable_on(self.status, None, None, date(2026, 12, 7))

    @invariant()
    def no_state_is_a_dead_end(self) -> None:
        assert ItemStatus.PUBLISHED in ITEM_STEPS.reachable(self.status)


TestItemLifeCycle = ItemLifeCycle.TestCase


def test_an_item_is_answered_only_while_published_and_within_its_validity() -> None:
    today = date(2026, 12, 7)
    assert answerable_on("published", None, None, today)
    assert answerable_on("published", today, today, today)
    assert not answerable_on("published", today + timedelta(days=1), None, today)  # not yet
    assert not answerable_on("published", None, today - timedelta(days=1), today)  # expired
    for status in ("draft", "reviewed", "withdrawn"):
        assert not answerable_on(status, None, None, today)


def test_an_items_input_is_cleaned_and_bounded() -> None:
    clean = ItemInput(
        title="  结婚登记 ",
        answer="带上户口本\r\n和身份证",
        questions=("怎么结婚", "怎么结婚", " ", "结婚登记"),
    ).validated()
    assert (clean.title, clean.answer, clean.questions) == ("结婚登记", "带上户口本\n和身份证", ("怎么结婚",))
    with pytest.raises(ValidationFailed, match="请填写标题"):
        ItemInput(title=" ", answer="x").validated()
    with pytest.raises(ValidationFailed, match="失效日期不能早于生效日期"):
        ItemInput(title="t", answer="a", valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1)).validated()
    with pytest.raises(ValidationFailed, match="相似问法不能超过"):
        ItemInput(title="t", answer="a", questions=tuple(f"问{n}" for n in range(31))).validated()


def test_figures_count_ranks_and_hand_overs() -> None:
    outcomes = [
        Outcome("a", ("a", "b"), 0.5),  # first: rr 1
        Outcome("b", ("a", "b"), 0.4),  # second: rr 1/2
        Outcome("c", ("a", "b", "d", "c"), 0.3),  # fourth: not top-3, rr 1/4
        Outcome("e", (), 0.0),  # not found
        Outcome(None, ("a",), 0.05),  # out of scope, below 0.1: handed over
        Outcome(None, ("a",), 0.2),  # out of scope, answered
    ]
    f = figures(outcomes, 0.1)
    assert (f.in_scope, f.out_of_scope) == (4, 2)
    assert f.top1 == pytest.approx(1 / 4) and f.top3 == pytest.approx(2 / 4)
    assert f.mrr == pytest.approx((1 + 1 / 2 + 1 / 4) / 4)
    assert f.handover_accuracy == pytest.approx(1 / 2)
    # right decisions at 0.1: answered right (a), handed over 'e' (no hits) and the low out-of-scope one
    assert decision_accuracy(outcomes, 0.1) == pytest.approx(3 / 6)


@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.floats(min_value=0.0, max_value=1.0)),
        min_size=1,
        max_size=40,
    )
)
def test_the_chosen_threshold_decides_at_least_as_well_as_any_other(
    cases: list[tuple[bool, bool, float]],
) -> None:
    outcomes = [
        Outcome("x" if in_scope else None, ("x" if right else "y",), score)
        for in_scope, right, score in cases
    ]
    chosen = choose_threshold(outcomes)
    best = decision_accuracy(outcomes, chosen)
    for other in [0.0, 1.01, *(score for _, _, score in cases)]:
        assert decision_accuracy(outcomes, other) <= best + 1e-12


def test_the_threshold_sits_inside_the_best_plateau_not_on_its_edge() -> None:
    # right answers score 0.6 and 0.7, out-of-scope questions 0.1 and 0.2: anything in (0.2, 0.6] is perfect
    outcomes = [
        Outcome("x", ("x",), 0.6),
        Outcome("x", ("x",), 0.7),
        Outcome(None, ("x",), 0.1),
        Outcome(None, ("x",), 0.2),
    ]
    chosen = choose_threshold(outcomes)
    assert 0.3 <= chosen <= 0.5 and decision_accuracy(outcomes, chosen) == 1.0
