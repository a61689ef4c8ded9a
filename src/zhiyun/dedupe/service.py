"""Duplicates after intake: the dispatcher's decision on a flagged order, the candidates a reader
may see, and the housekeeping of the stored text weights.

Intake scores a new order against the open ones nearby and merges or flags it
(`intake/service.py`); what is flagged waits here for a person: merge it into one of its
candidates (an order action, through the order use cases) or dismiss the flag (a system
event, the same way). Both settle the recorded candidates in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhiyun.dedupe import repo as dedupe_repo
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.domain.access import Actor, may_run_housekeeping, require, text_for
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.order_access import may_decide_duplicate
from zhiyun.domain.workorder import DismissDuplicate, Merge
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.views import OrderDetail
from zhiyun.store.db import Database
from zhiyun.store.tables import DuplicateCandidateRow, WorkOrderRow


class DuplicateService:
    """Possible duplicates waiting for a person, and the upkeep of what detection stores."""

    def __init__(
        self,
        db: Database,
        orders: WorkOrderService,
        *,
        clock: Clock = system_clock,
        policy: DedupePolicy | None = None,
    ) -> None:
        self.db = db
        self.orders = orders
        self.clock = clock
        self.policy = policy or DedupePolicy()

    # -- housekeeping -------------------------------------------------------------------

    def prune_signatures(self, actor: Actor) -> int:
        """Delete the stored text weights of orders too old to be anyone's duplicate candidate.

        Orders registered more than the duplicate window (plus a day of slack) ago are never
        read as candidates again; returns how many rows went. Housekeeping (the worker).
        """
        require(may_run_housekeeping, actor)
        before = self.clock() - timedelta(days=self.policy.window_days + 1)
        with self.db.transaction() as session:
            return dedupe_repo.prune_signatures(session, before)

    # -- the dispatcher's decision on a flagged order ------------------------------------

    def candidates(self, actor: Actor, key: str | int) -> list[dict[str, Any]]:
        """The possible duplicates recorded for an order the actor may read — only those of
        them the actor may read too (a candidate elsewhere in the district shows nothing)."""
        detail = self.orders.get(actor, key)
        with self.db.reading() as session:
            return self.candidates_in(session, actor, detail.summary.id)

    def candidates_in(self, session: Session, actor: Actor, order_id: int) -> list[dict[str, Any]]:
        """`candidates` of an order the caller has already checked `actor` may read."""
        rows = session.execute(
            select(
                DuplicateCandidateRow,
                WorkOrderRow.number,
                WorkOrderRow.title,
                WorkOrderRow.status,
                WorkOrderRow.chain,
                WorkOrderRow.confidential,
            )
            .join(WorkOrderRow, WorkOrderRow.id == DuplicateCandidateRow.candidate_id)
            .where(DuplicateCandidateRow.order_id == order_id)
            .order_by(DuplicateCandidateRow.score.desc())
        ).all()
        return [
            {
                "candidate_id": c.candidate_id,
                "number": number,
                "title": text_for(actor, confidential, title) or "",
                "status": status,
                "score": round(c.score, 3),
                "text_similarity": round(c.text_similarity, 3),
                "distance_m": c.distance_m,
                "same_caller": c.same_caller,
                "decision": c.decision,
            }
            for c, number, title, status, chain, confidential in rows
            if self.orders.can_read_in(session, actor, c.candidate_id, chain)
        ]

    def decide(
        self, actor: Actor, key: str | int, *, merge_into: str | int | None, note: str = ""
    ) -> OrderDetail:
        """Merge a flagged order into one of its candidates, or (merge_into None) dismiss the flag."""
        now = self.clock()
        with self.db.transaction() as session:
            row = self.orders.visible_row_in(session, actor, key)
            ctx = self.orders.reference.get(session).rule_context(now)
            if not may_decide_duplicate(actor, repo.state_of(row), ctx):
                raise PermissionDenied("只有负责该工单的派单员、质检员或管理员可以处理疑似重复")
            if not row.possible_duplicate:
                raise ValidationFailed("该工单没有待确认的疑似重复", field="possible_duplicate")
            if merge_into is not None:
                master = repo.find_order(session, merge_into)
                if master is None:
                    raise ValidationFailed("主工单不存在", field="merge_into")
                self.orders.act_in(
                    session, actor, row, Merge(master_id=master.id, note=note or "确认为重复件，合并"), now
                )
                decision = "merged"  # the merge settles the flag in the same change
            else:
                self.orders.record_in(session, actor, row, DismissDuplicate(note=note), now)
                decision = "dismissed"
            session.execute(
                update(DuplicateCandidateRow)
                .where(DuplicateCandidateRow.order_id == row.id, DuplicateCandidateRow.decision == "open")
                .values(decision=decision, decided_by=actor.name, decided_at=now)
            )
            return self.orders.detail_in(session, actor, row, now)
