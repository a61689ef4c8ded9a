"""Synthetic histories of daily counts, and surges injected into them: what the backtest and the
benchmark replay when no database history is asked for (docs/outlook.md).

A synthetic history has `towns × categories` series. Each series has a base rate drawn from a
log-normal (a few busy series, many quiet ones, scaled so that the whole history holds about
`total_orders` orders), fewer orders on weekends (×0.45) and holidays (×0.35) than on working
days (a make-up Saturday is a working day), for a third of the categories an annual season (a
peak month at ×2–3), and gamma–Poisson (negative-binomial, α = 0.08) noise.

A surge (`Surge`) adds to a series, for 3–7 days from its start, `lift − 1` times the day's
expected count and at least `floor` orders a day: what a mixing plant's noise or a burst pipe
does to a town's category.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from zhiyun.domain.calendar import WorkCalendar
from zhiyun.domain.outlook import DailySeries, DayKind, SeriesKey, day_kinds

NOISE_ALPHA = 0.08
_FACTORS = {DayKind.WORKDAY: 1.0, DayKind.MAKEUP: 1.0, DayKind.WEEKEND: 0.45, DayKind.HOLIDAY: 0.35}


@dataclass(frozen=True)
class Surge:
    """Orders added to one series for `days` days from `start`."""

    key: SeriesKey
    start: date
    days: int
    added: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class SyntheticHistory:
    """Daily series and, per series, the expected count of each day (before the noise)."""

    first: date
    series: dict[SeriesKey, DailySeries]
    expected: dict[SeriesKey, np.ndarray]


def synthetic_history(
    calendar: WorkCalendar,
    first: date,
    days: int,
    *,
    towns: int = 7,
    categories: int = 60,
    total_orders: int = 300_000,
    seed: int = 19,
) -> SyntheticHistory:
    """A history of `days` days from `first` (see the module's note)."""
    rng = np.random.default_rng(seed)
    kinds = day_kinds(calendar, first, days)
    shape = np.array([_FACTORS[k] for k in kinds])
    t = np.arange(days)
    doy = np.array([(first + timedelta(days=int(n))).timetuple().tm_yday for n in t])
    keys = [SeriesKey(f"C{c:03d}", 1000 + town) for c in range(categories) for town in range(towns)]
    raw = rng.lognormal(mean=0.0, sigma=1.2, size=len(keys))
    seasons: dict[int, np.ndarray] = {}
    for c in range(categories):
        if c % 3 == 0:
            peak = rng.uniform(0, 365)
            height = rng.uniform(1.0, 2.0)
            distance = np.minimum(np.abs(doy - peak), 365 - np.abs(doy - peak))
            seasons[c] = 1.0 + height * np.exp(-0.5 * (distance / 15.0) ** 2)
    profiles: list[np.ndarray] = []
    for i, _key in enumerate(keys):
        profile = shape * seasons.get(i // towns, 1.0)
        profiles.append(profile)
    scale = total_orders / float(sum(r * p.sum() for r, p in zip(raw, profiles, strict=True)))
    series: dict[SeriesKey, DailySeries] = {}
    expected: dict[SeriesKey, np.ndarray] = {}
    for key, rate, profile in zip(keys, raw, profiles, strict=True):
        mean = rate * scale * profile
        gamma = rng.gamma(1 / NOISE_ALPHA, NOISE_ALPHA, size=days)
        counts = rng.poisson(mean * gamma)
        series[key] = DailySeries(key, first, tuple(int(c) for c in counts))
        expected[key] = mean
    return SyntheticHistory(first, series, expected)


def inject_surges(
    series: Mapping[SeriesKey, DailySeries],
    count: int,
    first: date,
    last: date,
    *,
    seed: int = 19,
    lift: float = 3.0,
    floor: int = 4,
    min_daily: float = 0.0,
) -> tuple[dict[SeriesKey, DailySeries], list[Surge]]:
    """`count` surges in series chosen at random (one per series), starting between `first` and
    `last − 7`; each adds (lift − 1) × the series' recent mean per day, at least `floor`. Only
    series whose mean over the last 8 weeks before `first` is at least `min_daily` are chosen."""
    rng = np.random.default_rng(seed + 1)
    eligible: list[SeriesKey] = []
    for key, s in series.items():
        stop = s.index(first)
        recent = s.counts[max(0, stop - 56) : stop]
        if recent and sum(recent) / len(recent) >= min_daily:
            eligible.append(key)
    span = (last - first).days - 7
    if span <= 0 or not eligible:
        return dict(series), []
    chosen = rng.choice(len(eligible), size=min(count, len(eligible)), replace=False)
    out = dict(series)
    surges: list[Surge] = []
    for index in sorted(int(i) for i in chosen):
        key = eligible[index]
        s = out[key]
        start = first + timedelta(days=int(rng.integers(0, span + 1)))
        days = int(rng.integers(3, 8))
        stop = s.index(start)
        recent = s.counts[max(0, stop - 56) : stop]
        daily_mean = sum(recent) / max(1, len(recent))
        extra = max(floor, math.ceil((lift - 1) * daily_mean))
        counts = list(s.counts)
        for n in range(days):
            counts[stop + n] += extra
        out[key] = DailySeries(key, s.first, tuple(counts))
        surges.append(Surge(key, start, days, extra * days))
    return out, surges


__all__ = ["NOISE_ALPHA", "Surge", "SyntheticHistory", "inject_surges", "synthetic_history"]
