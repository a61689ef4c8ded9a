"""Duplicate detection at intake (重复件): how alike a new order is to an earlier open one.

Pure: no database, no I/O. The store finds the candidates (open orders near in place and
time, or from the same caller: `zhiyun.dedupe.repo`); this module scores each one.

The score is the text similarity of the segmented title and content, scaled by the
evidence that the two reports are about the same spot:

    score = text × (0.6 + 0.4 × context) × category × recency

- text: 0.4 × the cosine of word weights + 0.6 × the cosine of character-bigram weights
  (words from rjieba with the domain dictionary, stop words dropped, longer words weighing
  more, a cheap stand-in for IDF; bigrams of the remaining Chinese text make it robust to
  rewording and synonyms; the title counts twice in both). Titles that agree raise it
  (half of it is replaced by title cosine × √bigram cosine when that is higher), and when
  one report is a short summary of the other (a hotline agent's note against a citizen's
  long web message) 0.85 × the share of the summary's bigrams found in the long one counts
  too, discounted below 30 bigrams. Only the first 1,000 characters of a content count.
- context: 1 at the same spot (≤ 50 m), falling linearly to 0 at `radius_m`; 0.5 when a
  location is missing; 1 for the same caller (the same person repeating a matter is the
  strongest sign there is, with or without a location).
- category: 1 when the categories agree (or one is the other's parent) or either is
  unknown, 0.9 when only the first level agrees, 0.75 when they differ.
- recency: 1 at the same moment, 0.9 at the edge of the time window.

Two hard rules come before the score: reports more than `radius_m` apart, or further apart
in time than `window_days`, are not duplicates unless they come from the same caller.

The decision: ``merge`` at or above `high`, ``flag`` (a dispatcher decides) at or above
`low`, else ``none``. The thresholds are configuration (`DedupePolicy`); docs/dedupe.md
says how the defaults were measured.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.geo import haversine_m
from zhiyun.kernel.text import Segmenter, default_segmenter

if TYPE_CHECKING:
    from zhiyun.config import Settings

__all__ = [
    "Confusion",
    "Decision",
    "DedupeItem",
    "DedupePolicy",
    "DedupeScore",
    "Evaluation",
    "LabelledPair",
    "best_candidates",
    "evaluate_pairs",
    "evaluate_scores",
    "same_phone",
    "score",
    "text_similarity",
]

Decision = Literal["merge", "flag", "none"]

# Tuned on the labelled pairs of benchmarks/dedupe_pairs.py (see docs/dedupe.md).
DEFAULT_HIGH = 0.50
DEFAULT_LOW = 0.30

SAME_SPOT_M = 50.0  # closer than this counts as the same spot
TITLE_WEIGHT = 2.0
MAX_CONTENT_CHARS = 1000  # what a report is about is said in its first paragraphs
TEXT_CACHE_SIZE = 1024  # texts whose tokens and weights are kept: ~40 KB each for a typical report
# Bump when the features or their weights change: signatures of another version are recomputed.
# 2: lines of tab-separated terms and space-separated weights (version 1 was JSON, and parsing
# its ~130 numbers took most of the time it took to read a candidate).
SIGNATURE_VERSION = 2
_WEIGHT_CACHE_SIZE = 4096  # the weights are few distinct values (token weights × counts)


@dataclass(frozen=True)
class DedupePolicy:
    """Where and when to look for duplicates, and the score thresholds for merge and flag."""

    radius_m: float = 300.0
    window_days: float = 7.0
    high: float = DEFAULT_HIGH
    low: float = DEFAULT_LOW

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not (math.isfinite(self.radius_m) and self.radius_m > 0):
            errors["radius_m"] = "距离范围必须大于 0 米"
        if not (math.isfinite(self.window_days) and self.window_days > 0):
            errors["window_days"] = "时间窗口必须大于 0 天"
        if not 0.0 <= self.low <= 1.0:
            errors["low"] = "疑似重复阈值必须在 0～1 之间"
        if not 0.0 <= self.high <= 1.0:
            errors["high"] = "自动合并阈值必须在 0～1 之间"
        if not errors and self.low > self.high:
            errors["low"] = "疑似重复阈值不能高于自动合并阈值"
        if errors:
            raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)

    @classmethod
    def from_settings(cls, settings: Settings) -> DedupePolicy:
        """The policy of a site's settings (ZHIYUN_DEDUPE_*)."""
        return cls(
            radius_m=settings.dedupe_radius_m,
            window_days=settings.dedupe_window_days,
            high=settings.dedupe_merge_threshold,
            low=settings.dedupe_flag_threshold,
        )

    def decide(self, value: float) -> Decision:
        if value >= self.high:
            return "merge"
        if value >= self.low:
            return "flag"
        return "none"


