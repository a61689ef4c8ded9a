"""Leader dashboard speed: every dashboard query over 1,000,000 orders on PostgreSQL.

    python benchmarks/dashboard.py                      # 1,000,000 orders, throwaway PostgreSQL
    python benchmarks/dashboard.py --orders 200000 --runs 5

It creates a throwaway PostgreSQL database next to ZHIYUN_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test), runs the migrations, loads the demo district's
org tree (72 units) and then N orders spread over the last 365 days, generated with numpy
and written with COPY straight into `work_order` (the import path, `zhiyun import
orders`, stores historical orders without deadlines or sign-for times, and the rates need
them): every channel, town, village and department, every status (older orders mostly
closed, recent ones still being handled, a few stuck and overdue), sign-for and reply
deadlines with some late, callbacks with every rating, a few categories rising this
week. Audit rows and the involvement table are not written: the dashboard reads neither.
Loading is not timed as part of the result (its seconds are reported).

Then, after VACUUM ANALYZE, it rebuilds the day rollup (zhiyun.analytics.rollup; three
times, `rollup_refresh_ms` is the median: the work a refresh does every few minutes, not
on a dashboard request) and times every query a dashboard request runs
(`DashboardQueries` with the rollup: live volume, backlog, rising categories and today,
rollup for the days before) for two viewers (the district leader and a town dispatcher,
whose queries carry the scope filter): 2 warm-up runs, then --runs timed runs each.
`max_query_ms` is the largest per-query MEDIAN; `max_single_ms` the slowest single run;
`dashboard_ms` the median of the whole service call (all queries plus assembly) for the
leader. The last line on stdout is the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.support import log, throwaway_postgres

from zhiyun.analytics.dashboard import DashboardQueries, Scope, scope_for
from zhiyun.analytics.periods import Windows
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import database_url
from zhiyun.demo import district as demo
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.orders.service import reference_snapshot
from zhiyun.store.migrate import upgrade

BENCH_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="基准测试")  # sets the stage up
BENCH_SYSTEM = Actor.system("基准测试")  # runs what the worker runs

CHANNELS = {
    "12345": 45,
    "district_hotline": 20,
    "grid": 14,
    "police_110": 8,
    "city_mgmt_hotline": 6,
    "online_opinion": 4,
    "people_first": 3,
    "iot_sensing": 2,
}
TYPES = {"complaint": 30, "help": 30, "consult": 20, "report": 8, "suggestion": 10, "praise": 2}
REPLY_DAYS = {"consult": 3, "help": 14, "suggestion": 14, "complaint": 21, "report": 21, "praise": 7}
SATISFACTION = {"satisfied": 70, "basically_satisfied": 15, "unsatisfied": 7, "unreachable": 5, "": 3}
TITLES = ("路灯不亮", "垃圾堆积", "噪音扰民", "占道经营", "道路积水", "违章停车", "油烟扰民", "井盖缺失")
CATEGORIES = 60
DAY = 86_400
COLUMNS = (
    "number",
    "channel",
    "title",
    "content",
    "order_type",
    "urgency",
    "category_code",
    "town_unit_id",
    "village_unit_id",
    "location_source",
    "possible_duplicate",
    "confidential",
    "status",
    "chain",
    "registered_unit_id",
    "current_unit_id",
    "responsible_unit_id",
    "registered_at",
    "first_dispatched_at",
    "signed_at",
    "replied_at",
    "closed_at",
    "sign_due_at",
    "sign_warn_at",
    "sign_limit_unit",
    "sign_budget_seconds",
    "sign_provisional",
    "reply_due_at",
    "reply_warn_at",
    "reply_limit_unit",
    "reply_budget_seconds",
    "reply_provisional",
    "sign_alert",
    "reply_alert",
    "extension_count",
    "reopen_count",
    "rework_count",
    "return_count",
    "callback_attempts",
    "urge_count",
    "satisfaction",
    "supervised",
    "has_instruction",
    "version",
    "created_at",
    "updated_at",
)


def _pick(rng: np.random.Generator, weights: dict[str, int], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _ts(seconds: np.ndarray, valid: np.ndarray) -> list[str]:
    """Epoch seconds as PostgreSQL text timestamps (naive UTC), \\N where not valid."""
    stamps = seconds.astype("datetime64[s]").astype(str)
    return np.where(valid, stamps, "\\N").tolist()


class Routes:
    """The demo district's units, for routing generated orders."""

    def __init__(self, org: OrgTree) -> None:
        self.root = org.root().id
        self.towns = [u.id for u in org.units.values() if u.kind is UnitKind.TOWN]
        self.villages = {
            t: [c for c in org.children[t] if org.units[c].kind is UnitKind.VILLAGE] for t in self.towns
        }
        self.departments = [
            u.id for u in org.units.values() if u.kind is UnitKind.DEPARTMENT and u.parent_id == self.root
        ]
        self.subunits = {d: org.children.get(d, []) for d in self.departments}


