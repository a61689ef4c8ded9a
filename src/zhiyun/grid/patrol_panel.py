"""The grid capability's panel on the leader dashboard (领导驾驶舱): this month's patrols in the
viewer's grids — coverage, missed and late visits, hazards found and fixed, 就地解决率 and the
tasks saved by merging — with a link to the 巡查统计 page (`analytics/panels.py`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from zhiyun.analytics.panels import PanelFigure, PanelView
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import local_date
from zhiyun.domain.grid import GRID_READERS_EVERYWHERE
from zhiyun.domain.grid_items import Period
from zhiyun.domain.patrol_ledger import may_read_patrol_ledger
from zhiyun.grid.patrol_figures import PatrolFiguresService
from zhiyun.kernel.clock import Clock, system_clock

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class PatrolDashboardPanel:
    """This month's patrol figures on the dashboard. A district-wide reader (a leader, an
    inspector, an admin) is shown the district's figures as the worker last counted them
    (`PatrolFiguresService.district_snapshot`, every few minutes: counting 4 M tasks takes
    seconds, a dashboard must not); anyone else, or when there is no recent count, the figures
    of their grids counted now and kept a few minutes (`kept`)."""

    name = "grid-patrols"

    def __init__(self, figures: PatrolFiguresService, *, clock: Clock = system_clock) -> None:
        self.figures = figures
        self.clock = clock

    def read(self, actor: Actor) -> PanelView | None:
        if not may_read_patrol_ledger(actor):
            return None
        today = local_date(self.clock())
        month = Period.month(today.year, today.month)
        numbers = self.figures.district_snapshot(month) if actor.role in GRID_READERS_EVERYWHERE else None
        if numbers is None:
            numbers = self.figures.kept(actor, month).summary()
        return panel_view(self.name, numbers)


def panel_view(name: str, numbers: dict[str, Any]) -> PanelView:
    o = numbers["overall"]
    today = date.fromisoformat(numbers["today"])
    resolution = o.get("local_resolution")
    return PanelView(
        name=name,
        title=f"一格共治 · 本月网格巡查（{numbers['month']}，截至 {today:%m月%d日}）",
        figures=(
            PanelFigure(
                "巡查覆盖率",
                _pct(o["coverage"]),
                f"按时 {o['objects_on_time']} / 到期 {o['objects_due']} 个对象",
                "按时巡查的对象 ÷ 已到期的对象（尚未到期的任务不计）",
            ),
            PanelFigure(
                "漏巡",
                str(o["missed"]),
                "过最迟日期未巡查",
                "过了最迟日期仍未巡查的任务",
                "bad" if o["missed"] else "",
            ),
            PanelFigure(
                "逾期完成", str(o["done_late"]), "最迟日期后巡查", tone="warn" if o["done_late"] else ""
            ),
            PanelFigure("待巡查", str(o["pending"]), f"共 {o['tasks']} 个任务"),
            PanelFigure(
                "发现隐患",
                str(o["hazards_found"]),
                f"已整改 {o['hazards_fixed']}",
                "本月巡查按检查表判定的隐患",
            ),
            PanelFigure(
                "就地解决率",
                _pct(resolution),
                "小事不出村" if resolution is not None else "本月尚无办结的网格问题",
                "村居就地解决的网格问题 ÷ 已办结的网格问题",
            ),
            PanelFigure(
                "合并减少任务",
                str(o["tasks_saved"]),
                f"按事项分别上门需 {o['per_item_tasks']}",
                "按事项分别上门所需次数减去合并后的任务数",
            ),
        ),
        link="/grid/patrol-figures",
        link_label="巡查统计",
    )


def build(services: Services) -> PatrolDashboardPanel:
    """The panel over the process's services (`Capability.dashboard`)."""
    return PatrolDashboardPanel(services.get(PatrolFiguresService), clock=services.clock)


__all__ = ["PatrolDashboardPanel", "build", "panel_view"]
