"""The dispatch policy (智能分拨): the accuracy automatic dispatch aims at, and the threshold it gives.

An admin sets the **target accuracy** (default `Settings.dispatch_target_accuracy`, 0.95;
between 0.5 and 0.999). It is one row of the key-value `setting` table, `dispatch_policy`:
the target, who set it and when, and the changes before it (the newest `HISTORY`), written
in one transaction and logged.

For a model whose stored evaluation holds a calibration of its confidences on held-out
messages (`ModelService.load` puts it on `TextClassifier.calibration`), the threshold is the
lowest confidence at and above which those messages were right at least the target of the
time (`Calibration.threshold_for`); when no confidence gets there, nothing is dispatched on
the model's word (`Decision.TARGET_UNREACHABLE`). A model without a calibration (trained by
an older release) keeps the site's fixed `Settings.dispatch_threshold`. Per-category
thresholds of the settings win for their categories either way (`domain.routing.Thresholds`).

Automatic dispatch asks `calibrated_threshold(session, model)` on every registration: the
target is cached per process and read again every `Settings.classifier_reload_seconds` (as
the active model is), the threshold kept per calibration and target.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.classifier.calibration import Calibration
from zhiyun.classifier.service import ModelService, ModelVersion
from zhiyun.config import Settings
from zhiyun.domain.access import Actor, may_manage_models, require
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.routing import CalibratedThreshold
from zhiyun.reference.repo import get_setting, put_setting
from zhiyun.store.base import utcnow
from zhiyun.store.db import Database
from zhiyun.store.tables import SettingRow

__all__ = [
    "POLICY_KEY",
    "SUMMARY_TARGETS",
    "TARGET_MAX",
    "TARGET_MIN",
    "DispatchOverview",
    "DispatchPolicy",
    "DispatchPolicyService",
    "PolicyChange",
    "ThresholdChoice",
    "calibrated_for",
    "parse_target",
]

log = logging.getLogger("zhiyun.classifier")

POLICY_KEY = "dispatch_policy"
TARGET_MIN, TARGET_MAX = 0.5, 0.999
HISTORY = 20  # earlier changes kept with the policy
SUMMARY_TARGETS = (0.90, 0.95, 0.98)  # what the console and `zhiyun model report` compare


@dataclass(frozen=True)
class PolicyChange:
    """One setting of the target accuracy: to what, by whom, when."""

    target_accuracy: float
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class DispatchPolicy:
    """The target accuracy of automatic dispatch; `set_by`/`set_at` None: the settings' default."""

    target_accuracy: float
    set_by: str | None = None
    set_at: datetime | None = None
    history: tuple[PolicyChange, ...] = ()  # the settings before this one, newest first

    @property
    def is_default(self) -> bool:
        return self.set_at is None


@dataclass(frozen=True)
class ThresholdChoice:
    """What a target accuracy gives for a model: the threshold automatic dispatch uses (None:
    no order on the model's word) and, from its held-out calibration, the expected share of
    orders dispatched automatically and how often those are right. `calibrated` False: the
    model has no calibration, so the fixed threshold applies and nothing is expected."""

    target: float
    threshold: float | None
    share: float | None
    accuracy: float | None
    calibrated: bool

    @classmethod
    def of(cls, calibration: Calibration | None, target: float, fixed: float) -> ThresholdChoice:
        if calibration is None:
            return cls(target, fixed, None, None, calibrated=False)
        found = calibrated_for(calibration, target)
        return cls(target, found.threshold, found.share, found.accuracy, calibrated=True)

    @property
    def reachable(self) -> bool:
        return self.threshold is not None

    def json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "threshold": self.threshold,
            "expected_share": None if self.share is None else round(self.share, 4),
            "expected_accuracy": None if self.accuracy is None else round(self.accuracy, 4),
            "calibrated": self.calibrated,
        }


@dataclass(frozen=True)
class DispatchOverview:
    """What the console's 智能分拨 section and `zhiyun model report` show: the active model with
    its figures and calibration, the policy, the threshold it gives, and the summary targets."""

    policy: DispatchPolicy
    version: ModelVersion | None
    calibration: Calibration | None
    choice: ThresholdChoice  # for the policy's target
    summary: tuple[ThresholdChoice, ...]  # for SUMMARY_TARGETS
    fixed_threshold: float
    category_thresholds: Mapping[str, float]
    preview: ThresholdChoice | None = None  # for a target not (yet) set


def calibrated_for(calibration: Calibration, target: float) -> CalibratedThreshold:
    """The calibrated threshold for `target`: the lowest that meets it, or none."""
    point = calibration.threshold_for(target)
    if point is None:
        return CalibratedThreshold(target, None)
    return CalibratedThreshold(target, point.threshold, point.share, point.accuracy)


