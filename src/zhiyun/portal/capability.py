"""What the portal capability registers: the citizens' pages at /portal, its tables, its
service and the worker's job that forgets throttle windows long over."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.kernel.capability import Capability, Job, Mount

CAPABILITY = Capability(
    name="portal",
    summary="The citizens' portal (市民门户, /portal): report a problem with photos and a map click, track it by number and phone digits, rate the result (the callback); no login, throttled.",
    tables=("zhiyun.portal.tables",),
    services=("zhiyun.portal.service:build",),
    pages=(Mount("zhiyun.portal.pages:router"),),
    jobs=(
        Job(
            "portal-throttles",
            "forget the portal's throttle windows that ended more than a day ago",
            "zhiyun.portal.jobs:prune_once",
            timedelta(hours=1),
        ),
    ),
    templates=True,
)
