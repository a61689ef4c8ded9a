"""Sections capabilities add to the reports (统计报表): a titled table, frozen with the report.

In the kernel because the analytics (which makes the reports) and the capabilities beside it
(hot issues, warnings) both use it and may not import each other.

A capability declares factories in `Capability.reports`; each builds a `ReportSectionSource`
whose `section_in` reads, inside the report's transaction, what it has for the report's unit and
period — the hot issues of the unit's subtree, the warnings raised in its towns — as a table of
plain values. The report keeps it with its figures (`figures["sections"]`); the page and the
spreadsheet (one sheet each) draw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from zhiyun.domain.org import OrgTree

Cell = str | int | float | None


@dataclass(frozen=True)
class ReportSection:
    """A table of a report: its key, title, column headings, rows, and a note under it."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["columns"], data["rows"] = list(self.columns), [list(r) for r in self.rows]
        return data


class ReportSectionSource(Protocol):
    """What a capability adds to every report."""

    key: str

    def section_in(
        self, session: Session, org: OrgTree, unit_id: int, start: datetime, end: datetime, now: datetime
    ) -> ReportSection | None: ...


class ReportSections:
    """The installed sections, in the order the capabilities declared them."""

    def __init__(self, sources: Sequence[ReportSectionSource] = ()) -> None:
        self._sources: list[ReportSectionSource] = list(sources)

    def add(self, source: ReportSectionSource) -> None:
        if any(s.key == source.key for s in self._sources):
            raise ValueError(f"report section {source.key!r} added twice")
        self._sources.append(source)

    def collect_in(
        self, session: Session, org: OrgTree, unit_id: int, start: datetime, end: datetime, now: datetime
    ) -> list[dict[str, Any]]:
        found = (s.section_in(session, org, unit_id, start, end, now) for s in self._sources)
        return [section.as_dict() for section in found if section is not None]


__all__ = ["Cell", "ReportSection", "ReportSectionSource", "ReportSections"]
