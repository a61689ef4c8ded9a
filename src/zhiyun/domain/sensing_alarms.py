"""From alarm to event (告警 → 事件): the pure rules of sensing's pipeline (issue 18, part 4).

An alarm is one message of an algorithm or a sensor: this device saw this scene at this moment
with this score. What becomes of it:

1. It is judged (`judge`): from an unknown or disabled device, of a scene the catalogue lacks or
   has switched off, of a scene the device does not run, too old or in the future, below its
   threshold (the scene's, or the device's override), or in the scene's allowed hours (a morning
   market's 占道经营 at 07:30): it is kept with that outcome and goes no further.
2. Otherwise it folds into the open event of its device and scene when it falls in that event's
   window (`in_window`: no longer after the event's last alarm than the scene's aggregation
   window, nor before its first), or opens a new one. Folding (`fold`) counts it, widens first
   and last seen, keeps the longest duration and the best score (whose evidence the event shows).
   Folding is commutative: the same alarms in any order make the same event.
3. An event is raised when its condition is met (`condition_met`: at least `min_repeats`
   alarms, seen for at least `min_duration_s`, by the span of its alarms or one alarm's own
   duration), once. What raising does (`raising`): a severe scene (燃气泄漏, 明火) registers an
   urgent order at once and tells the nearest grid worker; a scene a person must verify makes a
   verification task (核实) due within `verify_minutes`; any other registers its order at once.
4. Events of one scene from different devices within the scene's `group_radius_m` of each other
   while both are live are one group (`groups_with`): one check, one order.

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum

from zhiyun.domain.sensing_scenes import Scene, alarm_counts, needs_verification, suppressed_at

__all__ = [
    "FUTURE_TOLERANCE",
    "STALE_AFTER",
    "AlarmOutcome",
    "EventState",
    "EventStatus",
    "Raising",
    "VerificationAnswer",
    "VerificationStatus",
    "condition_met",
    "escalation_due",
    "fold",
    "groups_with",
    "in_window",
    "judge",
    "new_event",
    "raising",
    "verification_due",
]

STALE_AFTER = timedelta(days=7)  # an alarm older than this is kept but raises nothing
FUTURE_TOLERANCE = timedelta(minutes=5)  # a device's clock may run this far ahead


class AlarmOutcome(StrEnum):
    """What became of an alarm."""

    OPENED = "opened"  # opened a new event
    FOLDED = "folded"  # folded into an open event
    BELOW_THRESHOLD = "below"
    SUPPRESSED = "suppressed"  # in the scene's allowed hours
    UNKNOWN_DEVICE = "no_device"
    DEVICE_OFF = "device_off"
    UNKNOWN_SCENE = "no_scene"
    SCENE_OFF = "scene_off"
    NOT_RUN = "not_run"  # the device does not run this scene
    STALE = "stale"  # older than STALE_AFTER
    FUTURE = "future"  # later than now + FUTURE_TOLERANCE

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    AlarmOutcome.OPENED: "新建事件",
    AlarmOutcome.FOLDED: "归并到事件",
    AlarmOutcome.BELOW_THRESHOLD: "低于阈值",
    AlarmOutcome.SUPPRESSED: "允许时段内",
    AlarmOutcome.UNKNOWN_DEVICE: "未登记设备",
    AlarmOutcome.DEVICE_OFF: "设备已停用",
    AlarmOutcome.UNKNOWN_SCENE: "未知场景",
    AlarmOutcome.SCENE_OFF: "场景已停用",
    AlarmOutcome.NOT_RUN: "设备未开通该场景",
    AlarmOutcome.STALE: "告警过旧",
    AlarmOutcome.FUTURE: "告警时间超前",
}


class EventStatus(StrEnum):
    """Where an event stands."""

    WATCHING = "watching"  # open, its condition not yet met
    VERIFYING = "verifying"  # a verification task is owed
    ORDERED = "ordered"  # became (or joined) a work order
    FALSE_ALARM = "false_alarm"  # a person found nothing of the kind
    GONE = "gone"  # a person found it had already gone
    LAPSED = "lapsed"  # its window passed before its condition was met

    @property
    def label(self) -> str:
        return {
            "watching": "观察中",
            "verifying": "待核实",
            "ordered": "已立案",
            "false_alarm": "误报",
            "gone": "已消失",
            "lapsed": "未达条件",
        }[self.value]

    @property
    def raised(self) -> bool:
        return self not in (EventStatus.WATCHING, EventStatus.LAPSED)


class VerificationStatus(StrEnum):
    """A verification task (核实任务): owed, or answered."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    GONE = "gone"

    @property
    def label(self) -> str:
        return {"pending": "待核实", "confirmed": "属实", "false_alarm": "误报", "gone": "已消失"}[self.value]


