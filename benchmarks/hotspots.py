"""Hot issues and forecasts on PostgreSQL at the platform's scale (issue 19's benchmark).

    python benchmarks/hotspots.py                     # 300,000 orders over 90 days, throwaway PostgreSQL
    python benchmarks/hotspots.py --orders 50000 --adds 500

The stage: a throwaway PostgreSQL database with the demo district's org tree and N orders over
the last 90 days written with COPY — the life cycles, categories, towns and villages of
benchmarks/dashboard.py's generator, and the words and callers of benchmarks/hotspots_assign.py's
made-up order-like messages (civic matters at 3,000 made-up places, each place in one village of
the district; one in five orders in a burst of one matter at one place), in time order. Then, as the worker and the console do it:

- `rebuild_s`: `HotIssueTracker.rebuild` — every order of the window read from the database,
  grouped, ranked and the top 100 stored (the issue's target: < 120 s);
- `assign_p99_ms`: `--adds` new orders written, then one `HotIssueTracker.refresh` turn takes them
  in: the 99th percentile of one order's grouping (target: < 50 ms), and `turn_s`, the whole turn
  (reading them, grouping, ranking, storing);
- `forecast_s`: `OutlookService.forecasts` for the district — the daily counts of every category ×
  town, and a four-week forecast of each series (target: < 60 s).

Progress goes to stderr; the last line on stdout is one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.dashboard import BENCH_ADMIN, BENCH_SYSTEM, CHUNK, COLUMNS, DAY, Routes, copy_orders, generate
from benchmarks.hotspots_assign import make_orders
from benchmarks.support import log, throwaway_postgres

from zhiyun.bootstrap import build_services
from zhiyun.demo import district as demo
from zhiyun.hotspots.tracker import HotIssueTracker
from zhiyun.orders.service import reference_snapshot
from zhiyun.outlook.service import OutlookService
from zhiyun.store.migrate import upgrade

TITLE, CONTENT = COLUMNS.index("title"), COLUMNS.index("content")
TOWN, VILLAGE = COLUMNS.index("town_unit_id"), COLUMNS.index("village_unit_id")


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def load(services: Any, count: int, first_number: int, start: int, end: int, seed: int) -> float:
    """COPY `count` orders registered between the epoch seconds `start` and `end` (seconds taken)."""
    org = reference_snapshot(services.orders).org
    routes = Routes(org)
    rng = np.random.default_rng(seed)
    registered = np.sort(start + (rng.random(count) * (end - start)).astype(np.int64))
    messages = make_orders(count, seed=seed)  # in time order, as `registered`
    now = int(datetime.now(UTC).timestamp())
    # a made-up place lies in one village (and its town), as intake would have located it
    villages = [(town, village) for town in routes.towns for village in routes.villages[town]]

    def chunks() -> Iterator[list[str]]:
        for first in range(0, count, CHUNK):
            lines = []
            batch = generate(rng, registered[first : first + CHUNK], first_number + first, routes, now)
            for i, line in enumerate(batch):
                fields = line.split("\t")
                message = messages[first + i]
                fields[TITLE] = _copy_text(message.title)[:300]
                fields[CONTENT] = _copy_text(message.text)
                town, village = villages[zlib.crc32(message.places[0].encode()) % len(villages)]
                fields[TOWN], fields[VILLAGE] = str(town), str(village)
                fields.append(_copy_text(message.caller or "\\N"))
                lines.append("\t".join(fields))
            yield lines

    return copy_orders(services, chunks(), (*COLUMNS, "citizen_phone"))


def run(url: str, orders: int, adds: int, seed: int) -> dict[str, Any]:
    services = build_services(url)
    try:
        upgrade(services.db)
        services.org.import_records(BENCH_ADMIN, demo.units())
        now = int(datetime.now(UTC).timestamp())
        load_s = load(services, orders, 0, now - 90 * DAY, now - 600, seed)
        tracker = services.get(HotIssueTracker)
        report = tracker.rebuild(BENCH_SYSTEM)
        log(f"  rebuild: {report.added:,} orders, {report.ranked} issues ranked in {report.seconds:.1f} s")
        load(services, adds, orders, now - 300, now - 1, seed + 1)
        turn = tracker.refresh(BENCH_SYSTEM)
        log(
            f"  turn: {turn.added} new orders, one order's grouping p99 {turn.assign_p99_ms:.2f} ms "
            f"(max {turn.assign_max_ms:.1f} ms), the turn {turn.seconds:.1f} s"
        )
        started = time.perf_counter()
        views = services.get(OutlookService).forecasts(BENCH_SYSTEM, limit=1000)
        forecast_s = time.perf_counter() - started
        log(f"  forecasts: {len(views)} series in {forecast_s:.1f} s (the counts query included)")
        with services.db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM work_order")).scalar_one()
        return {
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "orders": int(stored),
            "load_s": round(load_s, 1),
            "ranked": report.ranked,
            "new_orders": turn.added,
            "turn_s": round(turn.seconds, 2),
            "series": len(views),
            "rebuild_s": round(report.seconds, 1),
            "assign_p99_ms": round(turn.assign_p99_ms, 2),
            "forecast_s": round(forecast_s, 2),
        }
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300_000, help="orders over 90 days (default 300,000)")
    parser.add_argument("--adds", type=int, default=1_000, help="new orders taken in by one turn")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--db", help="an empty PostgreSQL database's URL (default: a throwaway one)")
    args = parser.parse_args(argv)
    if args.db:
        result = run(args.db, args.orders, args.adds, args.seed)
    else:
        with throwaway_postgres() as url:
            result = run(url, args.orders, args.adds, args.seed)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
