"""Seasons and early warning (季节提示, 预警; issue 19 parts 3 and 4): the pure rules.

- **Series.** Orders are counted per local day for each (category, town) pair: a `DailySeries`
  holds one count per calendar day, zero days included. Each day has a kind on the working-day
  calendar (`day_kind`): a working day, a make-up working day (调休: a weekend day that is
  worked, so counted as a working day), a weekend day or a statutory holiday.
- **Baseline.** What a day is expected to hold (`baseline`): the mean count of the days of the
  same sort (working / not working) in the `lookback` days before the window under test, and a
  negative-binomial dispersion fitted to those days by the method of moments (zero: Poisson).
  The window under test is left out of its own baseline (the current week is never in it).
- **Season.** With more than a year of history the baseline is scaled by the category's
  `seasonal_factor`: how much busier the same weeks were a year before than the weeks before
  them, towns pooled (an April of enrolment questions is no surge when every April is so).
- **Surge tests** (`detect`), both for small counts:
  1. an upper-tail test of the day's and the calendar week's count (Monday to the day) against
     the baseline's negative binomial (Poisson when the dispersion is zero): a warning when
     P(X ≥ observed) ≤ `p_max` and at least `min_count` orders were counted;
  2. a CUSUM on the standardized residuals of the last `cusum_days` days,
     S_t = max(0, S_{t-1} + z_t − k); a warning when S crosses `cusum_h` on the day and the
     days of its run hold at least `min_count` orders and `min_ratio` times what was expected.
  Each test needs `min_history` days before the week under test; a sparser series is not tested.
- **Explanation** (`explanation`): 「桂城街道 噪音扰民 本周 42 件，预期 15 ± 6」, the ± being one
  standard deviation of the expected count.
- **Seasonal pattern** (`seasonal_patterns`): a month whose daily rate of a category is well
  above the category's average in every year seen, with enough years and orders to mean
  something: 「每年 4 月 入学招生 ↑ 2.3×」.

Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from zhiyun.domain.calendar import WorkCalendar
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.lifecycle import TransitionTable

__all__ = [
    "DEFAULT_GROWTH_RULES",
    "DEFAULT_RULES",
    "DEFAULT_SEASON_RULES",
    "WARNING_STEPS",
    "DailySeries",
    "DayKind",
    "DetectionRules",
    "Expectation",
    "GrowthRules",
    "HotIssueGrowth",
    "SeasonRules",
    "SeasonalPattern",
    "SeriesKey",
    "Signal",
    "WarningAction",
    "WarningStatus",
    "Window",
    "baseline",
    "build_series",
    "category_totals",
    "cusum",
    "day_kind",
    "day_kinds",
    "detect",
    "dismiss_reason",
    "explanation",
    "growth_explanation",
    "hot_issue_growth",
    "negbin_quantile",
    "negbin_sf",
    "poisson_sf",
    "proactive_title",
    "season_text",
    "seasonal_factor",
    "seasonal_patterns",
    "week_start",
    "window_label",
]


# --------------------------------------------------------------------------- the calendar


class DayKind(StrEnum):
    """A day on the working-day calendar."""

    WORKDAY = "workday"
    MAKEUP = "makeup"  # 调休: a weekend day that is worked
    WEEKEND = "weekend"
    HOLIDAY = "holiday"

    @property
    def working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP)

    @property
    def label(self) -> str:
        return {"workday": "工作日", "makeup": "调休上班", "weekend": "周末", "holiday": "节假日"}[self.value]


def day_kind(calendar: WorkCalendar, day: date) -> DayKind:
    """The kind of `day`: the admins' override first, then make-up workdays, holidays, weekends."""
    weekend = day.weekday() >= 5
    if calendar.is_workday(day):
        return DayKind.MAKEUP if weekend else DayKind.WORKDAY
    if day in calendar.holidays or (not weekend and day in calendar.overrides):
        return DayKind.HOLIDAY
    return DayKind.WEEKEND


def day_kinds(calendar: WorkCalendar, first: date, days: int) -> tuple[DayKind, ...]:
    """The kinds of the `days` days from `first`."""
    return tuple(day_kind(calendar, first + timedelta(days=n)) for n in range(days))


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


