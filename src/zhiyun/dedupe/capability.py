"""What the dedupe capability registers: duplicate detection and decisions."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.kernel.capability import Capability, Command, Job

CAPABILITY = Capability(
    name="dedupe",
    summary="Duplicate detection at intake (text, place, caller, time) and the dispatcher's decisions on suspected duplicates.",
    commands=(Command("dedupe", "zhiyun.dedupe.cli:dedupe_app"),),
    jobs=(
        Job(
            "dedupe-signature-prune",
            "prune duplicate-detection weights",
            "zhiyun.dedupe.jobs:prune_once",
            timedelta(hours=1),
        ),
    ),
    panels=("zhiyun.dedupe.panel:duplicate_candidates",),
)
