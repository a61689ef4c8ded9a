"""The leader dashboard (领导驾驶舱 / 大屏): every figure, scoped to the viewer, in one read.

`DashboardService.dashboard(actor)` runs the named queries of `DashboardQueries` (each one
aggregate statement, timed one by one in benchmarks/dashboard.py) in one read-only session
and assembles their rows: volume today and this week by channel, category, type and unit;
the four rates by unit, ranked; backlog and overdue; a 30-day trend of new and closed
orders; the categories rising fastest this week. The rates are defined order by order in
`zhiyun.analytics.rates`; the SQL here counts the same (see the integration tests).

Scope: district-wide readers (leader, inspector, admin) see the district; a dispatcher sees
their own unit and everything below it. An order counts for a unit when its registering
unit, the unit it was first dispatched to, or its current holder lies in that unit's
subtree; rankings are by the children of the scope unit (for the district: towns and
departments), each order attributed by `rates.attribute`.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select
from sqlalchemy.orm import Session

from zhiyun.analytics import rates, rollup, sql
from zhiyun.analytics.definitions import current_in
from zhiyun.analytics.panels import DashboardPanels
from zhiyun.analytics.periods import DEFAULT_RATE_DAYS, MAX_RATE_DAYS, Windows, utc_offset_hours
from zhiyun.catalog.tables import CategoryRow
from zhiyun.domain.access import (
    DISTRICT_WIDE_READERS,
    Actor,
    Role,
    may_run_housekeeping,
    may_view_dashboard,
    require,
)
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.rate_definitions import DEFAULT, RateDefinition
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus, OrderType
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import ChannelRow, WorkOrderRow

W = WorkOrderRow
log = logging.getLogger(__name__)
UNCATEGORIZED = "未分类"

DEFINITIONS: dict[str, str] = {
    "volume": "受理量：按登记时间（北京时间）统计的全部工单（含撤销、合并件）；今日自 0 时起，本周自周一 0 时起。",
    "response_rate": (
        "响应率 = 按时签收数 ÷ 应签收数。统计期内登记的有效工单（不含撤销、合并件）中，"
        "当前派单有签收时限、且已签收或签收时限已过的为应签收；在签收时限内签收的为按时签收。"
    ),
    "resolution_rate": (
        "解决率 = 已解决数 ÷ 应办结数。应办结：已办结反馈（含即时办结），或办理时限已过仍在办理（挂起除外）的有效工单；"
        "已解决：办结经审核通过（待回访或已归档）且最终回访评价不是「不满意」。"
    ),
    "satisfaction_rate": (
        "满意率 =（满意 + 基本满意）÷ 参评数。参评：已归档且回访评价为满意、基本满意或不满意的有效工单"
        "（联系不上、未回访直接归档的不参评）；重办件按最终一次回访评价。"
    ),
    "on_time_rate": (
        "按时办结率 = 按时办结数 ÷ 应办结数。在办理时限（含批准的延期、扣除挂起）内办结反馈的为按时办结；"
        "即时办结视为按时。"
    ),
    "backlog": "积压：未办结的工单（待分拨、待签收、办理中、已挂起、待审核、待回访）。",
    "overdue": "超时：积压中签收时限（待签收）或办理时限（待分拨、待签收、办理中）已过的工单。",
    "trend": "近30天趋势：每天新登记的工单数与归档（办结）的工单数，按北京时间自然日。",
    "rising": "上升最快的类别：本周（周一 0 时至今）与上周同一时段相比，受理量增加最多的类别。",
    "attribution": (
        "归属：工单登记单位、首次派往的单位或当前承办单位在某单位之下的，计入该单位；"
        "排名按本级的下一级单位（区：各镇街、各部门）。"
    ),
}


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Whose orders a dashboard counts: a unit and its subtree (`unit_ids` None: the whole district)."""

    unit_id: int
    name: str
    kind: str
    unit_ids: frozenset[int] | None


def scope_for(actor: Actor, org: OrgTree) -> Scope:
    """The unit whose dashboard `actor` sees; PermissionDenied for roles without a dashboard."""
    if not may_view_dashboard(actor):
        raise PermissionDenied("您的角色不能查看统计大屏", role=actor.role.value)
    root = org.root()
    if actor.role in DISTRICT_WIDE_READERS or actor.unit_id is None or actor.unit_id == root.id:
        if actor.role is Role.DISPATCHER and actor.unit_id is None:
            raise PermissionDenied("您的账号未关联单位，不能查看统计大屏")
        return Scope(root.id, root.name, root.kind.value, None)
    unit = org.get(actor.unit_id)
    return Scope(unit.id, unit.name, unit.kind.value, frozenset(org.subtree_ids(unit.id)))