# --------------------------------------------------------------------------- series


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One series: a category (its code) in a town (the town's unit id)."""

    category_code: str
    town_unit_id: int


@dataclass(frozen=True)
class DailySeries:
    """The orders of one series registered on each local day from `first` (zero days included)."""

    key: SeriesKey
    first: date
    counts: tuple[int, ...]

    @property
    def last(self) -> date:
        return self.first + timedelta(days=len(self.counts) - 1)

    @property
    def total(self) -> int:
        return sum(self.counts)

    def index(self, day: date) -> int:
        return (day - self.first).days

    def count_on(self, day: date) -> int:
        i = self.index(day)
        return self.counts[i] if 0 <= i < len(self.counts) else 0


def build_series(
    rows: Iterable[tuple[str, int, date, int]], first: date, last: date
) -> dict[SeriesKey, DailySeries]:
    """Daily series from (category code, town unit id, local day, count) rows; days outside
    [first, last] are left out, days without a row count zero."""
    days = (last - first).days + 1
    if days <= 0:
        return {}
    arrays: dict[SeriesKey, list[int]] = {}
    for category, town, day, count in rows:
        i = (day - first).days
        if not 0 <= i < days:
            continue
        key = SeriesKey(category, town)
        counts = arrays.get(key)
        if counts is None:
            counts = arrays[key] = [0] * days
        counts[i] += int(count)
    return {key: DailySeries(key, first, tuple(counts)) for key, counts in sorted(arrays.items())}


def category_totals(series: Iterable[DailySeries]) -> dict[str, list[int]]:
    """Each category's daily orders with the towns pooled (series of one span)."""
    totals: dict[str, list[int]] = {}
    for s in series:
        pooled = totals.get(s.key.category_code)
        if pooled is None:
            totals[s.key.category_code] = list(s.counts)
        else:
            for i, c in enumerate(s.counts):
                pooled[i] += c
    return totals


# --------------------------------------------------------------------------- count distributions


def _poisson_logpmf(x: int, mu: float) -> float:
    return x * math.log(mu) - mu - math.lgamma(x + 1)


def _negbin_logpmf(x: int, mu: float, alpha: float) -> float:
    r = 1.0 / alpha
    return (
        math.lgamma(x + r)
        - math.lgamma(r)
        - math.lgamma(x + 1)
        + r * math.log(r / (r + mu))
        + x * math.log(mu / (r + mu))
    )


TINY_MEAN = 1e-12  # below it a count is zero
TINY_ALPHA = 1e-6  # below it a negative binomial is a Poisson


def _logpmf(x: int, mu: float, alpha: float) -> float:
    return _negbin_logpmf(x, mu, alpha) if alpha > TINY_ALPHA else _poisson_logpmf(x, mu)


def negbin_sf(k: int, mean: float, alpha: float = 0.0) -> float:
    """P(X ≥ k) for X negative-binomial with this mean and dispersion (variance mean + α·mean²);
    Poisson when α is 0."""
    if k <= 0:
        return 1.0
    if mean <= TINY_MEAN:
        return 0.0
    if k > mean:  # the upper tail, summed directly (accurate for tiny probabilities)
        total = 0.0
        x = k
        while True:
            term = math.exp(_logpmf(x, mean, alpha))
            total += term
            if term < 1e-17 * max(total, 1e-300) or (term == 0.0 and x > k):
                break
            x += 1
            if x - k > 100_000:
                break
        return min(1.0, total)
    below = sum(math.exp(_logpmf(x, mean, alpha)) for x in range(k))
    return max(0.0, 1.0 - below)


def poisson_sf(k: int, mean: float) -> float:
    """P(X ≥ k) for X Poisson with this mean."""
    return negbin_sf(k, mean, 0.0)


def negbin_quantile(q: float, mean: float, alpha: float = 0.0) -> int:
    """The smallest x with P(X ≤ x) ≥ q (never negative)."""
    if not 0 < q < 1:
        raise ValueError("q must lie in (0, 1)")
    if mean <= TINY_MEAN:
        return 0
    cdf = 0.0
    x = 0
    while True:
        cdf += math.exp(_logpmf(x, mean, alpha))
        if cdf >= q or x > 10 * mean + 1000:
            return x
        x += 1


# --------------------------------------------------------------------------- the baseline


@dataclass(frozen=True)
class Expectation:
    """What a day (or a window of days) is expected to hold: a mean and a negative-binomial
    dispersion α (variance = mean + α·mean²; 0: Poisson)."""

    mean: float
    alpha: float = 0.0

    @property
    def variance(self) -> float:
        return self.mean + self.alpha * self.mean * self.mean

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance)

    def interval(self, level: float = 0.95) -> tuple[int, int]:
        """The central interval of the count at `level` (never negative)."""
        tail = (1 - level) / 2
        return negbin_quantile(tail, self.mean, self.alpha), negbin_quantile(1 - tail, self.mean, self.alpha)

    @staticmethod
    def total(parts: Sequence[Expectation]) -> Expectation:
        """The expectation of a sum of independent days: means and variances add; α is chosen
        so that the sum's variance is kept."""
        mean = sum(p.mean for p in parts)
        if mean <= 0:
            return Expectation(0.0)
        variance = sum(p.variance for p in parts)
        return Expectation(mean, max(0.0, (variance - mean) / (mean * mean)))


