"""The warnings' section of the reports (统计报表): the warnings raised in the report's period for the
towns of its unit (its subtree), with what became of each."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.org import OrgTree
from zhiyun.kernel.report_sections import Cell, ReportSection
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


def build(services: Services) -> WarningsSection:
    """The section (`Capability.reports`)."""
    return WarningsSection()


__all__ = ["WarningsSection", "build"]
