"""A cached snapshot of the reference data the rules need: org tree, calendar, limits, policy."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from zhiyun.domain.calendar import WorkCalendar
from zhiyun.domain.deadlines import DeadlinePlanner, TimeLimit
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OrderType, RuleContext, Urgency, WorkflowPolicy
from zhiyun.reference import repo as ref
from zhiyun.reference.calendar_source import build_calendar


@dataclass(frozen=True)
class ReferenceSnapshot:
    """Reference data as of one revision stamp."""

    key: tuple[tuple[str, int], ...]
    org: OrgTree
    calendar: WorkCalendar
    planner: DeadlinePlanner
    limits: dict[tuple[OrderType, Urgency], tuple[TimeLimit, TimeLimit]]
    policy: WorkflowPolicy

    def limits_for(self, order_type: OrderType, urgency: Urgency) -> tuple[TimeLimit, TimeLimit]:
        return self.limits[(order_type, urgency)]

    def rule_context(self, now: datetime) -> RuleContext:
        return RuleContext(
            now=now, org=self.org, planner=self.planner, limits_for=self.limits_for, policy=self.policy
        )


class ReferenceCache:
    """Rebuilds the snapshot only when the revision stamp in the database moves."""

    def __init__(self) -> None:
        self._snapshot: ReferenceSnapshot | None = None
        self._lock = threading.Lock()

    def get(self, session: Session, revision: Mapping[str, int] | None = None) -> ReferenceSnapshot:
        """The snapshot for the database's revision stamp (`revision`: the stamp, already read)."""
        key = tuple(sorted((ref.revision(session) if revision is None else revision).items()))
        snapshot = self._snapshot
        if snapshot is not None and snapshot.key == key:
            return snapshot
        with self._lock:
            calendar = build_calendar(ref.load_overrides(session), ref.load_confirmed_years(session))
            snapshot = ReferenceSnapshot(
                key=key,
                org=ref.load_org(session),
                calendar=calendar,
                planner=DeadlinePlanner(calendar),
                limits=ref.load_time_limits(session),
                policy=ref.load_workflow_policy(session),
            )
            self._snapshot = snapshot
            return snapshot

    def clear(self) -> None:
        self._snapshot = None
