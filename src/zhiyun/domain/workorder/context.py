"""What the rules need besides the order: the time, the org tree, the clock and the site's limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from zhiyun.domain.deadlines import DeadlinePlanner, TimeLimit
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder.choices import OrderType, Urgency


@dataclass(frozen=True)
class WorkflowPolicy:
    """Limits of the workflow that a site may configure."""

    max_extensions: int = 2
    max_reopens: int = 1
    max_callback_attempts: int = 3


LimitsFor = Callable[[OrderType, Urgency], tuple[TimeLimit, TimeLimit]]


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the order: the time, the org tree, the clock and limits."""

    now: datetime
    org: OrgTree
    planner: DeadlinePlanner
    limits_for: LimitsFor
    policy: WorkflowPolicy = WorkflowPolicy()
