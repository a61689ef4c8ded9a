"""`zhiyun worker`: the capabilities' scheduled jobs, run with APScheduler 3.

Every installed capability declares its jobs (`Capability.jobs`): the deadline sweep (orders)
every `interval` seconds, the dashboard's day rollup (analytics) every 5 minutes, missing
search words (orders) every minute, old duplicate-detection weights (dedupe) hourly. Each job
logs what it did and logs a failure instead of raising it. SIGINT and SIGTERM stop the
worker cleanly: a job in progress finishes its current transaction, then the process exits.

Several workers may run at once against one database (two for availability, say, or a
worker next to `zhiyun demo`): the sweep itself guarantees that no notice is doubled. It
claims each order's alert with a version-checked UPDATE (the loser of a race updates no
row and skips that order), and the notice table's unique key is a second guard. Running
more workers makes the sweep more available, not faster.

Within one worker each job has `max_instances=1` (a slow run is never overlapped by the
next) and `coalesce=True` (runs missed while the machine slept become one run).
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]

from zhiyun.bootstrap import Services
from zhiyun.capabilities import installed
from zhiyun.kernel.capability import Job, resolve

log = logging.getLogger("zhiyun.worker")


def scheduled_jobs() -> tuple[Job, ...]:
    """Every installed capability's jobs, in the registry's order."""
    return tuple(job for capability in installed() for job in capability.jobs)


def add_jobs(scheduler: BaseScheduler, services: Services, interval: float) -> None:
    """Schedule every job: those without their own period every `interval` seconds (the sweep).
    Never two runs of one job at once; missed runs fold into one; `at_once` jobs run at start."""
    if interval <= 0:
        raise ValueError("interval must be positive")
    for job in scheduled_jobs():
        seconds = job.every.total_seconds() if job.every is not None else interval
        scheduler.add_job(
            resolve(job.ref),
            "interval",
            seconds=seconds,
            args=[services],
            id=job.id,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(int(seconds), 1),
            replace_existing=True,
            **({"next_run_time": datetime.now(UTC)} if job.at_once else {}),
        )


def start_background_jobs(services: Services, interval: float) -> BackgroundScheduler:
    """The jobs in a background thread of this process (what `zhiyun demo` uses)."""
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    add_jobs(scheduler, services, interval)
    scheduler.start()
    return scheduler


def run_worker(services: Services, interval: float, *, handle_signals: bool = True) -> None:
    """Run the jobs (the sweep every `interval` seconds) until SIGINT or SIGTERM (or `scheduler.shutdown()`)."""
    scheduler = BlockingScheduler(timezone=UTC)
    add_jobs(scheduler, services, interval)
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


__all__ = ["add_jobs", "run_worker", "scheduled_jobs", "start_background_jobs"]
