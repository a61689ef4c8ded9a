"""Forecasts of the next weeks' orders per series (category × town), with intervals for counts.

The model (docs/outlook.md): a generalized linear model with a log link, fitted by statsmodels —

    log E[y_t] = β₀ + day-of-week + holiday + make-up workday (调休)
                 [+ annual Fourier terms, sin/cos(2πk·t/365.25), k = 1, 2, and a linear trend,
                  with a year of history or more]

first as a Poisson GLM; the negative-binomial dispersion α is then estimated from its residuals
(the Cameron–Trivedi moment regression ((y−μ)² − y) = α·μ² + e) and, when it is above zero, the
GLM is refitted with the negative-binomial family at that α. The mean is exp(…) and so never
negative; the interval of a day and of a week is the negative binomial's central quantiles
(Poisson's when α is 0), so never negative either and never a fraction.

A sparse series (fewer than `MIN_ORDERS` orders or `MIN_ACTIVE_DAYS` days with orders in its
history), or one whose fit fails, gets a simple rate: its mean per working and per other day
over the last `RATE_DAYS` days, with Poisson intervals (method "rate").

The design matrix depends only on the calendar, so it is built once for all series of a history.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from zhiyun.domain.calendar import WorkCalendar
from zhiyun.domain.outlook import DailySeries, DayKind, SeriesKey, baseline, day_kinds

log = logging.getLogger("zhiyun.outlook")

HORIZON_DAYS = 28
LEVEL = 0.9  # the intervals' central probability
MIN_ORDERS = 60
MIN_ACTIVE_DAYS = 20
RATE_DAYS = 56
ANNUAL_DAYS = 365  # history from which the annual terms and the trend are fitted
MAX_ALPHA = 5.0

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WeekForecast:
    """The forecast of one week (seven days from `first`): the expected orders and the interval."""

    first: date
    mean: float
    low: int
    high: int


@dataclass(frozen=True)
class Forecast:
    """The forecast of one series for the days after its history: per day and per week."""

    key: SeriesKey
    first: date
    mean: tuple[float, ...]
    low: tuple[int, ...]
    high: tuple[int, ...]
    weeks: tuple[WeekForecast, ...]
    alpha: float
    method: str  # "negbin-glm", "poisson-glm" or "rate"

    def day(self, n: int) -> date:
        return self.first + timedelta(days=n)


def design(kinds: Sequence[DayKind], first: date, origin: date, annual: bool) -> Floats:
    """The design matrix of the days from `first`: intercept, day of week (Monday the
    reference), holiday, make-up workday, and with `annual` two Fourier pairs and a trend in
    years since `origin`."""
    n = len(kinds)
    offset = (first - origin).days
    t = np.arange(offset, offset + n, dtype=np.float64)
    weekday = (np.arange(n) + first.weekday()) % 7
    columns: list[Floats] = [np.ones(n)]
    columns += [(weekday == d).astype(np.float64) for d in range(1, 7)]
    columns.append(np.array([k is DayKind.HOLIDAY for k in kinds], dtype=np.float64))
    columns.append(np.array([k is DayKind.MAKEUP for k in kinds], dtype=np.float64))
    if annual:
        for harmonic in (1, 2):
            angle = 2 * math.pi * harmonic * t / 365.25
            columns += [np.sin(angle), np.cos(angle)]
        columns.append(t / 365.25)
    return np.column_stack(columns)


def _intervals(mean: Floats, alpha: float, level: float) -> tuple[Floats, Floats]:
    tail = (1 - level) / 2
    if alpha <= 1e-6:
        low = stats.poisson.ppf(tail, mean)
        high = stats.poisson.ppf(1 - tail, mean)
    else:
        size = 1.0 / alpha
        p = size / (size + mean)
        low = stats.nbinom.ppf(tail, size, p)
        high = stats.nbinom.ppf(1 - tail, size, p)
    return np.maximum(np.nan_to_num(low), 0.0), np.maximum(np.nan_to_num(high), 0.0)


def _weeks(first: date, mean: Floats, alpha: float, level: float) -> tuple[WeekForecast, ...]:
    weeks: list[WeekForecast] = []
    for start in range(0, len(mean) - 6, 7):
        part = mean[start : start + 7]
        total = float(part.sum())
        variance = float((part + alpha * part * part).sum())
        week_alpha = max(0.0, (variance - total) / (total * total)) if total > 0 else 0.0
        low, high = _intervals(np.array([total]), week_alpha, level)
        weeks.append(WeekForecast(first + timedelta(days=start), total, int(low[0]), int(high[0])))
    return tuple(weeks)


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread: each fit solves a small least-squares problem
    (days × ~14 columns) several times, and OpenBLAS's threads, spun up for each, cost 3–4 times
    the work itself on a busy two-core machine (measured: 60 ms a series against 17 ms)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


class Forecaster:
    """Forecasts every series of one history (same first and last day) over one calendar."""

    def __init__(
        self,
        calendar: WorkCalendar,
        first: date,
        last: date,
        horizon: int = HORIZON_DAYS,
        level: float = LEVEL,
    ) -> None:
        self.first = first
        self.last = last
        self.horizon = horizon
        self.level = level
        days = (last - first).days + 1
        self.kinds = day_kinds(calendar, first, days)
        self.future_kinds = day_kinds(calendar, last + timedelta(days=1), horizon)
        self.annual = days >= ANNUAL_DAYS
        self.x = design(self.kinds, first, first, self.annual)
        self.x_future = design(self.future_kinds, last + timedelta(days=1), first, self.annual)

    def forecast(self, series: DailySeries) -> Forecast:
        """The forecast of one series whose history is this forecaster's (in a loop, inside
        `one_blas_thread()`, as `forecast_all` does)."""
        if series.first != self.first or len(series.counts) != len(self.kinds):
            raise ValueError("the series does not span the forecaster's history")
        y = np.asarray(series.counts, dtype=np.float64)
        if y.sum() >= MIN_ORDERS and int((y > 0).sum()) >= MIN_ACTIVE_DAYS:
            fitted = self._glm(y)
            if fitted is not None:
                mean, alpha, method = fitted
                return self._result(series.key, mean, alpha, method)
        return self._rate(series)

    def forecast_all(self, series: Iterable[DailySeries]) -> list[Forecast]:
        """Every series' forecast, with BLAS on one thread (see `one_blas_thread`)."""
        with one_blas_thread():
            return [self.forecast(s) for s in series]

    def _glm(self, y: Floats) -> tuple[Floats, float, str] | None:
        import statsmodels.api as sm  # imported when a forecast is made: a second at start-up

        x = self.x
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
                mu = np.asarray(poisson.fittedvalues, dtype=np.float64)
                denominator = float((mu * mu).sum())
                alpha = float(((y - mu) ** 2 - y).sum()) / denominator if denominator > 0 else 0.0
                alpha = min(MAX_ALPHA, max(0.0, alpha))
                params = np.asarray(poisson.params, dtype=np.float64)
                method = "poisson-glm"
                if alpha > 1e-3:
                    family = sm.families.NegativeBinomial(alpha=alpha)
                    nb = sm.GLM(y, x, family=family).fit(start_params=params)
                    params = np.asarray(nb.params, dtype=np.float64)
                    method = "negbin-glm"
            eta = self.x_future @ params
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            log.info("the GLM did not fit (%s): a simple rate instead", exc)
            return None
        if not np.all(np.isfinite(eta)):
            return None
        # a forecast far above anything seen is an extrapolation gone wrong: a rate instead
        mean = np.exp(np.clip(eta, -20.0, 20.0))
        if float(mean.max()) > 3 * float(y.max()) + 10:
            return None
        return mean, alpha, method

    def _rate(self, series: DailySeries) -> Forecast:
        start = max(0, len(series.counts) - RATE_DAYS)
        base = baseline(series.counts[start:], self.kinds[start:])
        mean = np.array([base.working if k.working else base.resting for k in self.future_kinds])
        return self._result(series.key, mean, 0.0, "rate")

    def _result(self, key: SeriesKey, mean: Floats, alpha: float, method: str) -> Forecast:
        low, high = _intervals(mean, alpha, self.level)
        start = self.last + timedelta(days=1)
        return Forecast(
            key=key,
            first=start,
            mean=tuple(float(m) for m in mean),
            low=tuple(int(v) for v in low),
            high=tuple(int(v) for v in high),
            weeks=_weeks(start, mean, alpha, self.level),
            alpha=alpha,
            method=method,
        )


__all__ = ["HORIZON_DAYS", "LEVEL", "Forecast", "Forecaster", "WeekForecast", "design"]
