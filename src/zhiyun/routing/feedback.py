"""Training feedback: every manual correction of what automatic dispatch predicted or did.

* a dispatcher dispatches a waiting order to another unit than suggested ("dispatch");
* after an automatic dispatch, the order leaves the automatically chosen unit's route by a
  return ("return") or a redispatch ("redispatch");
* a person changes the order's category ("category").

Each is one row (order, predicted, corrected, actor, when). The corrected category is the
new category, or, for a dispatch, the suggested category whose unit the dispatcher chose;
the classifier's training (`ModelService.train_from_db`) can take it as the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.catalog.tables import DispatchFeedbackRow, DispatchSuggestionRow
from zhiyun.domain.access import Actor
from zhiyun.domain.workorder import Action, OrderState, TransitionRecord
from zhiyun.store.tables import WorkOrderRow


@dataclass(frozen=True)
class Feedback:
    """One correction, as the training and the report read it."""

    order_id: int
    kind: str
    predicted_category: str | None
    corrected_category: str | None
    predicted_unit_id: int | None
    corrected_unit_id: int | None
    after_automatic: bool
    actor_name: str
    at: datetime


_WATCHED = frozenset({Action.DISPATCH.value, Action.REDISPATCH.value, Action.RETURN.value})


def add_feedback(
    session: Session,
    *,
    order_id: int,
    kind: str,
    suggestion: DispatchSuggestionRow | None,
    corrected_category: str | None,
    corrected_unit_id: int | None,
    actor: Actor,
    at: datetime,
) -> None:
    session.add(
        DispatchFeedbackRow(
            order_id=order_id,
            kind=kind,
            predicted_category=suggestion.category_code if suggestion is not None else None,
            corrected_category=corrected_category,
            predicted_unit_id=suggestion.target_unit_id if suggestion is not None else None,
            corrected_unit_id=corrected_unit_id,
            model_version=suggestion.model_version if suggestion is not None else None,
            after_automatic=bool(suggestion is not None and suggestion.applied),
            actor_user_id=actor.user_id,
            actor_name=actor.name or actor.role.label,
            created_at=at,
        )
    )


def record_feedback_for(
    session: Session,
    actor: Actor,
    row: WorkOrderRow,
    before: OrderState,
    record: TransitionRecord,
    now: datetime,
) -> None:
    """Record a correction if the transition `record` (by a person) overturns a suggestion."""
    if actor.is_system or record.action not in _WATCHED:
        return
    suggestion = session.get(DispatchSuggestionRow, row.id)
    if suggestion is None or suggestion.target_unit_id is None:
        return
    target = suggestion.target_unit_id
    if record.action == Action.DISPATCH.value:
        # the dispatcher's own decision on an order that waited at its registering center
        if suggestion.applied or len(before.chain) != 1 or record.to_unit_id == target:
            return
        if (
            suggestion.model_version is None
            and suggestion.decision == "no_model"
            and suggestion.rule_id is None
        ):
            return  # neither a model nor a rule suggested anything: the area's center is no prediction
        corrected_category = next(
            (
                s.get("category_code")
                for s in suggestion.suggestions or []
                if s.get("unit_id") == record.to_unit_id and s.get("category_code")
            ),
            None,
        )
        add_feedback(
            session,
            order_id=row.id,
            kind="dispatch",
            suggestion=suggestion,
            corrected_category=corrected_category,
            corrected_unit_id=record.to_unit_id,
            actor=actor,
            at=now,
        )
        return
    # a return or redispatch that takes the order off the automatically chosen unit's route
    if not suggestion.applied or target not in before.chain or target in row.chain:
        return
    add_feedback(
        session,
        order_id=row.id,
        kind=record.action,
        suggestion=suggestion,
        corrected_category=None,
        corrected_unit_id=record.to_unit_id if record.action == Action.REDISPATCH.value else None,
        actor=actor,
        at=now,
    )


def feedback_of(session: Session, order_id: int | None = None, limit: int = 1000) -> list[Feedback]:
    stmt = select(DispatchFeedbackRow).order_by(DispatchFeedbackRow.id).limit(limit)
    if order_id is not None:
        stmt = stmt.where(DispatchFeedbackRow.order_id == order_id)
    return [
        Feedback(
            r.order_id,
            r.kind,
            r.predicted_category,
            r.corrected_category,
            r.predicted_unit_id,
            r.corrected_unit_id,
            r.after_automatic,
            r.actor_name,
            r.created_at,
        )
        for r in session.scalars(stmt)
    ]


__all__ = ["Feedback", "add_feedback", "feedback_of", "record_feedback_for"]