def registration_times(rng: np.random.Generator, n: int, now: int) -> np.ndarray:
    """`n` registration instants over the last 365 days, in time order (as orders arrive).

    Recent days are a little busier (the platform grows); weekends quieter.
    """
    span = 365 * DAY
    registered = now - span + (rng.power(1.3, n) * span).astype(np.int64)
    weekday = ((registered + 8 * 3600) // DAY + 3) % 7  # 0 = Monday
    moved = (weekday >= 5) & (rng.random(n) < 0.4)
    registered = np.where(moved, registered - 2 * DAY, registered)
    return np.sort(np.minimum(registered, now - 60))


def generate(
    rng: np.random.Generator, registered: np.ndarray, start: int, routes: Routes, now: int
) -> list[str]:
    """Orders registered at `registered` as lines of COPY text (numbers from `start`)."""
    n = len(registered)
    order_type = _pick(rng, TYPES, n)
    channel = _pick(rng, CHANNELS, n)
    urgent = rng.random(n) < 0.04
    # categories: Zipf-like, three of them rising in the last 7 days
    cat = np.minimum(rng.zipf(1.4, n) - 1, CATEGORIES - 1)
    recent = registered > now - 7 * DAY
    surge = recent & (rng.random(n) < 0.12)
    cat = np.where(surge, rng.choice([7, 19, 33], n), cat)
    category = np.array([f"C{c // 20 + 1:02d}-{c:03d}" for c in range(CATEGORIES)], dtype=object)[cat]
    category = np.where(rng.random(n) < 0.03, None, category)

    # routes: registered at the district (85%) or a town; to a town's village (70%) or a department
    n_towns = len(routes.towns)
    town = np.array(routes.towns)[rng.integers(0, n_towns, n)]
    village = np.array([routes.villages[t][rng.integers(0, len(routes.villages[t]))] for t in town])
    to_department = rng.random(n) < 0.3
    dept = np.array(routes.departments)[rng.integers(0, len(routes.departments), n)]
    at_town = (rng.random(n) < 0.15) & ~to_department

    # the life cycle, in seconds after registration
    intake_resolved = (order_type == "consult") & (rng.random(n) < 0.4)
    dispatched = registered + rng.exponential(1800, n).astype(np.int64) + 60
    sign_due = dispatched + np.where(urgent, 3600, DAY)
    signed = dispatched + rng.lognormal(np.log(3 * 3600), 0.9, n).astype(np.int64)
    reply_limit = np.vectorize(REPLY_DAYS.get)(order_type).astype(np.int64) * DAY
    reply_due = dispatched + np.where(urgent, DAY, reply_limit)
    replied = signed + (rng.lognormal(np.log(3 * DAY), 0.8, n)).astype(np.int64)
    replied = np.where(intake_resolved, registered + 300, replied)
    reviewed = replied + rng.integers(600, DAY, n)
    closed = reviewed + rng.integers(3600, 3 * DAY, n)
    stuck = rng.random(n) < 0.004  # never replied: the old overdue backlog
    suspended = rng.random(n) < 0.01
    fate = rng.random(n)
    cancelled = fate < 0.04
    merged = (fate >= 0.04) & (fate < 0.06)
    satisfaction = _pick(rng, SATISFACTION, n)

    d_done = (dispatched <= now) & ~intake_resolved
    s_done = d_done & (signed <= now)
    r_done = (replied <= now) & ~stuck & (s_done | intake_resolved)
    v_done = r_done & (reviewed <= now)
    c_done = v_done & (closed <= now)
    ended = cancelled | merged
    end_at = registered + rng.integers(600, 2 * DAY, n)
    ended &= end_at <= now

    status = np.full(n, "pending_dispatch", dtype=object)
    status = np.where(d_done, "dispatched", status)
    status = np.where(s_done, np.where(suspended, "suspended", "in_progress"), status)
    status = np.where(r_done, "replied", status)
    status = np.where(v_done, "awaiting_callback", status)
    status = np.where(c_done, "closed", status)
    status = np.where(ended, np.where(cancelled, "cancelled", "merged"), status)

    lines: list[str] = []
    reg_s = _ts(registered, np.ones(n, dtype=bool))
    disp_s = _ts(dispatched, d_done)
    sign_due_s = _ts(sign_due, d_done)
    sign_warn_s = _ts(sign_due - 4 * 3600, d_done)
    signed_s = _ts(signed, s_done)
    reply_due_s = _ts(reply_due, d_done)
    reply_warn_s = _ts(reply_due - DAY, d_done)
    replied_s = _ts(replied, r_done & ~ended)
    closed_at = np.where(ended, end_at, closed)
    closed_s = _ts(closed_at, c_done | ended)
    now_s = _ts(np.full(n, now), np.ones(n, dtype=bool))
    for i in range(n):
        st = status[i]
        if at_town[i]:
            reg, first = int(town[i]), int(village[i])
        else:
            reg = routes.root
            first = int(dept[i]) if to_department[i] else int(town[i])
        if d_done[i]:
            if reg == routes.root and not to_department[i]:
                chain = [reg, first, int(village[i])]
            else:
                chain = [reg, first]
            responsible = str(chain[1])
        else:
            chain = [reg]
            responsible = "\\N"
        sat = satisfaction[i] if st == "closed" and satisfaction[i] else "\\N"
        has_deadline = d_done[i]
        lines.append(
            "\t".join(
                (
                    f"B{start + i:010d}",
                    channel[i],
                    TITLES[i % len(TITLES)],
                    "市民来电反映问题，请尽快核查处理。",
                    order_type[i],
                    "urgent" if urgent[i] else "normal",
                    category[i] or "\\N",
                    str(int(town[i])),
                    str(int(village[i])),
                    "gps",
                    "f",
                    "f",
                    st,
                    json.dumps(chain),
                    str(reg),
                    str(chain[-1]),
                    responsible,
                    reg_s[i],
                    disp_s[i],
                    signed_s[i],
                    replied_s[i],
                    closed_s[i],
                    sign_due_s[i],
                    sign_warn_s[i],
                    ("hours" if urgent[i] else "workdays") if has_deadline else "\\N",
                    "28800" if has_deadline else "\\N",
                    "f",
                    reply_due_s[i],
                    reply_warn_s[i],
                    ("hours" if urgent[i] else "workdays") if has_deadline else "\\N",
                    "288000" if has_deadline else "\\N",
                    "f",
                    "",
                    "",
                    "0",
                    "0",
                    "0",
                    "0",
                    "0",
                    "0",
                    sat,
                    "f",
                    "f",
                    "1",
                    now_s[i],
                    now_s[i],
                )
            )
        )
    return lines


def load(services: Services, orders: int, seed: int) -> float:
    """COPY `orders` generated orders into work_order; returns the seconds it took."""
    org = reference_snapshot(services.orders).org
    routes = Routes(org)
    rng = np.random.default_rng(seed)
    now = int(datetime.now(UTC).timestamp())
    started = time.perf_counter()
    registered = registration_times(rng, orders, now)
    chunks = (
        generate(rng, registered[first : first + CHUNK], first, routes, now)
        for first in range(0, orders, CHUNK)
    )
    copy_orders(services, chunks)
    return time.perf_counter() - started


CHUNK = 100_000  # orders written with one COPY


def copy_orders(services: Services, chunks: Iterable[list[str]], columns: Sequence[str] = COLUMNS) -> float:
    """COPY each chunk of lines (tab-separated `columns`) into work_order, committed chunk by
    chunk, then VACUUM (ANALYZE) it; seconds taken."""
    started = time.perf_counter()
    loaded = 0
    raw = services.db.engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        copy_sql = f"COPY work_order ({', '.join(columns)}) FROM STDIN"
        for lines in chunks:
            with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                copy.write("\n".join(lines) + "\n")
            conn.commit()
            loaded += len(lines)
            log(f"  loaded {loaded:,} orders ({time.perf_counter() - started:.0f} s)")
        # the steady state of a live table: autovacuum has set the visibility map and statistics
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) work_order")
    finally:
        raw.close()
    return time.perf_counter() - started