# --------------------------------------------------------------------------- queries


class DashboardQueries:
    """The dashboard's statements for one scope at one instant; each is one aggregate query.

    With `rolled` (the day rollup holds every day before today that the windows need), the
    rates and the trend count only today live and add the rollup's days (`rollup_rates`,
    `rollup_trend`); without it everything is counted live from `work_order`.
    """

    LIVE = (
        "volume_by_channel",
        "volume_by_category",
        "volume_by_type",
        "volume_by_unit",
        "rates_by_unit",
        "backlog_by_unit",
        "trend_new",
        "trend_closed",
        "rising_categories",
    )
    ROLLUP = ("rollup_rates", "rollup_trend")

    def __init__(
        self,
        scope: Scope,
        windows: Windows,
        dialect: str,
        *,
        rolled: bool = False,
        definition: RateDefinition = DEFAULT,
    ) -> None:
        self.scope = scope
        self.definition = definition
        self.w = windows
        self.dialect = dialect
        self.rolled = rolled
        self.offset = utc_offset_hours(windows.now)
        self.names = self.LIVE + (self.ROLLUP if rolled else ())

    def _where(self, stmt: Select[Any], *conditions: ColumnElement[bool]) -> Select[Any]:
        clause = sql.route_clause(sql.ROUTE, self.scope.unit_ids)
        if clause is not None:
            stmt = stmt.where(clause)
        result: Select[Any] = stmt.where(*conditions)
        return result

    def _live_from(self, start: datetime) -> datetime:
        return max(start, self.w.today_start) if self.rolled else start

    def _volume(self, *keys: Any) -> Select[Any]:
        w = self.w
        stmt: Select[Any] = select(*keys, sql.sum_of(W.registered_at >= w.today_start), func.count())
        stmt = self._where(stmt, W.registered_at >= w.week_start, W.registered_at <= w.now)
        return stmt.group_by(*keys)

    def volume_by_channel(self) -> Select[Any]:
        return self._volume(W.channel)

    def volume_by_category(self) -> Select[Any]:
        return self._volume(W.category_code)

    def volume_by_type(self) -> Select[Any]:
        return self._volume(W.order_type)

    def volume_by_unit(self) -> Select[Any]:
        return self._volume(*sql.ROUTE)

    def rates_by_unit(self) -> Select[Any]:
        w = self.w
        stmt = select(*sql.ROUTE, *sql.rate_columns(w.now, self.definition))
        stmt = self._where(stmt, W.registered_at >= self._live_from(w.rate_start), W.registered_at <= w.now)
        return stmt.group_by(*sql.ROUTE)

    def backlog_by_unit(self) -> Select[Any]:
        stmt = select(*sql.ROUTE, W.status, func.count(), sql.sum_of(sql.overdue_clause(self.w.now)))
        stmt = self._where(stmt, sql.in_(W.status, sql.OPEN))
        return stmt.group_by(*sql.ROUTE, W.status)

    def trend_new(self) -> Select[Any]:
        day = sql.local_day(W.registered_at, self.dialect, self.offset)
        stmt = select(day.label("day"), func.count())
        start = self._live_from(self.w.trend_start)
        stmt = self._where(stmt, W.registered_at >= start, W.registered_at <= self.w.now)
        return stmt.group_by(literal_column("day"))

    def trend_closed(self) -> Select[Any]:
        day = sql.local_day(W.closed_at, self.dialect, self.offset)
        stmt = select(day.label("day"), func.count())
        start = self._live_from(self.w.trend_start)
        stmt = self._where(stmt, W.status == sql.CLOSED, W.closed_at >= start, W.closed_at <= self.w.now)
        return stmt.group_by(literal_column("day"))

    def rising_categories(self) -> Select[Any]:
        w = self.w
        this_week = sql.sum_of(W.registered_at >= w.week_start)
        last_week = sql.sum_of(W.registered_at < w.last_week_end)
        stmt = select(W.category_code, this_week, last_week)
        stmt = self._where(
            stmt,
            W.registered_at >= w.last_week_start,
            W.registered_at <= w.now,
            or_(W.registered_at >= w.week_start, W.registered_at < w.last_week_end),
        )
        return stmt.group_by(W.category_code)

    def _rollup_scope(self) -> Any:
        return sql.route_clause(rollup.route_columns(), self.scope.unit_ids)

    def rollup_rates(self) -> Select[Any]:
        first = self.w.rate_start.astimezone(LOCAL_TZ).date()
        stmt: Select[Any] = rollup.rate_rows(first, self.w.today, self._rollup_scope())
        return stmt

    def rollup_trend(self) -> Select[Any]:
        stmt: Select[Any] = rollup.trend_rows(self.w.trend_days[0], self.w.today, self._rollup_scope())
        return stmt

    def statement(self, name: str) -> Select[Any]:
        if name not in self.names:
            raise KeyError(name)
        stmt: Select[Any] = getattr(self, name)()
        return stmt

    def run(self, session: Session) -> dict[str, list[Sequence[Any]]]:
        return {name: [tuple(r) for r in session.execute(self.statement(name))] for name in self.names}


