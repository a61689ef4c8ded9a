"""The portal's scheduled job: forget throttle windows long over (logged, never raising)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.portal.service import PortalService

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger(__name__)


def prune_once(services: Services) -> None:
    try:
        removed = services.get(PortalService).prune(SCHEDULED_JOBS)
    except Exception:
        log.exception("portal throttle pruning failed")
        return
    if removed:
        log.info("portal: %d throttle windows forgotten", removed)
