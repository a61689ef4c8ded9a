"""Work-order throughput: N orders through the whole life cycle, through the service layer.

Each order is registered at the district center, dispatched to a town, signed for and
replied by the town, approved by the district (review) and called back as satisfied,
which closes it: six audited transitions per order. `--concurrency` threads each drive
their own orders, one service call (one transaction) per step.

    python benchmarks/workflow.py                       # throwaway PostgreSQL database
    python benchmarks/workflow.py --orders 500 --concurrency 8
    python benchmarks/workflow.py --db sqlite:///var/bench.db
    ZHIYUN_DATABASE_URL=postgresql://… python benchmarks/workflow.py

Without --db or ZHIYUN_DATABASE_URL it creates a fresh PostgreSQL database next to
ZHIYUN_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/test) and drops it at
the end, so it never touches real data. On a database you name, it adds its orders
(hand registrations in the "manual" channel, external ids "bench-<run id>-<n>") and, if the
database has no org structure yet, a small demo one.

Progress goes to stderr; the last line on stdout is one JSON object with
`transitions_per_s`, the count of orders and transitions, the wall time, the database
kind, the concurrency and the 50th/99th percentile latency of one step in milliseconds.
With `--baseline` it first measures the bare yardstick on a throwaway database
(`benchmarks/baseline.py`: one connection, a version-checked UPDATE and an audit INSERT
per transaction) and adds it and `ratio` (transitions_per_s over it): a shared machine's
speed drifts, the ratio much less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.baseline import yardstick
from benchmarks.support import admin_url, log, run_threads, throwaway_postgres

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings, database_url
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.channels import MANUAL
from zhiyun.domain.workorder import Callback, Dispatch, OrderType, Reply, Review, Satisfaction, Sign
from zhiyun.orders.service import NewOrder
from zhiyun.org.service import UnitRecord
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade
from zhiyun.store.tables import OrgUnitRow, TransitionRow, UserRow, WorkOrderRow

BENCH_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="基准测试")  # sets the stage up

BENCH_CHANNEL = MANUAL  # a dispatcher registers by hand: only the manual channel takes its ids
STEPS_PER_ORDER = 6  # register, dispatch, sign, reply, review, callback (closes)

# A small district, built here rather than imported from the tests.
DEMO_ORG: list[UnitRecord] = [
    UnitRecord("NH", "南海区", "district"),
    UnitRecord("GC", "桂城街道", "town", "NH"),
    UnitRecord("GC-XB", "夏北社区", "village", "GC"),
    UnitRecord("GC-PN", "平南社区", "village", "GC"),
    UnitRecord("DL", "大沥镇", "town", "NH"),
    UnitRecord("DL-YB", "盐步社区", "village", "DL"),
    UnitRecord("LS", "里水镇", "town", "NH"),
    UnitRecord("LS-HX", "和顺社区", "village", "LS"),
    UnitRecord("XQ", "西樵镇", "town", "NH"),
    UnitRecord("XQ-QJ", "樵镇社区", "village", "XQ"),
    UnitRecord("ZJJ", "区住建局", "department", "NH"),
]

TYPES = (OrderType.HELP, OrderType.COMPLAINT, OrderType.CONSULT, OrderType.SUGGESTION, OrderType.REPORT)


# --------------------------------------------------------------------------- database


# --------------------------------------------------------------------------- setup


@dataclass
class Cast:
    """The people the benchmark acts as: the district dispatcher and one dispatcher per town."""

    district: Actor
    towns: list[tuple[int, Actor]]  # (town unit id, the town's dispatcher)


def _ensure_user(services: Services, username: str, unit_code: str) -> Actor:
    with services.db.reading() as session:
        row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is not None:
            return Actor(row.id, Role(row.role), row.unit_id, row.display_name)
    user = services.accounts.add_user(
        BENCH_ADMIN,
        username=username,
        password=uuid.uuid4().hex,
        role=Role.DISPATCHER,
        unit_code=unit_code,
        display_name=username,
    )
    return user.actor()


def prepare(services: Services) -> Cast:
    """The org structure (the demo one if the database has none) and the acting dispatchers."""
    with services.db.reading() as session:
        has_org = session.scalar(select(func.count()).select_from(OrgUnitRow)) or 0
    if not has_org:
        services.org.import_records(BENCH_ADMIN, DEMO_ORG)
        log(f"created the demo org structure ({len(DEMO_ORG)} units)")
    with services.db.reading() as session:
        root = session.scalars(
            select(OrgUnitRow).where(OrgUnitRow.parent_id.is_(None), OrgUnitRow.active.is_(True))
        ).one()
        towns = list(
            session.scalars(
                select(OrgUnitRow)
                .where(
                    OrgUnitRow.parent_id == root.id, OrgUnitRow.kind == "town", OrgUnitRow.active.is_(True)
                )
                .order_by(OrgUnitRow.code)
            )
        )
        root_code = root.code
        town_codes = [(t.id, t.code) for t in towns]
    if not town_codes:
        raise SystemExit("the database's org structure has no town under the district")
    district = _ensure_user(services, f"bench-{root_code}".lower(), root_code)
    return Cast(
        district, [(tid, _ensure_user(services, f"bench-{code}".lower(), code)) for tid, code in town_codes]
    )


# --------------------------------------------------------------------------- the run


@dataclass
class WorkerResult:
    latencies: list[float] = field(default_factory=list)
    transitions: int = 0
    error: BaseException | None = None


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.lock = threading.Lock()
        self.step = max(total // 10, 1)
        self.started = time.perf_counter()

    def order_done(self) -> None:
        with self.lock:
            self.done += 1
            if self.done % self.step == 0 or self.done == self.total:
                elapsed = time.perf_counter() - self.started
                rate = self.done * STEPS_PER_ORDER / elapsed if elapsed else 0.0
                log(f"  {self.done}/{self.total} orders closed, {rate:,.0f} transitions/s")


def drive(
    services: Services, cast: Cast, indices: range, run_id: str, result: WorkerResult, progress: Progress
) -> None:
    """Take the orders numbered `indices` through the whole life cycle, one step at a time."""
    orders = services.orders
    latencies = result.latencies

    def timed(call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = call()
        latencies.append(time.perf_counter() - start)
        result.transitions += 1
        return value

    try:
        district = cast.district
        for i in indices:
            town_id, town = cast.towns[i % len(cast.towns)]
            new = NewOrder(
                title=f"压测工单 {i}",
                content=f"第 {i} 号压测工单：夏北路路灯不亮，请尽快处理。",
                order_type=TYPES[i % len(TYPES)],
                channel=BENCH_CHANNEL,
                external_id=f"{run_id}-{i}",
                citizen_name="张三",
                citizen_phone="13800138000",
            )
            registered = timed(lambda new=new: orders.register(district, new))
            oid = registered.order.summary.id
            timed(
                lambda oid=oid, town_id=town_id: orders.act(district, oid, Dispatch(target_unit_id=town_id))
            )
            timed(lambda oid=oid, town=town: orders.act(town, oid, Sign()))
            timed(lambda oid=oid, town=town: orders.act(town, oid, Reply(note="已处理完毕")))
            timed(lambda oid=oid: orders.act(district, oid, Review(approve=True)))
            closed = timed(
                lambda oid=oid: orders.act(district, oid, Callback(satisfaction=Satisfaction.SATISFIED))
            )
            if closed.summary.status != "closed":
                raise RuntimeError(f"order {oid} ended as {closed.summary.status}, not closed")
            progress.order_done()
    except BaseException as exc:
        result.error = exc


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def run(url: str, n_orders: int, concurrency: int) -> dict[str, Any]:
    db = Database(url, pool_size=max(concurrency, 5))
    upgrade(db)
    services = build_services(db, Settings())
    try:
        cast = prepare(services)
        run_id = f"bench-{uuid.uuid4().hex[:8]}"
        # warm the reference cache and the connection pool outside the measurement
        with services.db.reading() as session:
            services.orders.reference.get(session)
        log(f"{n_orders} orders × {STEPS_PER_ORDER} steps on {db.dialect}, {concurrency} threads")
        chunks = [range(k, n_orders, concurrency) for k in range(concurrency)]
        results = [WorkerResult() for _ in chunks]
        progress = Progress(n_orders)
        threads = [
            threading.Thread(target=drive, args=(services, cast, chunk, run_id, res, progress), daemon=True)
            for chunk, res in zip(chunks, results, strict=True)
        ]
        seconds = run_threads(threads)
        for res in results:
            if res.error is not None:
                raise res.error
        transitions = sum(r.transitions for r in results)
        with services.db.reading() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(TransitionRow)
                .join(WorkOrderRow, WorkOrderRow.id == TransitionRow.order_id)
                .where(WorkOrderRow.external_id.like(f"{run_id}-%"))
            )
        if stored != transitions:
            raise RuntimeError(f"{transitions} steps taken but {stored} audit rows stored")
        latencies = sorted(x for r in results for x in r.latencies)
        return {
            "benchmark": "workflow",
            "transitions_per_s": round(transitions / seconds, 1),
            "orders": n_orders,
            "transitions": transitions,
            "seconds": round(seconds, 3),
            "database": db.dialect,
            "concurrency": concurrency,
            "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else 0.0,
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        }
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders to take through (default 2000)")
    parser.add_argument("--concurrency", type=int, default=4, help="threads, each with its own orders")
    parser.add_argument(
        "--db",
        help="a database URL or SQLite path (default: ZHIYUN_DATABASE_URL, else a throwaway PostgreSQL database)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="measure the bare UPDATE + audit INSERT yardstick first and report the ratio",
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.concurrency < 1:
        parser.error("--orders and --concurrency must be positive")
    bare = yardstick("update_audit") if args.baseline else None
    target = args.db or os.environ.get("ZHIYUN_DATABASE_URL")
    if target:
        report = run(database_url(target), args.orders, args.concurrency)
    else:
        admin = admin_url()
        with throwaway_postgres(admin) as url:
            report = run(url, args.orders, args.concurrency)
    if bare is not None:
        report.update(bare, ratio=round(report["transitions_per_s"] / bare["update_audit_tx_per_s"], 3))
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