# --------------------------------------------------------------------------- the result


@dataclass
class Count:
    key: str
    name: str
    today: int = 0
    week: int = 0


@dataclass
class UnitRates:
    unit_id: int
    name: str
    kind: str
    counts: rates.RateCounts = field(default_factory=rates.RateCounts)
    open: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, Any]:
        c = self.counts
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "kind": self.kind,
            "response_rate": c.response_rate,
            "resolution_rate": c.resolution_rate,
            "satisfaction_rate": c.satisfaction_rate,
            "on_time_rate": c.on_time_rate,
            "counts": asdict(c),
            "open": self.open,
            "overdue": self.overdue,
        }


@dataclass
class Dashboard:
    """Every figure of one viewer's dashboard at one instant (as_dict: the JSON of the API)."""

    generated_at: datetime
    scope: Scope
    windows: Windows
    totals: dict[str, int]
    volume: dict[str, list[Count]]
    overall: rates.RateCounts
    units: list[UnitRates]
    backlog_by_status: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    rising: list[dict[str, Any]]
    definition: RateDefinition = DEFAULT

    def ranking(self, rate: str, kind: str | None = None) -> list[UnitRates]:
        """Units of `kind` ranked by `rate` (best first; units without a figure last)."""
        chosen = [u for u in self.units if kind is None or u.kind == kind]
        return sorted(chosen, key=lambda u: _rank_key(getattr(u.counts, rate), u.name))

    def as_dict(self) -> dict[str, Any]:
        w = self.windows
        c = self.overall
        return {
            "generated_at": self.generated_at.astimezone(LOCAL_TZ).isoformat(),
            "scope": {"unit_id": self.scope.unit_id, "name": self.scope.name, "kind": self.scope.kind},
            "windows": {
                "today": w.today.isoformat(),
                "week_start": w.week_start.astimezone(LOCAL_TZ).isoformat(),
                "rate_days": w.rate_days,
                "rate_start": w.rate_start.astimezone(LOCAL_TZ).isoformat(),
                "timezone": "Asia/Shanghai",
            },
            "totals": self.totals,
            "volume": {k: [asdict(v) for v in vs] for k, vs in self.volume.items()},
            "rates": {
                "overall": {
                    "response_rate": c.response_rate,
                    "resolution_rate": c.resolution_rate,
                    "satisfaction_rate": c.satisfaction_rate,
                    "on_time_rate": c.on_time_rate,
                    "counts": asdict(c),
                },
                "units": [u.as_dict() for u in self.ranking("response_rate")],
            },
            "backlog": {
                "open": self.totals["open"],
                "overdue": self.totals["overdue"],
                "by_status": self.backlog_by_status,
            },
            "trend": self.trend,
            "rising": self.rising,
            "rate_definition": self.definition.as_dict(),
            "definitions": {**DEFINITIONS, "rate_definition": self.definition.describe()},
        }


def _rank_key(value: float | None, name: str) -> tuple[int, float, str]:
    return (1, 0.0, name) if value is None else (0, -value, name)


# --------------------------------------------------------------------------- the service


