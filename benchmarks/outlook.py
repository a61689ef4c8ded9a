"""Outlook speed: forecasts for every category × town series, and the daily detection.

    python benchmarks/outlook.py                 # in memory, then 300,000 orders on a throwaway PostgreSQL
    python benchmarks/outlook.py --no-pg         # in memory only
    python benchmarks/outlook.py --orders 100000

1. In memory (zhiyun.outlook.synthetic): 300,000 orders over 90 days in 7 towns × 60 categories
   (420 series), and a two-year history at the same daily rate; every series forecast for the
   next four weeks (`Forecaster.forecast_all`): `forecast_90d_s`, `forecast_2y_s`.
2. PostgreSQL (unless --no-pg): a throwaway database with the demo district's org tree, the
   default taxonomy and N orders over the last 90 days written with COPY (the generator of
   benchmarks/dashboard.py, its categories and towns), then the service calls as the console
   and the worker make them: `OutlookService.forecasts` for the district (the daily counts
   query, then every series: `forecast_s`, the issue's figure) and `OutlookService.detect`
   (yesterday, every series: `detect_s`).

The last line on stdout is the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.dashboard import BENCH_ADMIN, BENCH_SYSTEM, CHUNK, DAY, Routes, copy_orders, generate
from benchmarks.support import log, throwaway_postgres

from zhiyun.bootstrap import build_services
from zhiyun.demo import district as demo
from zhiyun.orders.service import reference_snapshot
from zhiyun.outlook.forecast import Forecaster
from zhiyun.outlook.service import OutlookService
from zhiyun.outlook.synthetic import synthetic_history
from zhiyun.reference.calendar_source import build_calendar
from zhiyun.store.migrate import upgrade


def in_memory(orders: int, seed: int) -> dict[str, Any]:
    calendar = build_calendar({}, [])
    last = date.today() - timedelta(days=1)
    result: dict[str, Any] = {}
    for label, days in (("90d", 90), ("2y", 730)):
        first = last - timedelta(days=days - 1)
        made = synthetic_history(calendar, first, days, total_orders=orders * days // 90, seed=seed)
        started = time.perf_counter()
        forecasts = Forecaster(calendar, first, last).forecast_all(made.series.values())
        elapsed = time.perf_counter() - started
        methods: dict[str, int] = {}
        for f in forecasts:
            methods[f.method] = methods.get(f.method, 0) + 1
        total = sum(s.total for s in made.series.values())
        log(f"  in memory, {days} days: {len(forecasts)} series, {total:,} orders, {elapsed:.1f} s {methods}")
        result[f"forecast_{label}_s"] = round(elapsed, 2)
        result[f"series_{label}"] = len(forecasts)
        result[f"orders_{label}"] = total
        result[f"methods_{label}"] = methods
    return result


def load(services: Any, orders: int, seed: int) -> float:
    """COPY `orders` orders registered over the last 90 days into work_order (seconds)."""
    org = reference_snapshot(services.orders).org
    routes = Routes(org)
    rng = np.random.default_rng(seed)
    now = int(datetime.now(UTC).timestamp())
    span = 90 * DAY
    registered = np.sort(now - span + (rng.random(orders) * span).astype(np.int64))
    chunks = (
        generate(rng, registered[first : first + CHUNK], first, routes, now)
        for first in range(0, orders, CHUNK)
    )
    return copy_orders(services, chunks)


def on_postgres(url: str, orders: int, seed: int) -> dict[str, Any]:
    services = build_services(url)
    try:
        upgrade(services.db)
        services.org.import_records(BENCH_ADMIN, demo.units())
        with services.db.engine.connect() as conn:
            present = conn.execute(text("SELECT count(*) FROM work_order")).scalar_one()
        load_s = None if present else round(load(services, orders, seed), 1)
        outlook = services.get(OutlookService)
        started = time.perf_counter()
        views = outlook.forecasts(BENCH_SYSTEM, limit=1000)
        forecast_s = time.perf_counter() - started
        log(f"  PostgreSQL: {len(views)} series forecast in {forecast_s:.1f} s (the counts query included)")
        started = time.perf_counter()
        detected = outlook.detect(BENCH_SYSTEM)
        detect_s = time.perf_counter() - started
        log(
            f"  PostgreSQL: detection of {detected.series} series in {detect_s:.1f} s, {detected.raised} warnings"
        )
        with services.db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM work_order")).scalar_one()
        return {
            "forecast_s": round(forecast_s, 2),
            "series": len(views),
            "detect_s": round(detect_s, 2),
            "detect_series": detected.series,
            "warnings_raised": detected.raised,
            "orders": int(stored),
            "load_seconds": load_s,
        }
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300_000, help="orders over 90 days (default 300,000)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--no-pg", action="store_true", help="the in-memory part only")
    parser.add_argument("--db", help="a PostgreSQL URL to use instead of a throwaway database")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"benchmark": "outlook", "cpus": os.cpu_count()}
    log("in memory …")
    report.update(in_memory(args.orders, args.seed))
    if not args.no_pg:
        if args.db:
            report.update(on_postgres(args.db, args.orders, args.seed))
        else:
            with throwaway_postgres() as url:
                report.update(on_postgres(url, args.orders, args.seed))
    else:
        report["forecast_s"] = report["forecast_90d_s"]
        report["series"] = report["series_90d"]
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
