"""Panels other capabilities add to the leader dashboard (领导驾驶舱), the way the order page
takes panels (`orders/order_page.py`).

The dashboard knows no capability above it: a capability declares its panel factories in its
`Capability.dashboard` (`"module:function"`, called with the services), `bootstrap` adds what
they build to `DashboardService.panels`, and the page shows each panel's `read(actor)` — a
title, a few figures and a link to the capability's own page — below the dashboard's own
figures. A panel answers None for a viewer it has nothing for; a panel that fails is left out
(and logged), never the dashboard with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelFigure:
    """One figure of a panel: its label, its value as shown, a line under it, the definition
    (the "?" hint) and a tone ("", "warn", "bad")."""

    label: str
    value: str
    sub: str = ""
    hint: str = ""
    tone: str = ""


@dataclass(frozen=True)
class PanelView:
    """What a panel shows a viewer."""

    name: str
    title: str
    figures: tuple[PanelFigure, ...]
    link: str | None = None
    link_label: str = ""
    note: str = ""


class DashboardPanel(Protocol):
    """A panel of the leader dashboard, from a capability above analytics."""

    name: str

    def read(self, actor: Actor) -> PanelView | None:
        """What the panel shows `actor` (who may view the dashboard), or None."""


class DashboardPanels:
    """The dashboard's panels, in the order the capabilities are installed."""

    def __init__(self, panels: Sequence[DashboardPanel] = ()) -> None:
        self.panels: list[DashboardPanel] = list(panels)

    def add(self, panel: DashboardPanel) -> None:
        """Register a panel (at composition; a name may be taken once)."""
        if any(p.name == panel.name for p in self.panels):
            raise ValueError(f"a dashboard panel named {panel.name!r} is registered already")
        self.panels.append(panel)

    def views(self, actor: Actor) -> list[PanelView]:
        """Every panel's view for `actor`, those with nothing to show left out."""
        shown = []
        for panel in self.panels:
            try:
                view = panel.read(actor)
            except DomainError:
                continue
            except Exception:  # a panel's fault must not take the dashboard down
                log.exception("dashboard panel %s failed", panel.name)
                continue
            if view is not None:
                shown.append(view)
        return shown


__all__ = ["DashboardPanel", "DashboardPanels", "PanelFigure", "PanelView"]
