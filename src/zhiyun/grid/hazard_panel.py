"""The grid hazards' panel on the order page (网格隐患): the hazards a grid order came from, their
rectification deadline (整改期限) and re-check, and what the reader may do about them there —
solve it in the village with a deadline (就地解决, when the life cycle offers the reader
`resolve_on_intake`) or set the deadline (`may_set_rectification`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import local_date
from zhiyun.domain.grid_hazards import may_set_rectification
from zhiyun.domain.workorder import Action
from zhiyun.grid.hazards import GridHazardService, HazardView
from zhiyun.orders.views import OrderDetail

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


@dataclass(frozen=True)
class OrderHazards:
    """What the panel shows: the hazards, today, and the forms the reader gets."""

    hazards: list[HazardView]
    today: date
    may_resolve: bool  # 就地解决 with a deadline
    may_rectify: bool  # set the deadline of the open hazards

    @property
    def any_open(self) -> bool:
        return any(h.status.is_open for h in self.hazards)


class HazardPanel:
    """The hazards of a grid order, for a reader the page already let see it."""

    name = "grid_hazards"

    def __init__(self, hazards: GridHazardService) -> None:
        self.hazards = hazards

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> OrderHazards | None:
        if order.summary.channel != "grid":
            return None
        found = self.hazards.hazards_of_order_in(session, order.summary.id)
        if not found:
            return None
        org = self.hazards.orders.reference.get(session).org
        rectify = all(may_set_rectification(actor, v, org) for v in {h.village_unit_id for h in found})
        return OrderHazards(
            found,
            local_date(self.hazards.clock()),
            may_resolve=rectify and Action.RESOLVE_ON_INTAKE.value in order.allowed_actions,
            may_rectify=rectify,
        )


def hazards_panel(services: Services) -> HazardPanel:
    """The grid hazards' panel of the order page."""
    return HazardPanel(services.get(GridHazardService))


__all__ = ["HazardPanel", "OrderHazards", "hazards_panel"]
