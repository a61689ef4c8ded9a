"""The outlook's scheduled job: the daily surge detection (预警)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zhiyun.domain.access import Actor
from zhiyun.outlook.service import OutlookService

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.outlook")

DETECTOR = Actor.system("预警检测")


def detect_daily(services: Services) -> None:
    """Test yesterday (the last whole day) for surges. Run hourly: the first run after midnight
    raises the day's warnings; the later ones find them raised already and add nothing
    (one warning per town × category × window × period). Logged, never raising."""
    try:
        result = services.get(OutlookService).detect(DETECTOR)
    except Exception:
        log.exception("outlook detection failed")
        return
    if result.raised or result.updated:
        log.info(
            "outlook detection of %s: %d series, %d warnings raised, %d updated (%.1f s)",
            result.day,
            result.series,
            result.raised,
            result.updated,
            result.seconds,
        )
