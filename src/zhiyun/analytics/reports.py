"""Scheduled reports (统计报表): a unit's figures for a day, a week or a month, made once and kept.

A report (`analytics_report`) holds, for one unit and one complete period (`domain.reports`):
the orders registered and closed in it (by channel and category), the response, resolution,
satisfaction and on-time rates of the orders registered in it, overall and for each unit below
(counted by the rate definition in force, whose version the report names, with the orders it
left out), and the open and overdue orders when it was made. Its figures are frozen when it is
made; the spreadsheet (`report_xlsx`) and the printable page are drawn from them.

The worker (`reports_once`) makes the reports of the last complete day, week and month for the
district, its towns and its departments, once each (unique per unit, kind and period: a second
run, or two workers, make nothing twice). A reader of a unit's dashboard may also have one made
for an earlier period, read its reports and subscribe to them: a subscriber's reports are listed
as their own and marked new until read.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.analytics import rates, sql
from zhiyun.analytics.definitions import current_in
from zhiyun.analytics.periods import local_midnight
from zhiyun.analytics.tables import ReportRow, ReportSubscriptionRow
from zhiyun.catalog.tables import CategoryRow
from zhiyun.domain.access import Actor, may_read_reports_of, may_run_housekeeping, may_view_dashboard, require
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.rate_definitions import RateDefinition
from zhiyun.domain.reports import Period, ReportKind, last_complete, reported_units
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.report_sections import ReportSections
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import ChannelRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger(__name__)
W = sql.W
TOP_CATEGORIES = 10
RATE_NAMES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")


@dataclass(frozen=True)
class ReportSummary:
    """A report in a list."""

    id: int
    unit_id: int
    unit_name: str
    kind: ReportKind
    period: Period
    definition_version: int
    generated_at: datetime
    new: bool = False  # a subscribed report made after the subscriber last read their list

    @property
    def title(self) -> str:
        return f"{self.unit_name}{self.kind.label}（{self.period.label(self.kind)}）"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "kind": self.kind.value,
            "first_day": self.period.first.isoformat(),
            "last_day": self.period.last.isoformat(),
            "definition_version": self.definition_version,
            "generated_at": self.generated_at.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
            "new": self.new,
        }


@dataclass(frozen=True)
class Report:
    """A report with its figures (as made)."""

    summary: ReportSummary
    figures: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary.as_dict(), "figures": self.figures}


def _rates_dict(counts: rates.RateCounts) -> dict[str, Any]:
    return {**{name: getattr(counts, name) for name in RATE_NAMES}, "counts": asdict(counts)}


def figures_in(
    session: Session,
    org: OrgTree,
    unit_id: int,
    kind: ReportKind,
    period: Period,
    now: datetime,
    definition: RateDefinition,
) -> dict[str, Any]:
    """A unit's figures for a period, as they stand at `now` (the module's note)."""
    unit = org.get(unit_id)
    root = org.root()
    scope_ids = None if unit_id == root.id else org.subtree_ids(unit_id)
    start, end = local_midnight(period.first), local_midnight(period.after)
    in_scope = sql.route_clause(sql.ROUTE, scope_ids)

    def where(*conditions: Any) -> list[Any]:
        return [c for c in (*conditions, in_scope) if c is not None]

    registered = where(W.registered_at >= start, W.registered_at < end)
    channels = {str(c): str(n) for c, n in session.execute(select(ChannelRow.code, ChannelRow.name))}
    categories = {str(c): str(n) for c, n in session.execute(select(CategoryRow.code, CategoryRow.name))}
    by_channel = session.execute(
        select(W.channel, func.count()).where(*registered).group_by(W.channel).order_by(func.count().desc())
    ).all()
    by_category = session.execute(
        select(W.category_code, func.count())
        .where(*registered)
        .group_by(W.category_code)
        .order_by(func.count().desc(), W.category_code)
        .limit(TOP_CATEGORIES)
    ).all()
    registered_count = session.scalar(select(func.count()).select_from(W).where(*registered)) or 0
    closed_count = (
        session.scalar(
            select(func.count())
            .select_from(W)
            .where(*where(W.status == sql.CLOSED, W.closed_at >= start, W.closed_at < end))
        )
        or 0
    )
    backlog = session.execute(
        select(func.count(), sql.sum_of(sql.overdue_clause(now)))
        .select_from(W)
        .where(*where(sql.in_(W.status, sql.OPEN)))
    ).one()
    overall = rates.RateCounts()
    by_unit: dict[int, rates.RateCounts] = defaultdict(rates.RateCounts)
    for row in session.execute(
        select(*sql.ROUTE, *sql.rate_columns(now, definition)).where(*registered).group_by(*sql.ROUTE)
    ):
        counts = rates.RateCounts(**dict(zip(sql.RATE_FIELDS, (int(v) for v in row[3:]), strict=True)))
        overall.add(counts)
        child = rates.attribute(org, unit_id, tuple(row[:3]))
        if child is not None:
            by_unit[child].add(counts)
    units = []
    for child_id, counts in by_unit.items():
        name = f"{unit.name}（本级）" if child_id == unit_id else org.get(child_id).name
        units.append({"unit_id": child_id, "name": name, **_rates_dict(counts)})
    units.sort(key=lambda u: (u["response_rate"] is None, -(u["response_rate"] or 0.0), u["name"]))
    return {
        "unit": {"id": unit.id, "name": unit.name, "kind": unit.kind.value},
        "kind": kind.value,
        "kind_label": kind.label,
        "period": {
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "label": period.label(kind),
        },
        "generated_at": now.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
        "rate_definition": definition.as_dict(),
        "volume": {
            "registered": registered_count,
            "closed": closed_count,
            "by_channel": [
                {"key": code, "name": channels.get(code, code), "count": int(n)} for code, n in by_channel
            ],
            "by_category": [
                {
                    "key": code or "",
                    "name": categories.get(code or "", "未分类") if code else "未分类",
                    "count": int(n),
                }
                for code, n in by_category
            ],
        },
        "rates": {"overall": _rates_dict(overall), "units": units},
        "backlog": {"open": int(backlog[0] or 0), "overdue": int(backlog[1] or 0)},
    }


class ReportService:
    """Use cases of the scheduled reports (the module's note)."""

    def __init__(self, db: Database, reference: ReferenceCache, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.reference = reference
        self.clock = clock
        self.sections = ReportSections()  # other capabilities' (`Capability.reports`)

    # ------------------------------------------------------------------ making

    def _make_in(
        self, session: Session, org: OrgTree, unit_id: int, kind: ReportKind, period: Period
    ) -> ReportRow:
        found = session.scalars(
            select(ReportRow).where(
                ReportRow.unit_id == unit_id,
                ReportRow.kind == kind.value,
                ReportRow.first_day == period.first,
            )
        ).first()
        if found is not None:
            return found
        now = self.clock()
        definition = current_in(session)
        figures = figures_in(session, org, unit_id, kind, period, now, definition)
        figures["sections"] = self.sections.collect_in(
            session, org, unit_id, local_midnight(period.first), local_midnight(period.after), now
        )
        row = ReportRow(
            unit_id=unit_id,
            kind=kind.value,
            first_day=period.first,
            last_day=period.last,
            definition_version=definition.version,
            generated_at=now,
            figures=figures,
        )
        session.add(row)
        session.flush()
        return row

    def make_due(self, actor: Actor) -> int:
        """Make the missing reports of the last complete day, week and month for every reported
        unit (housekeeping: the worker); how many it made. Each unit in its own transaction."""
        require(may_run_housekeeping, actor)
        today = self.clock().astimezone(LOCAL_TZ).date()
        with self.db.reading() as session:
            org = self.reference.get(session).org
        made = 0
        for unit_id in reported_units(org):
            for kind in ReportKind:
                period = last_complete(kind, today)
                try:
                    with self.db.transaction() as session:
                        exists = session.scalar(
                            select(func.count())
                            .select_from(ReportRow)
                            .where(
                                ReportRow.unit_id == unit_id,
                                ReportRow.kind == kind.value,
                                ReportRow.first_day == period.first,
                            )
                        )
                        if exists:
                            continue
                        self._make_in(session, org, unit_id, kind, period)
                        made += 1
                except IntegrityError:  # another worker made it meanwhile
                    continue
        return made

    def make(self, actor: Actor, unit_id: int, kind: ReportKind, period: Period) -> Report:
        """Have a unit's report of a complete period made (or the one made before): a reader of
        that unit's reports."""
        today = self.clock().astimezone(LOCAL_TZ).date()
        if period.after > today:
            raise ValidationFailed("只能生成已结束周期的报表", field="period")
        with self.db.reading() as session:
            org = self.reference.get(session).org
        self._check(actor, org, unit_id)
        try:
            with self.db.transaction() as session:
                row = self._make_in(session, org, unit_id, kind, period)
                report = self._report(row, org)
        except IntegrityError:  # made meanwhile by the worker: read that one
            with self.db.reading() as session:
                found = session.scalars(
                    select(ReportRow).where(
                        ReportRow.unit_id == unit_id,
                        ReportRow.kind == kind.value,
                        ReportRow.first_day == period.first,
                    )
                ).one()
                report = self._report(found, org)
        return report

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _check(actor: Actor, org: OrgTree, unit_id: int) -> None:
        if unit_id not in org.units:
            raise NotFound("没有这个单位")
        if not may_read_reports_of(actor, unit_id, org):
            if may_view_dashboard(actor):
                raise NotFound("没有这个单位的报表")  # another unit's: not even whether it exists
            raise PermissionDenied("您的角色不能查看统计报表", role=actor.role.value)

    @staticmethod
    def _summary(row: ReportRow, org: OrgTree, new: bool = False) -> ReportSummary:
        kind = ReportKind(row.kind)
        unit = org.units.get(row.unit_id)
        return ReportSummary(
            id=row.id,
            unit_id=row.unit_id,
            unit_name=unit.name if unit is not None else str(row.figures.get("unit", {}).get("name", "")),
            kind=kind,
            period=Period(row.first_day, row.last_day),
            definition_version=row.definition_version,
            generated_at=row.generated_at,
            new=new,
        )

    def _report(self, row: ReportRow, org: OrgTree) -> Report:
        return Report(self._summary(row, org), dict(row.figures))

    def reports(
        self, actor: Actor, *, unit_id: int | None = None, kind: ReportKind | None = None, limit: int = 100
    ) -> list[ReportSummary]:
        """The reports `actor` may read, newest period first (of one unit, of one kind); those of
        their subscriptions made since they last read the list are marked new."""
        if not may_view_dashboard(actor):
            raise PermissionDenied("您的角色不能查看统计报表", role=actor.role.value)
        with self.db.reading() as session:
            org = self.reference.get(session).org
            if unit_id is not None:
                self._check(actor, org, unit_id)
            query = select(ReportRow)
            if unit_id is not None:
                query = query.where(ReportRow.unit_id == unit_id)
            else:
                readable = [u for u in org.units if may_read_reports_of(actor, u, org)]
                query = query.where(ReportRow.unit_id.in_(sorted(readable)))
            if kind is not None:
                query = query.where(ReportRow.kind == kind.value)
            rows = session.scalars(
                query.order_by(ReportRow.first_day.desc(), ReportRow.kind, ReportRow.unit_id).limit(
                    max(1, min(limit, 500))
                )
            ).all()
            seen = self._subscribed(session, actor)
            return [self._summary(r, org, self._is_new(r, seen)) for r in rows]

    @staticmethod
    def _is_new(row: ReportRow, seen: dict[tuple[int, str], datetime | None]) -> bool:
        key = (row.unit_id, row.kind)
        if key not in seen:
            return False
        last = seen[key]
        return last is None or row.generated_at > last

    @staticmethod
    def _subscribed(session: Session, actor: Actor) -> dict[tuple[int, str], datetime | None]:
        if actor.user_id is None:
            return {}
        rows = session.scalars(
            select(ReportSubscriptionRow).where(ReportSubscriptionRow.user_id == actor.user_id)
        )
        return {(r.unit_id, r.kind): r.seen_at for r in rows}

    def report(self, actor: Actor, report_id: int) -> Report:
        """One report with its figures: NotFound for one of a unit the reader may not see."""
        with self.db.reading() as session:
            org = self.reference.get(session).org
            row = session.get(ReportRow, report_id)
            if row is None:
                if not may_view_dashboard(actor):
                    raise PermissionDenied("您的角色不能查看统计报表", role=actor.role.value)
                raise NotFound("没有这份报表")
            self._check(actor, org, row.unit_id)
            return self._report(row, org)

    # ------------------------------------------------------------------ subscriptions

    def subscriptions(self, actor: Actor) -> list[dict[str, Any]]:
        """The reader's own subscriptions."""
        if not may_view_dashboard(actor) or actor.user_id is None:
            raise PermissionDenied("您的角色不能订阅统计报表", role=actor.role.value)
        with self.db.reading() as session:
            org = self.reference.get(session).org
            rows = session.scalars(
                select(ReportSubscriptionRow)
                .where(ReportSubscriptionRow.user_id == actor.user_id)
                .order_by(ReportSubscriptionRow.id)
            ).all()
            return [
                {
                    "id": r.id,
                    "unit_id": r.unit_id,
                    "unit_name": org.units[r.unit_id].name if r.unit_id in org.units else "",
                    "kind": r.kind,
                    "kind_label": ReportKind(r.kind).label,
                }
                for r in rows
            ]

    def subscribe(self, actor: Actor, unit_id: int, kind: ReportKind) -> int:
        """Subscribe the reader to a unit's reports of one kind (again: the same subscription)."""
        if actor.user_id is None:
            raise PermissionDenied("只有登录用户可以订阅统计报表")
        with self.db.transaction() as session:
            org = self.reference.get(session).org
            self._check(actor, org, unit_id)
            found = session.scalars(
                select(ReportSubscriptionRow).where(
                    ReportSubscriptionRow.user_id == actor.user_id,
                    ReportSubscriptionRow.unit_id == unit_id,
                    ReportSubscriptionRow.kind == kind.value,
                )
            ).first()
            if found is not None:
                return found.id
            row = ReportSubscriptionRow(
                user_id=actor.user_id, unit_id=unit_id, kind=kind.value, created_at=self.clock(), seen_at=None
            )
            session.add(row)
            session.flush()
            return row.id

    def unsubscribe(self, actor: Actor, subscription_id: int) -> None:
        """End one of the reader's own subscriptions (another's is NotFound)."""
        with self.db.transaction() as session:
            row = session.get(ReportSubscriptionRow, subscription_id)
            if row is None or actor.user_id is None or row.user_id != actor.user_id:
                raise NotFound("没有这个订阅")
            session.delete(row)

    def mark_seen(self, actor: Actor) -> None:
        """The reader has read their list: their subscribed reports are no longer new."""
        if not may_view_dashboard(actor):
            raise PermissionDenied("您的角色不能查看统计报表", role=actor.role.value)
        if actor.user_id is None:
            return
        with self.db.transaction() as session:
            for row in session.scalars(
                select(ReportSubscriptionRow).where(ReportSubscriptionRow.user_id == actor.user_id)
            ):
                row.seen_at = self.clock()


def build(services: Services) -> ReportService:
    """The capability's service over the process's services (`Capability.services`)."""
    return ReportService(services.db, services.reference, clock=services.clock)


def report_units(services: Services, actor: Actor) -> Sequence[tuple[int, str]]:
    """The units whose reports `actor` may read, district first (for the page's choices)."""
    with services.db.reading() as session:
        org = services.reference.get(session).org
    ids = [u for u in reported_units(org) if may_read_reports_of(actor, u, org)]
    return [(u, org.units[u].name) for u in ids]


__all__ = ["Report", "ReportService", "ReportSummary", "build", "figures_in", "report_units"]