def time_queries(
    services: Services, scopes: dict[str, Scope], runs: int, *, rolled: bool
) -> dict[str, dict[str, float]]:
    """Per viewer and query: median and max milliseconds of `runs` warm runs."""
    results: dict[str, dict[str, float]] = {}
    windows = Windows.at(datetime.now(UTC))
    with services.db.engine.connect() as conn:
        for viewer, scope in scopes.items():
            queries = DashboardQueries(scope, windows, services.db.dialect, rolled=rolled)
            for name in queries.names:
                stmt = queries.statement(name)
                for _ in range(2):
                    conn.execute(stmt).all()
                timings = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    conn.execute(stmt).all()
                    timings.append((time.perf_counter() - t0) * 1000)
                key = f"{viewer}.{name}"
                results[key] = {
                    "median_ms": round(statistics.median(timings), 1),
                    "max_ms": round(max(timings), 1),
                }
                log(
                    f"  {key:40s} median {results[key]['median_ms']:8.1f} ms  max {results[key]['max_ms']:8.1f} ms"
                )
            conn.rollback()
    return results


def run(url: str, orders: int, runs: int, seed: int) -> dict[str, Any]:
    services = build_services(url)
    try:
        upgrade(services.db)
        services.org.import_records(BENCH_ADMIN, demo.units())  # an upsert: a second run changes nothing
        log(f"the demo district's org tree ({len(demo.units())} units)")
        with services.db.engine.connect() as conn:
            present = conn.execute(text("SELECT count(*) FROM work_order")).scalar_one()
        load_seconds = None
        if present:
            log(f"the database already holds {present:,} orders: timing them as they are")
        else:
            log(f"loading {orders:,} orders …")
            load_seconds = round(load(services, orders, seed), 1)
        org = reference_snapshot(services.orders).org
        town = next(u for u in org.units.values() if u.kind is UnitKind.TOWN)
        leader = Actor(user_id=1, role=Role.LEADER, unit_id=org.root().id)
        dispatcher = Actor(user_id=2, role=Role.DISPATCHER, unit_id=town.id)
        scopes = {"district": scope_for(leader, org), "town": scope_for(dispatcher, org)}
        refreshes = []
        for _ in range(3):
            t0 = time.perf_counter()
            services.dashboard.refresh_rollup(BENCH_SYSTEM)
            refreshes.append((time.perf_counter() - t0) * 1000)
        log(f"  day rollup rebuilt in {statistics.median(refreshes):.0f} ms (median of 3)")
        timings = time_queries(services, scopes, runs, rolled=True)
        whole = []
        for i in range(runs + 2):
            t0 = time.perf_counter()
            services.dashboard.dashboard(leader)
            if i >= 2:
                whole.append((time.perf_counter() - t0) * 1000)
        with services.db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM work_order")).scalar_one()
        slowest = max(timings, key=lambda k: timings[k]["median_ms"])
        return {
            "benchmark": "dashboard",
            "max_query_ms": max(t["median_ms"] for t in timings.values()),
            "max_query_ms_is": "the largest per-query median of warm runs",
            "slowest_query": slowest,
            "max_single_ms": max(t["max_ms"] for t in timings.values()),
            "dashboard_ms": round(statistics.median(whole), 1),
            "rollup_refresh_ms": round(statistics.median(refreshes), 1),
            "orders": int(stored),
            "load_seconds": load_seconds,
            "runs": runs,
            "database": services.db.dialect,
            "cpus": os.cpu_count(),
            "queries": {k: v["median_ms"] for k, v in timings.items()},
        }
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per query (default 7)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--db",
        help="a PostgreSQL database URL to use instead of a throwaway one; "
        "when it already holds orders they are timed as they are (no loading)",
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.runs < 1:
        parser.error("--orders and --runs must be positive")
    if args.db:
        report = run(database_url(args.db), args.orders, args.runs, args.seed)
    else:
        with throwaway_postgres() as url:
            report = run(url, args.orders, args.runs, args.seed)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
