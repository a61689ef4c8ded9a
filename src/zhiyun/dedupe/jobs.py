"""Duplicate detection's scheduled job: deleting weights older than the duplicate window."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zhiyun.domain.principals import SCHEDULED_JOBS

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")


def prune_once(services: Services) -> int | None:
    """Delete duplicate-detection weights older than the duplicate window; logged."""
    try:
        pruned = services.duplicates.prune_signatures(SCHEDULED_JOBS)
    except Exception:
        log.exception("pruning duplicate-detection weights failed; the next run will try again")
        return None
    log.info("duplicate-detection weights: %d old rows deleted", pruned)
    return pruned