@dataclass(frozen=True)
class _Features:
    words: dict[str, float]
    bigrams: dict[str, float]
    title: dict[str, float]
    words_norm: float
    bigrams_norm: float
    title_norm: float
    size: float  # total bigram weight: how much text there is


class _TextCache:
    """A bounded, thread-safe LRU of (title, content) → (title tokens, content tokens, weights)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], _Features]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, title: str, content: str) -> tuple[tuple[str, ...], tuple[str, ...], _Features] | None:
        with self._lock:
            value = self._data.get((title, content))
            if value is not None:
                self._data.move_to_end((title, content))
            return value

    def put(
        self, title: str, content: str, value: tuple[tuple[str, ...], tuple[str, ...], _Features]
    ) -> None:
        with self._lock:
            self._data[(title, content)] = value
            self._data.move_to_end((title, content))
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_TEXT_CACHE = _TextCache(TEXT_CACHE_SIZE)


@dataclass(frozen=True)
class DedupeItem:
    """One report as duplicate detection sees it: segmented text, category, caller, place, time."""

    id: int | None
    title_tokens: tuple[str, ...]
    content_tokens: tuple[str, ...]
    category_code: str | None = None
    phone: str | None = None
    lat: float | None = None
    lon: float | None = None
    registered_at: datetime | None = None  # aware
    status: str | None = field(default=None, compare=False)
    number: str | None = field(default=None, compare=False)  # a stored order's number, for the people

    @classmethod
    def from_text(
        cls,
        id: int | None,
        title: str,
        content: str,
        *,
        category_code: str | None = None,
        phone: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        registered_at: datetime | None = None,
        status: str | None = None,
        number: str | None = None,
        segmenter: Segmenter | None = None,
    ) -> DedupeItem:
        """Segment title and content (the default segmenter unless one is given).

        With the default segmenter the tokens and term weights of a text are kept in a
        bounded cache: the open orders of a busy spot are scored again for every new report.
        """
        title, content = title or "", (content or "")[:MAX_CONTENT_CHARS]
        cached = _TEXT_CACHE.get(title, content) if segmenter is None else None
        if cached is not None:
            title_tokens, content_tokens, features = cached
        else:
            seg = segmenter or default_segmenter()
            title_tokens, content_tokens = tuple(seg.tokens(title)), tuple(seg.tokens(content))
            features = None
        item = cls(
            id=id,
            title_tokens=title_tokens,
            content_tokens=content_tokens,
            category_code=category_code or None,
            phone=phone or None,
            lat=lat,
            lon=lon,
            registered_at=registered_at,
            status=status,
            number=number,
        )
        if features is not None:
            item.__dict__["features"] = features  # what the cached_property would compute
        elif segmenter is None:
            _TEXT_CACHE.put(title, content, (title_tokens, content_tokens, item.features))
        return item

    @classmethod
    def from_signature(
        cls,
        id: int | None,
        signature: str,
        *,
        category_code: str | None = None,
        phone: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        registered_at: datetime | None = None,
        status: str | None = None,
        number: str | None = None,
    ) -> DedupeItem | None:
        """A stored order from the weights kept at its registration (`signature`); None when unusable.

        Scoring a candidate needs only its weights, and parsing them is an order of magnitude
        cheaper than segmenting the text again. A signature of another version, or one that
        does not parse, gives None: the caller segments the text instead.
        """
        features = _parse_signature(signature)
        if features is None:
            return None
        item = cls(
            id=id,
            title_tokens=(),
            content_tokens=(),
            category_code=category_code or None,
            phone=phone or None,
            lat=lat,
            lon=lon,
            registered_at=registered_at,
            status=status,
            number=number,
        )
        item.__dict__["features"] = features
        return item

    def signature(self) -> str:
        """The weights of this report's text, stored at registration (see from_signature).

        Version 2: the version, then for the words, the bigrams and the title a line of terms
        (tab-separated) and a line of their weights (space-separated, exact float reprs), then
        the three norms and the size. A term holding a tab or a line break (never produced
        by the segmenter) is written as version 1's JSON instead, which is still read.
        """
        f = self.features
        terms = (f.words, f.bigrams, f.title)
        if any("\t" in t or "\n" in t for weights in terms for t in weights):
            return json.dumps(
                [1, f.words, f.bigrams, f.title, [f.words_norm, f.bigrams_norm, f.title_norm], f.size],
                ensure_ascii=False,
                separators=(",", ":"),
            )
        lines = [str(SIGNATURE_VERSION)]
        for weights in terms:
            lines.append("\t".join(weights))
            lines.append(" ".join(map(repr, weights.values())))
        lines.append(" ".join(map(repr, (f.words_norm, f.bigrams_norm, f.title_norm, f.size))))
        return "\n".join(lines)

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None

    @cached_property
    def features(self) -> _Features:
        title_words = _word_weights(self.title_tokens)
        title_bigrams = _bigram_weights(self.title_tokens)
        words = _weighted_sum(_word_weights(self.content_tokens), title_words)
        bigrams = _weighted_sum(_bigram_weights(self.content_tokens), title_bigrams)
        title = _weighted_sum(title_words, title_bigrams, 1.0)
        return _Features(
            words=words,
            bigrams=bigrams,
            title=title,
            words_norm=_norm(words),
            bigrams_norm=_norm(bigrams),
            title_norm=_norm(title),
            size=sum(bigrams.values()),
        )


@dataclass(frozen=True)
class DedupeScore:
    """How alike a new report is to one candidate, and what to do about it."""

    candidate_id: int | None
    score: float
    text_similarity: float
    distance_m: float | None
    same_caller: bool
    decision: Decision
    # False when the hard rules (outside radius or time window, another caller) ruled it out.
    eligible: bool = True


# --------------------------------------------------------------------------- signatures

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


def _parse_signature(signature: str) -> _Features | None:
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
    return _Features(words, bigrams, title, words_norm, bigrams_norm, title_norm, size)


def _parse_json_signature(signature: str) -> _Features | None:
    """Version 1: `[1, words, bigrams, title, [norms], size]` as JSON."""
    try:
        version, words, bigrams, title, norms, size = json.loads(signature)
        if version != 1 or not all(isinstance(m, dict) for m in (words, bigrams, title)):
            return None
        return _Features(
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


# --------------------------------------------------------------------------- text


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


def _word_weights(tokens: Sequence[str]) -> dict[str, float]:
    counts = Counter(tokens)
    return _sublinear(counts, {t: _token_weight(t) for t in counts})


def _bigram_weights(tokens: Sequence[str]) -> dict[str, float]:
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


def _weighted_sum(
    base: dict[str, float], extra: dict[str, float], weight: float = TITLE_WEIGHT
) -> dict[str, float]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = out.get(key, 0.0) + weight * value
    return out


def _norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values()))


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b)


def _cosine(a: dict[str, float], an: float, b: dict[str, float], bn: float) -> float:
    if not an or not bn:
        return 0.0
    return min(1.0, _dot(a, b) / (an * bn))


def _containment(short: dict[str, float], long: dict[str, float]) -> float:
    """Share of the shorter text's weight that the longer text also has."""
    total = sum(short.values())
    if not total:
        return 0.0
    return sum(min(v, long.get(k, 0.0)) for k, v in short.items()) / total


