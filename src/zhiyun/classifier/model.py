"""The work-order text classifier: category, order type and urgency from title and content.

`train_classifier` fits the feature blocks (`features.py`) and a linear SVM (scikit-learn's
LinearSVC, one-vs-rest, classes weighted inversely to their frequency) per head: the
category (required) and the order type (when the training data has at least two types).
Features are scaled by naive-Bayes log-count ratios before the SVM (`nb_scaling`; the
scaling is folded into the weights afterwards). The category head's C is chosen by an
inner k-fold over `C_GRID` and the same out-of-fold scores fit the temperature: the
probabilities are a softmax over the decision scores divided by it (the temperature that
minimizes their log loss). How well they are calibrated is measured on held-out messages
(`calibration.py`), and automatic dispatch reads its threshold from that measurement.

Urgency comes from the danger-word lexicon (`urgency.py`) and, where the training data has
enough urgent and normal orders (`MIN_URGENT_EXAMPLES` of each), from a learned head too:
an order is urgent when a danger word fires or the learned probability of "urgent" reaches
`URGENT_PROBABILITY`; the learned decision is explained as 模型判断紧急（0.87）.

A `TextClassifier` is plain arrays (vocabularies, idf, weights, intercepts) and can be saved
and rebuilt without pickle (`model_files.py`). It is read-only after construction, so one
instance may serve many threads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from zhiyun.classifier.calibration import Calibration
from zhiyun.classifier.features import FeatureConfig, FeatureSpace, Prepared, prepare
from zhiyun.classifier.urgency import UrgencyLexicon
from zhiyun.kernel.text import Segmenter, default_segmenter

__all__ = [
    "LinearHead",
    "Prediction",
    "Scored",
    "TextClassifier",
    "TrainingData",
    "fit_head",
    "train_classifier",
]

TOP_K = 3
MIN_URGENT_EXAMPLES = 10
URGENT_PROBABILITY = 0.5
URGENT = "urgent"
TEMPERATURES = np.geomspace(0.01, 10.0, 61)
SVM_C = 0.5  # the default regularization; inner k-fold may choose another of C_GRID
C_GRID = (0.25, 0.5, 1.0)
C_TOLERANCE = 0.005  # macro-F1 within this of the best keeps the default C
MIN_HELD_OUT = 10  # fewer held-out messages fit no temperature
SELECTION_LIMIT = 20_000  # C and temperature are chosen on a stratified sample of at most this many


@dataclass(frozen=True)
class Scored:
    """A label with its probability (0..1; the probabilities of all labels sum to ~1)."""

    label: str
    probability: float


@dataclass(frozen=True)
class Prediction:
    """What the classifier says about one message."""

    categories: tuple[Scored, ...]  # best first, the top 3 (fewer if fewer classes)
    order_type: Scored | None  # an OrderType value, when the model learned types
    urgent: bool
    urgent_signals: tuple[str, ...]  # the words that fired

    @property
    def category(self) -> Scored:
        return self.categories[0]


@dataclass(frozen=True)
class TrainingData:
    """Messages with their labels; `order_types` and `urgencies` entries may be None (not known)."""

    titles: Sequence[str]
    contents: Sequence[str]
    labels: Sequence[str]
    order_types: Sequence[str | None] | None = None
    urgencies: Sequence[str | None] | None = None  # Urgency values: "urgent" / "normal"
    ids: Sequence[str] | None = None  # what names each message in reports (a row number, an id column)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class LinearHead:
    """One linear decision per class: scores = X · coefᵀ + intercept; softmax(scores / T)."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes, n_features) float32
    intercept: np.ndarray  # (n_classes,) float64
    temperature: float
    c: float | None = None  # the SVM's regularization it was fitted with (None: not recorded)

    def __post_init__(self) -> None:
        # (n_features, n_classes), C order, float32 like the features: what sparse · dense
        # multiplies without copying the weights on every call.
        object.__setattr__(self, "_weights", np.ascontiguousarray(self.coef.T, dtype=np.float32))

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        weights: np.ndarray = self._weights  # type: ignore[attr-defined]
        product = x.astype(np.float32, copy=False) @ weights
        s: np.ndarray = np.asarray(product, dtype=np.float64) + self.intercept
        return s

    def probabilities(self, x: sp.csr_matrix) -> np.ndarray:
        return softmax(self.scores(x) / self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def nb_scaling(x: sp.csr_matrix, y: Sequence[str], alpha: float = 1.0) -> np.ndarray:
    """Per-feature weights from naive-Bayes log-count ratios (NB-SVM, Wang & Manning 2012).

    For every class c, r_c = log((p_c / |p_c|) / (q_c / |q_c|)) where p_c counts the
    messages of class c that contain a feature and q_c those of the other classes (both
    + `alpha`); a feature's weight is the largest |r_c| over the classes, divided by the
    mean weight. A feature that tells the classes apart is stretched, one spread evenly over
    them is shrunk: the vocabulary of each class learned from the history, not written for it.
    """
    labels = np.asarray(y)
    present = x.copy()
    present.data = np.ones_like(present.data)
    total = np.asarray(present.sum(axis=0), dtype=np.float64).ravel()
    best = np.zeros(x.shape[1], dtype=np.float64)
    for c in np.unique(labels):
        inside = np.asarray(present[labels == c].sum(axis=0), dtype=np.float64).ravel()
        p = inside + alpha
        q = total - inside + alpha
        np.maximum(best, np.abs(np.log((p / p.sum()) / (q / q.sum()))), out=best)
    mean = float(best.mean()) if best.size else 0.0
    out: np.ndarray = best / mean if mean > 0 else np.ones_like(best)
    return out


def _svm(
    x: sp.csr_matrix, y: Sequence[str], seed: int, c: float = SVM_C, *, balanced: bool = True, nb: bool = True
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """A one-vs-rest linear SVM on NB-scaled features, the scaling folded into its weights."""
    from sklearn.svm import LinearSVC

    scale = nb_scaling(x, y) if nb else None
    fit_x = x @ sp.diags(scale) if scale is not None else x
    model = LinearSVC(C=c, class_weight="balanced" if balanced else None, random_state=seed)
    model.fit(fit_x, np.asarray(y))
    classes = tuple(str(v) for v in model.classes_)
    coef = np.asarray(model.coef_, dtype=np.float64)
    if scale is not None:
        coef = coef * scale  # (x ∘ r) · w = x · (r ∘ w): prediction needs no scaling step
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if len(classes) == 2:  # one decision d for classes[1]: rows ±d/2 give the same softmax
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return classes, coef.astype(np.float32), intercept


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimizes the log loss of softmax(scores / T) (grid search)."""
    best_t, best_loss = 1.0, float("inf")
    rows = np.arange(len(truth))
    for t in TEMPERATURES:
        p = softmax(scores / t)
        loss = -float(np.mean(np.log(np.clip(p[rows, truth], 1e-12, None))))
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Macro-F1 over all `n_classes` label indices (a class never predicted nor held counts 0)."""
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, labels=list(range(n_classes)), average="macro", zero_division=0))


