"""How far the classifier's confidence can be trusted (classifier/calibration.py), and how a
stored calibration is read back for a model version (classifier/service.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from zhiyun.classifier.calibration import BINS, MIN_SUPPORT, Calibration
from zhiyun.classifier.service import stored_calibration


def _groups(*groups: tuple[float, int, int]) -> Calibration:
    """Messages in groups of (confidence, how many, how many of them right)."""
    confidences: list[float] = []
    correct: list[bool] = []
    for confidence, count, right in groups:
        confidences += [confidence] * count
        correct += [True] * right + [False] * (count - right)
    return Calibration.measure(confidences, correct)


# -- expected calibration error ------------------------------------------------------------------


def test_a_perfectly_calibrated_set_has_an_expected_calibration_error_of_about_zero() -> None:
    # in every bin the messages are right exactly as often as they say
    calibration = _groups(*((c / 100, 100, c) for c in (15, 25, 35, 45, 55, 65, 75, 85, 95)))
    assert calibration.ece == pytest.approx(0.0, abs=1e-9)
    assert len(calibration.bins) == BINS
    for b in calibration.bins:
        if b.count:
            assert b.accuracy == pytest.approx(b.confidence)


def test_an_overconfident_set_has_the_gap_between_its_confidence_and_accuracy_as_error() -> None:
    # says 0.9 and is right seven times in ten
    assert _groups((0.9, 100, 70)).ece == pytest.approx(0.2)
    # two bins, each off by its own gap, weighted by their share of the messages
    mixed = _groups((0.9, 300, 210), (0.6, 100, 50))
    assert mixed.ece == pytest.approx(0.75 * 0.2 + 0.25 * 0.1)
    assert mixed.accuracy == pytest.approx(260 / 400)


# -- the threshold for a target accuracy ---------------------------------------------------------


def test_threshold_for_picks_the_lowest_threshold_whose_dispatched_messages_meet_the_target() -> None:
    calibration = _groups((0.95, 50, 50), (0.75, 50, 40), (0.55, 50, 25))
    # at 0.56–0.75 the 0.75 and 0.95 groups are dispatched: right 90 times in 100
    at_90 = calibration.threshold_for(0.90)
    assert at_90 is not None
    assert at_90.threshold == 0.56
    assert at_90.share == pytest.approx(100 / 150)
    assert at_90.accuracy == pytest.approx(0.9)
    assert at_90.count == 100
    at_95 = calibration.threshold_for(0.95)
    assert at_95 is not None and at_95.threshold == 0.76 and at_95.accuracy == 1.0
    # a modest target is met with everything dispatched — from 0.5 on, the floor
    at_70 = calibration.threshold_for(0.70)
    assert at_70 is not None and at_70.threshold == 0.5 and at_70.share == 1.0


def test_threshold_for_is_none_when_no_threshold_reaches_the_target() -> None:
    assert _groups((0.9, 100, 50), (0.5, 100, 50)).threshold_for(0.9) is None


def test_threshold_for_needs_the_target_at_every_higher_threshold_too() -> None:
    # all of them together are right 88% of the time, but the sure-sounding ones only half the time
    calibration = _groups((0.55, 100, 100), (0.95, 30, 15))
    assert calibration.curve[0].accuracy == pytest.approx(115 / 130)
    assert calibration.threshold_for(0.8) is None


def test_threshold_for_believes_no_accuracy_measured_on_fewer_than_min_support_messages() -> None:
    few_sure = _groups((0.97, MIN_SUPPORT - 1, MIN_SUPPORT - 1), (0.6, 100, 10))
    assert few_sure.threshold_for(0.95) is None
    enough = _groups((0.97, MIN_SUPPORT, MIN_SUPPORT), (0.6, 100, 10))
    found = enough.threshold_for(0.95)
    assert found is not None and found.threshold == 0.61 and found.count == MIN_SUPPORT


# -- the stored form ------------------------------------------------------------------------------


def test_from_dict_of_to_dict_round_trips() -> None:
    calibration = _groups((0.95, 50, 49), (0.75, 60, 45), (0.35, 40, 12), (0.05, 3, 0))
    stored = calibration.to_dict()
    again = Calibration.from_dict(stored)
    assert again.to_dict() == stored
    assert again.messages == calibration.messages
    assert again.ece == pytest.approx(calibration.ece, abs=1e-4)
    assert len(again.bins) == BINS and len(again.curve) == len(calibration.curve)
    for target in (0.8, 0.9, 0.95, 0.99):
        before, after = calibration.threshold_for(target), again.threshold_for(target)
        assert (before is None) == (after is None)
        if before is not None and after is not None:
            assert after.threshold == before.threshold
    assert len(again.diagram()) == BINS


def _good() -> dict[str, Any]:
    return _groups((0.95, 50, 49), (0.75, 60, 45)).to_dict()


@pytest.mark.parametrize(
    "junk",
    [
        {},
        {"messages": 10},
        {**_good(), "bins": None},
        {**_good(), "bins": [{"low": 0.0}]},
        {**_good(), "bins": ["0.0-0.1"]},
        {**_good(), "curve": [[0.5, 0.3]]},
        {**_good(), "curve": 7},
        {**_good(), "ece": "很小"},
        {**_good(), "messages": None},
    ],
    ids=lambda junk: ",".join(sorted(junk)) or "empty",
)
def test_from_dict_refuses_what_is_not_a_stored_calibration(junk: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a stored calibration"):
        Calibration.from_dict(junk)


# -- a version's stored calibration ----------------------------------------------------------------


def test_a_versions_calibration_is_read_from_its_stored_evaluation() -> None:
    found = stored_calibration({"macro_f1": 0.9, "calibration": _good()})
    assert found is not None and found.to_dict() == _good()


@pytest.mark.parametrize(
    "evaluation",
    [
        None,
        [],
        {},  # an older release's evaluation: no calibration
        {"calibration": None},
        {"calibration": "junk"},
        {"calibration": {"bins": []}},
        {"calibration": {**_good(), "messages": math.inf}},  # int(inf): OverflowError
        {"calibration": {**_good(), "ece": math.nan}},
        {"calibration": {**_good(), "curve": [[0.5, 1.5, 0.9, 10]]}},  # a share above 1
        {"calibration": {**_good(), "curve": [[0.6, 0.5, 0.9, 10], [0.5, 0.6, 0.9, 12]]}},  # falling
        {"calibration": {**_good(), "curve": [[0.5, 0.5, 0.9, -1]]}},
    ],
)
def test_a_missing_or_malformed_stored_calibration_is_none_and_never_an_error(evaluation: Any) -> None:
    assert stored_calibration(evaluation) is None


def test_no_threshold_below_one_half_is_chosen_however_right_the_unsure_messages_were() -> None:
    from zhiyun.classifier.calibration import Calibration

    calibration = Calibration.measure([0.2] * 50 + [0.9] * 50, [True] * 100)

    point = calibration.threshold_for(0.95)

    assert point is not None and point.threshold == 0.5 and point.share == 0.5
    assert calibration.threshold_for(0.95, floor=0.0) is not None
    assert calibration.threshold_for(0.95, floor=0.0).threshold == 0.0  # type: ignore[union-attr]


def test_a_stored_calibration_with_an_infinite_count_is_refused() -> None:
    from zhiyun.classifier.calibration import Calibration

    stored = Calibration.measure([0.9] * 30, [True] * 30).to_dict()
    stored["curve"][0][3] = float("inf")

    with pytest.raises(ValueError):
        Calibration.from_dict(stored)
