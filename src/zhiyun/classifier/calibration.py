"""How far the classifier's confidence can be trusted, measured on messages it did not see.

From held-out predictions (each message's confidence in its best category and whether
that category was right) `Calibration.measure` computes:

- the **reliability diagram**: confidences in ten equal bins (0–0.1 … 0.9–1.0), per bin
  how many messages, their mean confidence and their accuracy;
- the **expected calibration error** (ECE): the bins' |accuracy − confidence| weighted by
  their share of messages (0 is perfect; a model that says 0.9 and is right 70% of the
  time has 0.2 there);
- the **coverage curve**: for every confidence t that occurs, the share of messages with
  confidence ≥ t and their accuracy — what automatic dispatch would send on its own at
  threshold t, and how often it would be right.

`threshold_for(target)` reads the curve: the lowest threshold whose dispatched messages
are right at least `target` of the time, at every threshold above it too, with at least
`MIN_SUPPORT` messages above it, and never below `MIN_THRESHOLD` (0.5); None when no
threshold reaches the target (then nothing is dispatched automatically). Pure numpy; the stored form is plain JSON (`to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BINS", "MIN_SUPPORT", "Bin", "Calibration", "CoveragePoint"]

BINS = 10
MIN_SUPPORT = 20  # messages above a threshold before its accuracy is believed
# A model less sure of one category than of all the others together never dispatches alone,
# whatever its held-out figures say (they come from the fold models, not the final one).
MIN_THRESHOLD = 0.5
CURVE_POINTS = 101  # thresholds 0.00, 0.01 … 1.00 kept in the stored curve


@dataclass(frozen=True)
class Bin:
    """One bar of the reliability diagram."""

    low: float
    high: float
    count: int
    confidence: float  # mean confidence of its messages (0 when empty)
    accuracy: float  # share of its messages whose best category was right (0 when empty)


@dataclass(frozen=True)
class CoveragePoint:
    """Automatic dispatch at `threshold`: the share of messages it takes and how many are right."""

    threshold: float
    share: float
    accuracy: float
    count: int


@dataclass(frozen=True)
class Calibration:
    """Reliability bins, expected calibration error and the coverage curve of held-out predictions."""

    messages: int
    ece: float
    accuracy: float
    bins: tuple[Bin, ...]
    curve: tuple[CoveragePoint, ...]  # thresholds ascending

    @classmethod
    def measure(cls, confidences: Sequence[float], correct: Sequence[bool]) -> Calibration:
        conf = np.clip(np.asarray(confidences, dtype=np.float64), 0.0, 1.0)
        right = np.asarray(correct, dtype=bool)
        if conf.shape != right.shape:
            raise ValueError("confidences and correct differ in length")
        n = len(conf)
        edges = np.linspace(0.0, 1.0, BINS + 1)
        which = np.minimum((conf * BINS).astype(np.int64), BINS - 1)
        bins: list[Bin] = []
        ece = 0.0
        for b in range(BINS):
            members = which == b
            count = int(members.sum())
            mean_conf = float(conf[members].mean()) if count else 0.0
            acc = float(right[members].mean()) if count else 0.0
            if count:
                ece += count / n * abs(acc - mean_conf)
            bins.append(Bin(float(edges[b]), float(edges[b + 1]), count, mean_conf, acc))
        curve: list[CoveragePoint] = []
        for t in np.linspace(0.0, 1.0, CURVE_POINTS):
            above = conf >= t - 1e-12
            count = int(above.sum())
            curve.append(
                CoveragePoint(
                    round(float(t), 2),
                    count / n if n else 0.0,
                    float(right[above].mean()) if count else 0.0,
                    count,
                )
            )
        return cls(n, ece, float(right.mean()) if n else 0.0, tuple(bins), tuple(curve))

    def threshold_for(
        self, target: float, min_support: int = MIN_SUPPORT, floor: float = MIN_THRESHOLD
    ) -> CoveragePoint | None:
        """The lowest threshold (not below `floor`) at and above which dispatched messages are
        right ≥ `target`."""
        chosen: CoveragePoint | None = None
        for point in reversed(self.curve):  # from 1.00 down: stop at the first miss
            if point.threshold < floor - 1e-9:
                break
            if point.count < min_support:
                continue
            if point.accuracy + 1e-12 < target:
                break
            chosen = point
        return chosen

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "ece": round(self.ece, 4),
            "accuracy": round(self.accuracy, 4),
            "bins": [
                {
                    "low": round(b.low, 2),
                    "high": round(b.high, 2),
                    "count": b.count,
                    "confidence": round(b.confidence, 4),
                    "accuracy": round(b.accuracy, 4),
                }
                for b in self.bins
            ],
            "curve": [[p.threshold, round(p.share, 4), round(p.accuracy, 4), p.count] for p in self.curve],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """The stored form back (a `ValueError` when it is not one)."""
        try:
            bins = tuple(
                Bin(
                    float(b["low"]),
                    float(b["high"]),
                    int(b["count"]),
                    float(b["confidence"]),
                    float(b["accuracy"]),
                )
                for b in data["bins"]
            )
            curve = tuple(
                CoveragePoint(float(t), float(share), float(acc), int(count))
                for t, share, acc, count in data["curve"]
            )
            return cls(int(data["messages"]), float(data["ece"]), float(data["accuracy"]), bins, curve)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"not a stored calibration: {exc}") from None

    def diagram(self, width: int = 30) -> list[str]:
        """The reliability diagram as text lines (for `zhiyun model report` and the CLI)."""
        lines = []
        for b in self.bins:
            bar = "█" * round(b.accuracy * width) if b.count else ""
            lines.append(
                f"{b.low:.1f}–{b.high:.1f} {b.count:>6} 条  置信度 {b.confidence:5.1%}  准确率 {b.accuracy:5.1%}  {bar}"
                if b.count
                else f"{b.low:.1f}–{b.high:.1f} {b.count:>6} 条"
            )
        return lines
