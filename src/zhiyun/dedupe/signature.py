"""The signature of a report: the weights of its text, stored at registration (pure).

Scoring a stored order needs only its weights, and parsing them is an order of magnitude
cheaper than segmenting the text again. `DedupeItem.signature` writes one,
`parse_signature` reads it back (version 2, or version 1's JSON).
"""

from __future__ import annotations

import json

from zhiyun.dedupe.text_features import TextFeatures

# Bump when the features or their weights change: signatures of another version are recomputed.
# 2: lines of tab-separated terms and space-separated weights (version 1 was JSON, and parsing
# its ~130 numbers took most of the time it took to read a candidate).
SIGNATURE_VERSION = 2
_WEIGHT_CACHE_SIZE = 4096  # the weights are few distinct values (token weights × counts)

_WEIGHTS: dict[str, float] = {}


def _weight(text: str) -> float:
    value = _WEIGHTS.get(text)
    if value is None:
        value = float(text)
        if len(_WEIGHTS) < _WEIGHT_CACHE_SIZE:
            _WEIGHTS[text] = value
    return value


def _weights_of(terms: str, weights: str) -> dict[str, float]:
    """One line of terms and the line of their weights (ValueError when they do not pair up).

    The weights are a few distinct values: looked up as text rather than parsed each time.
    """
    if not terms and not weights:
        return {}
    texts = weights.split(" ")
    try:
        values = list(map(_WEIGHTS.__getitem__, texts))  # the common case, at C speed
    except KeyError:
        values = [_weight(t) for t in texts]
    return dict(zip(terms.split("\t"), values, strict=True))


def parse_signature(signature: str) -> TextFeatures | None:
    """The features kept in a signature of this version (or version 1's JSON); None when unusable."""
    try:
        if signature.startswith("["):
            return _parse_json_signature(signature)
        lines = signature.split("\n")
        if len(lines) != 8 or lines[0] != str(SIGNATURE_VERSION):
            return None
        words, bigrams, title = (_weights_of(lines[i], lines[i + 1]) for i in (1, 3, 5))
        words_norm, bigrams_norm, title_norm, size = map(float, lines[7].split(" "))
    except (ValueError, TypeError):
        return None
    return TextFeatures(words, bigrams, title, words_norm, bigrams_norm, title_norm, size)


def _parse_json_signature(signature: str) -> TextFeatures | None:
    """Version 1: `[1, words, bigrams, title, [norms], size]` as JSON."""
    try:
        version, words, bigrams, title, norms, size = json.loads(signature)
        if version != 1 or not all(isinstance(m, dict) for m in (words, bigrams, title)):
            return None
        return TextFeatures(
            words=words,
            bigrams=bigrams,
            title=title,
            words_norm=float(norms[0]),
            bigrams_norm=float(norms[1]),
            title_norm=float(norms[2]),
            size=float(size),
        )
    except (ValueError, TypeError, IndexError):
        return None
