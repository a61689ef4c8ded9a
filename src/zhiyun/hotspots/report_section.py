"""The hot issues' section of the reports (统计报表): the issues ranked when the report is made that
have an order in the report's unit (its subtree) registered in the report's period."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.org import OrgTree
from zhiyun.hotspots.tables import HotIssueMemberRow, HotIssueRow
from zhiyun.kernel.report_sections import Cell, ReportSection
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

W = WorkOrderRow
TOP = 10


class HotIssuesSection:
    """The report's 热点问题 (top 10)."""

    key = "hot_issues"

    def section_in(
        self, session: Session, org: OrgTree, unit_id: int, start: datetime, end: datetime, now: datetime
    ) -> ReportSection | None:
        touched = (
            select(HotIssueMemberRow.hot_issue_id)
            .join(W, W.id == HotIssueMemberRow.order_id)
            .where(W.registered_at >= start, W.registered_at < end)
        )
        if unit_id != org.root().id:
            ids = sorted(org.subtree_ids(unit_id))
            touched = touched.where(
                or_(W.registered_unit_id.in_(ids), W.current_unit_id.in_(ids), W.responsible_unit_id.in_(ids))
            )
        issues = list(
            session.scalars(
                select(HotIssueRow)
                .where(HotIssueRow.rank.is_not(None), HotIssueRow.id.in_(touched))
                .order_by(HotIssueRow.rank)
                .limit(TOP)
            )
        )
        rows: list[tuple[Cell, ...]] = [
            (
                i.rank,
                i.title,
                i.place or "（同一群体）",
                round(i.hot_index, 1),
                i.size,
                f"{i.first_at.astimezone(LOCAL_TZ):%m-%d} 至 {i.last_at.astimezone(LOCAL_TZ):%m-%d}",
            )
            for i in issues
        ]
        return ReportSection(
            self.key,
            "热点问题（前 10）",
            ("排名", "热点问题", "地点", "热度", "工单", "时间"),
            tuple(rows),
            "生成报表时的热点排名中，本周期有本单位工单的热点问题；热度指数见 docs/analytics.md。",
        )


def build(services: Services) -> HotIssuesSection:
    """The section (`Capability.reports`)."""
    return HotIssuesSection()


__all__ = ["HotIssuesSection", "build"]
