"""The orders' scheduled jobs: the deadline sweep and filling in missing search words.

Each job runs one pass, logs what it did, and logs an error instead of raising it: the
worker's next run tries again (zhiyun.worker schedules them from orders/capability.py)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.orders.search_backfill import SearchTextBackfill
from zhiyun.orders.sweep import SweepReport

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")

BACKFILL_PER_RUN = 20_000  # a minute's share: ~10 s of segmenting


def sweep_once(services: Services) -> SweepReport | None:
    """One deadline sweep, logged; an error is logged and the next run tries again."""
    started = time.perf_counter()
    try:
        report = services.sweep.run(SCHEDULED_JOBS)
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
