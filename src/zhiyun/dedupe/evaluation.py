"""How well duplicate detection does against labelled pairs: confusion counts by decision and kind.

`zhiyun dedupe evaluate` and benchmarks/dedupe_pairs.py use it to measure the thresholds
(docs/dedupe.md).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.dedupe.scoring import DedupeScore, score


@dataclass(frozen=True)
class Confusion:
    """Counts of one decision rule against the labels: true/false positives and negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, predicted: bool, actual: bool) -> Confusion:
        return Confusion(
            self.tp + (predicted and actual),
            self.fp + (predicted and not actual),
            self.fn + (not predicted and actual),
            self.tn + (not predicted and not actual),
        )


@dataclass(frozen=True)
class LabelledPair:
    """Two reports and whether a person (or a construction rule) says they are one matter."""

    a: DedupeItem
    b: DedupeItem
    duplicate: bool
    kind: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """How the decisions under one policy compare with the labels of a set of pairs."""

    policy: DedupePolicy
    merge: Confusion  # predicted duplicate = "merge"
    merge_or_flag: Confusion  # predicted duplicate = "merge" or "flag"
    decisions_by_kind: dict[str, Counter[str]]  # kind → Counter of "<label>:<decision>"

    @property
    def pairs(self) -> int:
        m = self.merge
        return m.tp + m.fp + m.fn + m.tn


def evaluate_scores(scored: Sequence[tuple[LabelledPair, DedupeScore]], policy: DedupePolicy) -> Evaluation:
    """The confusion counts of already-scored pairs under `policy`'s thresholds.

    Scores do not depend on the thresholds, so threshold sweeps re-use one scoring pass.
    """
    merge, either = Confusion(), Confusion()
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for pair, s in scored:
        decision = policy.decide(s.score) if s.eligible else "none"
        merge = merge.add(decision == "merge", pair.duplicate)
        either = either.add(decision != "none", pair.duplicate)
        label = "duplicate" if pair.duplicate else "distinct"
        by_kind[pair.kind or ""][f"{label}:{decision}"] += 1
    return Evaluation(policy, merge, either, dict(by_kind))


def evaluate_pairs(pairs: Iterable[LabelledPair], policy: DedupePolicy | None = None) -> Evaluation:
    """Score every pair (b as the new report, a as the candidate) and count the decisions."""
    policy = policy or DedupePolicy()
    return evaluate_scores([(p, score(p.b, p.a, policy)) for p in pairs], policy)