def _out_of_fold(
    x: sp.csr_matrix,
    labels: np.ndarray,
    classes: tuple[str, ...],
    held: np.ndarray,
    folds: int,
    seed: int,
    c: float,
    balanced: bool,
) -> np.ndarray:
    """Decision scores of the messages at `held`, each from a model that did not see it
    (inner k-fold over them; every other message is always in the training part)."""
    from sklearn.model_selection import StratifiedKFold

    index = {name: i for i, name in enumerate(classes)}
    always = np.setdiff1d(np.arange(len(labels)), held)
    oof = np.zeros((len(held), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(held)), labels[held]):
        rows = np.concatenate([always, held[train]])
        fold_classes, fold_coef, fold_b = _svm(x[rows], labels[rows].tolist(), seed, c, balanced=balanced)
        part = np.asarray(x[held[test]] @ fold_coef.T, dtype=np.float64) + fold_b
        block = np.full((len(test), len(classes)), -1e3)  # a class unseen in this fold
        block[:, [index[name] for name in fold_classes]] = part
        oof[test] = block
    return oof


def _selection_sample(labels: np.ndarray, seed: int) -> np.ndarray | None:
    """Row indices of a stratified sample of `SELECTION_LIMIT` messages (every class keeps at
    least a few), or None when the data is no larger than that: on a long history the choice
    of C and temperature needs no more, and nested folds over all of it would take hours."""
    if len(labels) <= SELECTION_LIMIT:
        return None
    rng = np.random.default_rng(seed)
    share = SELECTION_LIMIT / len(labels)
    keep: list[np.ndarray] = []
    for name in np.unique(labels):
        members = np.flatnonzero(labels == name)
        take = min(len(members), max(3, round(len(members) * share)))
        keep.append(rng.choice(members, size=take, replace=False))
    out: np.ndarray = np.sort(np.concatenate(keep))
    return out