class DashboardService:
    """The leader dashboard's figures for a viewer (read-only, but for refreshing the day rollup).

    The day rollup (zhiyun.analytics.rollup) stands in for the days before today. When it
    does not hold them all (first use, a new day) the request rebuilds it first; when it is
    older than `rollup_max_age` the request is answered from it as it is and one rebuild
    starts in a background thread (`background_refresh`; False: rebuilt before answering).
    `rollup_max_age` None never rebuilds it here (a scheduled `zhiyun dashboard refresh`
    does) and counts live whatever it does not cover; `use_rollup` False counts everything
    live (what the rollup is checked against).
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = system_clock,
        reference: ReferenceCache | None = None,
        rollup_max_age: timedelta | None = timedelta(minutes=5),
        background_refresh: bool = True,
        use_rollup: bool = True,
    ) -> None:
        self.db = db
        self.clock = clock
        self.reference = reference or ReferenceCache()
        self.rollup_max_age = rollup_max_age
        self.background_refresh = background_refresh
        self.use_rollup = use_rollup
        self._refreshing = threading.Lock()
        self._refresher: threading.Thread | None = None
        self.panels = DashboardPanels()  # other capabilities' panels (`Capability.dashboard`)

    def scope_of(self, actor: Actor) -> Scope:
        with self.db.reading() as session:
            return scope_for(actor, self.reference.get(session).org)

    def refresh_rollup(self, actor: Actor) -> rollup.RollupState:
        """Rebuild the day rollup now (what `zhiyun dashboard refresh` and the worker run):
        housekeeping, for `domain.access.may_run_housekeeping`."""
        require(may_run_housekeeping, actor)
        return rollup.refresh(self.db, self.clock())

    def _rolled(self, session: Session, windows: Windows, definition: RateDefinition) -> bool:
        """Whether the rollup can stand in for the days before today (rebuilding it as needed):
        it must hold them, counted by the rate definition in force."""
        if not self.use_rollup:
            return False
        first = min(windows.trend_days[0], windows.rate_start.astimezone(LOCAL_TZ).date())
        version = definition.version
        current = rollup.state(session)
        if self.rollup_max_age is None:
            return current is not None and current.covers(first, windows.today, version)
        if current is None or not current.covers(first, windows.today, version):
            with self._refreshing:
                current = rollup.refresh(self.db, windows.now)
        elif windows.now - current.refreshed_at > self.rollup_max_age:
            if self.background_refresh:
                self._refresh_in_background()
            else:
                with self._refreshing:
                    current = rollup.refresh(self.db, windows.now)
        return current.covers(first, windows.today, version)

    def _refresh_in_background(self) -> None:
        if not self._refreshing.acquire(blocking=False):
            return  # one rebuild at a time per process

        def run() -> None:
            try:
                rollup.refresh(self.db, self.clock())
            except Exception:  # the next request tries again
                log.exception("rebuilding the dashboard's day rollup failed")
            finally:
                self._refreshing.release()

        self._refresher = threading.Thread(target=run, name="dashboard-rollup", daemon=True)
        self._refresher.start()

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild of the rollup to end (tests, orderly shutdown)."""
        if self._refresher is not None:
            self._refresher.join(timeout)

    def dashboard(self, actor: Actor, *, rate_days: int = DEFAULT_RATE_DAYS) -> Dashboard:
        if not 1 <= rate_days <= MAX_RATE_DAYS:
            raise ValidationFailed(f"统计天数须在 1–{MAX_RATE_DAYS} 之间", field="days")
        now = self.clock()
        windows = Windows.at(now, rate_days)
        with self.db.reading() as session:
            org = self.reference.get(session).org
            scope = scope_for(actor, org)
            definition = current_in(session)
            rolled = self._rolled(session, windows, definition)
        with self.db.reading() as session:
            queries = DashboardQueries(scope, windows, self.db.dialect, rolled=rolled, definition=definition)
            rows = queries.run(session)
            channel_names = {
                str(c): str(n) for c, n in session.execute(select(ChannelRow.code, ChannelRow.name))
            }
            category_names = {
                str(c): str(n) for c, n in session.execute(select(CategoryRow.code, CategoryRow.name))
            }
        board = assemble(rows, scope, windows, org, channel_names, category_names)
        board.definition = definition
        return board


def _unit_name(org: OrgTree, scope: Scope, unit_id: int) -> tuple[str, str]:
    if unit_id == scope.unit_id:
        return f"{scope.name}（本级）", "self"
    unit = org.units[unit_id]
    return unit.name, unit.kind.value