def parse_target(value: float | str) -> float:
    """A target accuracy as a fraction: 0.97, "0.97", "97" or "97%" (three decimals kept);
    ValidationFailed outside 50%–99.9%."""
    percent = False
    raw: float | str = value
    if isinstance(value, str):
        raw = value.strip()
        percent = raw.endswith("%")
        raw = raw.removesuffix("%").strip()
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValidationFailed("目标准确率须为数字，如 0.95 或 95%", field="target") from None
    if isinstance(value, str) and (percent or number > 1):
        number /= 100
    if math.isfinite(number):
        number = round(number, 3)
    if not TARGET_MIN <= number <= TARGET_MAX:  # NaN is not either
        raise ValidationFailed(f"目标准确率须在 {TARGET_MIN:.0%}–{TARGET_MAX:.1%} 之间", field="target")
    return number


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _target(value: object) -> float | None:
    """A stored target (a number within bounds), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return parse_target(value)
    except ValidationFailed:
        return None


def _policy_of(value: Mapping[str, Any] | None, default: float) -> DispatchPolicy:
    """The stored row read leniently: a row that does not read is the settings' default."""
    target = _target(value.get("target_accuracy")) if value else None
    if value is None or target is None:
        return DispatchPolicy(default)
    history: list[PolicyChange] = []
    entries = value.get("history")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping):
            continue
        earlier, when = _target(entry.get("target_accuracy")), _when(entry.get("set_at"))
        if earlier is not None and when is not None:
            history.append(PolicyChange(earlier, str(entry.get("set_by") or ""), when))
    set_by = value.get("set_by")
    return DispatchPolicy(target, str(set_by) if set_by else None, _when(value.get("set_at")), tuple(history))


def _lock_policy(session: Session) -> None:
    session.execute(select(SettingRow.key).where(SettingRow.key == POLICY_KEY).with_for_update()).first()


def _stored(policy: DispatchPolicy, user_id: int | None) -> dict[str, Any]:
    return {
        "target_accuracy": policy.target_accuracy,
        "set_by": policy.set_by,
        "set_by_user_id": user_id,
        "set_at": policy.set_at.isoformat() if policy.set_at else None,
        "history": [
            {"target_accuracy": h.target_accuracy, "set_by": h.set_by, "set_at": h.set_at.isoformat()}
            for h in policy.history
        ],
    }


class DispatchPolicyService:
    """The target accuracy of automatic dispatch: read it, set it (an admin), and the threshold
    it gives the active model (automatic dispatch's question, cached)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        models: ModelService,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.models = models
        self.clock = clock
        self._target: float | None = None
        self._checked_at = float("-inf")
        self._choice: tuple[Calibration, float, CalibratedThreshold] | None = None

    # -- reading and setting the policy -------------------------------------------------

    def dispatch_policy(self) -> DispatchPolicy:
        """The target accuracy in force, who set it and when (the settings' default if no one did)."""
        with self.db.reading() as session:
            return self._read(session)

    def set_target_accuracy(self, actor: Actor, target: float | str) -> DispatchPolicy:
        """Set the target accuracy (50%–99.9%); who may: `may_manage_models`. One transaction; the
        setting before it is kept in the policy's history and the change is logged."""
        require(may_manage_models, actor)
        value = parse_target(target)
        by = (actor.name or actor.role.label)[:100]
        with self.db.transaction() as session:
            _lock_policy(session)  # two admins at once: one after the other, both in the history
            before = self._read(session)
            earlier = (
                ()
                if before.is_default or before.set_by is None or before.set_at is None
                else (PolicyChange(before.target_accuracy, before.set_by, before.set_at),)
            )
            policy = DispatchPolicy(value, by, self.clock(), (*earlier, *before.history)[:HISTORY])
            put_setting(session, POLICY_KEY, _stored(policy, actor.user_id))
        log.info(
            "automatic dispatch: target accuracy %.3f → %.3f, set by %s",
            before.target_accuracy,
            value,
            by,
        )
        self._checked_at = float("-inf")  # this process sees it at once, the others within seconds
        return policy

    def overview(self, actor: Actor, preview: float | None = None) -> DispatchOverview:
        """The active model, its calibration, the policy and the thresholds it gives (and those
        of the summary targets, and of `preview` when asked); who may: `may_manage_models`."""
        require(may_manage_models, actor)
        policy = self.dispatch_policy()
        version = self.models.active_version()
        calibration = version.calibration if version is not None else None
        fixed = self.settings.dispatch_threshold

        def choice(target: float) -> ThresholdChoice:
            return ThresholdChoice.of(calibration, target, fixed)

        return DispatchOverview(
            policy=policy,
            version=version,
            calibration=calibration,
            choice=choice(policy.target_accuracy),
            summary=tuple(choice(t) for t in SUMMARY_TARGETS),
            fixed_threshold=fixed,
            category_thresholds=dict(self.settings.dispatch_category_thresholds),
            preview=None if preview is None else choice(parse_target(preview)),
        )

    # -- automatic dispatch's question ---------------------------------------------------

    def calibrated_threshold(self, session: Session, model: object) -> CalibratedThreshold | None:
        """The threshold `model`'s calibration gives for the target accuracy in force; None when
        the model has no calibration (the fixed threshold applies). Read through the caller's
        `session` (a registration's), at most every `classifier_reload_seconds`."""
        calibration = getattr(model, "calibration", None)
        if not isinstance(calibration, Calibration):
            return None
        target = self._target_in(session)
        cached = self._choice
        if cached is not None and cached[0] is calibration and cached[1] == target:
            return cached[2]
        found = calibrated_for(calibration, target)
        self._choice = (calibration, target, found)
        return found

    def _target_in(self, session: Session) -> float:
        now = time.monotonic()
        target = self._target
        if target is not None and now - self._checked_at < self.settings.classifier_reload_seconds:
            return target
        target = self._read(session).target_accuracy
        self._target, self._checked_at = target, now
        return target

    def _read(self, session: Session) -> DispatchPolicy:
        return _policy_of(get_setting(session, POLICY_KEY), self.settings.dispatch_target_accuracy)
