"""Hot issues (热点问题): the hot index, the near-repeat rule and the title rule (pure).

A hot issue is a group of messages (work orders) about one matter at one place or for one
group of people. This module holds what is decided about a group once its members are known;
how messages are grouped lives in `zhiyun.hotspots.method`.

- `count_once`: the near-repeat rule. The same caller's messages about the same matter within
  `repeat_window_days` (30) count once: a caller's message counts when it comes more than the
  window after that caller's last *counted* message in the group. Messages without a caller
  each count.
- `GroupFacts` / `facts_of`: what the index is computed from (counted messages, distinct callers,
  span, active days, votes, government signals).
- `HotIndexSettings` / `hot_index`: the published, configurable formula (docs/analytics.md)::

      hot index = 100 × Σ weight_p × part_p           (weights sum to 1; parts in [0, 1])
      part_p    = x_p / (x_p + half_p)                 (0 at none, ½ at half_p, → 1)

  with x_volume = counted messages, x_rate = counted messages / max(span days, min_span_days),
  x_callers = distinct callers, x_votes = likes + dislikes, x_signals = the weighted sum of the
  government signals (supervised, urged, overdue, reopened, unsatisfied), and optionally the
  whole multiplied by 0.5 ** (days since the last message / recency_half_life_days).
- `issue_title`: matter + place, e.g. "丽发新城 搅拌站 噪音扰民".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "GovernmentSignals",
    "GroupFacts",
    "HotIndex",
    "HotIndexSettings",
    "Member",
    "count_once",
    "facts_of",
    "hot_index",
    "issue_title",
    "saturate",
]

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class GovernmentSignals:
    """What the government side has recorded on a message's order (all zero for a file)."""

    supervised: int = 0  # 督办
    urged: int = 0  # 催办
    overdue: int = 0  # 超期
    reopened: int = 0  # 重办
    unsatisfied: int = 0  # 不满意

    def __add__(self, other: GovernmentSignals) -> GovernmentSignals:
        return GovernmentSignals(
            self.supervised + other.supervised,
            self.urged + other.urged,
            self.overdue + other.overdue,
            self.reopened + other.reopened,
            self.unsatisfied + other.unsatisfied,
        )


NO_SIGNALS = GovernmentSignals()


@dataclass(frozen=True)
class HotIndexSettings:
    """The hot index's weights and scales, and the rules around it (docs/analytics.md).

    Weights need not sum to 1: they are divided by their sum. Each `*_half` is the value at
    which its part is ½ (part = x / (x + half): it grows with x and never passes 1).
    """

    volume_weight: float = 0.40
    rate_weight: float = 0.15
    callers_weight: float = 0.15
    votes_weight: float = 0.15
    signals_weight: float = 0.15
    volume_half: float = 10.0  # counted messages
    rate_half: float = 1.0  # counted messages per day
    callers_half: float = 10.0  # distinct callers
    votes_half: float = 200.0  # likes + dislikes
    signals_half: float = 5.0  # weighted government signals
    min_span_days: float = 7.0  # a burst within one day is spread over a week for the rate
    supervised_weight: float = 3.0
    urged_weight: float = 1.0
    overdue_weight: float = 2.0
    reopened_weight: float = 2.0
    unsatisfied_weight: float = 1.0
    recency_half_life_days: float | None = None  # None: no decay with the time since the last message
    repeat_window_days: float = 30.0  # the near-repeat rule
    min_members: int = 3  # counted messages a group needs to be a hot issue
    min_callers: int = 2  # distinct callers it needs: one person's series is not a hot issue

    def __post_init__(self) -> None:
        weights = (
            self.volume_weight,
            self.rate_weight,
            self.callers_weight,
            self.votes_weight,
            self.signals_weight,
        )
        if any(w < 0 for w in weights) or not sum(weights) > 0:
            raise ValueError("hot index weights must be ≥ 0 and not all zero")
        refs = (self.volume_half, self.rate_half, self.callers_half, self.votes_half, self.signals_half)
        if any(not r > 0 for r in refs) or not self.min_span_days > 0:
            raise ValueError("hot index scales must be > 0")
        if self.recency_half_life_days is not None and not self.recency_half_life_days > 0:
            raise ValueError("recency half-life must be > 0 days")
        if self.repeat_window_days < 0 or self.min_members < 1 or self.min_callers < 1:
            raise ValueError("repeat window must be ≥ 0 days, min_members and min_callers ≥ 1")

    def signal_score(self, signals: GovernmentSignals) -> float:
        return (
            self.supervised_weight * signals.supervised
            + self.urged_weight * signals.urged
            + self.overdue_weight * signals.overdue
            + self.reopened_weight * signals.reopened
            + self.unsatisfied_weight * signals.unsatisfied
        )


