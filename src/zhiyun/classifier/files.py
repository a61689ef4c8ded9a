"""Model files: a trained `TextClassifier` as plain arrays (.npz) plus JSON — never pickle.

One model is one ``.npz`` archive written with numpy (``allow_pickle=False`` when read):

=====================  ====================================================
array                  what it holds
=====================  ====================================================
``meta``               UTF-8 JSON (uint8): format, format_version, feature
                       config, block names and weights, head classes and
                       temperatures, urgency words, anything the trainer adds
``word{i}_terms``      the terms of word block i, UTF-8, NUL-separated (uint8)
``word{i}_idf``        its idf (float64)
``char{i}_keys``       the packed character n-grams of char block i (uint64, sorted)
``char{i}_idf``        its idf (float64)
``kw_labels``          keyword block: labels, keywords (NUL-separated UTF-8),
``kw_words``           and which labels own each keyword (CSR: ``kw_ptr``,
``kw_ptr``/``kw_idx``  ``kw_idx``, int64)
``{head}_coef``        weights of a head (``category``, ``order_type``, ``urgency``), float32
``{head}_intercept``   its intercepts (float64)
=====================  ====================================================

The archive's SHA-256 is stored next to it (the database row, or ``<name>.json`` beside a
file on disk). `load` refuses bytes whose checksum differs, that are not such an archive,
that hold object arrays, or whose format or shapes do not match — with a `ModelFileError`
in Chinese — and rebuilds the predictor from the arrays.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from zhiyun.classifier.features import (
    CHAR_BLOCKS,
    WORD_BLOCKS,
    CharBlock,
    FeatureConfig,
    FeatureSpace,
    KeywordBlock,
    WordBlock,
)
from zhiyun.classifier.model import LinearHead, TextClassifier
from zhiyun.classifier.urgency import UrgencyLexicon
from zhiyun.domain.errors import DomainError

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "dump", "load", "read_file", "sha256", "write_file"]

FORMAT = "zhiyun-text-classifier"
FORMAT_VERSION = 1
HEADS = ("category", "order_type", "urgency")


class ModelFileError(DomainError):
    """A model file that is damaged, tampered with, or of another format."""

    code = "model_file_invalid"
    http_status = 422


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _blob(strings: list[str] | tuple[str, ...]) -> np.ndarray:
    return np.frombuffer("\x00".join(strings).encode("utf-8"), dtype=np.uint8)


def _strings(blob: np.ndarray, count: int) -> list[str]:
    if count == 0:
        return []
    parts = blob.tobytes().decode("utf-8").split("\x00")
    if len(parts) != count:
        raise ValueError("string list length")
    return parts


def dump(model: TextClassifier, extra: Mapping[str, Any] | None = None) -> tuple[bytes, dict[str, Any]]:
    """The model as .npz bytes, and the metadata stored inside it (extended by `extra`)."""
    features = model.features
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {
        **dict(extra or {}),
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": features.config.to_dict(),
        "word_blocks": [],
        "char_blocks": [],
        "keywords": None,
        "heads": {},
        "urgent_words": list(model.urgency.words),
    }
    for i, wb in enumerate(features.words):
        meta["word_blocks"].append({"name": wb.name, "weight": wb.weight, "size": wb.size})
        arrays[f"word{i}_terms"] = _blob(wb.terms)
        arrays[f"word{i}_idf"] = wb.idf
    for i, cb in enumerate(features.chars):
        meta["char_blocks"].append({"name": cb.name, "weight": cb.weight, "size": cb.size})
        arrays[f"char{i}_keys"] = cb.keys
        arrays[f"char{i}_idf"] = cb.idf
    kb = features.keyword_block
    if kb is not None:
        meta["keywords"] = {"weight": kb.weight, "labels": len(kb.labels), "words": len(kb.keywords)}
        arrays["kw_labels"] = _blob(kb.labels)
        arrays["kw_words"] = _blob(kb.keywords)
        arrays["kw_ptr"] = kb.owner_ptr.astype(np.int64)
        arrays["kw_idx"] = kb.owner_idx.astype(np.int64)
    heads = (
        ("category", model.category_head),
        ("order_type", model.order_type_head),
        ("urgency", model.urgency_head),
    )
    for name, head in heads:
        if head is None:
            continue
        meta["heads"][name] = {"classes": list(head.classes), "temperature": head.temperature}
        arrays[f"{name}_coef"] = head.coef.astype(np.float32)
        arrays[f"{name}_intercept"] = head.intercept.astype(np.float64)
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue(), meta


def _bad(reason: str) -> ModelFileError:
    return ModelFileError(f"模型文件无效：{reason}")


def load(data: bytes, expected_sha256: str | None = None) -> TextClassifier:
    """Rebuild a classifier from `dump` bytes; refuse a wrong checksum, format or shape."""
    if expected_sha256 is not None and sha256(data) != expected_sha256:
        raise ModelFileError("模型文件校验失败：SHA-256 与登记的不一致，文件可能已损坏或被篡改")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise _bad(f"不是 zhiyun 模型归档（{type(exc).__name__}）") from None
    try:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except (KeyError, ValueError, UnicodeDecodeError):
        raise _bad("缺少或无法解析元数据") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _bad(f"格式不是 {FORMAT}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise _bad(f"格式版本 {meta.get('format_version')!r} 不受支持（支持 {FORMAT_VERSION}）")
    try:
        return _rebuild(meta, arrays)
    except (KeyError, ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise _bad(f"内容与元数据不一致（{exc}）") from None


def _array(arrays: Mapping[str, np.ndarray], name: str, dtype: Any, ndim: int) -> np.ndarray:
    value = arrays[name]
    if value.dtype != np.dtype(dtype) or value.ndim != ndim:
        raise ValueError(f"{name}: {value.dtype}/{value.ndim}d")
    return value


def _rebuild(meta: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> TextClassifier:
    config = FeatureConfig.from_dict(meta["config"])
    words: list[WordBlock] = []
    for i, info in enumerate(meta["word_blocks"]):
        if info["name"] not in WORD_BLOCKS:
            raise ValueError(f"unknown block {info['name']}")
        terms = _strings(_array(arrays, f"word{i}_terms", np.uint8, 1), int(info["size"]))
        idf = _array(arrays, f"word{i}_idf", np.float64, 1)
        words.append(WordBlock.build(info["name"], float(info["weight"]), terms, idf))
    chars: list[CharBlock] = []
    for i, info in enumerate(meta["char_blocks"]):
        if info["name"] not in CHAR_BLOCKS:
            raise ValueError(f"unknown block {info['name']}")
        keys = _array(arrays, f"char{i}_keys", np.uint64, 1)
        idf = _array(arrays, f"char{i}_idf", np.float64, 1)
        if len(keys) != int(info["size"]) or idf.shape != keys.shape or np.any(keys[1:] <= keys[:-1]):
            raise ValueError(f"char block {i}")
        chars.append(CharBlock(info["name"], float(info["weight"]), keys, idf))
    keyword_block = None
    if meta.get("keywords"):
        info = meta["keywords"]
        labels = _strings(_array(arrays, "kw_labels", np.uint8, 1), int(info["labels"]))
        kws = _strings(_array(arrays, "kw_words", np.uint8, 1), int(info["words"]))
        keyword_block = KeywordBlock.assemble(
            float(info["weight"]),
            labels,
            kws,
            _array(arrays, "kw_ptr", np.int64, 1),
            _array(arrays, "kw_idx", np.int64, 1),
        )
    features = FeatureSpace(config, tuple(words), tuple(chars), keyword_block)
    heads: dict[str, LinearHead] = {}
    for name, info in meta["heads"].items():
        if name not in HEADS:
            raise ValueError(f"unknown head {name}")
        classes = tuple(str(c) for c in info["classes"])
        coef = _array(arrays, f"{name}_coef", np.float32, 2)
        intercept = _array(arrays, f"{name}_intercept", np.float64, 1)
        if coef.shape != (len(classes), features.n_features) or intercept.shape != (len(classes),):
            raise ValueError(f"head {name} shape {coef.shape}")
        temperature = float(info["temperature"])
        if not temperature > 0:
            raise ValueError("temperature")
        heads[name] = LinearHead(classes, coef, intercept, temperature)
    if "category" not in heads:
        raise ValueError("no category head")
    urgency = UrgencyLexicon(str(w) for w in meta["urgent_words"])
    return TextClassifier(
        features, heads["category"], heads.get("order_type"), urgency, urgency_head=heads.get("urgency")
    )


def write_file(model: TextClassifier, path: Path, extra: Mapping[str, Any] | None = None) -> str:
    """Write `path` (.npz) and `path`.json (metadata with the checksum); returns the SHA-256."""
    data, meta = dump(model, extra)
    digest = sha256(data)
    path.write_bytes(data)
    path.with_suffix(".json").write_text(
        json.dumps({**meta, "sha256": digest}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return digest


def read_file(path: Path) -> TextClassifier:
    """Load a model written by `write_file`, checking it against the SHA-256 in its .json."""
    sidecar = path.with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        expected = str(meta["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelFileError(f"缺少或无法读取模型的元数据文件 {sidecar.name}（其中应有 sha256）") from None
    return load(path.read_bytes(), expected)