def text_similarity(a: DedupeItem, b: DedupeItem) -> float:
    """0..1: how alike the segmented texts of two reports are."""
    fa, fb = a.features, b.features
    words = _cosine(fa.words, fa.words_norm, fb.words, fb.words_norm)
    bigrams = _cosine(fa.bigrams, fa.bigrams_norm, fb.bigrams, fb.bigrams_norm)
    title = _cosine(fa.title, fa.title_norm, fb.title, fb.title_norm)
    similarity = 0.4 * words + 0.6 * bigrams
    similarity = max(similarity, 0.5 * similarity + 0.5 * title * math.sqrt(bigrams))
    # A short summary of a long report: score the summary's containment in the report,
    # discounted so that a few shared words in a short text cannot carry it alone.
    short, long = (fa, fb) if fa.size <= fb.size else (fb, fa)
    if short.size and long.size >= 2 * short.size:
        contained = _containment(short.bigrams, long.bigrams)
        confidence = min(1.0, short.size / 30.0)
        similarity = max(similarity, 0.85 * contained * confidence)
    return max(0.0, min(1.0, similarity))


# --------------------------------------------------------------------------- context


def same_phone(a: str | None, b: str | None) -> bool:
    """Whether two phone numbers are the same line (digits compared; short numbers never match)."""
    if not a or not b:
        return False
    da, db = "".join(c for c in a if c.isdigit()), "".join(c for c in b if c.isdigit())
    if len(da) < 7 or len(db) < 7:
        return False  # 12345 and other service numbers are not a caller
    if da.startswith("86") and len(da) == 13:
        da = da[2:]
    if db.startswith("86") and len(db) == 13:
        db = db[2:]
    return da.lstrip("0") == db.lstrip("0")