@dataclass(frozen=True)
class Member:
    """One message of a group as the index sees it."""

    at: datetime
    caller: str | None = None
    votes: int = 0
    signals: GovernmentSignals = NO_SIGNALS


@dataclass(frozen=True)
class GroupFacts:
    """What a group's hot index is computed from."""

    messages: int  # all members
    counted: int  # members left after the near-repeat rule
    callers: int  # distinct callers (a message without a caller is its own caller)
    first: datetime
    last: datetime
    active_days: int  # calendar days with at least one message
    votes: int
    signals: GovernmentSignals = NO_SIGNALS

    @property
    def span_days(self) -> float:
        return (self.last - self.first).total_seconds() / DAY_SECONDS

    def per_day(self, min_span_days: float) -> float:
        return self.counted / max(self.span_days, min_span_days)


@dataclass(frozen=True)
class HotIndex:
    """A hot index and its parts (each part in [0, 1], before its weight)."""

    value: float  # 0-100
    volume: float
    rate: float
    callers: float
    votes: float
    signals: float
    recency: float  # the multiplier (1.0 without decay)

    def parts(self) -> dict[str, float]:
        return {
            "volume": self.volume,
            "rate": self.rate,
            "callers": self.callers,
            "votes": self.votes,
            "signals": self.signals,
            "recency": self.recency,
        }


def count_once(members: Iterable[tuple[str | None, datetime]], window_days: float = 30.0) -> int:
    """Members counted after the near-repeat rule: one caller's messages within `window_days`
    of that caller's last counted message count once. A member without a caller always counts."""
    window = timedelta(days=window_days)
    last_counted: dict[str, datetime] = {}
    counted = 0
    for caller, at in sorted(members, key=lambda m: m[1]):
        if caller is None or caller == "":
            counted += 1
            continue
        previous = last_counted.get(caller)
        if previous is not None and at - previous <= window:
            continue
        last_counted[caller] = at
        counted += 1
    return counted


def facts_of(members: Sequence[Member], repeat_window_days: float = 30.0) -> GroupFacts:
    """The facts of a non-empty group."""
    if not members:
        raise ValueError("a group has at least one member")
    times = [m.at for m in members]
    callers = {m.caller for m in members if m.caller}
    anonymous = sum(1 for m in members if not m.caller)
    signals = NO_SIGNALS
    for m in members:
        if m.signals != NO_SIGNALS:
            signals = signals + m.signals
    return GroupFacts(
        messages=len(members),
        counted=count_once(((m.caller, m.at) for m in members), repeat_window_days),
        callers=len(callers) + anonymous,
        first=min(times),
        last=max(times),
        active_days=len({t.date() for t in times}),
        votes=sum(max(0, m.votes) for m in members),
        signals=signals,
    )


def saturate(x: float, half: float) -> float:
    """x / (x + half): 0 for x ≤ 0, ½ at `half`, below 1 for every x."""
    if x <= 0:
        return 0.0
    return x / (x + half)


def hot_index(facts: GroupFacts, settings: HotIndexSettings, now: datetime | None = None) -> HotIndex:
    """The hot index of a group (0-100) with its parts; `now` matters only with a recency half-life."""
    s = settings
    volume = saturate(facts.counted, s.volume_half)
    rate = saturate(facts.per_day(s.min_span_days), s.rate_half)
    callers = saturate(facts.callers, s.callers_half)
    votes = saturate(facts.votes, s.votes_half)
    signals = saturate(s.signal_score(facts.signals), s.signals_half)
    total = s.volume_weight + s.rate_weight + s.callers_weight + s.votes_weight + s.signals_weight
    weighted = (
        s.volume_weight * volume
        + s.rate_weight * rate
        + s.callers_weight * callers
        + s.votes_weight * votes
        + s.signals_weight * signals
    ) / total
    recency = 1.0
    if s.recency_half_life_days is not None and now is not None:
        idle_days = max(0.0, (now - facts.last).total_seconds() / DAY_SECONDS)
        recency = 0.5 ** (idle_days / s.recency_half_life_days)
    return HotIndex(
        value=round(100.0 * weighted * recency, 2),
        volume=volume,
        rate=rate,
        callers=callers,
        votes=votes,
        signals=signals,
        recency=recency,
    )


def issue_title(place: str | None, matter: Sequence[str], max_words: int = 3) -> str:
    """Matter + place: "丽发新城 搅拌站 噪音扰民". The place comes first; matter words that the
    place already contains, or that another chosen word contains, are left out; at most
    `max_words` matter words. Without place and words: "未命名热点"."""
    chosen: list[str] = []
    for word in matter:
        word = word.strip()
        if not word or (place and word in place):
            continue
        if any(word in other for other in chosen):
            continue
        chosen = [other for other in chosen if other not in word]
        chosen.append(word)
        if len(chosen) >= max_words:
            break
    parts = ([place] if place else []) + chosen
    return " ".join(parts) if parts else "未命名热点"