class VerificationAnswer(StrEnum):
    """What the grid worker found."""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    GONE = "gone"

    @property
    def status(self) -> VerificationStatus:
        return VerificationStatus(self.value)

    @property
    def event_status(self) -> EventStatus:
        return {
            VerificationAnswer.CONFIRMED: EventStatus.ORDERED,
            VerificationAnswer.FALSE_ALARM: EventStatus.FALSE_ALARM,
            VerificationAnswer.GONE: EventStatus.GONE,
        }[self]


class Raising(StrEnum):
    """What raising an event does."""

    URGENT_ORDER = "urgent_order"  # severe: an urgent order at once, the nearest grid worker told
    VERIFY = "verify"  # a person checks first
    ORDER = "order"  # an order at once


@dataclass(frozen=True)
class EventState:
    """What an event knows of its alarms (times are aware or all naive, consistently)."""

    count: int
    first_seen: datetime
    last_seen: datetime
    longest_s: int
    best_score: float
    best_alarm: str  # the alarm whose evidence the event shows

    @property
    def span_s(self) -> int:
        return int((self.last_seen - self.first_seen).total_seconds())


def judge(
    scene: Scene,
    *,
    score: float,
    at: datetime,
    local_time: time,
    now: datetime,
    threshold: float | None = None,
) -> AlarmOutcome | None:
    """The outcome of an alarm that goes no further, or None when it counts (the device and
    scene are known, active and matched by the caller). `local_time` is the alarm's time of
    day in the district's zone; `threshold` is the device's override for the scene."""
    if at > now + FUTURE_TOLERANCE:
        return AlarmOutcome.FUTURE
    if at < now - STALE_AFTER:
        return AlarmOutcome.STALE
    if not alarm_counts(scene, score, threshold=threshold):
        return AlarmOutcome.BELOW_THRESHOLD
    if suppressed_at(scene, local_time):
        return AlarmOutcome.SUPPRESSED
    return None


def in_window(scene: Scene, event: EventState, at: datetime) -> bool:
    """Whether an alarm at `at` folds into `event`: no more than the scene's window after its
    last alarm, and no more than the window before its first (one that arrives late)."""
    window = timedelta(minutes=scene.window_minutes)
    return event.first_seen - window <= at <= event.last_seen + window


def new_event(alarm_key: str, at: datetime, score: float, duration_s: int | None) -> EventState:
    return EventState(1, at, at, max(0, duration_s or 0), score, alarm_key)


def fold(event: EventState, alarm_key: str, at: datetime, score: float, duration_s: int | None) -> EventState:
    """`event` with one more alarm (see the module's note). The best score's alarm is kept; on a
    tie, the smaller key, so that the order of arrival does not matter."""
    best_score, best_alarm = event.best_score, event.best_alarm
    if score > best_score or (score == best_score and alarm_key < best_alarm):
        best_score, best_alarm = score, alarm_key
    return replace(
        event,
        count=event.count + 1,
        first_seen=min(event.first_seen, at),
        last_seen=max(event.last_seen, at),
        longest_s=max(event.longest_s, duration_s or 0),
        best_score=best_score,
        best_alarm=best_alarm,
    )


def condition_met(scene: Scene, event: EventState) -> bool:
    """Whether the event has been seen often and long enough to be raised."""
    seen_for = max(event.span_s, event.longest_s)
    return event.count >= scene.min_repeats and seen_for >= scene.min_duration_s


def raising(scene: Scene) -> Raising:
    if scene.severe:
        return Raising.URGENT_ORDER
    if needs_verification(scene):
        return Raising.VERIFY
    return Raising.ORDER


def verification_due(scene: Scene, raised_at: datetime) -> datetime:
    return raised_at + timedelta(minutes=scene.verify_minutes)


def escalation_due(due_at: datetime, now: datetime, *, escalated: bool) -> bool:
    """A task not answered by its due time is escalated, once (to the grid's village center)."""
    return not escalated and now > due_at


def groups_with(scene: Scene, distance_m: float | None, there_last_seen: datetime, at: datetime) -> bool:
    """Whether a new event of `scene` seen at `at` joins the group of a live event of the same
    scene from another device `distance_m` away (None: either is not located), last seen at
    `there_last_seen`: within the scene's group radius, and the other seen within its window."""
    if distance_m is None or scene.group_radius_m <= 0:
        return False
    if abs(at - there_last_seen) > timedelta(minutes=scene.window_minutes):
        return False
    return distance_m <= scene.group_radius_m
