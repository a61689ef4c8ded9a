"""The pure rules of seasons and early warning (domain/outlook.py): day kinds on the 调休-aware
calendar, the count distributions, the baseline, the surge tests, the texts and the seasons."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from zhiyun.domain.outlook import (
    DEFAULT_GROWTH_RULES,
    DayKind,
    DetectionRules,
    Expectation,
    SeasonRules,
    SeriesKey,
    Window,
    baseline,
    build_series,
    cusum,
    day_kind,
    day_kinds,
    detect,
    explanation,
    growth_explanation,
    hot_issue_growth,
    negbin_quantile,
    negbin_sf,
    poisson_sf,
    season_text,
    seasonal_factor,
    seasonal_patterns,
    week_start,
    window_label,
)
from zhiyun.reference.calendar_source import build_calendar

CAL = build_calendar({}, [])
KEY = SeriesKey("CG05", 7)


def poisson_history(rng: random.Random, first: date, days: int, work: float, rest: float) -> list[int]:
    kinds = day_kinds(CAL, first, days)
    counts = []
    for kind in kinds:
        lam = work if kind.working else rest
        # Poisson by inversion (stdlib random has no Poisson)
        x, p, s, u = 0, pow(2.718281828459045, -lam), 0.0, rng.random()
        s = p
        while u > s:
            x += 1
            p *= lam / x
            s += p
        counts.append(x)
    return counts


# --------------------------------------------------------------------------- the calendar


def test_a_makeup_saturday_is_a_working_day_and_a_holiday_weekday_is_not() -> None:
    assert day_kind(CAL, date(2026, 2, 14)) is DayKind.MAKEUP  # Saturday worked before 春节
    assert day_kind(CAL, date(2026, 2, 14)).working
    assert day_kind(CAL, date(2026, 2, 17)) is DayKind.HOLIDAY  # 春节, a Tuesday
    assert day_kind(CAL, date(2026, 3, 7)) is DayKind.WEEKEND
    assert day_kind(CAL, date(2026, 3, 9)) is DayKind.WORKDAY


def test_an_admin_override_wins_over_the_package() -> None:
    cal = build_calendar({date(2026, 3, 9): False, date(2026, 3, 7): True}, [])
    assert day_kind(cal, date(2026, 3, 9)) is DayKind.HOLIDAY
    assert day_kind(cal, date(2026, 3, 7)) is DayKind.MAKEUP


def test_week_start_is_the_monday() -> None:
    assert week_start(date(2026, 12, 6)) == date(2026, 11, 30)
    assert week_start(date(2026, 11, 30)) == date(2026, 11, 30)


# --------------------------------------------------------------------------- series


def test_series_count_each_day_and_fill_the_days_without_orders_with_zero() -> None:
    first, last = date(2026, 3, 1), date(2026, 3, 5)
    rows = [
        ("CG05", 7, date(2026, 3, 2), 3),
        ("CG05", 7, date(2026, 3, 5), 1),
        ("CG05", 8, date(2026, 3, 9), 4),
    ]
    series = build_series(rows, first, last)
    assert list(series) == [KEY]
    assert series[KEY].counts == (0, 3, 0, 0, 1)
    assert series[KEY].last == last and series[KEY].total == 4


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize(("k", "mean"), [(0, 1.0), (1, 0.1), (5, 1.2), (30, 12.5), (80, 20.0), (3, 7.0)])
def test_the_poisson_tail_is_scipys(k: int, mean: float) -> None:
    assert poisson_sf(k, mean) == pytest.approx(stats.poisson.sf(k - 1, mean), rel=1e-6, abs=1e-15)


@pytest.mark.parametrize(
    ("k", "mean", "alpha"), [(5, 1.2, 0.3), (42, 15.0, 0.2), (10, 12.0, 1.0), (0, 3.0, 0.5)]
)
def test_the_negative_binomial_tail_is_scipys(k: int, mean: float, alpha: float) -> None:
    n = 1 / alpha
    p = n / (n + mean)
    assert negbin_sf(k, mean, alpha) == pytest.approx(stats.nbinom.sf(k - 1, n, p), rel=1e-6, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    q=st.floats(0.01, 0.99),
    mean=st.floats(0.0, 200.0),
    alpha=st.floats(0.0, 2.0),
)
def test_a_count_quantile_is_never_negative_and_grows_with_q(q: float, mean: float, alpha: float) -> None:
    low = negbin_quantile(q, mean, alpha)
    assert low >= 0
    assert negbin_quantile(min(0.995, q + 0.005), mean, alpha) >= low
    lo, hi = Expectation(mean, alpha).interval()
    assert 0 <= lo <= hi


def test_a_window_of_days_adds_means_and_variances() -> None:
    parts = [Expectation(2.0, 0.5), Expectation(3.0, 0.0)]
    total = Expectation.total(parts)
    assert total.mean == 5.0
    assert total.variance == pytest.approx(2.0 + 0.5 * 4 + 3.0)


# --------------------------------------------------------------------------- the baseline and tests


def test_the_baseline_tells_working_days_from_rest_days() -> None:
    first = date(2026, 3, 2)
    kinds = day_kinds(CAL, first, 56)
    counts = [10 if k.working else 2 for k in kinds]
    base = baseline(counts, kinds)
    assert base.working == pytest.approx(10, rel=0.05)
    assert base.resting == pytest.approx(2, rel=0.2)
    assert base.alpha == 0.0


def test_cusum_accumulates_only_what_lies_above_k() -> None:
    assert cusum([0.0, 1.0, 2.0, -5.0, 1.5], k=0.5) == [0.0, 0.5, 2.0, 0.0, 1.0]


def test_a_flat_history_raises_no_warning() -> None:
    rng = random.Random(19)
    first = date(2025, 1, 1)
    counts = poisson_history(rng, first, 400, work=6.0, rest=2.0)
    series = build_series(
        [("CG05", 7, first + timedelta(days=i), c) for i, c in enumerate(counts)],
        first,
        first + timedelta(days=399),
    )[KEY]
    kinds = day_kinds(CAL, first, 400)
    raised = [s for i in range(60, 400) for s in detect(series, kinds, first + timedelta(days=i))]
    assert raised == []


def test_a_surge_injected_into_a_flat_history_is_detected_on_its_first_days() -> None:
    rng = random.Random(7)
    first = date(2025, 1, 1)
    counts = poisson_history(rng, first, 200, work=3.0, rest=1.0)
    surge = date(2025, 6, 10)  # a Tuesday
    for n in range(5):
        counts[(surge - first).days + n] += 6
    series = build_series(
        [("CG05", 7, first + timedelta(days=i), c) for i, c in enumerate(counts)],
        first,
        first + timedelta(days=199),
    )[KEY]
    kinds = day_kinds(CAL, first, 200)
    signals = [s for n in range(5) for s in detect(series, kinds, surge + timedelta(days=n))]
    assert signals, "the surge went unnoticed"
    assert min(s.last_day for s in signals) <= surge + timedelta(days=1)
    week = [s for s in signals if s.window is Window.WEEK]
    assert week and week[0].period_start == week_start(surge)
    assert all(s.observed > s.expected.mean * 1.5 for s in signals)


def test_a_slow_rise_is_caught_by_the_cusum() -> None:
    first = date(2025, 1, 1)
    counts = poisson_history(random.Random(3), first, 200, work=4.0, rest=4.0)
    start = 150
    for n in range(start, 200):
        counts[n] += 3  # a +75 % rise held for weeks: no single day stands out
    series = build_series(
        [("CG05", 7, first + timedelta(days=i), c) for i, c in enumerate(counts)],
        first,
        first + timedelta(days=199),
    )[KEY]
    kinds = day_kinds(CAL, first, 200)
    rules = DetectionRules(p_max=1e-12)  # the tail tests switched off in effect
    methods = {
        m
        for n in range(start, start + 14)
        for s in detect(series, kinds, first + timedelta(days=n), rules)
        for m in s.methods
    }
    assert "cusum" in methods


def test_a_sparse_series_is_not_tested() -> None:
    first = date(2026, 3, 1)
    series = build_series([("CG05", 7, date(2026, 3, 10), 9)], first, date(2026, 3, 12))[KEY]
    assert detect(series, day_kinds(CAL, first, 12), date(2026, 3, 10)) == []


def test_a_handful_of_orders_never_warns_however_quiet_the_series() -> None:
    first = date(2025, 1, 1)
    counts = [0] * 120
    counts[110] = 4
    series = build_series(
        [("CG05", 7, first + timedelta(days=i), c) for i, c in enumerate(counts) if c],
        first,
        first + timedelta(days=119),
    )[KEY]
    assert detect(series, day_kinds(CAL, first, 120), first + timedelta(days=110)) == []


# --------------------------------------------------------------------------- texts


def test_the_explanation_reads_like_the_center_writes_it() -> None:
    assert (
        explanation("桂城街道", "噪音扰民", "本周", 42, Expectation(15.2, 0.1))
        == "桂城街道 噪音扰民 本周 42 件，预期 15 ± 6"
    )
    assert (
        explanation("大沥镇", "路灯照明", "今日", 7, Expectation(1.2))
        == "大沥镇 路灯照明 今日 7 件，预期 1.2 ± 1.1"
    )


def test_window_labels_name_today_yesterday_and_weeks() -> None:
    today = date(2026, 12, 7)
    assert window_label(Window.DAY, today, today) == "今日"
    assert window_label(Window.DAY, date(2026, 12, 6), today) == "昨日"
    assert window_label(Window.DAY, date(2026, 12, 1), today) == "12月1日"
    assert window_label(Window.WEEK, date(2026, 12, 7), today) == "本周"
    assert window_label(Window.WEEK, date(2026, 11, 30), today) == "上周"
    assert window_label(Window.WEEK, date(2026, 11, 23), today) == "11月23日当周"


# --------------------------------------------------------------------------- seasons


def season_history(rng: random.Random, first: date, days: int, peaks: dict[int, float]) -> dict[date, int]:
    daily: dict[date, int] = {}
    for n in range(days):
        d = first + timedelta(days=n)
        lam = 2.0 * peaks.get(d.month, 1.0)
        daily[d] = sum(1 for _ in range(40) if rng.random() < lam / 40)
    return daily


def test_a_month_that_comes_back_every_year_is_a_season() -> None:
    rng = random.Random(4)
    first, last = date(2024, 1, 1), date(2025, 12, 31)
    days = (last - first).days + 1
    found = seasonal_patterns(
        {"JY01": season_history(rng, first, days, {4: 4.0}), "CG05": season_history(rng, first, days, {})},
        first,
        last,
    )
    assert [(p.category_code, p.month) for p in found] == [("JY01", 4)]
    assert found[0].years == 2 and 2.5 < found[0].lift < 4.5
    assert season_text(found[0], "入学招生").startswith("每年 4 月 入学招生 ↑ ")


def test_one_year_is_not_a_season() -> None:
    rng = random.Random(5)
    first, last = date(2025, 1, 1), date(2025, 12, 31)
    daily = season_history(rng, first, 365, {4: 4.0})
    assert seasonal_patterns({"JY01": daily}, first, last) == []
    assert seasonal_patterns({"JY01": daily}, first, last, SeasonRules(min_years=1))[0].month == 4


def test_a_peak_in_one_year_only_is_not_a_season() -> None:
    rng = random.Random(6)
    first = date(2024, 1, 1)
    a = season_history(rng, first, 366, {7: 5.0})
    b = season_history(rng, date(2025, 1, 1), 365, {})
    assert seasonal_patterns({"LD03": {**a, **b}}, first, date(2025, 12, 31)) == []


def test_the_seasonal_factor_is_last_years_rise_and_one_without_a_year_of_orders() -> None:
    counts = [2] * 500
    monday = 480
    for i in range(monday - 364 - 7, monday - 364 + 14):
        counts[i] = 6  # a year ago these three weeks were three times as busy
    # the three weeks' rate over the rate of the 56 days before that week (its last 7 busy too)
    assert seasonal_factor(counts, monday) == pytest.approx((126.5 / 21) / (140.5 / 56))
    quiet_start = [0] * 300 + [2] * 200  # the platform started 200 days ago
    assert seasonal_factor(quiet_start, monday) == 1.0
    assert seasonal_factor(counts[:200], 190) == 1.0


# --------------------------------------------------------------------------- new hot issues

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _hours_ago(*hours: float) -> list[datetime]:
    return [NOW - timedelta(hours=h) for h in hours]


def test_a_brand_new_hot_issue_with_five_orders_in_a_day_grows_fast() -> None:
    growth = hot_issue_growth(NOW - timedelta(hours=20), NOW, _hours_ago(20, 15, 9, 3, 1))
    assert growth is not None
    assert (growth.recent, growth.before, growth.expected) == (5, 0, 0.5)
    assert growth.p_value == pytest.approx(poisson_sf(5, 0.5))
    assert growth_explanation("丽园小区 搅拌站 噪音", growth) == (
        "新热点「丽园小区 搅拌站 噪音」近 24 小时 5 件，此前每 24 小时约 0.5 件，共 5 件"
    )


def test_four_orders_in_a_day_are_not_yet_a_fast_growth() -> None:
    assert hot_issue_growth(NOW - timedelta(hours=20), NOW, _hours_ago(20, 15, 9, 3)) is None


def test_an_issue_growing_at_its_usual_rate_raises_nothing() -> None:
    steady = [NOW - timedelta(hours=h) for h in range(2, 6 * 24, 4)]  # six a day for six days
    assert hot_issue_growth(NOW - timedelta(days=6), NOW, steady) is None


def test_an_issue_first_seen_more_than_a_week_ago_is_not_new() -> None:
    burst = _hours_ago(1, 2, 3, 4, 5, 6, 7, 8)
    assert hot_issue_growth(NOW - timedelta(days=8), NOW, burst) is None
    assert hot_issue_growth(NOW - timedelta(days=6), NOW, burst) is not None


@given(
    st.lists(st.floats(min_value=0, max_value=7 * 24 - 1), max_size=60),
    st.floats(min_value=0, max_value=7 * 24),
)
def test_a_growth_found_always_meets_every_rule(hours: list[float], age: float) -> None:
    registered = [NOW - timedelta(hours=h) for h in hours]
    growth = hot_issue_growth(NOW - timedelta(hours=age), NOW, registered)
    if growth is None:
        return
    rules = DEFAULT_GROWTH_RULES
    assert growth.recent == sum(1 for h in hours if h < rules.recent_hours)
    assert growth.recent >= rules.min_recent and growth.recent >= rules.min_ratio * growth.expected
    assert growth.expected >= rules.floor and 0 <= growth.p_value <= rules.p_max
