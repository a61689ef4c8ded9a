"""Evaluation of the classifier on messages it did not see: per-class figures, confusion,
macro-F1, and how far its confidence can be trusted.

Two ways, both scoring only held-out predictions:

- `cross_validate`: stratified k-fold; the folds are scikit-learn's
  `StratifiedKFold(shuffle=True, random_state=seed)`, so the same data, folds and seed give
  the same split on every machine (and the benchmark compares models on exactly the same
  folds). Inside each training part the model chooses its own C and temperature by an
  inner k-fold (`model.fit_head`): nested cross-validation, nothing chosen on the test fold.
- `holdout`: train on one set, score another (a locked test set, a new month, another
  center's messages).

Every held-out prediction is kept as an `Outcome` (truth, prediction, calibrated
confidence), which gives the calibration (`calibration.Calibration`) and the per-message
predictions file. Data that cannot be evaluated — fewer than two classes, a class with
fewer members than folds — is refused with a `ValidationFailed` in Chinese;
`drop_small_classes` leaves such classes out instead, and says which.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhiyun.classifier.calibration import Calibration
from zhiyun.classifier.features import FeatureConfig
from zhiyun.classifier.model import TrainingData, train_classifier
from zhiyun.domain.errors import ValidationFailed

__all__ = [
    "ClassFigures",
    "Evaluation",
    "Outcome",
    "check_trainable",
    "cross_validate",
    "drop_small_classes",
    "holdout",
    "score",
    "stratified_folds",
    "subset",
]

MIN_FOLDS = 2


@dataclass(frozen=True)
class ClassFigures:
    """Precision, recall and F1 of one class, and how many messages it has (support)."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Outcome:
    """One held-out message: what it is, what the model said, and how sure it was."""

    index: int  # position in the evaluated data
    truth: str
    predicted: str
    confidence: float  # calibrated probability of `predicted`
    fold: int  # the cross-validation fold that held it out (0 for a hold-out test set)

    @property
    def correct(self) -> bool:
        return self.truth == self.predicted


