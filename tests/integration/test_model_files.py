"""Model files on disk: an .npz of arrays plus a JSON sidecar with the checksum."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import SYNTHETIC_KEYWORDS, synthetic_messages

from zhiyun.classifier.files import ModelFileError, dump, read_file, sha256, write_file
from zhiyun.classifier.model import TextClassifier, TrainingData, train_classifier


def _data(per_class: int = 20, seed: int = 7) -> TrainingData:
    rows = synthetic_messages(per_class, seed)
    return TrainingData(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return train_classifier(_data(), keywords=SYNTHETIC_KEYWORDS)


def test_a_saved_model_loads_and_predicts_exactly_the_same(model: TextClassifier, tmp_path: Path) -> None:
    data = _data(10, seed=99)
    items = list(zip(data.titles, data.contents, strict=True))
    path = tmp_path / "model.npz"

    digest = write_file(model, path)
    again = read_file(path)

    assert digest == sha256(path.read_bytes())
    assert again.predict_many(items) == model.predict_many(items)
    assert again.labels == model.labels


def test_a_model_file_without_its_checksum_is_refused(model: TextClassifier, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    path.write_bytes(dump(model)[0])

    with pytest.raises(ModelFileError, match="sha256"):
        read_file(path)


def test_a_model_file_changed_on_disk_is_refused(model: TextClassifier, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    write_file(model, path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(ModelFileError, match="校验失败"):
        read_file(path)
