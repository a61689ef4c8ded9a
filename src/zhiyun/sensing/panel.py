"""The sensing capability's panel on the leader dashboard (领导驾驶舱): the last 30 days' funnel
from alarms to orders, the precision of the worst scenes, the flags for vendors, the time from
the first alarm to the order, checks overdue and devices silent — with a link to 感知统计."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zhiyun.analytics.panels import PanelFigure, PanelView
from zhiyun.domain.access import Actor
from zhiyun.domain.sensing_figures import may_read_sensing
from zhiyun.sensing.figures import SensingFigures

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 120:
        return f"{value / 60:.1f} 小时"
    return f"{value:.0f} 分钟"


class SensingDashboardPanel:
    """The last 30 days' sensing figures of the viewer's part (`SensingFigures.kept`)."""

    name = "sensing"

    def __init__(self, figures: SensingFigures) -> None:
        self.figures = figures

    def read(self, actor: Actor) -> PanelView | None:
        if not may_read_sensing(actor):
            return None
        return panel_view(self.name, self.figures.kept(actor).summary())


def panel_view(name: str, numbers: dict[str, Any]) -> PanelView:
    stages = {s["key"]: s for s in numbers["funnel"]}
    worst = numbers["worst_scenes"]
    t = numbers["time_to_order"]
    figures = [
        PanelFigure(
            "告警 → 工单",
            f"{stages['alarms']['count']} → {stages['orders']['count']}",
            f"事件 {stages['events']['count']}，已核实 {stages['verified']['count']}",
            "收到的告警、归并成的事件、核实的事件和立案的工单（近 30 天）",
        ),
        PanelFigure(
            "核实准确率",
            _pct(numbers["precision"]),
            f"{numbers['labels']} 个核实结论",
            "属实 ÷（属实 + 误报）；已消失的不计入",
        ),
    ]
    for row in worst[:2]:
        figures.append(
            PanelFigure(
                f"准确率较低：{row['name']}",
                _pct(row["precision"]),
                f"属实 {row['confirmed']} / 误报 {row['false_alarm']}",
                "核实样本足够的场景中准确率最低的",
                "bad" if row["flagged"] else "",
            )
        )
    figures.extend(
        [
            PanelFigure(
                "需厂商整改",
                str(numbers["flags"]),
                "准确率低于下限的设备、场景、算法版本",
                tone="bad" if numbers["flags"] else "",
            ),
            PanelFigure(
                "告警到立案",
                _minutes(t["median_minutes"]),
                f"90% 在 {_minutes(t['p90_minutes'])} 内，共 {t['orders']} 单",
                "从事件的首条告警到立案工单的时间（中位数）",
            ),
            PanelFigure(
                "核实超时",
                str(numbers["overdue_now"]),
                "当前已过时限未核实",
                tone="warn" if numbers["overdue_now"] else "",
            ),
            PanelFigure(
                "设备离线",
                str(numbers["silent"]),
                "超过心跳间隔未上报",
                tone="warn" if numbers["silent"] else "",
            ),
        ]
    )
    return PanelView(
        name=name,
        title=f"感知 · 近 30 天告警与核实（{numbers['start']} 至 {numbers['end']}）",
        figures=tuple(figures),
        link="/sensing/figures",
        link_label="感知统计",
    )


def build(services: Services) -> SensingDashboardPanel:
    """The panel over the process's services (`Capability.dashboard`)."""
    return SensingDashboardPanel(services.get(SensingFigures))


__all__ = ["SensingDashboardPanel", "build", "panel_view"]
