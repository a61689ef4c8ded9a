"""The pure rules of hot issues: the hot index formula, the near-repeat rule, the title."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.domain.hot_issues import (
    GovernmentSignals,
    GroupFacts,
    HotIndexSettings,
    Member,
    count_once,
    facts_of,
    hot_index,
    issue_title,
    saturate,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def facts(counted: int = 5, days: float = 10, callers: int = 5, votes: int = 0, **signals: int) -> GroupFacts:
    return GroupFacts(
        messages=counted,
        counted=counted,
        callers=callers,
        first=T0,
        last=T0 + timedelta(days=days),
        active_days=counted,
        votes=votes,
        signals=GovernmentSignals(**signals),
    )


def test_the_hot_index_is_the_published_weighted_sum_of_half_saturating_parts() -> None:
    s = HotIndexSettings()
    f = facts(counted=10, days=10, callers=10, votes=200, supervised=1, urged=2)
    index = hot_index(f, s)
    volume, rate, callers, votes = 10 / 20, 1 / 2, 10 / 20, 200 / 400
    signals = 5 / 10  # 3 × supervised + 1 × urged × 2 = 5, half at 5
    expected = 100 * (0.40 * volume + 0.15 * rate + 0.15 * callers + 0.15 * votes + 0.15 * signals)
    assert index.value == pytest.approx(expected, abs=0.01)
    assert index.parts()["volume"] == pytest.approx(volume)


def test_a_burst_within_a_day_is_spread_over_the_minimum_span_for_the_rate() -> None:
    s = HotIndexSettings(min_span_days=7)
    assert facts(counted=7, days=0).per_day(s.min_span_days) == pytest.approx(1.0)
    assert hot_index(facts(counted=7, days=0), s).rate == pytest.approx(0.5)


def test_government_signals_raise_the_hot_index() -> None:
    s = HotIndexSettings()
    assert hot_index(facts(supervised=2, overdue=1), s).value > hot_index(facts(), s).value


def test_recency_decays_the_index_only_when_a_half_life_is_set() -> None:
    f = facts(days=0)
    later = T0 + timedelta(days=30)
    assert hot_index(f, HotIndexSettings(), later).recency == 1.0
    decayed = hot_index(f, HotIndexSettings(recency_half_life_days=30), later)
    assert decayed.recency == pytest.approx(0.5)
    assert decayed.value == pytest.approx(hot_index(f, HotIndexSettings()).value / 2, abs=0.01)


def test_settings_refuse_negative_weights_and_zero_scales() -> None:
    with pytest.raises(ValueError):
        HotIndexSettings(volume_weight=-1)
    with pytest.raises(ValueError):
        HotIndexSettings(votes_half=0)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_more_messages_never_lower_the_hot_index(a: int, b: int) -> None:
    low, high = sorted((a, b))
    s = HotIndexSettings()
    assert (
        hot_index(facts(counted=low, callers=1), s).value
        <= hot_index(facts(counted=high, callers=1), s).value
    )


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_every_part_stays_between_zero_and_one(x: float) -> None:
    assert 0.0 <= saturate(x, 3.0) < 1.0


def test_one_callers_repeats_within_thirty_days_count_once() -> None:
    members = [("a", T0), ("a", T0 + timedelta(days=5)), ("a", T0 + timedelta(days=29)), ("b", T0)]
    assert count_once(members, 30) == 2


def test_a_callers_message_after_the_window_counts_again() -> None:
    members = [("a", T0), ("a", T0 + timedelta(days=20)), ("a", T0 + timedelta(days=31))]
    # the window runs from the last *counted* message: day 31 is past day 0's window
    assert count_once(members, 30) == 2


def test_messages_without_a_caller_each_count() -> None:
    assert count_once([(None, T0), (None, T0), ("", T0)], 30) == 3


def test_group_facts_sum_votes_and_signals_and_count_distinct_callers() -> None:
    f = facts_of(
        [
            Member(T0, "a", 3, GovernmentSignals(urged=1)),
            Member(T0 + timedelta(days=1), "a", 2),
            Member(T0 + timedelta(days=2), None, 1, GovernmentSignals(reopened=1)),
        ]
    )
    assert (f.messages, f.counted, f.callers, f.votes, f.active_days) == (3, 2, 2, 6, 3)
    assert f.signals == GovernmentSignals(urged=1, reopened=1)
    assert f.span_days == pytest.approx(2.0)


def test_the_title_is_place_then_matter_without_repeating_the_place() -> None:
    assert (
        issue_title("丽发新城", ["搅拌站", "丽发", "噪音扰民", "噪音", "夜间"])
        == "丽发新城 搅拌站 噪音扰民 夜间"
    )
    assert issue_title(None, ["车贷", "立案"]) == "车贷 立案"
    assert issue_title(None, []) == "未命名热点"
