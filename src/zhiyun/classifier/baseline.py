"""The plain baseline every model version must beat: character 1–3-gram TF-IDF + LinearSVC.

scikit-learn's `TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2)` on
title + " " + content and `LinearSVC()` with its defaults — the model a careful engineer
would try first. `zhiyun model evaluate --baseline` and `benchmarks/classify.py` score it on
exactly the same folds (or the same train/test files) as the classifier, so that a site
sees whether its model earns its complexity on its own messages.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zhiyun.classifier.evaluation import Evaluation, check_trainable, score, stratified_folds
from zhiyun.classifier.model import TrainingData

__all__ = ["BaselineModel", "baseline_cross_validate", "baseline_holdout"]

MIN_DF = 2


class BaselineModel:
    """Char 1–3-gram TF-IDF (min_df=2) + LinearSVC with scikit-learn's defaults."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=MIN_DF)
        self.svm = LinearSVC()

    @staticmethod
    def texts(titles: Sequence[str], contents: Sequence[str]) -> list[str]:
        return [f"{t} {c}" for t, c in zip(titles, contents, strict=True)]

    def fit(self, data: TrainingData) -> BaselineModel:
        x = self.vectorizer.fit_transform(self.texts(data.titles, data.contents))
        self.svm.fit(x, np.asarray([str(v) for v in data.labels]))
        return self

    def predict(self, titles: Sequence[str], contents: Sequence[str]) -> list[str]:
        if not titles:
            return []
        x = self.vectorizer.transform(self.texts(titles, contents))
        return [str(v) for v in self.svm.predict(x)]


def baseline_cross_validate(data: TrainingData, *, folds: int = 5, seed: int = 0) -> Evaluation:
    """The baseline's out-of-fold macro-F1 on the folds `evaluation.cross_validate` uses."""
    labels = [str(v) for v in data.labels]
    check_trainable(labels, folds)
    predicted = [""] * len(labels)
    for train, test in stratified_folds(labels, folds, seed):
        part = TrainingData(
            [data.titles[i] for i in train], [data.contents[i] for i in train], [labels[i] for i in train]
        )
        model = BaselineModel().fit(part)
        guesses = model.predict([data.titles[i] for i in test], [data.contents[i] for i in test])
        for i, guess in zip(test.tolist(), guesses, strict=True):
            predicted[i] = guess
    return score(labels, predicted, folds=folds, seed=seed)


def baseline_holdout(train: TrainingData, test: TrainingData) -> Evaluation:
    """The baseline trained on all of `train`, scored on `test`."""
    check_trainable([str(v) for v in train.labels], 2)
    model = BaselineModel().fit(train)
    return score([str(v) for v in test.labels], model.predict(list(test.titles), list(test.contents)))
