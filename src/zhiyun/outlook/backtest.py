"""The backtest of early warning (`zhiyun outlook backtest`, docs/outlook.md): replay a history day
by day with surges injected, run the surge tests as the daily job does, and score the warnings.

- The replay covers the last `days` days of the history; each day every series is tested
  (`domain.outlook.detect`) with only what was known by the end of that day.
- Warnings are kept as the platform keeps them: one per series × window × period (a day, or a
  week's Monday), the first day it fires.
- A warning is **right** when its series carries an injected surge and it fires between the
  surge's first day and a week after its last (a week's warning that fires after the surge
  ended in the same week is still about it); every other warning is a **false alarm** (on a
  database's history, also a real surge that nobody injected).
- **precision** = right warnings ÷ warnings; **recall** = surges with a right warning ÷ surges;
  the **delay** of a found surge = the first right warning's day − the surge's first day.
- The forecasts are scored on the same history: fitted on all but the last four weeks, the share
  of those weeks whose count falls inside the 90 % weekly interval (`coverage`), and the mean
  absolute error of the weekly counts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from zhiyun.domain.calendar import WorkCalendar
from zhiyun.domain.outlook import (
    DEFAULT_RULES,
    DailySeries,
    DetectionRules,
    SeriesKey,
    Signal,
    Window,
    category_totals,
    day_kinds,
    detect,
    seasonal_factor,
    week_start,
)
from zhiyun.outlook.forecast import HORIZON_DAYS, Forecaster
from zhiyun.outlook.synthetic import Surge


@dataclass(frozen=True)
class Scores:
    """What a backtest measured."""

    series: int
    days: int
    surges: int
    warnings: int
    right: int
    found: int
    precision: float
    recall: float
    delays: tuple[int, ...]
    by_method: dict[str, int] = field(default_factory=dict)
    detect_s: float = 0.0

    @property
    def delay_mean(self) -> float | None:
        return round(statistics.fmean(self.delays), 2) if self.delays else None

    @property
    def delay_median(self) -> float | None:
        return float(statistics.median(self.delays)) if self.delays else None

    @property
    def delay_max(self) -> int | None:
        return max(self.delays) if self.delays else None


def replay(
    calendar: WorkCalendar,
    series: Mapping[SeriesKey, DailySeries],
    first: date,
    last: date,
    rules: DetectionRules = DEFAULT_RULES,
) -> list[Signal]:
    """The warnings the daily job raises over [first, last]: one per series × window × period,
    the first day it fires."""
    raised: dict[tuple[SeriesKey, Window, date], Signal] = {}
    if not series:
        return []
    sample = next(iter(series.values()))
    kinds = day_kinds(calendar, sample.first, len(sample.counts))
    pooled = category_totals(series.values())
    for key, s in series.items():
        if s.first != sample.first or len(s.counts) != len(sample.counts):
            raise ValueError("every series of a replay spans the same days")
        day = first
        while day <= last:
            factor = seasonal_factor(pooled[key.category_code], s.index(week_start(day)), rules.lookback)
            for signal in detect(s, kinds, day, rules, factor):
                raised.setdefault((key, signal.window, signal.period_start), signal)
            day += timedelta(days=1)
    return sorted(raised.values(), key=lambda w: (w.last_day, w.key, w.window.value))


def score(warnings: list[Signal], surges: list[Surge], series: int, days: int) -> Scores:
    """Precision, recall and delays of `warnings` against the injected `surges`."""
    by_key: dict[SeriesKey, list[Surge]] = {}
    for surge in surges:
        by_key.setdefault(surge.key, []).append(surge)
    right = 0
    first_found: dict[Surge, date] = {}
    methods: dict[str, int] = {}
    for warning in warnings:
        for method in warning.methods:
            methods[method] = methods.get(method, 0) + 1
        matched = False
        for surge in by_key.get(warning.key, []):
            if surge.start <= warning.last_day <= surge.end + timedelta(days=7):
                matched = True
                seen = first_found.get(surge)
                if seen is None or warning.last_day < seen:
                    first_found[surge] = warning.last_day
        right += matched
    delays = tuple(sorted((first_found[s] - s.start).days for s in surges if s in first_found))
    return Scores(
        series=series,
        days=days,
        surges=len(surges),
        warnings=len(warnings),
        right=right,
        found=len(first_found),
        precision=round(right / len(warnings), 3) if warnings else 1.0,
        recall=round(len(first_found) / len(surges), 3) if surges else 1.0,
        delays=delays,
        by_method=methods,
    )


def run(
    calendar: WorkCalendar,
    series: Mapping[SeriesKey, DailySeries],
    surges: list[Surge],
    first: date,
    last: date,
    rules: DetectionRules = DEFAULT_RULES,
) -> Scores:
    """Replay [first, last] and score it."""
    started = time.perf_counter()
    warnings = replay(calendar, series, first, last, rules)
    elapsed = time.perf_counter() - started
    scores = score(warnings, surges, len(series), (last - first).days + 1)
    return Scores(**{**scores.__dict__, "detect_s": round(elapsed, 2)})


@dataclass(frozen=True)
class ForecastScores:
    """How the forecasts of the last four weeks, fitted without them, did."""

    series: int
    weeks: int
    coverage: float  # share of weeks inside the weekly interval
    mae: float  # mean absolute error of the weekly counts
    methods: dict[str, int]
    forecast_s: float


def score_forecasts(
    calendar: WorkCalendar, series: Mapping[SeriesKey, DailySeries], last: date
) -> ForecastScores | None:
    """Fit every series on its history up to `last` − 28 days and compare with the 4 weeks after."""
    if not series:
        return None
    sample = next(iter(series.values()))
    cut = last - timedelta(days=HORIZON_DAYS)
    if (cut - sample.first).days < 28:
        return None
    started = time.perf_counter()
    forecaster = Forecaster(calendar, sample.first, cut)
    inside = weeks = 0
    error = 0.0
    methods: dict[str, int] = {}
    heads = [DailySeries(s.key, s.first, s.counts[: s.index(cut) + 1]) for s in series.values()]
    for s, forecast in zip(series.values(), forecaster.forecast_all(heads), strict=True):
        stop = s.index(cut) + 1
        methods[forecast.method] = methods.get(forecast.method, 0) + 1
        for n, week in enumerate(forecast.weeks):
            actual = sum(s.counts[stop + 7 * n : stop + 7 * n + 7])
            inside += week.low <= actual <= week.high
            error += abs(actual - week.mean)
            weeks += 1
    elapsed = time.perf_counter() - started
    return ForecastScores(
        series=len(series),
        weeks=weeks,
        coverage=round(inside / weeks, 3) if weeks else 0.0,
        mae=round(error / weeks, 2) if weeks else 0.0,
        methods=methods,
        forecast_s=round(elapsed, 2),
    )


__all__ = ["ForecastScores", "Scores", "replay", "run", "score", "score_forecasts"]
