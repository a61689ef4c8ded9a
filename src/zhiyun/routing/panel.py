"""Routing's panel on the order page: the automatic-dispatch suggestion and the rule that fired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.catalog.responsibility import ResponsibilityService, RuleView
from zhiyun.domain.access import Actor
from zhiyun.orders.views import OrderDetail
from zhiyun.routing.service import DispatchService, SuggestionView


@dataclass(frozen=True)
class SuggestionPanelView:
    view: SuggestionView
    rule: RuleView | None


if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


class SuggestionPanel:
    """What the classifier and the responsibility list proposed for the order, and why."""

    name = "suggestion"

    def __init__(self, dispatch: DispatchService, responsibility: ResponsibilityService) -> None:
        self.dispatch = dispatch
        self.responsibility = responsibility

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> SuggestionPanelView | None:
        view = self.dispatch.suggestion_in(session, order.summary.id, order.summary.number)
        if view is None:
            return None
        rule = self.responsibility.get_in(session, view.rule_id) if view.rule_id is not None else None
        return SuggestionPanelView(view, rule)


def suggestions(services: Services) -> SuggestionPanel:
    """The dispatch-suggestion panel of the order page."""
    return SuggestionPanel(services.dispatch, services.responsibility)
