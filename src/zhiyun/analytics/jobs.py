"""The analytics' scheduled jobs: the dashboard's day rollup, and the reports of periods that ended."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from zhiyun.analytics.reports import ReportService
from zhiyun.domain.principals import SCHEDULED_JOBS

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")


def rollup_once(services: Services) -> bool:
    """Rebuild the leader dashboard's day rollup (the days before today); logged."""
    started = time.perf_counter()
    try:
        services.dashboard.refresh_rollup(SCHEDULED_JOBS)
    except Exception:
        log.exception("rebuilding the dashboard rollup failed; the next run will try again")
        return False
    log.info("dashboard rollup rebuilt (%.1f s)", time.perf_counter() - started)
    return True


def reports_once(services: Services) -> bool:
    """Make the reports of the day, week and month that have just ended (missing ones only); logged."""
    try:
        made = services.get(ReportService).make_due(SCHEDULED_JOBS)
    except Exception:
        log.exception("making the scheduled reports failed; the next run will try again")
        return False
    if made:
        log.info("made %d scheduled reports", made)
    return True
