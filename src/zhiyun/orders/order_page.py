"""The order page's read model: everything the page shows, read in one session.

The order's detail and audit trail come from the order use cases with one visibility check;
what other capabilities add to the page (the possible duplicates, the automatic-dispatch
suggestion, the category's name, …) comes from *panels* they register at composition
(`bootstrap`), each reading in the same session. So the page is one consistent snapshot, and
a new capability (the knowledge base's answers, the grid's object, an alarm's evidence) adds
a panel instead of another database session in the console's route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor
from zhiyun.domain.org import OrgTree
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.views import OrderDetail, TransitionView
from zhiyun.store.db import Database


class OrderPanel(Protocol):
    """A capability's part of the order page, read in the page's session for a reader who may
    see the order (checked before any panel runs). It returns None when it has nothing to show."""

    name: str

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> object | None: ...


@dataclass(frozen=True)
class OrderPage:
    """One consistent snapshot of an order as one reader sees it."""

    detail: OrderDetail
    transitions: list[TransitionView]
    org: OrgTree
    panels: Mapping[str, object | None]


class OrderPages:
    """Builds order pages: one session, one visibility check, then every registered panel."""

    def __init__(self, db: Database, orders: WorkOrderService, panels: Sequence[OrderPanel] = ()) -> None:
        self.db = db
        self.orders = orders
        self.panels: list[OrderPanel] = list(panels)

    def add(self, panel: OrderPanel) -> None:
        """Register a panel (at composition; a name may be taken once)."""
        if any(p.name == panel.name for p in self.panels):
            raise ValueError(f"an order-page panel named {panel.name!r} is registered already")
        self.panels.append(panel)

    def page(self, actor: Actor, key: str | int) -> OrderPage:
        """The page of order `key` (id or number) for `actor`; NotFound when they may not see it."""
        with self.db.reading() as session:
            detail, trail, snap = self.orders.read_in(session, actor, key)
            panels = {panel.name: panel.read(session, actor, detail) for panel in self.panels}
            return OrderPage(detail=detail, transitions=trail, org=snap.org, panels=panels)


__all__ = ["OrderPage", "OrderPages", "OrderPanel"]
