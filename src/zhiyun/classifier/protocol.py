"""The honest protocol: lock a test set away before choosing anything, then learning curves.

- `locked_split`: which messages are the locked test. The choice is a hash of each
  message's id and a salt — not of its text or label — so it is the same on every machine
  and in every session, needs no stored list, and a message keeps its side when the file
  grows. Nothing about the model is ever chosen on the locked side.
- `learning_curve`: the model and the baseline trained on random subsets of growing size
  (100, 200, 400, all) of the development data and scored on the locked test: what a new
  site with a few hundred labelled orders gets, and whether the model is still ahead there.

Used by `benchmarks/classify.py`; a site can run the same protocol on its own history with
`zhiyun model evaluate --test-data` (train on one file, score on another).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from zhiyun.classifier.baseline import baseline_holdout
from zhiyun.classifier.evaluation import holdout, subset
from zhiyun.classifier.features import FeatureConfig
from zhiyun.classifier.model import TrainingData

__all__ = ["LEARNING_SIZES", "CurvePoint", "learning_curve", "locked_split"]

LEARNING_SIZES = (100, 200, 400)  # and "all"


def is_locked(message_id: str, share: float, salt: str) -> bool:
    """Whether a message belongs to the locked test: its salted hash falls in the first `share`."""
    digest = hashlib.sha256(f"{salt}:{message_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def locked_split(data: TrainingData, share: float, salt: str) -> tuple[TrainingData, TrainingData]:
    """(development, locked test) by `is_locked` on each message's id (`TrainingData.ids`)."""
    if data.ids is None:
        raise ValueError("a locked split needs message ids")
    if not 0 < share < 1:
        raise ValueError("share must lie between 0 and 1")
    locked = [i for i, m in enumerate(data.ids) if is_locked(str(m), share, salt)]
    taken = set(locked)
    return subset(data, [i for i in range(len(data)) if i not in taken]), subset(data, locked)


@dataclass(frozen=True)
class CurvePoint:
    """Mean macro-F1 of the model and the baseline trained on `size` messages (over `draws` subsets)."""

    size: int
    draws: int
    macro_f1: float
    baseline_macro_f1: float

    @property
    def gain_points(self) -> float:
        return 100 * (self.macro_f1 - self.baseline_macro_f1)


def _draw(data: TrainingData, size: int, rng: random.Random) -> TrainingData:
    """A random subset of `size` messages that keeps at least two messages of every class it can."""
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(data.labels):
        by_class.setdefault(str(label), []).append(i)
    chosen: list[int] = []
    for members in by_class.values():
        chosen.extend(rng.sample(members, min(2, len(members))))
    rest = [i for i in range(len(data)) if i not in set(chosen)]
    chosen.extend(rng.sample(rest, max(0, min(size, len(data)) - len(chosen))))
    return subset(data, sorted(chosen))


def learning_curve(
    development: TrainingData,
    locked: TrainingData,
    *,
    sizes: Sequence[int] = LEARNING_SIZES,
    draws: int = 3,
    seed: int = 0,
    keywords: Mapping[str, Iterable[str]] | None = None,
    config: FeatureConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[CurvePoint]:
    """Model and baseline on subsets of `development` of each size (and all of it), scored on `locked`."""
    points: list[CurvePoint] = []
    all_size = len(development)
    for size in [s for s in sizes if s < all_size] + [all_size]:
        rounds = draws if size < all_size else 1
        ours: list[float] = []
        base: list[float] = []
        for d in range(rounds):
            rng = random.Random(f"{seed}:{size}:{d}")
            train = development if size == all_size else _draw(development, size, rng)
            ours.append(holdout(train, locked, seed=seed, keywords=keywords, config=config).macro_f1)
            base.append(baseline_holdout(train, locked).macro_f1)
        point = CurvePoint(size, rounds, sum(ours) / rounds, sum(base) / rounds)
        points.append(point)
        if progress is not None:
            progress(f"{size} messages: {point.macro_f1:.4f} against {point.baseline_macro_f1:.4f}")
    return points