MIN_MEAN = 0.02  # a day's floor: a quiet series still has a small chance of an order


@dataclass(frozen=True)
class Baseline:
    """Expected count per day sort (working or not), with one dispersion."""

    working: float
    resting: float
    alpha: float
    days: int  # how many days it was fitted on

    def on(self, kind: DayKind, factor: float = 1.0) -> Expectation:
        mean = (self.working if kind.working else self.resting) * factor
        return Expectation(max(mean, MIN_MEAN), self.alpha)


def baseline(counts: Sequence[int], kinds: Sequence[DayKind], max_alpha: float = 2.0) -> Baseline:
    """The baseline of the days given (counts and their kinds, the window under test left out):
    the mean of the working and of the other days (one sort shrunk towards the other, weighted
    by the overall working/rest ratio, when it has fewer than four days), and the method of
    moments' negative-binomial dispersion of the days around those means."""
    if len(counts) != len(kinds):
        raise ValueError("counts and kinds differ in length")
    work = [c for c, k in zip(counts, kinds, strict=True) if k.working]
    rest = [c for c, k in zip(counts, kinds, strict=True) if not k.working]
    overall = (sum(counts) + 0.5) / (len(counts) + 1)
    w_mean = (sum(work) + overall) / (len(work) + 1)
    r_mean = (sum(rest) + overall) / (len(rest) + 1)
    means = [w_mean if k.working else r_mean for k in kinds]
    square = sum((c - m) ** 2 for c, m in zip(counts, means, strict=True))
    excess = square - sum(means)
    denominator = sum(m * m for m in means)
    alpha = min(max_alpha, max(0.0, excess / denominator)) if denominator > 0 else 0.0
    return Baseline(w_mean, r_mean, alpha, len(counts))


# --------------------------------------------------------------------------- the surge tests


def cusum(z: Iterable[float], k: float = 0.5) -> list[float]:
    """The one-sided upper CUSUM of standardized residuals: S_t = max(0, S_{t-1} + z_t − k)."""
    path: list[float] = []
    s = 0.0
    for value in z:
        s = max(0.0, s + value - k)
        path.append(s)
    return path


class Window(StrEnum):
    """The span a warning counts: one day, or the calendar week to the day."""

    DAY = "day"
    WEEK = "week"
    HOT = "hot"  # a new hot issue growing fast: its last 24 hours

    @property
    def label(self) -> str:
        return {"day": "单日", "week": "本周", "hot": "新热点"}[self.value]


@dataclass(frozen=True)
class DetectionRules:
    """The thresholds of the surge tests (docs/outlook.md says how they were chosen)."""

    lookback: int = 56  # days of baseline before the week under test
    min_history: int = 21  # fewer days of history before the week: no test (three of each weekday)
    p_max: float = 1e-5  # the tail test's level (hundreds of series are tested every day)
    min_count: int = 5  # a warning needs at least this many orders in its window
    min_ratio: float = 1.5  # … and this many times the expected
    cusum_k: float = 0.5
    cusum_h: float = 10.0
    cusum_days: int = 14


DEFAULT_RULES = DetectionRules()


@dataclass(frozen=True)
class Signal:
    """A surge found in one series: its window and period (the day, or the week's Monday), the
    days counted, what was counted and expected, and the tests that fired."""

    key: SeriesKey
    window: Window
    period_start: date
    last_day: date
    observed: int
    expected: Expectation
    p_value: float
    methods: tuple[str, ...]
    cusum: float | None = None
    interval: tuple[int, int] = field(default=(0, 0))


