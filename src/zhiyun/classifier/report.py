"""How automatic dispatch is doing: its rate and the accuracy of its decisions, per category and week.

An order counts when the classifier looked at it (a dispatch suggestion with a model). The
auto-dispatch rate is the share of those dispatched without a person; an automatic decision
counts as wrong when the order later left the automatically chosen unit by a return or a
redispatch, or when a person changed its category — the accuracy is the share of automatic
decisions that none of these overturned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from zhiyun.catalog.tables import DispatchFeedbackRow, DispatchSuggestionRow
from zhiyun.catalog.taxonomy import load_taxonomy
from zhiyun.store.db import Database

OVERTURNING = ("return", "redispatch", "category")


@dataclass(frozen=True)
class ReportRow:
    """One line of the report."""

    key: str
    label: str
    orders: int
    auto: int
    overturned: int

    @property
    def auto_rate(self) -> float:
        return self.auto / self.orders if self.orders else 0.0

    @property
    def accuracy(self) -> float | None:
        return (self.auto - self.overturned) / self.auto if self.auto else None

    def json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "orders": self.orders,
            "auto_dispatched": self.auto,
            "overturned": self.overturned,
            "auto_rate": round(self.auto_rate, 4),
            "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
        }


@dataclass(frozen=True)
class DispatchReport:
    total: ReportRow
    by_category: list[ReportRow]
    by_week: list[ReportRow]
    feedback: int  # corrections recorded in the period (training feedback)


def week_of(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def dispatch_report(
    db: Database, *, since: datetime | None = None, until: datetime | None = None, level: int = 1
) -> DispatchReport:
    """The report over suggestions made in [since, until); categories rolled up to `level` (1–3)."""
    with db.reading() as session:
        taxonomy = load_taxonomy(session)
        stmt = select(
            DispatchSuggestionRow.order_id,
            DispatchSuggestionRow.category_code,
            DispatchSuggestionRow.applied,
            DispatchSuggestionRow.created_at,
        ).where(
            DispatchSuggestionRow.model_version.is_not(None) | (DispatchSuggestionRow.decision != "no_model")
        )
        fb = select(
            DispatchFeedbackRow.order_id, DispatchFeedbackRow.kind, DispatchFeedbackRow.after_automatic
        )
        if since is not None:
            stmt = stmt.where(DispatchSuggestionRow.created_at >= since)
            fb = fb.where(DispatchFeedbackRow.created_at >= since)
        if until is not None:
            stmt = stmt.where(DispatchSuggestionRow.created_at < until)
        suggestions = session.execute(stmt).all()
        feedback = session.execute(fb).all()
    overturned = {o for o, kind, after_auto in feedback if after_auto and kind in OVERTURNING}

    def rolled(code: str | None) -> tuple[str, str]:
        if code is None or code not in taxonomy:
            return (code or "-", code or "未分类")
        chain = [taxonomy.get(code), *taxonomy.ancestors(code)]
        cat = chain[max(0, len(chain) - level)]
        return cat.code, taxonomy.path_names(cat.code)

    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    total = [0, 0, 0]
    for order_id, code, applied, at in suggestions:
        wrong = int(bool(applied) and order_id in overturned)
        for bucket in (counts[rolled(code)], weeks[week_of(at)], total):
            bucket[0] += 1
            bucket[1] += int(bool(applied))
            bucket[2] += wrong
    by_category = sorted(
        (ReportRow(k, label, *v) for (k, label), v in counts.items()), key=lambda r: (-r.orders, r.key)
    )
    by_week = [ReportRow(w, w, *weeks[w]) for w in sorted(weeks)]
    return DispatchReport(ReportRow("total", "合计", *total), by_category, by_week, len(feedback))


__all__ = ["DispatchReport", "ReportRow", "dispatch_report", "week_of"]