def _category_factor(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 1.0
    a, b = a.strip().lower(), b.strip().lower()
    if a == b or a.startswith(b) or b.startswith(a):
        return 1.0
    if _first_level(a) == _first_level(b):
        return 0.9
    return 0.75


def _first_level(code: str) -> str:
    for sep in ".-/_ ":
        if sep in code:
            return code.split(sep, 1)[0]
    return code[:2] if code.isdigit() and len(code) > 2 else code


def _proximity(distance_m: float | None, radius_m: float) -> float:
    if distance_m is None:
        return 0.5
    if distance_m <= SAME_SPOT_M:
        return 1.0
    span = max(radius_m - SAME_SPOT_M, 1.0)
    return max(0.0, 1.0 - (distance_m - SAME_SPOT_M) / span)


def score(new: DedupeItem, candidate: DedupeItem, policy: DedupePolicy | None = None) -> DedupeScore:
    """How alike `new` is to `candidate`, and the decision under `policy`'s thresholds."""
    policy = policy or DedupePolicy()
    text = text_similarity(new, candidate)
    distance = (
        haversine_m(new.lat, new.lon, candidate.lat, candidate.lon)  # type: ignore[arg-type]
        if new.located and candidate.located
        else None
    )
    caller = same_phone(new.phone, candidate.phone)
    days = (
        abs((new.registered_at - candidate.registered_at).total_seconds()) / 86400.0
        if new.registered_at is not None and candidate.registered_at is not None
        else None
    )
    too_far = distance is not None and distance > policy.radius_m
    too_old = days is not None and days > policy.window_days
    if (too_far or too_old) and not caller:
        return DedupeScore(candidate.id, 0.0, round(text, 4), distance, caller, "none", eligible=False)
    context = 1.0 if caller else _proximity(distance, policy.radius_m)
    recency = 1.0 if days is None else 1.0 - 0.1 * min(1.0, days / policy.window_days)
    value = text * (0.6 + 0.4 * context) * _category_factor(new.category_code, candidate.category_code)
    value = round(max(0.0, min(1.0, value * recency)), 4)
    return DedupeScore(candidate.id, value, round(text, 4), distance, caller, policy.decide(value))


def best_candidates(
    new: DedupeItem,
    candidates: Iterable[DedupeItem],
    policy: DedupePolicy | None = None,
    limit: int = 5,
) -> list[DedupeScore]:
    """The `limit` best-scoring candidates at or above the flag threshold, best first.

    The first one's decision is the outcome for the new report: merge into it, flag with
    all of them as candidates, or (an empty list) nothing. Ties go to the earlier order.
    """
    policy = policy or DedupePolicy()
    scored = [
        (s, c)
        for c in candidates
        if c.id is None or c.id != new.id
        for s in (score(new, c, policy),)
        if s.decision != "none"
    ]
    scored.sort(
        key=lambda sc: (
            -sc[0].score,
            sc[1].registered_at.timestamp() if sc[1].registered_at else math.inf,
            sc[1].id or 0,
        )
    )
    return [s for s, _ in scored[: max(0, limit)]]


# --------------------------------------------------------------------------- evaluation


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