def _tail_method(alpha: float) -> str:
    return "negbin" if alpha > TINY_ALPHA else "poisson"


def detect(
    series: DailySeries,
    kinds: Sequence[DayKind],
    day: date,
    rules: DetectionRules = DEFAULT_RULES,
    factor: float = 1.0,
) -> list[Signal]:
    """The surges of `series` found on `day` (its count known in full): at most one for the day
    (the tail test and/or the CUSUM) and one for the week to the day (the tail test, from its
    second day). `kinds` are the kinds of the series' days (same length and first day);
    `factor` scales the baseline (`seasonal_factor` of the week, 1: none)."""
    if len(kinds) != len(series.counts):
        raise ValueError("kinds and counts differ in length")
    monday = week_start(day)
    end = series.index(day)
    stop = series.index(monday)
    if end >= len(series.counts) or stop < rules.min_history:
        return []
    start = max(0, stop - rules.lookback)
    base = baseline(series.counts[start:stop], kinds[start:stop])
    found: list[Signal] = []

    # the day: tail test and CUSUM
    expected = base.on(kinds[end], factor)
    observed = series.counts[end]
    p_day = negbin_sf(observed, expected.mean, expected.alpha)
    methods: list[str] = []
    if _enough(observed, expected.mean, rules) and p_day <= rules.p_max:
        methods.append(_tail_method(expected.alpha))
    first = max(0, end - rules.cusum_days + 1)
    run_expectations = [base.on(kinds[i], factor) for i in range(first, end + 1)]
    z = [
        (series.counts[i] - e.mean) / e.sd
        for i, e in zip(range(first, end + 1), run_expectations, strict=True)
    ]
    path = cusum(z, rules.cusum_k)
    s_today = path[-1]
    s_before = path[-2] if len(path) > 1 else 0.0
    if s_today > rules.cusum_h >= s_before:
        run = len(path)
        while run > 0 and path[run - 1] > 0:
            run -= 1
        seen = sum(series.counts[first + i] for i in range(run, len(path)))
        due = sum(e.mean for e in run_expectations[run:])
        if _enough(seen, due, rules):
            methods.append("cusum")
    if methods:
        found.append(
            Signal(
                series.key,
                Window.DAY,
                day,
                day,
                observed,
                expected,
                p_day,
                tuple(methods),
                cusum=s_today,
                interval=expected.interval(),
            )
        )

    # the week to the day
    if end > stop:
        week = Expectation.total([base.on(kinds[i], factor) for i in range(stop, end + 1)])
        counted = sum(series.counts[stop : end + 1])
        p_week = negbin_sf(counted, week.mean, week.alpha)
        if _enough(counted, week.mean, rules) and p_week <= rules.p_max:
            found.append(
                Signal(
                    series.key,
                    Window.WEEK,
                    monday,
                    day,
                    counted,
                    week,
                    p_week,
                    (_tail_method(week.alpha),),
                    interval=week.interval(),
                )
            )
    return found


YEAR_DAYS = 364  # 52 weeks: the same weekdays a year before
MIN_SEASON_ORDERS = 10
MAX_FACTOR = 4.0


def seasonal_factor(
    counts: Sequence[int], monday_index: int, lookback: int = DEFAULT_RULES.lookback
) -> float:
    """How much busier the week at `monday_index` was, a year before, than the baseline's days
    before it: (orders a day in the three weeks around that week 52 weeks back) ÷ (orders a day
    in the `lookback` days before them), each with half an order of prior, kept within
    [1/4, 4]. `counts` are the category's daily orders across the district (towns pooled, so the
    ratio rests on enough orders); 1 when the history does not reach back that far or holds
    fewer than MIN_SEASON_ORDERS orders in the days before them."""
    then = monday_index - YEAR_DAYS
    if then - lookback < 0 or then + 14 > len(counts):
        return 1.0
    around = counts[then - 7 : then + 14]
    before = counts[then - lookback : then]
    if sum(before) < MIN_SEASON_ORDERS:  # too few orders a year back (or no platform yet) to say
        return 1.0
    ratio = ((sum(around) + 0.5) / len(around)) / ((sum(before) + 0.5) / len(before))
    return min(MAX_FACTOR, max(1 / MAX_FACTOR, ratio))


def _enough(observed: int, expected: float, rules: DetectionRules) -> bool:
    return observed >= rules.min_count and observed >= rules.min_ratio * expected


