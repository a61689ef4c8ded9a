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


@pytest.mark.parametrize(
    ("title", "content", "signal"),
    [
        ("路燈不亮", "路燈不亮，電線掉落在人行道上", "电线掉落"),
        ("", "小孩在路燈旁觸電", "触电"),
        ("有人受傷", "", "受伤"),
        ("樓下燃氣洩漏", "", "燃气泄漏"),
        ("", "廚房煤氣洩漏，味道很濃", "煤气泄漏"),
        ("", "樓上著火了，濃煙很大", "着火"),
        ("電梯故障", "兩位老人被困在電梯裡", "被困"),
    ],
)
def test_danger_words_written_in_traditional_chinese_make_a_request_urgent(
    title: str, content: str, signal: str
) -> None:
    result = UrgencyLexicon().assess(title, content)

    assert result.urgent
    assert signal in result.signals


@pytest.mark.parametrize(
    ("content", "signal"),
    [
        ("巷子裡瓦斯外洩，大家都聞到了", "瓦斯外泄"),  # Taiwan
        ("餐廳的石油氣洩漏", "石油气泄漏"),  # Hong Kong
        ("大廈爆水喉，水流到電錶箱", "爆水喉"),  # Hong Kong
        ("後山山泥傾瀉", "山泥倾泻"),  # Hong Kong
    ],
)
def test_danger_words_of_taiwan_and_hong_kong_usage_fire(content: str, signal: str) -> None:
    assert signal in UrgencyLexicon().signals("", content)


def test_a_gas_leak_written_with_xie_and_wasi_fires() -> None:
    # 瓦斯漏氣 (Taiwan for a gas leak) is matched by 漏气 once converted
    assert UrgencyLexicon().signals("瓦斯漏氣", "") == ("漏气",)


def test_a_negated_danger_word_in_traditional_chinese_does_not_fire() -> None:
    lexicon = UrgencyLexicon()

    assert lexicon.signals("", "沒有起火，只是燒焦的味道") == ()
    assert lexicon.signals("", "檢查後未發現燃氣洩漏") == ()
    assert lexicon.signals("", "冇起火，只係有煙味") == ()  # 冇: Cantonese for 没有


def test_the_lexicon_matches_text_normalized_by_the_classifier_in_traditional_too() -> None:
    # The classifier passes text that is NFKC-normalized and lower-cased only.
    assert UrgencyLexicon().signals_normalized("電線掉落", "有人觸電") == ("电线掉落", "触电")


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
