"""The weights of a report's segmented text, and how two sets of weights compare (pure).

Words (from `zhiyun.kernel.text`: rjieba with the domain dictionary, stop words dropped),
longer words weighing more (a cheap stand-in for IDF); character bigrams of the remaining
Chinese text, robust to rewording and synonyms; the title counts twice in both
(`TITLE_WEIGHT`). `TextFeatures` holds the weights of one report with their norms (built by
`DedupeItem.features`); `cosine` and `containment` compare two.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

TITLE_WEIGHT = 2.0


@dataclass(frozen=True)
class TextFeatures:
    """The weights of one report's text: words, bigrams and title, their norms and its size."""

    words: dict[str, float]
    bigrams: dict[str, float]
    title: dict[str, float]
    words_norm: float
    bigrams_norm: float
    title_norm: float
    size: float  # total bigram weight: how much text there is


def _token_weight(token: str) -> float:
    """Longer words say more about a matter than short ones (a cheap stand-in for IDF)."""
    if token.isascii():
        if token.isdigit():
            return 0.8 if len(token) >= 3 else 0.3
        return 0.6 if len(token) <= 2 else 1.0
    n = len(token)
    if n == 1:
        return 0.3
    if n == 2:
        return 1.0
    if n == 3:
        return 1.4
    return 1.7


def _sublinear(counts: Counter[str], weight: dict[str, float]) -> dict[str, float]:
    return {t: (1.0 + math.log(c)) * weight[t] for t, c in counts.items()}


def word_weights(tokens: Sequence[str]) -> dict[str, float]:
    counts = Counter(tokens)
    return _sublinear(counts, {t: _token_weight(t) for t in counts})


def bigram_weights(tokens: Sequence[str]) -> dict[str, float]:
    """Character bigrams of the Chinese text left after stop words, across word boundaries."""
    counts: Counter[str] = Counter()
    run: list[str] = []
    for token in tokens:
        if token.isascii():
            if run:
                text = "".join(run)
                counts.update(map(str.__add__, text, text[1:]))
                run = []
            continue
        run.append(token)
    if run:
        text = "".join(run)
        counts.update(map(str.__add__, text, text[1:]))
    return {b: 1.0 + math.log(c) for b, c in counts.items()}


def weighted_sum(
    base: dict[str, float], extra: dict[str, float], weight: float = TITLE_WEIGHT
) -> dict[str, float]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = out.get(key, 0.0) + weight * value
    return out


def norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values()))


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b)


def cosine(a: dict[str, float], an: float, b: dict[str, float], bn: float) -> float:
    if not an or not bn:
        return 0.0
    return min(1.0, _dot(a, b) / (an * bn))


def containment(short: dict[str, float], long: dict[str, float]) -> float:
    """Share of the shorter text's weight that the longer text also has."""
    total = sum(short.values())
    if not total:
        return 0.0
    return sum(min(v, long.get(k, 0.0)) for k, v in short.items()) / total