# --------------------------------------------------------------------------- explanations


def _figure(value: float, whole: bool) -> str:
    if whole:
        return str(round(value))
    return f"{value:.1f}".rstrip("0").rstrip(".") or "0"


def window_label(window: Window, period_start: date, today: date) -> str:
    """「今日」「昨日」「12月6日」 for a day (and a new hot issue's day); 「本周」「上周」「12月1日当周」
    for a week."""
    if window is not Window.WEEK:
        if period_start == today:
            return "今日"
        if period_start == today - timedelta(days=1):
            return "昨日"
        return f"{period_start.month}月{period_start.day}日"
    if period_start == week_start(today):
        return "本周"
    if period_start == week_start(today) - timedelta(days=7):
        return "上周"
    return f"{period_start.month}月{period_start.day}日当周"


def explanation(area: str, category: str, label: str, observed: int, expected: Expectation) -> str:
    """「桂城街道 噪音扰民 本周 42 件，预期 15 ± 6」."""
    whole = expected.mean >= 10  # whole numbers from ten on, one decimal below
    mean, sd = _figure(expected.mean, whole), _figure(expected.sd, whole)
    return f"{area} {category} {label} {observed} 件，预期 {mean} ± {sd}"


# --------------------------------------------------------------------------- new hot issues


@dataclass(frozen=True)
class GrowthRules:
    """When a hot issue counts as new and growing fast (docs/outlook.md)."""

    new_days: int = 7  # first seen within this many days
    recent_hours: int = 24  # the window its growth is counted in
    min_recent: int = 5  # orders in that window, at least
    min_ratio: float = 3.0  # … and this many times what its rate before would give
    floor: float = 0.5  # the least expected in the window (a brand-new issue has no rate before)
    p_max: float = 1e-3  # the Poisson upper tail of the window's count, at most


DEFAULT_GROWTH_RULES = GrowthRules()


@dataclass(frozen=True)
class HotIssueGrowth:
    """A hot issue's last window against its rate before."""

    recent: int  # orders in the last `recent_hours`
    before: int  # orders before them
    expected: float  # what its rate before gives for the window (at least the floor)
    p_value: float  # P(X ≥ recent) for X Poisson with that mean


def hot_issue_growth(
    first_at: datetime,
    now: datetime,
    registered: Iterable[datetime],
    rules: GrowthRules = DEFAULT_GROWTH_RULES,
) -> HotIssueGrowth | None:
    """The growth of a hot issue first seen at `first_at` whose orders were registered at
    `registered`, when it is new (first seen within `new_days` of `now`) and grows fast: at least
    `min_recent` orders in the last `recent_hours`, `min_ratio` times and beyond the Poisson tail
    `p_max` of what its rate before (orders a window from its first order to the window's start,
    at least one window long) would give. None otherwise."""
    if now - first_at > timedelta(days=rules.new_days):
        return None
    window = timedelta(hours=rules.recent_hours)
    cutoff = now - window
    times = [t for t in registered if t <= now]
    recent = sum(1 for t in times if t > cutoff)
    before = len(times) - recent
    spans = max((cutoff - first_at) / window, 1.0)
    expected = max(before / spans, rules.floor)
    if recent < rules.min_recent or recent < rules.min_ratio * expected:
        return None
    p_value = poisson_sf(recent, expected)
    if p_value > rules.p_max:
        return None
    return HotIssueGrowth(recent, before, round(expected, 3), p_value)


def growth_explanation(title: str, growth: HotIssueGrowth, hours: int = 24) -> str:
    """「新热点「丽发新城 搅拌站 噪音」近 24 小时 12 件，此前每 24 小时约 0.5 件，共 15 件」."""
    total = growth.recent + growth.before
    expected = _figure(growth.expected, growth.expected >= 10)
    return f"新热点「{title}」近 {hours} 小时 {growth.recent} 件，此前每 {hours} 小时约 {expected} 件，共 {total} 件"


# --------------------------------------------------------------------------- the seasons


@dataclass(frozen=True)
class SeasonRules:
    """When a month counts as a season of a category."""

    min_lift: float = 1.5  # the month's daily rate over the category's average, over the years seen
    min_lift_each_year: float = 1.2  # … and at least this in every year
    min_years: int = 2  # years in which the month was seen (mostly) whole
    min_orders: int = 30  # orders of the category in that month, over those years
    min_month_days: int = 20  # days of a month that must be covered for it to count


