"""The hot issues' scheduled job: one turn of the worker's tracker (`hotspots.tracker`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.hotspots.tracker import HotIssueTracker

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")


def refresh_once(services: Services) -> bool:
    """Take the new orders into the hot issues and store their ranking; logged, never raising."""
    try:
        services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    except Exception:
        log.exception("keeping the hot issues current failed; the next run will try again")
        return False
    return True
