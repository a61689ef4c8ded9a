"""The worker's verification job: escalate the verification tasks (核实) past their due time.

Every minute: a pending task not answered by its due time goes once to its village's center
(late again after the village reassigned it, to the town's), where it shows on the dispatchers'
list (`VerificationService.escalate_due`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.sensing.verification import VerificationService

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")


def escalate_late_tasks(services: Services) -> bool:
    """Escalate the late tasks; logged. False when it failed (the next run tries again)."""
    try:
        done = services.get(VerificationService).escalate_due(SCHEDULED_JOBS)
    except Exception:
        log.exception("escalating late verification tasks failed; the next run will try again")
        return False
    if done:
        log.info("%d late verification task(s) escalated", done)
    return True


__all__ = ["escalate_late_tasks"]