def _held_out_rows(labels: np.ndarray, seed: int) -> np.ndarray:
    """The messages the inner k-fold predicts: those of classes with at least two (a class of
    one is always trained on — without it, its messages could not be told at all), at most
    `SELECTION_LIMIT` of them (a stratified sample)."""
    counts = Counter(labels.tolist())
    eligible = np.flatnonzero(np.array([counts[v] >= 2 for v in labels.tolist()], dtype=bool))
    pick = _selection_sample(labels[eligible], seed)
    out: np.ndarray = eligible if pick is None else eligible[pick]
    return out


def fit_head(
    x: sp.csr_matrix,
    y: Sequence[str],
    *,
    seed: int = 0,
    calibration_folds: int = 3,
    c_grid: Sequence[float] = C_GRID,
    balanced: bool = True,
) -> LinearHead:
    """A linear SVM on `x`: its C chosen by inner k-fold, its temperature fitted on the same
    out-of-fold scores (over the classes with at least two messages, `_held_out_rows`);
    with too little for that, C = `SVM_C` and T = 1.

    The choice is macro-F1 of the out-of-fold predictions; a C within `C_TOLERANCE` of the
    best loses to `SVM_C` (the default that held on data never seen, docs/classifier.md).
    """
    labels = np.asarray([str(v) for v in y])
    classes = tuple(sorted(set(labels.tolist())))
    c, temperature = SVM_C, 1.0
    held = _held_out_rows(labels, seed)
    counts = Counter(labels[held].tolist())
    folds = min(calibration_folds, min(counts.values())) if counts else 0
    if folds >= 2 and len(counts) >= 2 and len(held) >= MIN_HELD_OUT:
        index = {name: i for i, name in enumerate(classes)}
        truth = np.array([index[v] for v in labels[held]])
        grid = sorted(set(c_grid) | {SVM_C}) if len(c_grid) > 1 else [SVM_C]
        tried: dict[float, tuple[float, np.ndarray]] = {}
        for candidate in grid:
            oof = _out_of_fold(x, labels, classes, held, folds, seed, candidate, balanced)
            tried[candidate] = (_macro_f1(truth, np.argmax(oof, axis=1), len(classes)), oof)
        best = max(score for score, _ in tried.values())
        c = SVM_C if tried[SVM_C][0] >= best - C_TOLERANCE else max(tried, key=lambda k: tried[k][0])
        temperature = fit_temperature(tried[c][1], truth)
    fitted_classes, coef, intercept = _svm(x, labels.tolist(), seed, c, balanced=balanced)
    return LinearHead(fitted_classes, coef, intercept, temperature, c)


