"""Routing's panel on the order page: the automatic-dispatch suggestion and the rule that fired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.catalog.responsibility import ResponsibilityService, RuleView
from zhiyun.domain.access import Actor
from zhiyun.domain.org import OrgTree
from zhiyun.domain.routing import hand_up_reason
from zhiyun.domain.workorder import Action, return_target
from zhiyun.orders.views import OrderDetail
from zhiyun.routing.service import DispatchService, SuggestionView


@dataclass(frozen=True)
class HandUpOffer:
    """The suggested unit is not below the order's holder: the reader may send the order up
    (上报, the life cycle's return) to `to_unit_name`, saying `reason`."""

    to_unit_id: int
    to_unit_name: str
    reason: str


@dataclass(frozen=True)
class SuggestionPanelView:
    view: SuggestionView
    rule: RuleView | None
    hand_up: HandUpOffer | None = None


def hand_up_offer(view: SuggestionView, order: OrderDetail, org: OrgTree) -> HandUpOffer | None:
    """The hand-up the reader may take now, when the suggested unit lies outside the holder's
    reach (neither the holder nor below it) and the life cycle lets the reader return the order."""
    target, holder = view.target_unit_id, order.summary.current_unit
    if target is None or holder is None or target not in org.units:
        return None
    if Action.RETURN.value not in order.allowed_actions or org.is_within(target, holder.id):
        return None
    to = return_target(tuple(u.id for u in order.chain), org)
    if to is None:
        return None
    return HandUpOffer(to, org.get(to).name, hand_up_reason(org, target, to))


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
        org = self.dispatch.orders.reference.get(session).org
        return SuggestionPanelView(view, rule, hand_up_offer(view, order, org))


def suggestions(services: Services) -> SuggestionPanel:
    """The dispatch-suggestion panel of the order page."""
    return SuggestionPanel(services.dispatch, services.responsibility)
