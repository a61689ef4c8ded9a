"""The threshold automatic dispatch uses: fixed, or calibrated for the target accuracy
(domain/routing.py `Thresholds`, `CalibratedThreshold`), and the target an admin types
(classifier/dispatch_policy.py `parse_target`, `ThresholdChoice`)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.world import DEPARTMENT, DISTRICT, ORG
from zhiyun.classifier.calibration import Calibration
from zhiyun.classifier.dispatch_policy import ThresholdChoice, calibrated_for, parse_target
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.routing import (
    CalibratedThreshold,
    Decision,
    RoutingFacts,
    Thresholds,
    decide,
    decision_label,
)
from zhiyun.domain.taxonomy import Category, Taxonomy

TAXONOMY = Taxonomy.of([Category("CG", "城市管理"), Category("CG01", "市容环境", parent_code="CG")])
FIXED = Thresholds(0.6, {"CG": 0.8})
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


def test_a_model_without_calibration_keeps_the_fixed_threshold() -> None:
    assert FIXED.calibrated(None) is FIXED
    assert FIXED.for_category("HB", TAXONOMY) == 0.6


def test_a_calibrated_threshold_replaces_the_fixed_one_and_per_category_thresholds_still_win() -> None:
    thresholds = FIXED.calibrated(CalibratedThreshold(0.95, 0.72, 0.6, 0.96))
    assert thresholds.default == 0.72 and thresholds.target == 0.95
    assert thresholds.for_category("HB", TAXONOMY) == 0.72
    assert thresholds.for_category("CG01", TAXONOMY) == 0.8  # its parent's own threshold


def test_an_unreachable_target_leaves_no_threshold_but_for_categories_with_their_own() -> None:
    thresholds = FIXED.calibrated(CalibratedThreshold(0.99, None))
    assert thresholds.for_category("HB", TAXONOMY) is None
    assert thresholds.for_category(None, TAXONOMY) is None
    assert thresholds.for_category("CG01", TAXONOMY) == 0.8


def test_without_a_threshold_even_a_sure_order_waits_saying_the_target_is_out_of_reach() -> None:
    facts = replace(READY, threshold=None, confidence=1.0)
    assert decide(facts, ORG) is Decision.TARGET_UNREACHABLE
    assert decision_label(Decision.TARGET_UNREACHABLE) == "模型达不到目标准确率，待人工派单"
    # the rungs above it still come first
    assert decide(replace(facts, possible_duplicate=True), ORG) is Decision.POSSIBLE_DUPLICATE
    assert decide(replace(facts, has_model=False), ORG) is Decision.NO_MODEL


def test_the_calibrated_threshold_decides_like_a_fixed_one() -> None:
    threshold = FIXED.calibrated(CalibratedThreshold(0.95, 0.72)).for_category("HB", TAXONOMY)
    assert decide(replace(READY, threshold=threshold, confidence=0.72), ORG) is Decision.AUTO
    assert decide(replace(READY, threshold=threshold, confidence=0.71), ORG) is Decision.LOW_CONFIDENCE


def _calibration() -> Calibration:
    # right 90 times in 100 from 0.56 on, every time from 0.76 on
    confidences = [0.95] * 50 + [0.75] * 50 + [0.55] * 50
    correct = [True] * 50 + [True] * 40 + [False] * 10 + [True] * 25 + [False] * 25
    return Calibration.measure(confidences, correct)


def test_a_target_gives_the_calibrated_threshold_with_the_expected_share_and_accuracy() -> None:
    found = calibrated_for(_calibration(), 0.9)
    assert found == CalibratedThreshold(0.9, 0.56, pytest.approx(100 / 150), pytest.approx(0.9))
    assert calibrated_for(_calibration(), 0.95).threshold == 0.76
    assert calibrated_for(_calibration(), 0.999).threshold == 0.76  # right every time up there
    assert not calibrated_for(Calibration.measure([0.9] * 40, [True, False] * 20), 0.9).reachable


def test_the_choice_for_a_model_without_calibration_is_the_fixed_threshold_with_nothing_expected() -> None:
    choice = ThresholdChoice.of(None, 0.95, 0.6)
    assert (choice.threshold, choice.share, choice.accuracy, choice.calibrated) == (0.6, None, None, False)
    calibrated = ThresholdChoice.of(_calibration(), 0.95, 0.6)
    assert calibrated.calibrated and calibrated.threshold == 0.76 and calibrated.share == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        (0.95, 0.95),
        ("0.97", 0.97),
        ("97", 0.97),
        ("97%", 0.97),
        (" 99.9 % ", 0.999),
        ("0.5", 0.5),
        ("0.9504", 0.95),
    ],
)
def test_a_target_accuracy_is_read_as_a_fraction_or_a_percentage(typed: float | str, target: float) -> None:
    assert parse_target(typed) == target


@pytest.mark.parametrize("typed", ["0.49", "1", "100%", "99.95", "", "很高", "nan", "inf", -0.9, 1.5])
def test_a_target_accuracy_outside_half_to_999_per_mille_is_refused(typed: float | str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_target(typed)
    assert refused.value.details["field"] == "target"