DEFAULT_SEASON_RULES = SeasonRules()


@dataclass(frozen=True)
class SeasonalPattern:
    """A month in which a category comes back every year well above its average."""

    category_code: str
    month: int
    lift: float  # mean over the years of (the month's daily rate ÷ the category's daily rate)
    years: int
    orders: int


def seasonal_patterns(
    daily: Mapping[str, Mapping[date, int]],
    first: date,
    last: date,
    rules: SeasonRules = DEFAULT_SEASON_RULES,
) -> list[SeasonalPattern]:
    """The seasons of each category, from its orders per day over [first, last] (days without
    orders count zero), strongest first."""
    covered: dict[tuple[int, int], int] = {}
    day = first
    while day <= last:
        covered[(day.year, day.month)] = covered.get((day.year, day.month), 0) + 1
        day += timedelta(days=1)
    total_days = (last - first).days + 1
    if total_days <= 0:
        return []
    found: list[SeasonalPattern] = []
    for category, per_day in daily.items():
        by_month: dict[tuple[int, int], int] = {}
        total = 0
        for d, count in per_day.items():
            if first <= d <= last:
                by_month[(d.year, d.month)] = by_month.get((d.year, d.month), 0) + count
                total += count
        if total == 0:
            continue
        rate = total / total_days
        for month in range(1, 13):
            lifts: list[float] = []
            orders = 0
            for (year, m), days in covered.items():
                if m != month or days < rules.min_month_days:
                    continue
                count = by_month.get((year, m), 0)
                lifts.append((count / days) / rate)
                orders += count
            if len(lifts) < rules.min_years or orders < rules.min_orders:
                continue
            lift = sum(lifts) / len(lifts)
            if lift >= rules.min_lift and min(lifts) >= rules.min_lift_each_year:
                found.append(SeasonalPattern(category, month, round(lift, 2), len(lifts), orders))
    found.sort(key=lambda p: (-p.lift, p.category_code, p.month))
    return found


def season_text(pattern: SeasonalPattern, category_name: str) -> str:
    """「每年 4 月 入学招生 ↑ 2.3×」."""
    return f"每年 {pattern.month} 月 {category_name} ↑ {pattern.lift:.1f}×"


# --------------------------------------------------------------------------- a warning's life cycle


class WarningStatus(StrEnum):
    """Where a warning stands: raised by the detection, acknowledged by the center, turned into
    a proactive order (未诉先办) or dismissed with a reason."""

    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    ORDERED = "ordered"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"raised": "待处理", "acknowledged": "已知悉", "ordered": "已转工单", "dismissed": "已排除"}[
            self.value
        ]


class WarningAction(StrEnum):
    """What is done to a warning."""

    RAISE = "raise"
    ACKNOWLEDGE = "acknowledge"
    ORDER = "order"
    DISMISS = "dismiss"

    @property
    def label(self) -> str:
        return {
            "raise": "发出预警",
            "acknowledge": "确认知悉",
            "order": "转为未诉先办工单",
            "dismiss": "排除",
        }[self.value]


S_ = WarningStatus
A_ = WarningAction
WARNING_STEPS: TransitionTable[WarningStatus, WarningAction] = TransitionTable(
    {
        (S_.RAISED, A_.ACKNOWLEDGE): {S_.ACKNOWLEDGED},
        (S_.RAISED, A_.ORDER): {S_.ORDERED},
        (S_.RAISED, A_.DISMISS): {S_.DISMISSED},
        (S_.ACKNOWLEDGED, A_.ORDER): {S_.ORDERED},
        (S_.ACKNOWLEDGED, A_.DISMISS): {S_.DISMISSED},
    }
)
"""raised → acknowledged → ordered | dismissed (a raised warning may be ordered or dismissed at
once); ordered and dismissed are final."""

REASON_MAX = 500


def dismiss_reason(text: str | None) -> str:
    """A dismissal's reason, required (1–500 characters once trimmed)."""
    reason = (text or "").strip()
    if not reason:
        raise ValidationFailed("排除预警须填写原因", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"原因不能超过 {REASON_MAX} 个字", field="reason")
    return reason


def proactive_title(area: str, category: str) -> str:
    """The proactive order's title: 「未诉先办：桂城街道 噪音扰民 诉求激增」."""
    return f"未诉先办：{area} {category} 诉求激增"
