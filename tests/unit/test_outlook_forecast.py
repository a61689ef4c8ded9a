"""Forecasts of counts (outlook/forecast.py) and the backtest (outlook/backtest.py) on made-up
histories: never negative, sparse series do not break, a surge injected is found."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiyun.domain.outlook import DailySeries, SeriesKey
from zhiyun.outlook import backtest
from zhiyun.outlook.forecast import HORIZON_DAYS, Forecaster
from zhiyun.outlook.synthetic import inject_surges, synthetic_history
from zhiyun.reference.calendar_source import build_calendar

CAL = build_calendar({}, [])
FIRST = date(2025, 9, 1)
KEY = SeriesKey("CG05", 1)


def _series(counts: list[int]) -> DailySeries:
    return DailySeries(KEY, FIRST, tuple(counts))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.integers(7, 150),
    rate=st.floats(0.0, 40.0),
    seed=st.integers(0, 10_000),
    spike=st.integers(0, 500),
)
def test_forecasts_are_never_negative_whatever_the_history(
    days: int, rate: float, seed: int, spike: int
) -> None:
    rng = np.random.default_rng(seed)
    counts = [int(c) for c in rng.negative_binomial(2, 2 / (2 + rate), size=days)] if rate > 0 else [0] * days
    counts[rng.integers(0, days)] += spike
    forecaster = Forecaster(CAL, FIRST, FIRST + timedelta(days=days - 1))
    f = forecaster.forecast_all([_series(counts)])[0]
    assert len(f.mean) == HORIZON_DAYS and len(f.weeks) == 4
    assert all(m >= 0 for m in f.mean)
    assert all(0 <= lo <= hi for lo, hi in zip(f.low, f.high, strict=True))
    assert all(0 <= w.low <= w.high and w.mean >= 0 for w in f.weeks)


def test_a_sparse_series_gets_a_simple_rate() -> None:
    counts = [0] * 90
    counts[10] = counts[50] = 1
    f = Forecaster(CAL, FIRST, FIRST + timedelta(days=89)).forecast_all([_series(counts)])[0]
    assert f.method == "rate"
    assert sum(f.mean) < 3 and f.weeks[0].low == 0


def test_a_busy_series_gets_the_glm_with_fewer_orders_forecast_on_weekends() -> None:
    made = synthetic_history(CAL, FIRST, 200, towns=1, categories=3, total_orders=20_000, seed=3)
    busiest = max(made.series.values(), key=lambda s: s.total)
    f = Forecaster(CAL, FIRST, busiest.last).forecast_all([busiest])[0]
    assert f.method in ("negbin-glm", "poisson-glm")
    by_weekday = {f.day(n).weekday(): f.mean[n] for n in range(7)}
    assert by_weekday[6] < 0.7 * by_weekday[2]  # Sunday against Wednesday


def test_the_weekly_intervals_hold_most_of_what_followed() -> None:
    made = synthetic_history(CAL, date(2024, 6, 1), 500, towns=3, categories=10, total_orders=200_000, seed=5)
    last = date(2024, 6, 1) + timedelta(days=499)
    scores = backtest.score_forecasts(CAL, made.series, last)
    assert scores is not None and scores.weeks == 4 * 30
    assert scores.coverage >= 0.75


def test_a_replay_finds_the_injected_surges_and_little_else() -> None:
    first = date(2024, 1, 1)
    days = 500
    made = synthetic_history(CAL, first, days, towns=3, categories=12, total_orders=150_000, seed=11)
    last = first + timedelta(days=days - 1)
    start = last - timedelta(days=59)
    series, surges = inject_surges(made.series, 10, start, last, seed=11)
    scores = backtest.run(CAL, series, surges, start, last)
    assert scores.surges == 10
    assert scores.recall >= 0.8
    assert scores.precision >= 0.6
    assert scores.delay_max is not None and scores.delay_max <= 6


def test_a_replay_without_surges_raises_few_warnings() -> None:
    first = date(2024, 1, 1)
    days = 500
    made = synthetic_history(CAL, first, days, towns=3, categories=12, total_orders=150_000, seed=12)
    last = first + timedelta(days=days - 1)
    warnings = backtest.replay(CAL, made.series, last - timedelta(days=59), last)
    # 36 series x 60 days x two windows tested: a handful at most (the seasons' edges)
    assert len(warnings) <= 5
