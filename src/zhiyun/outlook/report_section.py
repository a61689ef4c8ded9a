"""The outlook's sections of the reports (统计报表): the warnings raised in the report's period for
the towns of its unit (its subtree), with what became of each; and the outlook ahead — the seasons
of the next three months and the next four weeks' forecasts of the busiest series."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.kernel.report_sections import Cell, ReportSection
from zhiyun.outlook.service import OutlookService
from zhiyun.outlook.tables import OutlookWarningRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

STATUS_LABELS = {"raised": "待处理", "acknowledged": "已知悉", "ordered": "已未诉先办", "dismissed": "已排除"}
LIMIT = 50


class WarningsSection:
    """The report's 预警."""

    key = "warnings"

    def section_in(
        self, session: Session, org: OrgTree, unit_id: int, start: datetime, end: datetime, now: datetime
    ) -> ReportSection | None:
        query = select(OutlookWarningRow).where(
            OutlookWarningRow.raised_at >= start, OutlookWarningRow.raised_at < end
        )
        if unit_id != org.root().id:
            query = query.where(OutlookWarningRow.town_unit_id.in_(sorted(org.subtree_ids(unit_id))))
        found = list(session.scalars(query.order_by(OutlookWarningRow.raised_at).limit(LIMIT)))
        rows: list[tuple[Cell, ...]] = [
            (
                f"{w.raised_at.astimezone(LOCAL_TZ):%m-%d %H:%M}",
                org.units[w.town_unit_id].name if w.town_unit_id in org.units else "",
                w.explanation,
                STATUS_LABELS.get(w.status, w.status),
            )
            for w in found
        ]
        return ReportSection(
            self.key,
            "预警",
            ("时间", "镇街", "预警", "处理"),
            tuple(rows),
            "本周期对本单位各镇街发出的预警（诉求量显著高于预期），见 docs/outlook.md。",
        )


def towns_of(org: OrgTree, unit_id: int) -> frozenset[int] | None:
    """The towns a unit's report covers: None (all) for the district's root; else the towns in
    its subtree and the town above it."""
    if unit_id == org.root().id:
        return None
    inside = {u for u in org.subtree_ids(unit_id) if u in org.units and org.units[u].kind is UnitKind.TOWN}
    above = (
        {u.id for u in org.ancestors(unit_id) if u.kind is UnitKind.TOWN} if unit_id in org.units else set()
    )
    return frozenset(inside | above)


FORECASTS_LISTED = 15


class OutlookAheadSection:
    """The report's 季节与预测展望: what the seasons and the forecasts say is coming."""

    key = "outlook"

    def __init__(self, outlook: OutlookService) -> None:
        self.outlook = outlook

    def section_in(
        self, session: Session, org: OrgTree, unit_id: int, start: datetime, end: datetime, now: datetime
    ) -> ReportSection | None:
        seasons, forecasts = self.outlook.outlook_in(session, towns_of(org, unit_id))
        rows: list[tuple[Cell, ...]] = [
            (
                "季节提示",
                "本月" if s.months_ahead == 0 else f"{s.months_ahead} 个月后",
                s.text,
                f"{s.years} 年 {s.orders} 件",
            )
            for s in seasons
        ]
        for f in forecasts[:FORECASTS_LISTED]:
            if not f.weeks:
                continue
            week = f.weeks[0]
            rows.append(
                (
                    "预测",
                    f"{week.first:%m-%d} 当周",
                    f"{f.town} {f.category} 预计 {week.mean:g} 件（{week.low}–{week.high}）",
                    f"近 7 天 {f.last_week} 件 · {f.method}",
                )
            )
        return ReportSection(
            self.key,
            "季节与预测展望",
            ("类型", "时间", "展望", "依据"),
            tuple(rows),
            "季节提示：历年同月诉求量明显高于平均的类别（未来三个月）；预测：未来一周预计量最大的"
            f"{FORECASTS_LISTED} 项（区间为 90% 预测区间），见 docs/outlook.md。",
        )


def build(services: Services) -> WarningsSection:
    """The warnings' section (`Capability.reports`)."""
    return WarningsSection()


def build_outlook(services: Services) -> OutlookAheadSection:
    """The outlook-ahead section (`Capability.reports`)."""
    return OutlookAheadSection(services.get(OutlookService))


__all__ = ["OutlookAheadSection", "WarningsSection", "build", "build_outlook", "towns_of"]
