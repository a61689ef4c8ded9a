"""The worker's patrol job: plan the month's merged patrols when it has no plan yet.

Every hour (and at start): the current month is planned if it never was; from the 25th on,
the next month too, so that the workers' phones have their tasks on its first morning. A month
is planned once by the job (`PatrolService.plan_recorded`); planning again is a person's
decision (`zhiyun grid plan --month`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zhiyun.domain.calendar import local_date
from zhiyun.domain.grid_items import Period
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.grid.patrol_service import PatrolService

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")

PLAN_AHEAD_FROM_DAY = 25


def months_due(today_month: Period, day_of_month: int) -> list[Period]:
    """The months the job should have planned by now: this one, and from the 25th the next."""
    months = [today_month]
    if day_of_month >= PLAN_AHEAD_FROM_DAY:
        following = today_month.end
        months.append(Period.month(following.year, following.month))
    return months


def plan_when_due(services: Services) -> bool:
    """Plan each month due that has no recorded plan; logged. False when a plan failed."""
    patrols = services.get(PatrolService)
    today = local_date(services.clock())
    ok = True
    for period in months_due(Period.month(today.year, today.month), today.day):
        if patrols.plan_recorded(period) is not None:
            continue
        try:
            report = patrols.plan(SCHEDULED_JOBS, period)
        except Exception:
            log.exception("planning the patrols of %s failed; the next run will try again", period.start)
            ok = False
            continue
        p = report.plan
        log.info(
            "patrols of %s planned: %d tasks (%d saved by merging, %.1f%%) in %.1f s",
            period.start.strftime("%Y-%m"),
            p.tasks_made,
            p.tasks_saved,
            100 * p.share_saved,
            report.total_s,
        )
    return ok


def count_district_figures(services: Services) -> bool:
    """Count this month's patrol figures of the whole district for the dashboard's panel
    (`PatrolFiguresService.record_district_snapshot`); logged. False when it failed."""
    import time

    from zhiyun.grid.patrol_figures import PatrolFiguresService

    today = local_date(services.clock())
    started = time.perf_counter()
    try:
        services.get(PatrolFiguresService).record_district_snapshot(
            SCHEDULED_JOBS, Period.month(today.year, today.month)
        )
    except Exception:
        log.exception("counting the district's patrol figures failed; the next run will try again")
        return False
    log.info("district patrol figures counted (%.1f s)", time.perf_counter() - started)
    return True


__all__ = ["PLAN_AHEAD_FROM_DAY", "count_district_figures", "months_due", "plan_when_due"]
