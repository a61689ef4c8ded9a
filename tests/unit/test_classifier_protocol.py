"""The honest protocol: a locked test chosen by id, hold-out scoring, learning curves, the baseline."""

from __future__ import annotations

import pytest

from tests.support import synthetic_messages
from zhiyun.classifier.baseline import baseline_cross_validate, baseline_holdout
from zhiyun.classifier.evaluation import drop_small_classes, holdout
from zhiyun.classifier.model import TrainingData
from zhiyun.classifier.protocol import is_locked, learning_curve, locked_split


def _data(per_class: int = 30, seed: int = 3) -> TrainingData:
    rows = synthetic_messages(per_class, seed)
    return TrainingData(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        ids=[f"m{i}" for i in range(len(rows))],
    )


def test_the_locked_test_depends_on_the_id_only_and_keeps_its_members_as_the_data_grows() -> None:
    data = _data()
    dev, locked = locked_split(data, 0.3, "salt")
    bigger = TrainingData(
        [*data.titles, "新"],
        [*data.contents, "新"],
        [*data.labels, "交通运输"],
        ids=[*(data.ids or []), "new"],
    )

    _, locked_again = locked_split(bigger, 0.3, "salt")

    assert set(locked.ids or []) <= set(locked_again.ids or [])
    assert len(dev) + len(locked) == len(data)
    assert not set(dev.ids or []) & set(locked.ids or [])
    assert 0.15 < len(locked) / len(data) < 0.45
    assert is_locked("m1", 0.3, "salt") == is_locked("m1", 0.3, "salt")
    assert locked_split(data, 0.3, "other salt")[1].ids != locked.ids


def test_a_locked_split_without_ids_is_refused() -> None:
    with pytest.raises(ValueError):
        locked_split(TrainingData(["a"], ["b"], ["c"]), 0.3, "salt")


def test_holdout_scores_every_test_message_and_a_class_it_never_saw_counts_as_an_error() -> None:
    data = _data()
    dev, locked = locked_split(data, 0.3, "salt")
    unseen = TrainingData(
        [*locked.titles, "外星人来访"], [*locked.contents, "飞碟降落"], [*locked.labels, "外星事务"]
    )

    result = holdout(dev, unseen)

    assert result.messages == len(locked) + 1
    assert result.outcomes[-1].truth == "外星事务" and not result.outcomes[-1].correct
    assert result.macro_f1 > 0.5


def test_small_classes_are_dropped_by_name_with_their_counts() -> None:
    data = TrainingData(["a", "b", "c", "d"], ["", "", "", ""], ["x", "x", "x", "y"])

    kept, dropped = drop_small_classes(data, 2)

    assert dropped == {"y": 1}
    assert list(kept.labels) == ["x", "x", "x"]


def test_the_learning_curve_trains_on_growing_subsets_and_ends_with_all() -> None:
    data = _data(40)
    dev, locked = locked_split(data, 0.3, "salt")

    curve = learning_curve(dev, locked, sizes=(20, 60), draws=2)

    assert [p.size for p in curve] == [20, 60, len(dev)]
    assert [p.draws for p in curve] == [2, 2, 1]
    assert all(0.0 <= p.macro_f1 <= 1.0 and 0.0 <= p.baseline_macro_f1 <= 1.0 for p in curve)
    assert curve[-1].macro_f1 >= curve[0].macro_f1 - 0.05


def test_the_baseline_is_scored_on_the_same_folds_and_files() -> None:
    data = _data()
    dev, locked = locked_split(data, 0.3, "salt")

    assert baseline_cross_validate(data, folds=3, seed=0).messages == len(data)
    assert baseline_holdout(dev, locked).messages == len(locked)