def assemble(
    rows: dict[str, list[Sequence[Any]]],
    scope: Scope,
    windows: Windows,
    org: OrgTree,
    channel_names: dict[str, str],
    category_names: dict[str, str] | None = None,
) -> Dashboard:
    """The dashboard from the rows of every query (pure: no I/O)."""
    attributed: dict[tuple[int | None, ...], int | None] = {}

    def attribute(route: tuple[int | None, ...]) -> int | None:
        if route not in attributed:
            attributed[route] = rates.attribute(org, scope.unit_id, route)
        return attributed[route]

    units: dict[int, UnitRates] = {}
    names = category_names or {}

    def category_name(code: str | None) -> str:
        return UNCATEGORIZED if code is None else names.get(code, code)

    def unit(unit_id: int) -> UnitRates:
        if unit_id not in units:
            name, kind = _unit_name(org, scope, unit_id)
            units[unit_id] = UnitRates(unit_id, name, kind)
        return units[unit_id]

    # every child of the scope is listed, with or without orders
    for child in org.children.get(scope.unit_id, []):
        unit(child)

    def counts(key_rows: list[Sequence[Any]], name_of: Any) -> list[Count]:
        out: dict[str, Count] = {}
        for key, today, week in key_rows:
            k = "" if key is None else str(key)
            item = out.setdefault(k, Count(k, name_of(key)))
            item.today += int(today)
            item.week += int(week)
        return sorted(out.values(), key=lambda c: (-c.week, -c.today, c.key))

    volume = {
        "by_channel": counts(rows["volume_by_channel"], lambda k: channel_names.get(k, k or "未知渠道")),
        "by_category": counts(rows["volume_by_category"], category_name),
        "by_type": counts(rows["volume_by_type"], _type_label),
    }
    by_unit: dict[int, Count] = {}
    for row in rows["volume_by_unit"]:
        today, week = row[3], row[4]
        uid = attribute(tuple(row[:3]))
        if uid is None:
            continue
        name, _ = _unit_name(org, scope, uid)
        item = by_unit.setdefault(uid, Count(str(uid), name))
        item.today += int(today)
        item.week += int(week)
    volume["by_unit"] = sorted(by_unit.values(), key=lambda c: (-c.week, -c.today, c.name))

    overall = rates.RateCounts()
    for row in [*rows["rates_by_unit"], *rows.get("rollup_rates", [])]:
        route = tuple(row[:3])
        group = rates.RateCounts(**dict(zip(sql.RATE_FIELDS, (int(v) for v in row[3:]), strict=True)))
        overall.add(group)
        uid = attribute(route)
        if uid is not None:
            unit(uid).counts.add(group)

    by_status: dict[str, int] = defaultdict(int)
    open_total = overdue_total = 0
    for reg, resp, cur, status, n, overdue in rows["backlog_by_unit"]:
        by_status[status] += int(n)
        open_total += int(n)
        overdue_total += int(overdue)
        uid = attribute((reg, resp, cur))
        if uid is not None:
            unit(uid).open += int(n)
            unit(uid).overdue += int(overdue)
    backlog_by_status = [
        {"status": s.value, "label": s.label, "count": by_status.get(s.value, 0)}
        for s in OrderStatus
        if s in OPEN_STATUSES
    ]

    new_per_day: dict[date, int] = defaultdict(int)
    closed_per_day: dict[date, int] = defaultdict(int)
    for d, n in rows["trend_new"]:
        new_per_day[_as_date(d)] += int(n)
    for d, n in rows["trend_closed"]:
        closed_per_day[_as_date(d)] += int(n)
    for d, n, closed in rows.get("rollup_trend", []):
        new_per_day[_as_date(d)] += int(n)
        closed_per_day[_as_date(d)] += int(closed)
    trend = [
        {"day": d.isoformat(), "new": new_per_day.get(d, 0), "closed": closed_per_day.get(d, 0)}
        for d in windows.trend_days
    ]

    rising: list[dict[str, Any]] = []
    for key, this_week, last_week in rows["rising_categories"]:
        this_week, last_week = int(this_week), int(last_week)
        if this_week > last_week:
            rising.append(
                {
                    "category": key or "",
                    "name": category_name(key),
                    "this_week": this_week,
                    "last_week": last_week,
                    "increase": this_week - last_week,
                    "growth": rates.growth(this_week, last_week),
                }
            )
    rising.sort(key=_rising_key)

    today_total = sum(c.today for c in volume["by_channel"])
    week_total = sum(c.week for c in volume["by_channel"])
    return Dashboard(
        generated_at=windows.now,
        scope=scope,
        windows=windows,
        totals={"today": today_total, "week": week_total, "open": open_total, "overdue": overdue_total},
        volume=volume,
        overall=overall,
        units=list(units.values()),
        backlog_by_status=backlog_by_status,
        trend=trend,
        rising=rising[:10],
    )


def _rising_key(item: dict[str, Any]) -> tuple[int, float, str]:
    growth = item["growth"]
    return (
        -int(item["increase"]),
        -(float("inf") if growth is None else float(growth)),
        str(item["category"]),
    )


def _type_label(value: str | None) -> str:
    try:
        return OrderType(value or "").label
    except ValueError:
        return value or "未知"


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


__all__ = [
    "DEFINITIONS",
    "Dashboard",
    "DashboardQueries",
    "DashboardService",
    "Scope",
    "assemble",
    "scope_for",
]
