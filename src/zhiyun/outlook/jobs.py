"""The outlook's scheduled job: the surge detection (预警) and the watch on new hot issues."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.outlook.service import OutlookService

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.outlook")

DETECTOR = Actor.system("预警检测")


def detect_daily(services: Services) -> None:
    """Test yesterday (the last whole day) and today so far for surges. Run every ten minutes: the first run
    after midnight raises yesterday's last warnings; today's are raised as soon as today's count
    so far stands out against a whole day's expectation (a conservative test: the day is not
    over) and brought up to date while they are still raised. One warning per town × category ×
    window × period, so a run that finds nothing new adds nothing. Then the new hot issues growing
    fast (one warning per hot issue). Logged, never raising."""
    outlook = services.get(OutlookService)
    today = services.clock().astimezone(LOCAL_TZ).date()
    for day in (today - timedelta(days=1), today):
        try:
            result = outlook.detect(DETECTOR, day)
        except Exception:
            log.exception("outlook detection of %s failed", day)
            continue
        if result.raised or result.updated:
            log.info(
                "outlook detection of %s: %d series, %d warnings raised, %d updated (%.1f s)",
                result.day,
                result.series,
                result.raised,
                result.updated,
                result.seconds,
            )
    try:
        watched = outlook.watch_hot_issues(DETECTOR)
    except Exception:
        log.exception("watching the new hot issues failed")
        return
    if watched.raised or watched.updated:
        log.info(
            "new hot issues: %d looked at, %d warnings raised, %d updated",
            watched.issues,
            watched.raised,
            watched.updated,
        )
