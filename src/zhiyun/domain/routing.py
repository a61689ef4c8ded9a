"""Automatic dispatch's decision (智能分拨): given what is known of a new order, dispatch it or not.

The ladder, first match wins:

1. automatic dispatch is switched off → `disabled`;
2. no active classifier (the category came from the registrant) → `no_model`;
3. the order may duplicate an open one → `possible_duplicate` (a dispatcher settles it first);
4. the best category has no threshold — the active model reaches the target accuracy at no
   confidence (its held-out calibration says so) and no per-category threshold applies —
   → `target_unreachable`; its confidence is below its threshold → `low_confidence`;
5. the responsibility list names no unit → `no_target`;
6. the unit is not below the registering center (above it, or beside it) and there is a center
   above → `hand_up`: the registering center hands the order up (上报, the life cycle's return
   from a registering center), with the reason `hand_up_reason` gives;
7. the unit is the registering center itself, or the order is no longer waiting for dispatch
   → `out_of_reach`;
8. otherwise → `auto_dispatched`: the system dispatches the order to that unit.

The threshold (`Thresholds`): the site's fixed one (`Settings.dispatch_threshold`), or, when
the active model carries a calibration of its confidences on held-out messages, the lowest
confidence at and above which its decisions were right at least the target accuracy of the
time (`CalibratedThreshold`, `Thresholds.calibrated`); per-category thresholds of the settings
win for their categories either way.

Pure: the service gathers the facts, this decides, the service acts and records the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.taxonomy import Taxonomy


class Decision(StrEnum):
    """Why an order was or was not dispatched automatically (stored as the suggestion's `decision`)."""

    AUTO = "auto_dispatched"
    LOW_CONFIDENCE = "low_confidence"
    TARGET_UNREACHABLE = "target_unreachable"  # the model reaches the target accuracy at no threshold
    POSSIBLE_DUPLICATE = "possible_duplicate"
    NO_MODEL = "no_model"
    NO_TARGET = "no_target"
    OUT_OF_REACH = "out_of_reach"
    HAND_UP = "hand_up"  # the unit is not below the registering center: hand the order up (上报)
    DISABLED = "disabled"
    REFUSED = "refused"  # the ladder said AUTO but the life cycle refused the dispatch

    @property
    def label(self) -> str:
        return DECISION_LABELS[self]


DECISION_LABELS: Mapping[Decision, str] = {
    Decision.AUTO: "已自动派单",
    Decision.LOW_CONFIDENCE: "置信度不足，待人工派单",
    Decision.TARGET_UNREACHABLE: "模型达不到目标准确率，待人工派单",
    Decision.POSSIBLE_DUPLICATE: "疑似重复件，待人工确认",
    Decision.NO_MODEL: "未启用分类模型，仅供参考",
    Decision.NO_TARGET: "无法确定责任单位，待人工派单",
    Decision.OUT_OF_REACH: "责任单位不在受理中心下级，待人工派单",
    Decision.HAND_UP: "责任单位不在受理中心辖下，需上报上级中心",
    Decision.DISABLED: "自动派单已关闭",
    Decision.REFUSED: "自动派单被拒绝，待人工派单",
}


def decision_label(value: str) -> str:
    """The Chinese label of a stored decision; an unknown value (an older release's) as it is."""
    try:
        return Decision(value).label
    except ValueError:
        return value


@dataclass(frozen=True)
class CalibratedThreshold:
    """What the active model's held-out calibration gives for a target accuracy.

    `threshold` is the lowest confidence at and above which the model's best category was right
    at least `target` of the time (on enough held-out messages), `share` the part of messages
    that reach it and `accuracy` how often those were right; all three None when no confidence
    reaches the target (then nothing is dispatched on the model's word)."""

    target: float
    threshold: float | None
    share: float | None = None
    accuracy: float | None = None

    @property
    def reachable(self) -> bool:
        return self.threshold is not None


@dataclass(frozen=True)
class Thresholds:
    """The confidence an order needs, overall and per category code (a parent's applies below it).

    `default` None: no confidence is enough (the model cannot reach the target accuracy), so
    only categories with a threshold of their own are dispatched automatically. `target` is
    the target accuracy `default` was calibrated for (None: the site's fixed threshold)."""

    default: float | None = 0.6
    per_category: Mapping[str, float] | None = None
    target: float | None = None

    def for_category(self, code: str | None, taxonomy: Taxonomy) -> float | None:
        table = self.per_category or {}
        if code is not None and code in taxonomy:
            for c in (code, *(a.code for a in taxonomy.ancestors(code))):
                if c in table:
                    return table[c]
        elif code is not None and code in table:
            return table[code]
        return self.default

    def calibrated(self, found: CalibratedThreshold | None) -> Thresholds:
        """These thresholds for a model: its calibrated threshold in place of the default when it
        has one (`found`; its threshold None when the target is out of reach), the default as it
        is when the model has no calibration (`found` None). Per-category thresholds stay."""
        if found is None:
            return self
        return replace(self, default=found.threshold, target=found.target)


def category_code_for(label: str, taxonomy: Taxonomy) -> str | None:
    """The taxonomy code a classifier label stands for: a code, or a category's name."""
    if label in taxonomy:
        return label
    for cat in taxonomy.categories.values():
        if cat.name == label:
            return cat.code
    return None


@dataclass(frozen=True)
class RoutingFacts:
    """What automatic dispatch knows of a newly registered order when it decides."""

    enabled: bool
    has_model: bool
    possible_duplicate: bool
    confidence: float | None  # the best category's; None when no classifier scored it
    threshold: float | None  # None: no confidence is enough (the target accuracy is out of reach)
    target_unit_id: int | None  # the responsibility list's unit for the best category
    center_unit_id: int | None  # the center that registered the order
    pending_dispatch: bool


def decide(facts: RoutingFacts, org: OrgTree) -> Decision:
    """The ladder of the module docstring."""
    if not facts.enabled:
        return Decision.DISABLED
    if not facts.has_model:
        return Decision.NO_MODEL
    if facts.possible_duplicate:
        return Decision.POSSIBLE_DUPLICATE
    if facts.threshold is None:
        return Decision.TARGET_UNREACHABLE
    if facts.confidence is None or facts.confidence < facts.threshold:
        return Decision.LOW_CONFIDENCE
    target, center = facts.target_unit_id, facts.center_unit_id
    if target is None:
        return Decision.NO_TARGET
    if center is None or target == center or not facts.pending_dispatch:
        return Decision.OUT_OF_REACH
    if not org.is_within(target, center):
        return Decision.HAND_UP if org.get(center).parent_id is not None else Decision.OUT_OF_REACH
    return Decision.AUTO


def _handles(org: OrgTree, unit: Unit) -> str:
    """What kind of unit handles a matter, as a dispatcher says it: 区级部门, 镇街, 村居, …"""
    if unit.kind is UnitKind.DEPARTMENT:
        parent = org.units.get(unit.parent_id) if unit.parent_id is not None else None
        return "区级部门" if parent is not None and parent.kind is UnitKind.DISTRICT else "部门"
    return {
        UnitKind.DISTRICT: "区中心",
        UnitKind.TOWN: "镇街",
        UnitKind.VILLAGE: "村居",
        UnitKind.OFFICE: "科室",
    }[unit.kind]


_CENTER_WORDS = {
    UnitKind.DISTRICT: "区中心",
    UnitKind.TOWN: "镇街中心",
    UnitKind.VILLAGE: "村居中心",
    UnitKind.DEPARTMENT: "部门分中心",
    UnitKind.OFFICE: "科室",
}


def hand_up_reason(org: OrgTree, target_unit_id: int, to_unit_id: int) -> str:
    """Why an order goes up to `to_unit_id`: "权责清单：该事项由区级部门（区住建局）承办，需上报区中心（南海区）"."""
    target, to = org.get(target_unit_id), org.get(to_unit_id)
    return f"权责清单：该事项由{_handles(org, target)}（{target.name}）承办，需上报{_CENTER_WORDS[to.kind]}（{to.name}）"


__all__ = [
    "DECISION_LABELS",
    "CalibratedThreshold",
    "Decision",
    "RoutingFacts",
    "Thresholds",
    "category_code_for",
    "decide",
    "decision_label",
    "hand_up_reason",
]
