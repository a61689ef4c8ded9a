"""The pure rules from alarm to event (domain/sensing_alarms.py): judging an alarm, folding repeats
within a scene's window, the condition that raises an event, what raising does, grouping."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zhiyun.domain.sensing_alarms import (
    FUTURE_TOLERANCE,
    STALE_AFTER,
    AlarmOutcome,
    Raising,
    condition_met,
    fold,
    groups_with,
    in_window,
    judge,
    new_event,
    raising,
    verification_due,
)
from zhiyun.domain.sensing_scenes import HourRange, Scene, SceneSource
from zhiyun.domain.workorder.choices import Urgency

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
BIN = Scene("CAM-08", "垃圾满溢", SceneSource.CAMERA, "CG0101", 0.65, 120, min_duration_s=900)
MARKET = Scene(
    "CAM-04",
    "占道经营",
    SceneSource.CAMERA,
    "CG0201",
    0.6,
    60,
    allowed_hours=(HourRange.parse("06:00-09:00"),),
)
GAS = Scene(
    "IOT-01",
    "燃气泄漏",
    SceneSource.IOT,
    "CG0901",
    0.5,
    30,
    verify=False,
    severe=True,
    urgency=Urgency.URGENT,
)


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_an_alarm_at_or_above_the_threshold_counts_and_one_below_it_does_not() -> None:
    assert judge(BIN, score=0.65, at=NOW, local_time=time(10), now=NOW) is None
    assert judge(BIN, score=0.64, at=NOW, local_time=time(10), now=NOW) is AlarmOutcome.BELOW_THRESHOLD


def test_a_device_override_replaces_the_scene_threshold_both_ways() -> None:
    assert (
        judge(BIN, score=0.7, at=NOW, local_time=time(10), now=NOW, threshold=0.8)
        is AlarmOutcome.BELOW_THRESHOLD
    )
    assert judge(BIN, score=0.5, at=NOW, local_time=time(10), now=NOW, threshold=0.4) is None


def test_an_alarm_in_the_allowed_hours_is_suppressed_and_outside_them_counts() -> None:
    assert judge(MARKET, score=0.9, at=NOW, local_time=time(7, 30), now=NOW) is AlarmOutcome.SUPPRESSED
    assert judge(MARKET, score=0.9, at=NOW, local_time=time(9, 0), now=NOW) is None


def test_an_alarm_from_far_in_the_past_or_ahead_of_now_goes_no_further() -> None:
    old = NOW - STALE_AFTER - timedelta(seconds=1)
    ahead = NOW + FUTURE_TOLERANCE + timedelta(seconds=1)
    assert judge(BIN, score=0.9, at=old, local_time=time(10), now=NOW) is AlarmOutcome.STALE
    assert judge(BIN, score=0.9, at=ahead, local_time=time(10), now=NOW) is AlarmOutcome.FUTURE
    assert judge(BIN, score=0.9, at=NOW + FUTURE_TOLERANCE, local_time=time(10), now=NOW) is None


def test_a_repeat_within_the_window_after_the_last_alarm_folds_and_one_after_it_does_not() -> None:
    event = fold(new_event("a", at(0), 0.7, None), "b", at(100), 0.8, None)
    assert in_window(BIN, event, at(100 + 120))
    assert not in_window(BIN, event, at(100 + 121))
    assert in_window(BIN, event, at(-120))  # a late alarm from before the first
    assert not in_window(BIN, event, at(-121))


def test_folding_counts_widens_the_span_keeps_the_longest_duration_and_the_best_score() -> None:
    event = new_event("a", at(5), 0.7, 30)
    event = fold(event, "b", at(0), 0.9, 10)
    event = fold(event, "c", at(9), 0.8, 120)
    assert (event.count, event.first_seen, event.last_seen) == (3, at(0), at(9))
    assert (event.longest_s, event.best_score, event.best_alarm) == (120, 0.9, "b")


alarms = st.lists(
    st.tuples(
        st.text(alphabet="abcdef", min_size=1, max_size=4),
        st.integers(min_value=0, max_value=600),
        st.sampled_from([0.6, 0.7, 0.8, 0.9]),
        st.none() | st.integers(min_value=0, max_value=3600),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda a: a[0],
)


@given(alarms, st.randoms())
def test_folding_the_same_alarms_in_any_order_makes_the_same_event(given_alarms: list, rnd) -> None:  # type: ignore[type-arg]
    def folded(order: list) -> object:  # type: ignore[type-arg]
        key, second, score, duration = order[0]
        event = new_event(key, NOW + timedelta(seconds=second), score, duration)
        for key, second, score, duration in order[1:]:
            event = fold(event, key, NOW + timedelta(seconds=second), score, duration)
        return event

    shuffled = list(given_alarms)
    rnd.shuffle(shuffled)
    assert folded(given_alarms) == folded(shuffled)


def test_an_event_is_raised_once_seen_long_enough_by_its_span_or_one_alarm_duration() -> None:
    event = new_event("a", at(0), 0.9, None)
    assert not condition_met(BIN, event)
    assert condition_met(BIN, fold(event, "b", at(15), 0.9, None))  # 900 s apart
    assert condition_met(BIN, new_event("c", at(0), 0.9, 900))  # the camera saw it 15 minutes


def test_a_scene_that_wants_repeats_waits_for_them() -> None:
    twice = Scene("CAM-18", "道路破损", SceneSource.CAMERA, "CG0301", 0.65, 1440, min_repeats=2)
    event = new_event("a", at(0), 0.9, None)
    assert not condition_met(twice, event)
    assert condition_met(twice, fold(event, "b", at(1), 0.9, None))


def test_a_severe_scene_makes_an_urgent_order_a_verified_one_a_task_and_the_rest_an_order() -> None:
    assert raising(GAS) is Raising.URGENT_ORDER
    assert raising(BIN) is Raising.VERIFY
    no_check = Scene("IOT-08", "垃圾桶满溢", SceneSource.IOT, "CG0101", 0.5, 240, verify=False)
    assert raising(no_check) is Raising.ORDER
    assert verification_due(BIN, NOW) == NOW + timedelta(minutes=30)


def test_events_group_within_the_radius_while_the_other_is_live_and_not_otherwise() -> None:
    assert groups_with(BIN, 50.0, at(0), at(60))  # the scene's group radius: 50 m
    assert not groups_with(BIN, 50.5, at(0), at(60))
    assert not groups_with(BIN, 10.0, at(0), at(121))  # the other one's window has passed
    assert not groups_with(BIN, None, at(0), at(1))  # not located
