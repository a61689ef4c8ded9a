"""Feedback and figures of sensing (感知统计, issue 18 part 6): the pure rules.

Every answered verification (核实) is a label of the algorithm that raised the event: a grid
worker found the matter there (属实, confirmed), found nothing of the kind (误报, false alarm),
or found it had already gone (已消失). The figures judge the algorithms by these labels:

- **precision** (准确率) = confirmed ÷ (confirmed + false alarm), over the answers of checks of
  kind "verify" (a severe scene's "notice" is no label: it skipped the check). An answer of
  "already gone" is neither right nor wrong (the matter may have been there and left): it is
  reported apart, as the share of answers that were "gone" (`gone_share`).
- A precision is **judged** only on at least `min_labels` labels (confirmed + false alarm):
  three false alarms out of four say little. Its 95 % Wilson score interval (`wilson`) says
  how sure the figure is, so that a flag on few labels is honest about it.
- A device, scene or algorithm version whose judged precision is below the floor is
  **flagged** for the vendor (`flagged`).
- The **funnel** (`funnel`) counts each stage and its share of the stage before and of the first.
- Times (from the first alarm to the order) are summarised by their median and 90th
  percentile (`percentile`, linear interpolation between closest ranks).

Who reads sensing's events and figures (`may_read_sensing`): staff other than grid workers (a
grid worker has their checks on the patrol phone page); what of them (`sensing_villages`): the
district-wide readers and the district center's staff everything, anyone else the villages of
their unit's subtree.

Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhiyun.domain.errors import PermissionDenied
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.principals import Actor, Role

__all__ = [
    "DEFAULT_MIN_LABELS",
    "DEFAULT_PRECISION_FLOOR",
    "SENSING_READERS",
    "SENSING_READERS_EVERYWHERE",
    "SENSING_REFUSAL",
    "WILSON_Z",
    "FunnelStage",
    "Precision",
    "flagged",
    "funnel",
    "may_read_sensing",
    "percentile",
    "precision",
    "precision_of",
    "require_sensing_reader",
    "sensing_villages",
    "share",
    "wilson",
]

DEFAULT_PRECISION_FLOOR = 0.6
DEFAULT_MIN_LABELS = 20
WILSON_Z = 1.959963984540054  # the 97.5th percentile of the standard normal: a 95 % interval

# Who reads sensing's events and figures: staff other than grid workers, and the system.
SENSING_READERS = frozenset(
    {Role.ADMIN, Role.AGENT, Role.DISPATCHER, Role.HANDLER, Role.INSPECTOR, Role.LEADER, Role.SYSTEM}
)
# Who reads them everywhere whatever their unit (as they read every order).
SENSING_READERS_EVERYWHERE = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.SYSTEM})


def may_read_sensing(actor: Actor) -> bool:
    """Whether `actor` may read sensing's events and figures at all (what of them:
    `sensing_villages`)."""
    return actor.role in SENSING_READERS


SENSING_REFUSAL = "感知事件和统计仅供区、镇街和村居的工作人员查看（网格员的核实任务在巡查页面）"


def require_sensing_reader(actor: Actor) -> None:
    """Go on only if `actor` may read sensing's events and figures (PermissionDenied, 403)."""
    if not may_read_sensing(actor):
        raise PermissionDenied(SENSING_REFUSAL, policy="may_read_sensing", role=actor.role.value)


def sensing_villages(actor: Actor, org: OrgTree) -> frozenset[int] | None:
    """The villages whose events (and alarms, by their devices) `actor` sees; None: everything,
    including what lies in no village. The district-wide readers and the district center's
    staff see everything; other staff the villages of their unit's subtree (a town's staff
    their town's villages, a village's staff their village); anyone else nothing."""
    if actor.role in SENSING_READERS_EVERYWHERE:
        return None
    if not may_read_sensing(actor) or actor.unit_id is None or actor.unit_id not in org.units:
        return frozenset()
    if org.units[actor.unit_id].kind is UnitKind.DISTRICT:
        return None
    return frozenset(
        u for u in org.subtree_ids(actor.unit_id) if u in org.units and org.units[u].kind is UnitKind.VILLAGE
    )


# --------------------------------------------------------------------------- precision


def share(part: int, whole: int) -> float | None:
    """part ÷ whole, None when there is no whole."""
    return part / whole if whole > 0 else None


def precision(confirmed: int, false_alarm: int) -> float | None:
    """confirmed ÷ (confirmed + false alarm); None without a label."""
    if confirmed < 0 or false_alarm < 0:
        raise ValueError("counts are never negative")
    return share(confirmed, confirmed + false_alarm)


def wilson(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion `successes`/`trials` (None without a trial):
    unlike the normal approximation it stays within [0, 1] and is honest on few trials."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and the trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # rounding must not put the interval beside the proportion it is about
    return min(low, p), max(high, p)


def flagged(value: float | None, labels: int, floor: float, min_labels: int) -> bool:
    """Whether a precision is flagged for the vendor: judged on at least `min_labels` labels
    and below `floor`."""
    return value is not None and labels >= max(1, min_labels) and value < floor


@dataclass(frozen=True)
class Precision:
    """The labels of a device, a scene or an algorithm version, and what they say."""

    confirmed: int
    false_alarm: int
    gone: int
    floor: float
    min_labels: int

    @property
    def labels(self) -> int:
        """The answers precision is over: confirmed and false alarms."""
        return self.confirmed + self.false_alarm

    @property
    def answers(self) -> int:
        return self.confirmed + self.false_alarm + self.gone

    @property
    def value(self) -> float | None:
        return precision(self.confirmed, self.false_alarm)

    @property
    def judged(self) -> bool:
        """Enough labels to judge the precision by."""
        return self.labels >= max(1, self.min_labels)

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.confirmed, self.labels)

    @property
    def gone_share(self) -> float | None:
        return share(self.gone, self.answers)

    @property
    def flagged(self) -> bool:
        return flagged(self.value, self.labels, self.floor, self.min_labels)

    @property
    def verdict(self) -> str:
        """What the console shows beside the figure."""
        if self.flagged:
            return "低于下限"
        if not self.judged:
            return "样本不足"
        return "正常"


def precision_of(confirmed: int, false_alarm: int, gone: int, *, floor: float, min_labels: int) -> Precision:
    return Precision(confirmed, false_alarm, gone, floor, min_labels)


# --------------------------------------------------------------------------- the funnel


@dataclass(frozen=True)
class FunnelStage:
    """A stage of the funnel: its key, label, count, and shares of the stage before and of the
    first stage (None where that stage is empty)."""

    key: str
    label: str
    count: int
    of_previous: float | None
    of_first: float | None


def funnel(stages: Sequence[tuple[str, str, int]]) -> tuple[FunnelStage, ...]:
    """The stages (key, label, count) with their shares: of the stage before (the first's is
    None) and of the first."""
    result: list[FunnelStage] = []
    first = stages[0][2] if stages else 0
    previous: int | None = None
    for key, label, count in stages:
        if count < 0:
            raise ValueError("a stage's count is never negative")
        result.append(
            FunnelStage(
                key,
                label,
                count,
                None if previous is None else share(count, previous),
                share(count, first),
            )
        )
        previous = count
    return tuple(result)


# --------------------------------------------------------------------------- percentiles


def percentile(values: Iterable[float], q: float) -> float | None:
    """The `q`-th percentile (0–100) of `values`, interpolating linearly between the closest
    ranks (numpy's default); None for no values."""
    if not 0 <= q <= 100:
        raise ValueError("a percentile lies between 0 and 100")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