@dataclass(frozen=True)
class Evaluation:
    """The result of a cross-validation (or of scoring predictions against the truth)."""

    labels: tuple[str, ...]
    classes: tuple[ClassFigures, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: truth, columns: predicted, in `labels` order
    macro_f1: float
    accuracy: float
    messages: int
    folds: int
    seed: int
    seconds: float = 0.0
    outcomes: tuple[Outcome, ...] = ()

    @property
    def calibration(self) -> Calibration | None:
        if not self.outcomes:
            return None
        return Calibration.measure([o.confidence for o in self.outcomes], [o.correct for o in self.outcomes])

    def to_dict(self) -> dict[str, Any]:
        calibration = self.calibration
        extra = {"calibration": calibration.to_dict()} if calibration is not None else {}
        return {
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "messages": self.messages,
            "classes": len(self.labels),
            "folds": self.folds,
            "seed": self.seed,
            "seconds": round(self.seconds, 2),
            "per_class": {
                c.label: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for c in self.classes
            },
            "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
            **extra,
        }


def check_trainable(labels: Sequence[str], folds: int) -> None:
    """Refuse data that k-fold evaluation cannot use, with a message that says why."""
    if folds < MIN_FOLDS:
        raise ValidationFailed(f"折数至少为 {MIN_FOLDS}（当前 {folds}）", field="folds")
    if not labels:
        raise ValidationFailed("没有可用的数据行（文件为空，或标签列全为空）")
    counts = Counter(labels)
    if len(counts) < 2:
        only = next(iter(counts))
        raise ValidationFailed(f"标签只有一类「{only}」：至少需要两类才能训练和评估分类器", field="label")
    small = sorted((c, label) for label, c in counts.items() if c < folds)
    if small:
        shown = "、".join(f"「{label}」{c} 条" for c, label in small[:10])
        more = f" 等 {len(small)} 类" if len(small) > 10 else ""
        raise ValidationFailed(
            f"有的类别样本数少于折数 {folds}：{shown}{more}。请减少 --folds，"
            "或用 --min-per-class 不评估这些小类，或补充样本、合并小类",
            field="label",
        )


def subset(data: TrainingData, keep: Sequence[int]) -> TrainingData:
    """The messages of `data` at positions `keep`, with every column that is known."""
    types, urgencies, ids = data.order_types, data.urgencies, data.ids
    return TrainingData(
        [data.titles[i] for i in keep],
        [data.contents[i] for i in keep],
        [data.labels[i] for i in keep],
        [types[i] for i in keep] if types is not None else None,
        [urgencies[i] for i in keep] if urgencies is not None else None,
        [ids[i] for i in keep] if ids is not None else None,
    )


def drop_small_classes(data: TrainingData, min_per_class: int) -> tuple[TrainingData, dict[str, int]]:
    """The data without the classes that have fewer than `min_per_class` messages, and those classes."""
    counts = Counter(str(v) for v in data.labels)
    dropped = {
        label: n for label, n in sorted(counts.items(), key=lambda kv: (kv[1], kv[0])) if n < min_per_class
    }
    if not dropped:
        return data, {}
    return subset(data, [i for i, label in enumerate(data.labels) if str(label) not in dropped]), dropped


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays of stratified k-fold with shuffling and a fixed seed."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros(len(y)), y)]


def score(truth: Sequence[str], predicted: Sequence[str], *, folds: int = 0, seed: int = 0) -> Evaluation:
    """Per-class precision/recall/F1, confusion matrix, macro-F1 and accuracy."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = tuple(sorted(set(truth)))
    extra = sorted(set(predicted) - set(labels))
    all_labels = list(labels) + extra
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=list(labels), zero_division=0.0)
    matrix = confusion_matrix(truth, predicted, labels=all_labels)[: len(labels), : len(labels)]
    classes = tuple(
        ClassFigures(label, float(p[i]), float(r[i]), float(f[i]), int(s[i]))
        for i, label in enumerate(labels)
    )
    correct = sum(1 for a, b in zip(truth, predicted, strict=True) if a == b)
    return Evaluation(
        labels=labels,
        classes=classes,
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
        macro_f1=float(np.mean(f)) if len(f) else 0.0,
        accuracy=correct / len(truth) if truth else 0.0,
        messages=len(truth),
        folds=folds,
        seed=seed,
    )


def cross_validate(
    data: TrainingData,
    *,
    folds: int = 5,
    seed: int = 0,
    keywords: Mapping[str, Iterable[str]] | None = None,
    config: FeatureConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Train on k-1 folds, predict the held-out one, k times; score all out-of-fold predictions.

    Each training part chooses its own hyperparameters and temperature by inner k-fold, so
    the scores and confidences are those of the whole recipe on messages it never saw."""
    labels = [str(v) for v in data.labels]
    check_trainable(labels, folds)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    splits = stratified_folds(labels, folds, seed)
    for done, (train, test) in enumerate(splits):
        part = subset(data, train.tolist())
        model = train_classifier(
            TrainingData(part.titles, part.contents, part.labels), keywords=keywords, config=config, seed=seed
        )
        guesses = model.predict_scored([(data.titles[i], data.contents[i]) for i in test])
        for i, guess in zip(test.tolist(), guesses, strict=True):
            outcomes.append(Outcome(i, labels[i], guess.label, guess.probability, done))
        if progress is not None:
            progress(done + 1, folds)
    return _scored(outcomes, folds=folds, seed=seed, started=started)


def holdout(
    train: TrainingData,
    test: TrainingData,
    *,
    seed: int = 0,
    keywords: Mapping[str, Iterable[str]] | None = None,
    config: FeatureConfig | None = None,
) -> Evaluation:
    """Train on all of `train`, score every message of `test` (a class the training data
    does not have counts as an error: the model cannot name it)."""
    labels = [str(v) for v in train.labels]
    check_trainable(labels, 2)
    started = time.perf_counter()
    model = train_classifier(
        TrainingData(train.titles, train.contents, train.labels), keywords=keywords, config=config, seed=seed
    )
    truth = [str(v) for v in test.labels]
    guesses = model.predict_scored(list(zip(test.titles, test.contents, strict=True)))
    outcomes = [Outcome(i, truth[i], g.label, g.probability, 0) for i, g in enumerate(guesses)]
    return _scored(outcomes, folds=0, seed=seed, started=started)


def _scored(outcomes: list[Outcome], *, folds: int, seed: int, started: float) -> Evaluation:
    outcomes.sort(key=lambda o: o.index)
    result = score([o.truth for o in outcomes], [o.predicted for o in outcomes], folds=folds, seed=seed)
    return Evaluation(
        **{**result.__dict__, "seconds": time.perf_counter() - started, "outcomes": tuple(outcomes)}
    )
