"""`zhiyun worker`: the periodic deadline sweep, scheduled with APScheduler 3.

Every `interval` seconds the worker runs `DeadlineSweep.run()` once: orders entering the
warning zone of their sign-for or reply deadline are marked, orders past it are marked
overdue and each newly overdue order gets one urge notice (催办通知) for the unit that holds
it. Each run is logged with what it did. SIGINT and SIGTERM stop the worker cleanly: a
sweep in progress finishes its current transaction, then the process exits.

Several workers may run at once against one database (two for availability, say, or a
worker next to `zhiyun demo`): the sweep itself guarantees that no notice is doubled. It
claims each order's alert with a version-checked UPDATE (the loser of a race updates no
row and skips that order), and the notice table's unique key is a second guard. Running
more workers makes the sweep more available, not faster.

Within one worker the job has `max_instances=1` (a slow sweep is never overlapped by the
next) and `coalesce=True` (runs missed while the machine slept become one run).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor
from zhiyun.orders.search_backfill import SearchTextBackfill
from zhiyun.orders.sweep import SweepReport

log = logging.getLogger("zhiyun.worker")

JOB_ID = "deadline-sweep"
PRUNE_JOB_ID = "dedupe-signature-prune"
BACKFILL_JOB_ID = "search-text-backfill"
ROLLUP_JOB_ID = "dashboard-rollup"
ROLLUP_MINUTES = 5  # the dashboard answers from a rollup up to this old and rebuilds it after
BACKFILL_PER_RUN = 20_000  # a minute's share: ~10 s of segmenting
# Who the scheduled jobs act as: the system principal, with the rights of its jobs only
# (domain.access: may_run_sweep, may_run_housekeeping), never an administrator's.
WORKER = Actor.system("定时任务")


def sweep_once(services: Services) -> SweepReport | None:
    """One deadline sweep, logged; an error is logged and the next run tries again."""
    started = time.perf_counter()
    try:
        report = services.sweep.run(WORKER)
    except Exception:
        log.exception("deadline sweep failed; the next run will try again")
        return None
    log.info(
        "deadline sweep: %d warnings, %d overdue, %d urge notices, %d taken by another worker (%.2f s)",
        report.warnings,
        report.overdue,
        report.notices,
        report.skipped,
        time.perf_counter() - started,
    )
    return report


def _every(
    scheduler: BaseScheduler,
    job: Any,
    services: Services,
    job_id: str,
    name: str,
    *,
    at_once: bool,
    **every: float,
) -> None:
    """Schedule `job(services)` at an interval (`every`: seconds=…, minutes=… or hours=…), never
    two runs at once, missed runs folded into one; the first run at once or after one interval."""
    scheduler.add_job(
        job,
        "interval",
        args=[services],
        id=job_id,
        name=name,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
        **({"next_run_time": datetime.now(UTC)} if at_once else {}),
        **every,
    )


def add_sweep_job(scheduler: BaseScheduler, services: Services, interval: float) -> None:
    """Schedule the sweep every `interval` seconds, the first run at once."""
    if interval <= 0:
        raise ValueError("interval must be positive")
    scheduler.add_job(
        sweep_once,
        "interval",
        seconds=interval,
        args=[services],
        id=JOB_ID,
        name="deadline sweep",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(int(interval), 1),
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )


def prune_once(services: Services) -> int | None:
    """Delete duplicate-detection weights older than the duplicate window; logged."""
    try:
        pruned = services.duplicates.prune_signatures(WORKER)
    except Exception:
        log.exception("pruning duplicate-detection weights failed; the next run will try again")
        return None
    log.info("duplicate-detection weights: %d old rows deleted", pruned)
    return pruned


def backfill_once(services: Services, limit: int = BACKFILL_PER_RUN) -> int | None:
    """Search words for up to `limit` orders stored without them (bulk-imported history, say); logged."""
    try:
        filled = SearchTextBackfill(services.db).run(limit=limit)
    except Exception:
        log.exception("filling in search words failed; the next run will try again")
        return None
    if filled:
        log.info("search words filled in for %d orders", filled)
    return filled


def rollup_once(services: Services) -> bool:
    """Rebuild the leader dashboard's day rollup (the days before today); logged."""
    started = time.perf_counter()
    try:
        services.dashboard.refresh_rollup(WORKER)
    except Exception:
        log.exception("rebuilding the dashboard rollup failed; the next run will try again")
        return False
    log.info("dashboard rollup rebuilt (%.1f s)", time.perf_counter() - started)
    return True


def add_housekeeping_jobs(scheduler: BaseScheduler, services: Services) -> None:
    """Housekeeping: the dashboard's day rollup (every 5 minutes, the first at once), old
    duplicate-detection weights (hourly) and missing search words (every minute)."""
    _every(
        scheduler,
        rollup_once,
        services,
        ROLLUP_JOB_ID,
        "rebuild the dashboard rollup",
        at_once=True,
        minutes=ROLLUP_MINUTES,
    )
    _every(
        scheduler, backfill_once, services, BACKFILL_JOB_ID, "fill in search words", at_once=False, minutes=1
    )
    _every(
        scheduler,
        prune_once,
        services,
        PRUNE_JOB_ID,
        "prune duplicate-detection weights",
        at_once=False,
        hours=1,
    )


def start_background_sweep(services: Services, interval: float) -> BackgroundScheduler:
    """The sweep in a background thread of this process (what `zhiyun demo` uses)."""
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    add_sweep_job(scheduler, services, interval)
    add_housekeeping_jobs(scheduler, services)
    scheduler.start()
    return scheduler


def run_worker(services: Services, interval: float, *, handle_signals: bool = True) -> None:
    """Sweep every `interval` seconds until SIGINT or SIGTERM (or `scheduler.shutdown()`)."""
    scheduler = BlockingScheduler(timezone=UTC)
    add_sweep_job(scheduler, services, interval)
    add_housekeeping_jobs(scheduler, services)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            log.info("still finishing the running sweep…")
            return
        stopping.set()
        log.info("received %s: stopping after the running sweep, if any", signal.Signals(signum).name)
        # wait=True: a running sweep completes (its transaction commits) before the loop ends
        scheduler.shutdown(wait=True)

    previous: dict[signal.Signals, Any] = {}
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, stop)
    log.info("worker started: deadline sweep every %s s", interval)
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("worker stopped")


__all__ = ["JOB_ID", "add_sweep_job", "run_worker", "start_background_sweep", "sweep_once"]
