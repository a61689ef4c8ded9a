"""小南's rules: danger first, then a person asked for, complaints and problem reports, a tie
asked about once, an answer above the threshold, a hand-over below it; the hand-over form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.domain.assistant import (
    DecisionKind,
    HandoverForm,
    HandoverReason,
    Hit,
    clarifying_question,
    decide,
    question_text,
    rule_handover,
    urgency_of,
)
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.knowledge import Outcome, figures

PERMIT = Hit(1, "居住证办理", "携带身份证到派出所办理。", 0.42, "https://gd.gov.cn/1", "市公安局")
RENEW = Hit(2, "居住证签注", "每年签注一次。", 0.41, "https://gd.gov.cn/2", "市公安局")
SORTING = Hit(3, "生活垃圾分类投放指引", "分四类投放。", 0.30, "", "区城管局")
THRESHOLD = 0.08


def test_a_clear_best_item_is_the_answer_with_the_next_closest() -> None:
    far = Hit(9, "护照办理", "到出入境办理。", 0.10)
    decision = decide("居住证怎么办", [far, PERMIT], THRESHOLD)
    assert decision.kind is DecisionKind.ANSWER and decision.hit == PERMIT and decision.more == (far,)


def test_two_items_within_five_percent_are_asked_about_once() -> None:
    decision = decide("居住证", [PERMIT, RENEW], THRESHOLD)
    assert decision.kind is DecisionKind.CLARIFY and decision.options == (PERMIT, RENEW)
    assert (
        clarifying_question(decision.options)
        == "您想问的是哪一项？1. 居住证办理 2. 居住证签注（回复序号即可）"
    )
    again = decide("居住证", [PERMIT, RENEW], THRESHOLD, clarified=True)
    assert again.kind is DecisionKind.ANSWER and again.hit == PERMIT


def test_below_the_threshold_it_hands_over_as_unanswered() -> None:
    decision = decide("养狗要办证吗", [Hit(5, "犬只登记", "……", 0.05)], THRESHOLD)
    assert decision.kind is DecisionKind.HANDOVER and decision.reason is HandoverReason.UNANSWERED
    assert decide("随便问问", [], THRESHOLD).reason is HandoverReason.UNANSWERED


@pytest.mark.parametrize(
    ("words", "numbers"),
    [
        ("家里闻到煤气味怎么办", ("119",)),
        ("楼下着火了", ("119",)),
        ("路口有人受伤流血了", ("120",)),
        ("小区门口有人打架还持刀", ("110",)),
        ("前面车祸了", ("110", "120")),
    ],
)
def test_danger_comes_first_with_the_numbers_to_call(words: str, numbers: tuple[str, ...]) -> None:
    decision = decide(words, [PERMIT], THRESHOLD)
    assert decision.kind is DecisionKind.URGENT and decision.reason is HandoverReason.URGENT
    assert decision.urgency is not None and decision.urgency.numbers == numbers
    assert "请立即拨打" in decision.urgency.message


def test_asking_for_a_person_hands_over_even_when_an_item_would_answer() -> None:
    decision = decide("居住证怎么办，我要转人工", [PERMIT], THRESHOLD)
    assert decision.kind is DecisionKind.HANDOVER and decision.reason is HandoverReason.ASKED_PERSON


def test_a_complaint_or_a_problem_report_goes_to_a_person_but_a_question_about_rubbish_is_answered() -> None:
    assert decide("我要投诉物业乱收费", [PERMIT], THRESHOLD).reason is HandoverReason.COMPLAINT
    assert decide("小区门口垃圾三天没人清", [SORTING], THRESHOLD).reason is HandoverReason.COMPLAINT
    assert decide("路灯坏了", [], THRESHOLD).reason is HandoverReason.COMPLAINT
    asked = decide("垃圾分类怎么投放？", [SORTING], THRESHOLD)
    assert asked.kind is DecisionKind.ANSWER and asked.hit == SORTING
    assert decide("垃圾分类怎么投放？", [], THRESHOLD).reason is HandoverReason.COMPLAINT


@given(st.text(max_size=60), st.lists(st.floats(min_value=0, max_value=1), max_size=5))
def test_an_answer_is_never_below_the_threshold_and_danger_always_wins(
    text: str, scores: list[float]
) -> None:
    hits = [Hit(n, f"事项{n}", "答案", s) for n, s in enumerate(scores)]
    decision = decide(text, hits, THRESHOLD)
    if decision.kind is DecisionKind.ANSWER:
        assert decision.hit is not None and decision.hit.score >= THRESHOLD
    assert (decision.kind is DecisionKind.URGENT) == (urgency_of(text) is not None)


def test_a_question_is_trimmed_and_limited() -> None:
    assert question_text("  居住证   怎么办 ") == "居住证 怎么办"
    with pytest.raises(ValidationFailed):
        question_text("   ")
    with pytest.raises(ValidationFailed):
        question_text("问" * 501)


def test_the_handover_form_names_every_wrong_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        HandoverForm(name="", phone="123", description="").validated()
    assert set(refused.value.details["fields"]) == {"name", "phone", "description", "address"}
    ok = HandoverForm(
        name=" 李女士 ", phone="139 2222 3333", description="路灯坏了", latitude=23.0, longitude=113.1
    )
    assert ok.validated() == HandoverForm("李女士", "13922223333", "路灯坏了", "", 23.0, 113.1, None)
    with pytest.raises(ValidationFailed):
        HandoverForm(name="李", phone="13922223333", description="x", latitude=23.0).validated()


def test_the_evaluation_counts_a_question_the_rules_hand_over_as_handed_over_whatever_its_score() -> None:

    complaint = Outcome(None, ("7",), 0.5, handed_by_rule=True)  # a complaint scoring high
    answered = Outcome("1", ("1",), 0.5)
    reward = Outcome("2", ("2",), 0.5, handed_by_rule=True)  # in scope, but its words say 举报
    found = figures([complaint, answered, reward], threshold=0.1)
    assert found.handover_accuracy == 1.0 and found.top1 == 1.0
    assert found.answered_right == 0.5 and round(found.decision_accuracy, 3) == 0.667
    assert not complaint.answered_at(0.1) and answered.answered_at(0.1)


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ("煤气泄漏了", HandoverReason.URGENT),
        ("转人工", HandoverReason.ASKED_PERSON),
        ("我要举报违建", HandoverReason.COMPLAINT),
        ("路灯坏了", HandoverReason.COMPLAINT),
        ("路灯坏了找谁修？", None),
        ("居住证怎么办", None),
    ],
)
def test_the_words_alone_decide_some_hand_overs(words: str, reason: HandoverReason | None) -> None:
    assert rule_handover(words) is reason
