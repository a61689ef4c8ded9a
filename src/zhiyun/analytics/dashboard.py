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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, not_, or_, select
from sqlalchemy.orm import Session

from zhiyun.analytics import rates
from zhiyun.analytics.periods import DEFAULT_RATE_DAYS, MAX_RATE_DAYS, Windows, utc_offset_hours
from zhiyun.domain.access import DISTRICT_WIDE_READERS, Actor, Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus, OrderType
from zhiyun.store.db import Database
from zhiyun.store.tables import ChannelRow, WorkOrderRow
from zhiyun.store.taxonomy_tables import CategoryRow
from zhiyun.workflow.reference import Clock, ReferenceCache, system_clock

W = WorkOrderRow
DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.DISPATCHER})
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

    def clause(self) -> ColumnElement[bool] | None:
        if self.unit_ids is None:
            return None
        ids = sorted(self.unit_ids)
        return or_(W.registered_unit_id.in_(ids), W.responsible_unit_id.in_(ids), W.current_unit_id.in_(ids))


def scope_for(actor: Actor, org: OrgTree) -> Scope:
    """The unit whose dashboard `actor` sees; PermissionDenied for roles without a dashboard."""
    if actor.role not in DASHBOARD_ROLES:
        raise PermissionDenied("您的角色不能查看统计大屏", role=actor.role.value)
    root = org.root()
    if actor.role in DISTRICT_WIDE_READERS or actor.unit_id is None or actor.unit_id == root.id:
        if actor.role is Role.DISPATCHER and actor.unit_id is None:
            raise PermissionDenied("您的账号未关联单位，不能查看统计大屏")
        return Scope(root.id, root.name, root.kind.value, None)
    unit = org.get(actor.unit_id)
    return Scope(unit.id, unit.name, unit.kind.value, frozenset(org.subtree_ids(unit.id)))


# --------------------------------------------------------------------------- queries


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = column.in_(sorted(values))
    return clause


_INVALID = [s.value for s in rates.INVALID_STATUSES]
_REPLY_LIVE = [s.value for s in rates.REPLY_LIVE_STATUSES]
_SIGN_LIVE = [s.value for s in rates.SIGN_LIVE_STATUSES]
_RESOLVED = [s.value for s in rates.RESOLVED_STATUSES]
_OPEN = [s.value for s in OPEN_STATUSES]
_RATED = [s.value for s in rates.RATED]
_CONTENT = [s.value for s in rates.CONTENT]
_UNSATISFIED = "unsatisfied"
_CLOSED = OrderStatus.CLOSED.value

RATE_FIELDS = (
    "valid",
    "response_due",
    "response_on_time",
    "reply_due",
    "replied_on_time",
    "resolved",
    "rated",
    "satisfied",
)


def rate_columns(now: datetime) -> list[Any]:
    """The eight sums of `rates.RateCounts`, in RATE_FIELDS order (see rates for the definitions)."""
    valid = not_(_in(W.status, _INVALID))
    return [
        _sum(valid),
        _sum(and_(valid, W.sign_due_at.is_not(None), or_(W.signed_at.is_not(None), W.sign_due_at <= now))),
        _sum(and_(valid, W.signed_at.is_not(None), W.sign_due_at.is_not(None), W.signed_at <= W.sign_due_at)),
        _sum(
            and_(
                valid,
                or_(W.replied_at.is_not(None), and_(_in(W.status, _REPLY_LIVE), W.reply_due_at <= now)),
            )
        ),
        _sum(
            and_(
                valid,
                W.replied_at.is_not(None),
                or_(W.reply_due_at.is_(None), W.replied_at <= W.reply_due_at),
            )
        ),
        _sum(
            and_(
                _in(W.status, _RESOLVED),
                W.replied_at.is_not(None),
                or_(W.satisfaction.is_(None), W.satisfaction != _UNSATISFIED),
            )
        ),
        _sum(and_(W.status == _CLOSED, _in(W.satisfaction, _RATED))),
        _sum(and_(W.status == _CLOSED, _in(W.satisfaction, _CONTENT))),
    ]


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(_in(W.status, _SIGN_LIVE), W.sign_due_at <= now),
        and_(_in(W.status, _REPLY_LIVE), W.reply_due_at <= now),
    )


def local_day(column: Any, dialect: str, offset_hours: int) -> Any:
    """The local calendar date of a UTC timestamp column (Asia/Shanghai: a fixed +8 hours)."""
    name = f"{column.table.name}.{column.name}"
    if dialect == "sqlite":
        return literal_column(f"date({name}, '{offset_hours:+d} hours')")
    return literal_column(f"CAST({name} + INTERVAL '{offset_hours} hours' AS DATE)")


ROUTE = (W.registered_unit_id, W.responsible_unit_id, W.current_unit_id)


