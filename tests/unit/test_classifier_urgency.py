"""Urgency signals: danger words make a request urgent and are named; negated mentions do not."""

from __future__ import annotations

import pytest

from zhiyun.classifier.urgency import UrgencyLexicon


@pytest.mark.parametrize(
    ("title", "content", "signal"),
    [
        ("小区燃气泄漏", "楼道里有很浓的味道", "燃气泄漏"),
        ("", "三楼厨房起火了，有烟冒出来", "起火"),
        ("电梯故障", "有两位老人被困在电梯里", "被困"),
        ("路灯漏电", "小孩在路灯旁触电", "触电"),
        ("围墙坍塌", "工地围墙坍塌压到路边的车", "坍塌"),
        ("河边", "有人溺水，请马上派人", "溺水"),
        ("仓库火灾", "", "火灾"),
    ],
)
def test_danger_words_make_a_request_urgent_and_are_named(title: str, content: str, signal: str) -> None:
    result = UrgencyLexicon().assess(title, content)

    assert result.urgent
    assert signal in result.signals


def test_an_ordinary_request_is_not_urgent() -> None:
    result = UrgencyLexicon().assess("路灯不亮", "夏北社区的路灯坏了一个星期，晚上走路不方便")

    assert not result.urgent
    assert result.signals == ()


def test_a_negated_danger_word_does_not_fire() -> None:
    lexicon = UrgencyLexicon()

    assert lexicon.signals("", "燃气公司上门检查，未发现燃气泄漏，但是收费不合理") == ()
    assert lexicon.signals("", "没有起火，只是烧焦的味道") == ()


def test_a_negation_in_an_earlier_sentence_does_not_hide_a_later_danger() -> None:
    assert UrgencyLexicon().signals("", "没有。起火了") == ("起火",)


def test_the_longest_word_wins_and_each_signal_is_named_once() -> None:
    signals = UrgencyLexicon().signals("煤气泄漏", "煤气泄漏，还起火了，又起火了")

    assert signals == ("煤气泄漏", "起火")


def test_full_width_text_is_matched_after_normalization() -> None:
    assert UrgencyLexicon(["ＬＰＧ泄漏"]).signals("lpg泄漏", "") == ("lpg泄漏",)


def test_a_site_can_bring_its_own_words() -> None:
    lexicon = UrgencyLexicon(["井盖缺失"])

    assert lexicon.signals("主干道井盖缺失", "") == ("井盖缺失",)
    assert lexicon.signals("起火", "") == ()
