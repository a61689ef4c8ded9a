"""The pure rules of sensing's figures: precision over verification labels, the Wilson interval,
the vendor flag, the funnel's arithmetic, percentiles, and who reads what."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.sensing_figures import (
    SENSING_READERS,
    flagged,
    funnel,
    may_read_sensing,
    percentile,
    precision,
    precision_of,
    sensing_villages,
    wilson,
)

counts = st.integers(min_value=0, max_value=10_000)


# --------------------------------------------------------------------------- precision


def test_precision_is_confirmed_over_confirmed_and_false_alarms() -> None:
    assert precision(3, 1) == 0.75
    assert precision(0, 4) == 0.0
    assert precision(0, 0) is None


def test_gone_answers_are_neither_right_nor_wrong_but_reported_as_their_own_share() -> None:
    p = precision_of(6, 2, 2, floor=0.6, min_labels=5)
    assert p.labels == 8 and p.answers == 10
    assert p.value == 0.75
    assert p.gone_share == 0.2


def test_a_precision_on_fewer_labels_than_the_minimum_is_not_judged_nor_flagged() -> None:
    few = precision_of(1, 9, 0, floor=0.6, min_labels=20)
    assert few.value == 0.1 and not few.judged and not few.flagged and few.verdict == "样本不足"
    enough = precision_of(4, 16, 0, floor=0.6, min_labels=20)
    assert enough.judged and enough.flagged and enough.verdict == "低于下限"
    good = precision_of(18, 2, 5, floor=0.6, min_labels=20)
    assert good.judged and not good.flagged and good.verdict == "正常"


def test_flagged_needs_enough_labels_and_a_precision_below_the_floor() -> None:
    assert flagged(0.5, 20, 0.6, 20)
    assert not flagged(0.5, 19, 0.6, 20)
    assert not flagged(0.6, 50, 0.6, 20)  # at the floor is not below it
    assert not flagged(None, 50, 0.6, 20)
    assert not flagged(0.0, 0, 0.6, 0)  # no labels: nothing to judge, whatever the minimum


def test_the_wilson_interval_of_known_proportions() -> None:
    low, high = wilson(8, 10) or (0.0, 0.0)
    assert math.isclose(low, 0.4902, abs_tol=1e-3) and math.isclose(high, 0.9433, abs_tol=1e-3)
    assert wilson(0, 0) is None
    low0, high0 = wilson(0, 5) or (1.0, 1.0)
    assert low0 == 0.0 and 0.4 < high0 < 0.5  # never the normal approximation's [0, 0]


def test_the_interval_narrows_with_more_labels() -> None:
    few, many = wilson(4, 5), wilson(400, 500)
    assert few is not None and many is not None
    assert many[1] - many[0] < few[1] - few[0]


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        precision(-1, 2)
    with pytest.raises(ValueError):
        wilson(6, 5)


@settings(max_examples=300, deadline=None)
@given(confirmed=counts, false_alarm=counts)
def test_precision_lies_within_zero_and_one(confirmed: int, false_alarm: int) -> None:
    value = precision(confirmed, false_alarm)
    assert (value is None) == (confirmed + false_alarm == 0)
    assert value is None or 0.0 <= value <= 1.0


@settings(max_examples=300, deadline=None)
@given(confirmed=counts, false_alarm=counts)
def test_the_wilson_interval_holds_the_precision_and_stays_within_zero_and_one(
    confirmed: int, false_alarm: int
) -> None:
    interval = wilson(confirmed, confirmed + false_alarm)
    value = precision(confirmed, false_alarm)
    if value is None:
        assert interval is None
        return
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= value <= high <= 1.0


@settings(max_examples=300, deadline=None)
@given(
    confirmed=counts,
    false_alarm=counts,
    gone=counts,
    floor=st.floats(min_value=0.0, max_value=1.0),
    min_labels=st.integers(min_value=0, max_value=200),
)
def test_a_flag_is_raised_only_with_enough_labels_and_a_precision_below_the_floor(
    confirmed: int, false_alarm: int, gone: int, floor: float, min_labels: int
) -> None:
    p = precision_of(confirmed, false_alarm, gone, floor=floor, min_labels=min_labels)
    if p.flagged:
        assert p.labels >= max(1, min_labels)
        assert p.value is not None and p.value < floor
        assert p.judged
    assert p.gone_share is None or 0.0 <= p.gone_share <= 1.0


# --------------------------------------------------------------------------- the funnel


def test_the_funnel_gives_each_stage_its_share_of_the_one_before_and_of_the_first() -> None:
    stages = funnel([("alarms", "告警", 200), ("events", "事件", 50), ("orders", "工单", 10)])
    assert [s.count for s in stages] == [200, 50, 10]
    assert stages[0].of_previous is None and stages[0].of_first == 1.0
    assert stages[1].of_previous == 0.25 and stages[2].of_previous == 0.2
    assert stages[2].of_first == 0.05


def test_an_empty_stage_gives_no_share_to_the_stage_after_it() -> None:
    stages = funnel([("alarms", "告警", 0), ("events", "事件", 0)])
    assert stages[0].of_first is None and stages[1].of_previous is None
    assert funnel([]) == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(counts, min_size=1, max_size=8).map(lambda xs: sorted(xs, reverse=True)))
def test_a_narrowing_funnels_shares_lie_within_zero_and_one(values: list[int]) -> None:
    stages = funnel([(f"s{i}", f"第{i}段", v) for i, v in enumerate(values)])
    for stage in stages:
        for s in (stage.of_previous, stage.of_first):
            assert s is None or 0.0 <= s <= 1.0


# --------------------------------------------------------------------------- percentiles


def test_percentiles_interpolate_between_the_closest_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90) == pytest.approx(91.0)
    with pytest.raises(ValueError):
        percentile([1], 101)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50),
    st.floats(min_value=0, max_value=100),
)
def test_a_percentile_lies_between_the_smallest_and_the_largest_value(values: list[float], q: float) -> None:
    p = percentile(values, q)
    assert p is not None and min(values) - 1e-6 <= p <= max(values) + 1e-6
    assert percentile(values, 50) <= percentile(values, 90)  # type: ignore[operator]


# --------------------------------------------------------------------------- who reads what


def _tree() -> OrgTree:
    return OrgTree.of(
        [
            Unit(1, "NH", "南海区", UnitKind.DISTRICT, None),
            Unit(2, "GC", "桂城街道", UnitKind.TOWN, 1),
            Unit(3, "GC-XB", "夏北社区", UnitKind.VILLAGE, 2),
            Unit(4, "GC-PN", "平南社区", UnitKind.VILLAGE, 2),
            Unit(5, "DL", "大沥镇", UnitKind.TOWN, 1),
            Unit(6, "DL-YB", "盐步社区", UnitKind.VILLAGE, 5),
            Unit(7, "ZJJ", "区住建局", UnitKind.DEPARTMENT, 1),
        ]
    )


def test_grid_workers_and_citizens_do_not_read_sensing_events_and_other_staff_do() -> None:
    assert not may_read_sensing(Actor(1, Role.GRID_WORKER, 3))
    assert not may_read_sensing(Actor.citizen(1))
    for role in (Role.ADMIN, Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.INSPECTOR, Role.AGENT):
        assert may_read_sensing(Actor(1, role, 1))
    assert Role.GRID_WORKER not in SENSING_READERS


def test_a_towns_staff_see_their_towns_villages_and_the_district_center_everything() -> None:
    org = _tree()
    assert sensing_villages(Actor(1, Role.DISPATCHER, 2), org) == {3, 4}
    assert sensing_villages(Actor(1, Role.HANDLER, 3), org) == {3}
    assert sensing_villages(Actor(1, Role.DISPATCHER, 1), org) is None
    assert sensing_villages(Actor(1, Role.LEADER, None), org) is None
    assert sensing_villages(Actor(1, Role.DISPATCHER, 7), org) == frozenset()
    assert sensing_villages(Actor(1, Role.GRID_WORKER, 3), org) == frozenset()
    assert sensing_villages(Actor(1, Role.DISPATCHER, 99), org) == frozenset()