class TextClassifier:
    """Predicts category, order type and urgency of messages. Read-only; thread safe."""

    def __init__(
        self,
        features: FeatureSpace,
        category: LinearHead,
        order_type: LinearHead | None = None,
        urgency: UrgencyLexicon | None = None,
        urgency_head: LinearHead | None = None,
    ) -> None:
        self.features = features
        self.category_head = category
        self.version: int | None = None  # the stored model version it was loaded from, if any
        # Held-out calibration of its confidences (`calibration.Calibration`), when its version has one.
        self.calibration: Calibration | None = None
        self.order_type_head = order_type
        self.urgency = urgency or UrgencyLexicon()
        self.urgency_head = (
            urgency_head if urgency_head is not None and URGENT in urgency_head.classes else None
        )

    @property
    def labels(self) -> tuple[str, ...]:
        return self.category_head.classes

    def predict(self, title: str, content: str) -> Prediction:
        return self.predict_many([(title, content)])[0]

    def predict_many(self, items: Sequence[tuple[str, str]]) -> list[Prediction]:
        if not items:
            return []
        docs = [self.features.prepare(t, c) for t, c in items]
        x = self.features.transform_prepared(docs)
        cat_p = self.category_head.probabilities(x)
        type_p = self.order_type_head.probabilities(x) if self.order_type_head is not None else None
        k = min(TOP_K, len(self.category_head.classes))
        classes = self.category_head.classes
        best = np.argsort(-cat_p, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(cat_p, best, axis=1)
        types = None
        if type_p is not None and self.order_type_head is not None:
            type_classes = self.order_type_head.classes
            type_best = np.argmax(type_p, axis=1)
            types = [Scored(type_classes[j], float(type_p[i, j])) for i, j in enumerate(type_best.tolist())]
        learned: list[float] | None = None
        if self.urgency_head is not None:
            column = self.urgency_head.classes.index(URGENT)
            learned = self.urgency_head.probabilities(x)[:, column].tolist()
        out: list[Prediction] = []
        for i, doc in enumerate(docs):
            categories = tuple(
                Scored(classes[j], p) for j, p in zip(best[i].tolist(), top[i].tolist(), strict=True)
            )
            # The prepared text is normalized already (NFKC, lower case) and begins with the title.
            signals = self.urgency.signals_normalized(doc.title, doc.text[len(doc.title) :])
            if learned is not None and learned[i] >= URGENT_PROBABILITY:
                signals = (*signals, f"模型判断紧急（{learned[i]:.2f}）")
            out.append(Prediction(categories, types[i] if types else None, bool(signals), signals))
        return out

    def predict_scored(self, items: Sequence[tuple[str, str]]) -> list[Scored]:
        """The best category of each message with its calibrated probability."""
        if not items:
            return []
        p = self.category_head.probabilities(self.features.transform(items))
        best = np.argmax(p, axis=1)
        classes = self.category_head.classes
        return [Scored(classes[j], float(p[i, j])) for i, j in enumerate(best.tolist())]


def train_classifier(
    data: TrainingData,
    *,
    keywords: Mapping[str, Iterable[str]] | None = None,
    config: FeatureConfig | None = None,
    seed: int = 0,
    calibrate: bool = True,
    segmenter: Segmenter | None = None,
) -> TextClassifier:
    """Fit the features and the heads on `data` (at least two categories)."""
    config = config or FeatureConfig()
    segmenter = segmenter or default_segmenter()
    docs: list[Prepared] = [
        prepare(t, c, segmenter, config.max_chars, text_words=config.text_words > 0)
        for t, c in zip(data.titles, data.contents, strict=True)
    ]
    features = FeatureSpace.fit(docs, config, keywords, segmenter)
    x = features.transform_prepared(docs)
    folds = 3 if calibrate else 0
    category = fit_head(x, [str(v) for v in data.labels], seed=seed, calibration_folds=folds)
    order_type = None
    if data.order_types is not None:
        known = [i for i, v in enumerate(data.order_types) if v]
        types = [str(data.order_types[i]) for i in known]
        if len(set(types)) >= 2:
            order_type = fit_head(x[known], types, seed=seed, calibration_folds=folds, c_grid=(SVM_C,))
    urgency_head = None
    if data.urgencies is not None:
        known = [i for i, v in enumerate(data.urgencies) if v]
        levels = [str(data.urgencies[i]) for i in known]
        urgent = sum(1 for v in levels if v == URGENT)
        if urgent >= MIN_URGENT_EXAMPLES and len(levels) - urgent >= MIN_URGENT_EXAMPLES:
            urgency_head = fit_head(
                x[known], levels, seed=seed, calibration_folds=folds, c_grid=(SVM_C,), balanced=False
            )
    return TextClassifier(features, category, order_type, urgency_head=urgency_head)
