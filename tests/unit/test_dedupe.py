"""Duplicate scoring at intake: the cases of the issue, the hard rules, the thresholds."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from zhiyun.dedupe.evaluation import Confusion, LabelledPair, evaluate_pairs
from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.dedupe.scoring import best_candidates, same_phone, score, text_similarity
from zhiyun.domain.errors import ValidationFailed

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
SPOT = (23.04000, 113.15000)
M_PER_DEG_LAT = 111_195.0


def north(metres: float) -> tuple[float, float]:
    """A point `metres` north of SPOT."""
    return SPOT[0] + metres / M_PER_DEG_LAT, SPOT[1]


def item(
    id: int | None,
    title: str,
    content: str,
    *,
    at: tuple[float, float] | None = SPOT,
    phone: str | None = None,
    hours: float = 0.0,
    category: str | None = None,
) -> DedupeItem:
    return DedupeItem.from_text(
        id,
        title,
        content,
        category_code=category,
        phone=phone,
        lat=at[0] if at else None,
        lon=at[1] if at else None,
        registered_at=T0 + timedelta(hours=hours),
    )


# One matter, reported by a hotline call and then by a grid worker, in their own words.
HOTLINE = (
    "夏北路12号门口占道经营",
    "市民来电反映：夏北路12号门口每天晚上有流动摊贩占道经营烧烤，油烟很大，"
    "行人只能走机动车道，存在安全隐患，请城管部门处理。",
)
GRID = (
    "夏北路烧烤摊占道经营",
    "网格员巡查发现：夏北路12号门口有流动摊贩占道经营，烧烤油烟大，行人被迫走机动车道，有安全隐患。",
)
# Another matter at the same spot.
MANHOLE = (
    "夏北路12号旁井盖丢失",
    "夏北路12号旁边人行道上的井盖不见了，晚上路灯暗，已经有老人差点踩空，很危险。",
)


@pytest.fixture
def policy() -> DedupePolicy:
    return DedupePolicy()


def test_same_place_and_same_words_from_two_channels_is_merged(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    new = item(2, *GRID, at=north(40), phone="13900000002", hours=3)
    result = score(new, master, policy)
    assert result.decision == "merge", result
    assert result.candidate_id == 1
    assert result.distance_m is not None and 35 < result.distance_m < 45
    assert not result.same_caller


def test_same_words_far_apart_from_other_callers_are_not_duplicates(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    for metres in (policy.radius_m + 50, 2_000):
        new = item(2, *HOTLINE, at=north(metres), phone="13900000002", hours=3)
        result = score(new, master, policy)
        assert result.decision == "none", (metres, result)
        assert result.score == 0.0 and not result.eligible
        assert result.text_similarity > 0.9  # the words are the same; the place is not


def test_near_in_place_but_different_matters_are_not_duplicates(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    new = item(2, *MANHOLE, at=north(15), phone="13900000002", hours=1)
    result = score(new, master, policy)
    assert result.decision == "none", result
    assert result.score < policy.low


def test_the_same_caller_repeating_a_matter_is_merged_even_without_a_location(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    again = item(
        2,
        "再次反映夏北路占道经营",
        "我上周反映过，夏北路12号门口晚上流动摊贩占道经营烧烤，油烟很大，到现在还没人管。",
        at=None,
        phone="138-0000-0001",
        hours=30,
    )
    result = score(again, master, policy)
    assert result.same_caller and result.distance_m is None
    assert result.decision == "merge", result


def test_the_same_caller_is_matched_beyond_the_radius_and_the_window(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    again = item(2, *GRID, at=north(1_500), phone="+86 13800000001", hours=24 * 10)
    result = score(again, master, policy)
    assert result.eligible and result.same_caller
    assert result.decision in ("merge", "flag")


def test_the_same_caller_with_another_matter_is_not_a_duplicate(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    other = item(2, *MANHOLE, at=None, phone="13800000001", hours=2)
    assert score(other, master, policy).decision == "none"


def test_reports_further_apart_in_time_than_the_window_are_not_duplicates(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, phone="13800000001")
    late = item(2, *GRID, at=north(40), phone="13900000002", hours=24 * policy.window_days + 1)
    result = score(late, master, policy)
    assert result.decision == "none" and not result.eligible


def test_a_missing_location_is_scored_as_neither_near_nor_far(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE)
    located = score(item(2, *GRID, at=north(20), hours=1), master, policy)
    unknown = score(item(3, *GRID, at=None, hours=1), master, policy)
    assert located.eligible and unknown.eligible
    assert 0 < unknown.score < located.score


def test_nearer_and_sooner_score_higher(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE)
    near = score(item(2, *GRID, at=north(30), hours=1), master, policy)
    farther = score(item(3, *GRID, at=north(250), hours=1), master, policy)
    later = score(item(4, *GRID, at=north(30), hours=24 * 6), master, policy)
    assert near.score > farther.score
    assert near.score > later.score


def test_categories_that_disagree_lower_the_score(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE, category="01.03.02")
    same = score(item(2, *GRID, at=north(30), category="01.03.02"), master, policy)
    parent = score(item(3, *GRID, at=north(30), category="01.03"), master, policy)
    sibling = score(item(4, *GRID, at=north(30), category="01.07"), master, policy)
    other = score(item(5, *GRID, at=north(30), category="05.01"), master, policy)
    unknown = score(item(6, *GRID, at=north(30)), master, policy)
    assert same.score == parent.score == unknown.score
    assert same.score > sibling.score > other.score


def test_thresholds_decide_merge_flag_and_none(policy: DedupePolicy) -> None:
    master = item(1, *HOTLINE)
    new = item(2, *GRID, at=north(40), hours=3)
    s = score(new, master, policy).score
    assert score(new, master, DedupePolicy(high=s, low=s)).decision == "merge"  # at the threshold
    assert score(new, master, DedupePolicy(high=min(1.0, s + 0.01), low=s)).decision == "flag"
    assert score(new, master, DedupePolicy(high=1.0, low=min(1.0, s + 0.01))).decision == "none"
    assert DedupePolicy(high=0.6, low=0.3).decide(0.45) == "flag"


def test_a_policy_refuses_inconsistent_thresholds() -> None:
    with pytest.raises(ValidationFailed, match="low"):
        DedupePolicy(high=0.3, low=0.6)
    with pytest.raises(ValidationFailed, match="high"):
        DedupePolicy(high=1.5)
    with pytest.raises(ValidationFailed, match="radius_m"):
        DedupePolicy(radius_m=0)
    with pytest.raises(ValidationFailed, match="window_days"):
        DedupePolicy(window_days=math.nan)


def test_text_similarity_is_symmetric_and_one_for_the_same_text() -> None:
    a, b = item(1, *HOTLINE), item(2, *GRID)
    assert text_similarity(a, a) == pytest.approx(1.0)
    assert text_similarity(a, b) == pytest.approx(text_similarity(b, a))
    assert text_similarity(a, item(3, *MANHOLE)) < text_similarity(a, b)
    assert text_similarity(a, item(4, "", "")) == 0.0


def test_a_short_summary_of_a_long_report_is_similar() -> None:
    long = item(1, *HOTLINE)
    summary = item(2, "占道经营", "夏北路12号门口流动摊贩占道经营烧烤")
    assert text_similarity(summary, long) >= 0.5


def test_phones_match_as_lines_not_as_strings() -> None:
    assert same_phone("13800000001", "+86 138-0000-0001")
    assert same_phone("0757-86281234", "075786281234")
    assert not same_phone("13800000001", "13800000002")
    assert not same_phone("12345", "12345")  # a service number is not a caller
    assert not same_phone(None, "13800000001")


def test_best_candidates_are_the_likely_duplicates_best_first(policy: DedupePolicy) -> None:
    new = item(10, *GRID, at=north(30), phone="13900000002", hours=5)
    exact = item(1, *HOTLINE, at=north(35), hours=1)
    farther = item(2, *HOTLINE, at=north(260), hours=2)
    unrelated = item(3, *MANHOLE, at=north(10), hours=3)
    far_away = item(4, *HOTLINE, at=north(3_000), hours=4)
    found = best_candidates(new, [unrelated, far_away, farther, exact, new], policy)
    assert [s.candidate_id for s in found] == [1, 2]
    assert found[0].decision == "merge"
    assert best_candidates(new, [farther, exact], policy, limit=1)[0].candidate_id == 1
    assert best_candidates(new, [unrelated, far_away], policy) == []


def test_ties_go_to_the_earlier_order(policy: DedupePolicy) -> None:
    new = item(10, *GRID, at=SPOT, hours=5)
    later = replace(item(2, *HOTLINE), registered_at=T0 + timedelta(hours=2))
    earlier = replace(item(1, *HOTLINE), registered_at=T0 + timedelta(hours=2) - timedelta(seconds=1))
    found = best_candidates(new, [later, earlier], DedupePolicy(window_days=7))
    assert [s.candidate_id for s in found][:1] == [1]


def test_evaluation_counts_merge_and_merge_or_flag_against_the_labels(policy: DedupePolicy) -> None:
    master = item(None, *HOTLINE)
    pairs = [
        LabelledPair(master, item(None, *GRID, at=north(30)), True, "same"),
        LabelledPair(master, item(None, *HOTLINE, at=north(2_000)), False, "far"),
        LabelledPair(master, item(None, *MANHOLE, at=north(10)), False, "near"),
        LabelledPair(master, item(None, "夏北路占道", "有摊贩", at=None), True, "vague"),
    ]
    result = evaluate_pairs(pairs, policy)
    assert result.pairs == 4
    assert result.merge == Confusion(tp=1, fp=0, fn=1, tn=2)
    assert result.merge.precision == 1.0 and result.merge.recall == 0.5
    assert result.merge.f1 == pytest.approx(2 / 3)
    assert result.decisions_by_kind["far"]["distinct:none"] == 1
    assert Confusion().precision == Confusion().recall == Confusion().f1 == 0.0


def test_segmented_texts_are_cached_and_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhiyun.dedupe import item as dedupe

    cache = dedupe._TextCache(2)
    monkeypatch.setattr(dedupe, "_TEXT_CACHE", cache)
    first = item(1, *HOTLINE)
    again = item(2, *HOTLINE)
    assert len(cache) == 1
    assert again.title_tokens == first.title_tokens
    assert again.features is first.features  # computed once, shared
    item(3, *GRID)
    item(4, *MANHOLE)
    assert len(cache) == 2
    assert cache.get(*HOTLINE) is None  # the least recently used went first
    own = DedupeItem.from_text(5, *GRID, segmenter=dedupe.Segmenter(domain_dictionary=False))
    assert "占道经营" not in own.content_tokens  # another segmenter: not served from the cache


def test_a_stored_signature_scores_exactly_like_the_text_it_came_from(policy: DedupePolicy) -> None:
    new = item(None, "夏北路烧烤摊占道经营", "夏北路12号门口有流动摊贩占道经营，烧烤油烟大", at=north(20))
    old = item(
        7, "夏北路12号门口占道经营", "夏北路12号门口每天晚上有流动摊贩占道经营烧烤，油烟很大", hours=-5
    )
    stored = DedupeItem.from_signature(
        7, old.signature(), lat=old.lat, lon=old.lon, registered_at=old.registered_at
    )
    assert stored is not None
    assert score(new, stored, policy) == score(new, old, policy)
    assert text_similarity(stored, stored) == pytest.approx(1.0)


def test_a_signature_of_the_json_version_still_scores_like_its_text(policy: DedupePolicy) -> None:
    new = item(None, "夏北路烧烤摊占道经营", "夏北路12号门口有流动摊贩占道经营，烧烤油烟大", at=north(20))
    old = item(7, "夏北路12号门口占道经营", "夏北路12号门口每天晚上有流动摊贩占道经营烧烤，油烟很大")
    f = old.features
    version_1 = json.dumps(
        [1, f.words, f.bigrams, f.title, [f.words_norm, f.bigrams_norm, f.title_norm], f.size],
        ensure_ascii=False,
    )
    stored = DedupeItem.from_signature(
        7, version_1, lat=old.lat, lon=old.lon, registered_at=old.registered_at
    )
    assert stored is not None and stored.features == old.features
    assert score(new, stored, policy) == score(new, old, policy)
    assert not old.signature().startswith("[")  # written as version 2


def test_a_term_with_a_tab_or_line_break_is_kept_in_the_json_version() -> None:
    odd = DedupeItem(1, ("路灯\t不亮",), ("井盖\n缺失", "夜间"))
    signature = odd.signature()
    assert signature.startswith("[1,")
    stored = DedupeItem.from_signature(1, signature)
    assert stored is not None and stored.features == odd.features


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "not json",
        "[]",
        "[99, {}, {}, {}, [1, 1, 1], 3]",
        "[1, [], {}, {}, [1, 1, 1], 3]",
        "[1, {}, {}]",
        "3\n\n\n\n\n\n\n1 1 1 0",  # another version
        "2\n路灯\t井盖\n1.0\n\n\n\n\n1 1 1 1",  # two terms, one weight
        "2\n路灯\n一\n\n\n\n\n1 1 1 1",  # a weight that is not a number
        "2\n路灯\n1.0\n\n\n\n\n1 1",  # norms missing
        "2\n路灯\n1.0",  # lines missing
    ],
)
def test_a_signature_of_another_version_or_shape_is_not_used(signature: str) -> None:
    assert DedupeItem.from_signature(1, signature) is None