class DashboardQueries:
    """The dashboard's statements for one scope at one instant; each is one aggregate query."""

    NAMES = (
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

    def __init__(self, scope: Scope, windows: Windows, dialect: str) -> None:
        self.scope = scope
        self.w = windows
        self.dialect = dialect
        self.offset = utc_offset_hours(windows.now)

    def _where(self, stmt: Select[Any], *conditions: ColumnElement[bool]) -> Select[Any]:
        clause = self.scope.clause()
        if clause is not None:
            stmt = stmt.where(clause)
        result: Select[Any] = stmt.where(*conditions)
        return result

    def _volume(self, *keys: Any) -> Select[Any]:
        w = self.w
        stmt: Select[Any] = select(*keys, _sum(W.registered_at >= w.today_start), func.count())
        stmt = self._where(stmt, W.registered_at >= w.week_start, W.registered_at <= w.now)
        return stmt.group_by(*keys)

    def volume_by_channel(self) -> Select[Any]:
        return self._volume(W.channel)

    def volume_by_category(self) -> Select[Any]:
        return self._volume(W.category_code)

    def volume_by_type(self) -> Select[Any]:
        return self._volume(W.order_type)

    def volume_by_unit(self) -> Select[Any]:
        return self._volume(*ROUTE)

    def rates_by_unit(self) -> Select[Any]:
        w = self.w
        stmt = select(*ROUTE, *rate_columns(w.now))
        stmt = self._where(stmt, W.registered_at >= w.rate_start, W.registered_at <= w.now)
        return stmt.group_by(*ROUTE)

    def backlog_by_unit(self) -> Select[Any]:
        stmt = select(*ROUTE, W.status, func.count(), _sum(overdue_clause(self.w.now)))
        stmt = self._where(stmt, _in(W.status, _OPEN))
        return stmt.group_by(*ROUTE, W.status)

    def trend_new(self) -> Select[Any]:
        day = local_day(W.registered_at, self.dialect, self.offset)
        stmt = select(day.label("day"), func.count())
        stmt = self._where(stmt, W.registered_at >= self.w.trend_start, W.registered_at <= self.w.now)
        return stmt.group_by(literal_column("day"))

    def trend_closed(self) -> Select[Any]:
        day = local_day(W.closed_at, self.dialect, self.offset)
        stmt = select(day.label("day"), func.count())
        stmt = self._where(
            stmt, W.status == _CLOSED, W.closed_at >= self.w.trend_start, W.closed_at <= self.w.now
        )
        return stmt.group_by(literal_column("day"))

    def rising_categories(self) -> Select[Any]:
        w = self.w
        this_week = _sum(W.registered_at >= w.week_start)
        last_week = _sum(W.registered_at < w.last_week_end)
        stmt = select(W.category_code, this_week, last_week)
        stmt = self._where(
            stmt,
            W.registered_at >= w.last_week_start,
            W.registered_at <= w.now,
            or_(W.registered_at >= w.week_start, W.registered_at < w.last_week_end),
        )
        return stmt.group_by(W.category_code)

    def statement(self, name: str) -> Select[Any]:
        if name not in self.NAMES:
            raise KeyError(name)
        stmt: Select[Any] = getattr(self, name)()
        return stmt

    def run(self, session: Session) -> dict[str, list[Sequence[Any]]]:
        return {name: [tuple(r) for r in session.execute(self.statement(name))] for name in self.NAMES}


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
            "definitions": DEFINITIONS,
        }


def _rank_key(value: float | None, name: str) -> tuple[int, float, str]:
    return (1, 0.0, name) if value is None else (0, -value, name)


# --------------------------------------------------------------------------- the service


class DashboardService:
    """The leader dashboard's figures for a viewer (read-only; one session per dashboard)."""

    def __init__(
        self, db: Database, *, clock: Clock = system_clock, reference: ReferenceCache | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.reference = reference or ReferenceCache()

    def scope_of(self, actor: Actor) -> Scope:
        with self.db.reading() as session:
            return scope_for(actor, self.reference.get(session).org)

    def dashboard(self, actor: Actor, *, rate_days: int = DEFAULT_RATE_DAYS) -> Dashboard:
        if not 1 <= rate_days <= MAX_RATE_DAYS:
            raise ValidationFailed(f"统计天数须在 1–{MAX_RATE_DAYS} 之间", field="days")
        now = self.clock()
        windows = Windows.at(now, rate_days)
        with self.db.reading() as session:
            org = self.reference.get(session).org
            scope = scope_for(actor, org)
            rows = DashboardQueries(scope, windows, self.db.dialect).run(session)
            channel_names = {
                str(c): str(n) for c, n in session.execute(select(ChannelRow.code, ChannelRow.name))
            }
            category_names = {
                str(c): str(n) for c, n in session.execute(select(CategoryRow.code, CategoryRow.name))
            }
        return assemble(rows, scope, windows, org, channel_names, category_names)


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
    for row in rows["rates_by_unit"]:
        route = tuple(row[:3])
        group = rates.RateCounts(**dict(zip(RATE_FIELDS, (int(v) for v in row[3:]), strict=True)))
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

    new_per_day = {_as_date(d): int(n) for d, n in rows["trend_new"]}
    closed_per_day = {_as_date(d): int(n) for d, n in rows["trend_closed"]}
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
