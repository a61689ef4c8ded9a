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
`low`, else ``none``. The thresholds are configuration (`DedupePolicy`, in
`zhiyun.dedupe.policy`); docs/dedupe.md says how the defaults were measured.

A report as this module sees it is a `DedupeItem` (`zhiyun.dedupe.item`); its text weights
are computed in `zhiyun.dedupe.text_features`. How well the scores do against labelled pairs
is counted in `zhiyun.dedupe.evaluation`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.policy import Decision, DedupePolicy
from zhiyun.dedupe.text_features import containment, cosine
from zhiyun.kernel.geo import haversine_m

__all__ = ["DedupeScore", "best_candidates", "same_phone", "score", "text_similarity"]

SAME_SPOT_M = 50.0  # closer than this counts as the same spot


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


def text_similarity(a: DedupeItem, b: DedupeItem) -> float:
    """0..1: how alike the segmented texts of two reports are."""
    fa, fb = a.features, b.features
    words = cosine(fa.words, fa.words_norm, fb.words, fb.words_norm)
    bigrams = cosine(fa.bigrams, fa.bigrams_norm, fb.bigrams, fb.bigrams_norm)
    title = cosine(fa.title, fa.title_norm, fb.title, fb.title_norm)
    similarity = 0.4 * words + 0.6 * bigrams
    similarity = max(similarity, 0.5 * similarity + 0.5 * title * math.sqrt(bigrams))
    # A short summary of a long report: score the summary's containment in the report,
    # discounted so that a few shared words in a short text cannot carry it alone.
    short, long = (fa, fb) if fa.size <= fb.size else (fb, fa)
    if short.size and long.size >= 2 * short.size:
        contained = containment(short.bigrams, long.bigrams)
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
