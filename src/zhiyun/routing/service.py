"""Dispatch use cases around one order: its suggestion, a category change, the feedback so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from zhiyun.catalog.responsibility import ListCache
from zhiyun.catalog.tables import DispatchSuggestionRow
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.order_access import CATEGORY_EDITORS, may_change_category
from zhiyun.domain.routing import decision_label
from zhiyun.domain.workorder import OrderStatus, Recategorize, SystemEvent
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo
from zhiyun.orders.service import WorkOrderService
from zhiyun.routing.feedback import Feedback, add_feedback, feedback_of
from zhiyun.store.db import Database

RECATEGORIZE = SystemEvent.RECATEGORIZE.value


@dataclass(frozen=True)
class SuggestionView:
    """What automatic dispatch concluded for an order, for the dispatcher."""

    order_id: int
    number: str
    category_code: str | None
    confidence: float | None
    threshold: float | None
    suggestions: list[dict[str, Any]]
    outcome: str
    rule_id: int | None
    reason: str
    target_unit_id: int | None
    target_unit_name: str | None
    applied: bool
    decision: str
    decision_label: str
    urgent_signals: list[str]
    model_version: str | None
    created_at: datetime
    feedback: list[Feedback]


class DispatchService:
    """Read an order's dispatch suggestion; change its category (recorded as feedback)."""

    def __init__(
        self, db: Database, orders: WorkOrderService, lists: ListCache, *, clock: Clock = system_clock
    ) -> None:
        self.db = db
        self.orders = orders
        self.lists = lists
        self.clock = clock

    def suggestion(self, actor: Actor, key: str | int) -> SuggestionView:
        with self.db.reading() as session:
            row = self.orders.visible_row_in(session, actor, key)
            found = self.suggestion_in(session, row.id, row.number)
            if found is None:
                raise NotFound("该工单没有智能分拨建议", order=str(key))
            return found

    def suggestion_in(self, session: Session, order_id: int, number: str) -> SuggestionView | None:
        """The suggestion of an order the caller has already checked the reader may see; None without one."""
        sugg = session.get(DispatchSuggestionRow, order_id)
        if sugg is None:
            return None
        org = self.orders.reference.get(session).org
        target = org.units.get(sugg.target_unit_id) if sugg.target_unit_id is not None else None
        return SuggestionView(
            order_id=order_id,
            number=number,
            category_code=sugg.category_code,
            confidence=sugg.confidence,
            threshold=sugg.threshold,
            suggestions=list(sugg.suggestions or []),
            outcome=sugg.outcome,
            rule_id=sugg.rule_id,
            reason=sugg.reason,
            target_unit_id=sugg.target_unit_id,
            target_unit_name=target.name if target else None,
            applied=sugg.applied,
            decision=sugg.decision,
            decision_label=decision_label(sugg.decision),
            urgent_signals=list(sugg.urgent_signals or []),
            model_version=sugg.model_version,
            created_at=sugg.created_at,
            feedback=feedback_of(session, order_id),
        )

    def change_category(self, actor: Actor, key: str | int, category_code: str, note: str = "") -> str | None:
        """Set an order's category (an audited transition); the old category. A change is feedback."""
        if actor.role not in CATEGORY_EDITORS:
            raise PermissionDenied("只有派单员可以修改工单分类")
        now = self.clock()
        with self.db.transaction() as session:
            row = self.orders.visible_row_in(session, actor, key)
            ctx = self.orders.reference.get(session).rule_context(now)
            if OrderStatus(row.status).is_terminal:
                raise ValidationFailed("已办结或撤销的工单不能修改分类", field="category_code")
            if not may_change_category(actor, repo.state_of(row), ctx):
                raise PermissionDenied("只有当前负责该工单的派单员可以修改其分类")
            taxonomy = self.lists.get(session).taxonomy
            if category_code not in taxonomy:
                raise ValidationFailed(f"分类编码 {category_code} 不存在", field="category_code")
            old = row.category_code
            if old == category_code:
                return old
            event = Recategorize(category_code, path=taxonomy.path_names(category_code), note=note)
            self.orders.record_in(session, actor, row, event, now)
            sugg = session.get(DispatchSuggestionRow, row.id)
            if sugg is not None and sugg.category_code != category_code:
                add_feedback(
                    session,
                    order_id=row.id,
                    kind="category",
                    suggestion=sugg,
                    corrected_category=category_code,
                    corrected_unit_id=None,
                    actor=actor,
                    at=now,
                )
            return old

    def feedback(self, order_id: int | None = None, limit: int = 1000) -> list[Feedback]:
        with self.db.reading() as session:
            return feedback_of(session, order_id, limit)


__all__ = ["RECATEGORIZE", "DispatchService", "SuggestionView"]
