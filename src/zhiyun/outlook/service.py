"""The outlook's use cases (docs/outlook.md): the daily surge detection that raises warnings (预警),
what a town's center does with a warning (acknowledge, dismiss with a reason, turn it into a
proactive order 未诉先办 through intake), and the reads — warnings, the next four weeks'
forecasts per category and town, the seasonal calendar (季节提示).

Who reads what: `domain.access.may_see_area` (the district center every town; a town center its
own town). One transaction per use case; each step of a warning bumps its version and writes one
step row (`outlook_warning_step`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.domain import access
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ, WorkCalendar
from zhiyun.domain.channels import PROACTIVE
from zhiyun.domain.errors import ActionNotAllowed, ConcurrentUpdate, NotFound, ValidationFailed
from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.outlook import (
    DEFAULT_GROWTH_RULES,
    DEFAULT_RULES,
    WARNING_STEPS,
    DailySeries,
    DetectionRules,
    GrowthRules,
    HotIssueGrowth,
    SeriesKey,
    Signal,
    WarningAction,
    WarningStatus,
    Window,
    build_series,
    category_totals,
    day_kinds,
    detect,
    dismiss_reason,
    explanation,
    growth_explanation,
    hot_issue_growth,
    proactive_title,
    season_text,
    seasonal_factor,
    seasonal_patterns,
    week_start,
    window_label,
)
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.geo.locator import Location
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.outlook import repo
from zhiyun.outlook.forecast import Forecaster, one_blas_thread
from zhiyun.outlook.tables import OutlookWarningRow
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

DETECTION_DAYS = 364 + DEFAULT_RULES.lookback + 21  # the seasonal factor looks a year back
FORECAST_DAYS = 730  # two years of history at most
SEASON_DAYS = 3 * 365 + 1
CACHE_SECONDS = 3600.0
LISTED = 200


@dataclass(frozen=True)
class StepView:
    """One step of a warning: what, who, when, the note."""

    action: str
    label: str
    to_status: str
    actor_name: str
    at: datetime
    note: str


@dataclass(frozen=True)
class WarningView:
    """A warning as its reader sees it, with what they may do to it now."""

    id: int
    town_unit_id: int
    town: str
    category_code: str
    category: str
    window: str
    window_label: str
    period_start: date
    last_day: date
    observed: int
    expected: float
    expected_sd: float
    interval_low: int
    interval_high: int
    p_value: float
    method: str
    explanation: str
    status: str
    status_label: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    dismissed_at: datetime | None
    dismissed_by: str | None
    dismiss_reason: str | None
    ordered_at: datetime | None
    ordered_by: str | None
    order_id: int | None
    order_number: str | None
    version: int
    actions: tuple[str, ...]
    steps: tuple[StepView, ...] = ()
    hot_issue_id: int = 0  # a new hot issue growing fast (0: a surge of a category)


@dataclass(frozen=True)
class WeekView:
    first: date
    mean: float
    low: int
    high: int


@dataclass(frozen=True)
class ForecastView:
    """The next four weeks of one category in one town."""

    town_unit_id: int
    town: str
    category_code: str
    category: str
    method: str
    last_week: int  # orders of the last seven days of the history
    weeks: tuple[WeekView, ...]


@dataclass(frozen=True)
class SeasonView:
    """A season of a category (季节提示): its month, how much busier, in how many years."""

    category_code: str
    category: str
    month: int
    lift: float
    years: int
    orders: int
    text: str
    months_ahead: int  # 0: this month


@dataclass(frozen=True)
class DetectionResult:
    """What one run of the detection did."""

    day: date
    series: int
    raised: int
    updated: int
    seconds: float
    warnings: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class WatchResult:
    """What one look at the new hot issues did."""

    issues: int  # new hot issues looked at
    raised: int
    updated: int
    warnings: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    """Daily series of the towns a reader sees, over [first, last]."""

    first: date
    last: date
    series: dict[SeriesKey, DailySeries]
    calendar: WorkCalendar | None = None  # the site's working-day calendar (with its overrides)


def _town_of(org: OrgTree, unit_id: int | None) -> int | None:
    """The town at or above `unit_id` (None: none, or no unit)."""
    if unit_id is None or unit_id not in org.units:
        return None
    if org.units[unit_id].kind is UnitKind.TOWN:
        return unit_id
    return next((u.id for u in org.ancestors(unit_id) if u.kind is UnitKind.TOWN), None)


def _most_common_place(
    org: OrgTree, orders: Collection[tuple[datetime, str | None, int | None, int | None]]
) -> tuple[int, str] | None:
    """The town and the category of most of `orders` ((registered at, category, town, holder));
    None when none of them has both."""
    towns: dict[int, int] = {}
    categories: dict[str, int] = {}
    for _, category, town, holder in orders:
        place = town if town is not None else _town_of(org, holder)
        if place is not None:
            towns[place] = towns.get(place, 0) + 1
        if category:
            categories[category] = categories.get(category, 0) + 1
    if not towns or not categories:
        return None
    town = max(sorted(towns), key=lambda t: towns[t])
    category = max(sorted(categories), key=lambda c: categories[c])
    return town, category


def _center_for(org: OrgTree, town_unit_id: int) -> int:
    return org.center_of(town_unit_id).id


class OutlookService:
    """Seasons, forecasts and warnings (the module's note)."""

    def __init__(
        self,
        db: Database,
        reference: ReferenceCache,
        intake: IntakeService,
        *,
        clock: Clock = system_clock,
        rules: DetectionRules = DEFAULT_RULES,
        growth_rules: GrowthRules = DEFAULT_GROWTH_RULES,
    ) -> None:
        self.db = db
        self.reference = reference
        self.intake = intake
        self.clock = clock
        self.rules = rules
        self.growth_rules = growth_rules
        self._cache: dict[tuple[str, date, frozenset[int] | None], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ scope

    def _towns(self, session: Session, actor: Actor) -> tuple[OrgTree, frozenset[int] | None]:
        """The org tree and the towns `actor` sees (None: every town); PermissionDenied when
        they read no outlook at all."""
        access.require(access.may_read_outlook, actor)
        org = self.reference.get(session).org
        towns = [u.id for u in org.units.values() if u.kind is UnitKind.TOWN]
        seen = frozenset(t for t in towns if access.may_see_area(actor, t, org))
        return org, (None if len(seen) == len(towns) else seen)

    def _today(self) -> date:
        return self.clock().astimezone(LOCAL_TZ).date()

    # ------------------------------------------------------------------ history

    def _counts(
        self, session: Session, first: date, last: date, towns: Collection[int] | None
    ) -> list[tuple[str, int, date, int]]:
        """(category, town, day, orders) of the towns `towns` (None: all): an order intake could
        not place in a town counts in the town above the unit holding it (none: not counted)."""
        org = self.reference.get(session).org
        found: list[tuple[str, int, date, int]] = []
        for category, town, holder, day, count in repo.daily_counts(session, first, last):
            place = town if town is not None else _town_of(org, holder)
            if place is not None and (towns is None or place in towns):
                found.append((category, place, day, count))
        return found

    def _history(self, session: Session, first: date, last: date, towns: Collection[int] | None) -> History:
        return History(first, last, build_series(self._counts(session, first, last, towns), first, last))

    def history(self, actor: Actor, days: int, last: date | None = None) -> History:
        """The daily series of the towns `actor` sees over the `days` days to `last` (default
        yesterday), from the first order's day when that is later."""
        if not 1 <= days <= 4000:
            raise ValidationFailed("天数须在 1–4000 之间", field="days")
        last = last or self._today() - timedelta(days=1)
        with self.db.reading() as session:
            _, towns = self._towns(session, actor)
            first = max(last - timedelta(days=days - 1), min(repo.first_order_day(session) or last, last))
            found = self._history(session, first, last, towns)
            return History(found.first, found.last, found.series, self.reference.get(session).calendar)

    # ------------------------------------------------------------------ detection

    def detect(self, actor: Actor, day: date | None = None) -> DetectionResult:
        """Run the surge tests on `day` (default yesterday, the last whole day) for every series,
        raising one warning per town × category × window × period; a warning still raised is
        brought up to date instead (idempotent: a second run raises nothing new)."""
        access.require(access.may_run_detection, actor)
        started = time.perf_counter()
        day = day or self._today() - timedelta(days=1)
        if day > self._today():
            raise ValidationFailed("不能检测未来的日期", field="day")
        now = self.clock()
        raised: list[int] = []
        updated = 0
        with self.db.transaction() as session:
            snapshot = self.reference.get(session)
            # the days before the first order are no history (a new platform's zeros are not quiet days)
            first = max(day - timedelta(days=DETECTION_DAYS - 1), repo.first_order_day(session) or day)
            history = self._history(session, first, day, None)
            kinds = day_kinds(snapshot.calendar, first, (day - first).days + 1)
            pooled = category_totals(history.series.values())
            names = repo.category_names(session)
            monday_index = (week_start(day) - first).days
            for key, series in history.series.items():
                factor = seasonal_factor(pooled[key.category_code], monday_index, self.rules.lookback)
                for signal in detect(series, kinds, day, self.rules, factor):
                    if key.town_unit_id not in snapshot.org.units:
                        continue
                    outcome = self._keep(session, signal, snapshot.org, names, actor, now)
                    if outcome is True:
                        updated += 1
                    elif outcome is not None:
                        raised.append(outcome)
        return DetectionResult(
            day, len(history.series), len(raised), updated, round(time.perf_counter() - started, 2), raised
        )

    def _keep(
        self,
        session: Session,
        signal: Signal,
        org: OrgTree,
        names: dict[str, str],
        actor: Actor,
        now: datetime,
    ) -> int | bool | None:
        """Store a signal: the new warning's id, True when a raised one was brought up to date,
        None when its warning is already past raised (or unchanged)."""
        key = signal.key
        town = org.units[key.town_unit_id].name
        category = names.get(key.category_code, key.category_code)
        label = window_label(signal.window, signal.period_start, now.astimezone(LOCAL_TZ).date())
        text = explanation(town, category, label, signal.observed, signal.expected)
        values: dict[str, Any] = {
            "last_day": signal.last_day,
            "observed": signal.observed,
            "expected": round(signal.expected.mean, 3),
            "expected_sd": round(signal.expected.sd, 3),
            "interval_low": signal.interval[0],
            "interval_high": signal.interval[1],
            "p_value": signal.p_value,
            "method": "+".join(signal.methods),
            "explanation": text[:300],
        }
        row = repo.find_warning(
            session, key.town_unit_id, key.category_code, signal.window.value, signal.period_start
        )
        key_fields = {
            "town_unit_id": key.town_unit_id,
            "category_code": key.category_code,
            "window": signal.window.value,
            "period_start": signal.period_start,
        }
        return self._store(
            session,
            org,
            row,
            key_fields,
            values,
            signal.observed,
            {"p_value": signal.p_value},
            "outlook",
            actor,
            now,
        )

    def _store(
        self,
        session: Session,
        org: OrgTree,
        row: OutlookWarningRow | None,
        key_fields: dict[str, Any],
        values: dict[str, Any],
        observed: int,
        details: dict[str, Any],
        notice_kind: str,
        actor: Actor,
        now: datetime,
    ) -> int | bool | None:
        """Raise a new warning (its first step audited, its town's center told) and return its id;
        or bring a raised one up to date when more was counted (True); None when it is past raised
        or nothing grew."""
        if row is None:
            row = OutlookWarningRow(
                **key_fields, status=WarningStatus.RAISED.value, raised_at=now, version=1, **values
            )
            text = str(values["explanation"])
            record = AuditRecord(WarningAction.RAISE.value, None, WarningStatus.RAISED.value, text, details)
            repo.add_warning(session, row, record, actor, now)
            self._notify(session, org, row, notice_kind, now)
            return row.id
        if row.status != WarningStatus.RAISED.value or observed <= row.observed:
            return None
        for name, value in values.items():
            setattr(row, name, value)
        return True

    @staticmethod
    def _notify(session: Session, org: OrgTree, row: OutlookWarningRow, kind: str, now: datetime) -> None:
        """Tell the center of the warning's town (its dispatchers' notices, GET /api/v1/notices)."""
        repo.add_notice(
            session,
            _center_for(org, row.town_unit_id),
            kind,
            f"预警：{row.explanation}",
            f"/outlook#warning-{row.id}",
            now,
        )

    # ------------------------------------------------------------------ new hot issues

    def watch_hot_issues(self, actor: Actor) -> WatchResult:
        """Raise a warning on every new hot issue growing fast (`domain.outlook.hot_issue_growth`):
        one per hot issue, in the town and category of most of its orders, its counts brought up
        to date while it is still raised; the town's center is told."""
        access.require(access.may_run_detection, actor)
        now = self.clock()
        rules = self.growth_rules
        raised: list[int] = []
        updated = 0
        with self.db.transaction() as session:
            org = self.reference.get(session).org
            issues = repo.new_hot_issues(session, now - timedelta(days=rules.new_days))
            members = repo.hot_issue_orders(session, [i.id for i in issues])
            for issue in issues:
                orders = members.get(issue.id, [])
                growth = hot_issue_growth(issue.first_at, now, [o[0] for o in orders], rules)
                if growth is None:
                    continue
                where = _most_common_place(org, orders)
                if where is None:
                    continue
                town, category = where
                outcome = self._keep_hot(
                    session, org, issue.id, issue.title, town, category, growth, actor, now
                )
                if outcome is True:
                    updated += 1
                elif outcome is not None:
                    raised.append(outcome)
        return WatchResult(len(issues), len(raised), updated, raised)

    def _keep_hot(
        self,
        session: Session,
        org: OrgTree,
        issue_id: int,
        title: str,
        town: int,
        category: str,
        growth: HotIssueGrowth,
        actor: Actor,
        now: datetime,
    ) -> int | bool | None:
        hours = self.growth_rules.recent_hours
        text = growth_explanation(title, growth, hours)[:300]
        sd = growth.expected**0.5
        values: dict[str, Any] = {
            "last_day": now.astimezone(LOCAL_TZ).date(),
            "observed": growth.recent,
            "expected": growth.expected,
            "expected_sd": round(sd, 3),
            "interval_low": 0,
            "interval_high": max(0, round(growth.expected + 2 * sd)),
            "p_value": growth.p_value,
            "method": "hot_issue",
            "explanation": text,
        }
        key_fields = {
            "town_unit_id": town,
            "category_code": category,
            "window": Window.HOT.value,
            "period_start": now.astimezone(LOCAL_TZ).date(),
            "hot_issue_id": issue_id,
        }
        row = repo.find_hot_issue_warning(session, issue_id)
        details = {"p_value": growth.p_value, "hot_issue": issue_id}
        return self._store(
            session, org, row, key_fields, values, growth.recent, details, "hot_issue", actor, now
        )

    # ------------------------------------------------------------------ warnings: reads

    def warnings(self, actor: Actor, status: str | None = None, limit: int = LISTED) -> list[WarningView]:
        """The warnings of the towns `actor` sees, newest first (optionally of one status)."""
        if status is not None and status not in {s.value for s in WarningStatus}:
            raise ValidationFailed(f"未知的状态 {status!r}", field="status")
        with self.db.reading() as session:
            org, towns = self._towns(session, actor)
            names = repo.category_names(session)
            rows = repo.list_warnings(
                session, towns, None if status is None else [status], min(limit, LISTED)
            )
            return [self._view(session, row, org, names, actor) for row in rows]

    def warning(self, actor: Actor, warning_id: int) -> WarningView:
        """One warning with its steps; NotFound when it does not exist or lies outside what
        `actor` sees."""
        with self.db.reading() as session:
            org, _ = self._towns(session, actor)
            row = self._load(session, actor, org, warning_id)
            return self._view(session, row, org, repo.category_names(session), actor, steps=True)

    def _load(self, session: Session, actor: Actor, org: OrgTree, warning_id: int) -> OutlookWarningRow:
        row = session.get(OutlookWarningRow, warning_id)
        if row is None or not access.may_see_area(actor, row.town_unit_id, org):
            raise NotFound("预警不存在", warning_id=warning_id)
        return row

    def _actions(self, row: OutlookWarningRow, org: OrgTree, actor: Actor) -> tuple[str, ...]:
        if not access.may_handle_warning(actor, row.town_unit_id, org):
            return ()
        status = WarningStatus(row.status)
        allowed: list[str] = []
        for action in (WarningAction.ACKNOWLEDGE, WarningAction.ORDER, WarningAction.DISMISS):
            if not WARNING_STEPS.allows(status, action):
                continue
            if action is WarningAction.ORDER and not access.may_register_at(
                actor, _center_for(org, row.town_unit_id), org
            ):
                continue
            allowed.append(action.value)
        return tuple(allowed)

    def _view(
        self,
        session: Session,
        row: OutlookWarningRow,
        org: OrgTree,
        names: dict[str, str],
        actor: Actor,
        *,
        steps: bool = False,
    ) -> WarningView:
        unit = org.units.get(row.town_unit_id)
        number = None
        if row.order_id is not None:
            order = session.get(WorkOrderRow, row.order_id)
            number = order.number if order is not None else None
        window = Window(row.window)
        trail: tuple[StepView, ...] = ()
        if steps:
            trail = tuple(
                StepView(
                    s.action,
                    WarningAction(s.action).label
                    if s.action in {a.value for a in WarningAction}
                    else s.action,
                    s.to_status,
                    s.actor_name,
                    s.created_at,
                    s.note,
                )
                for s in repo.steps_of(session, row.id)
            )
        return WarningView(
            id=row.id,
            town_unit_id=row.town_unit_id,
            town=unit.name if unit is not None else str(row.town_unit_id),
            category_code=row.category_code,
            category=names.get(row.category_code, row.category_code),
            window=row.window,
            window_label=window.label,
            period_start=row.period_start,
            last_day=row.last_day,
            observed=row.observed,
            expected=row.expected,
            expected_sd=row.expected_sd,
            interval_low=row.interval_low,
            interval_high=row.interval_high,
            p_value=row.p_value,
            method=row.method,
            explanation=row.explanation,
            status=row.status,
            status_label=WarningStatus(row.status).label,
            raised_at=row.raised_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            dismissed_at=row.dismissed_at,
            dismissed_by=row.dismissed_by,
            dismiss_reason=row.dismiss_reason,
            ordered_at=row.ordered_at,
            ordered_by=row.ordered_by,
            order_id=row.order_id,
            order_number=number,
            version=row.version,
            actions=self._actions(row, org, actor),
            steps=trail,
            hot_issue_id=row.hot_issue_id,
        )

    # ------------------------------------------------------------------ warnings: steps

    def _step(
        self,
        actor: Actor,
        warning_id: int,
        action: WarningAction,
        to: WarningStatus,
        changes: dict[str, Any],
        note: str = "",
        *,
        order: bool = False,
    ) -> WarningView:
        now = self.clock()
        who = actor.name or actor.role.label
        with self.db.transaction() as session:
            org = self.reference.get(session).org
            access.require(access.may_read_outlook, actor)
            row = self._load(session, actor, org, warning_id)
            access.require(access.may_handle_warning, actor, row.town_unit_id, org)
            status = WarningStatus(row.status)
            if not WARNING_STEPS.allows(status, action):
                raise ActionNotAllowed(
                    f"预警当前为「{status.label}」，不能{action.label}",
                    status=status.value,
                    allowed_actions=list(self._actions(row, org, actor)),
                )
            WARNING_STEPS.check_target(status, action, to)
            details: dict[str, Any] = {}
            if order:
                center = _center_for(org, row.town_unit_id)
                access.require(access.may_register_at, actor, center, org)
                names = repo.category_names(session)
                order_id, number = self._register_order(session, row, org, names, actor, now, center)
                changes = {**changes, "order_id": order_id}
                details["order"] = number
            changes = {**changes, "status": to.value}
            record = AuditRecord(action.value, status.value, to.value, note, details)
            stamped = {k: (who if v is _WHO else now if v is _NOW else v) for k, v in changes.items()}
            if not repo.write_step(session, row, stamped, record, actor, now):
                raise ConcurrentUpdate("预警已被他人处理，请刷新后重试")
        return self.warning(actor, warning_id)

    def acknowledge(self, actor: Actor, warning_id: int) -> WarningView:
        """The center has seen the warning (已知悉)."""
        return self._step(
            actor,
            warning_id,
            WarningAction.ACKNOWLEDGE,
            WarningStatus.ACKNOWLEDGED,
            {"acknowledged_at": _NOW, "acknowledged_by": _WHO},
        )

    def dismiss(self, actor: Actor, warning_id: int, reason: str | None) -> WarningView:
        """Dismiss the warning (已排除), with its reason (required)."""
        text = dismiss_reason(reason)
        return self._step(
            actor,
            warning_id,
            WarningAction.DISMISS,
            WarningStatus.DISMISSED,
            {"dismissed_at": _NOW, "dismissed_by": _WHO, "dismiss_reason": text},
            text,
        )

    def make_order(self, actor: Actor, warning_id: int) -> WarningView:
        """Turn the warning into a proactive order (未诉先办) registered through intake at the
        town's center by `actor` (who must be allowed to register there)."""
        return self._step(
            actor,
            warning_id,
            WarningAction.ORDER,
            WarningStatus.ORDERED,
            {"ordered_at": _NOW, "ordered_by": _WHO},
            order=True,
        )

    def _register_order(
        self,
        session: Session,
        row: OutlookWarningRow,
        org: OrgTree,
        names: dict[str, str],
        actor: Actor,
        now: datetime,
        center: int,
    ) -> tuple[int, str]:
        town = org.units[row.town_unit_id].name
        category = names.get(row.category_code, row.category_code)
        content = (
            f"系统预警：{row.explanation}。"
            f"{'单日' if row.window == Window.DAY.value else '本周'}诉求量明显高于预期"
            f"（{row.period_start.isoformat()} 至 {row.last_day.isoformat()}，检验方法 {row.method}）。"
            "请提前研判原因、组织排查处置，在市民再次来电之前主动解决（未诉先办）。"
        )
        draft = IntakeDraft(
            external_id=f"W{row.id}",
            title=proactive_title(town, category),
            content=content,
            order_type=OrderType.REPORT,
            urgency=Urgency.NORMAL,
            reported_at=now,
            category_code=row.category_code,
            attributes={"warning_id": row.id},
        )
        result = self.intake.accept_in(
            session,
            PROACTIVE,
            draft,
            {"warning_id": row.id, "explanation": row.explanation},
            actor=actor,
            now=now,
            center_unit_id=center,
            location=Location(town_unit_id=row.town_unit_id, source="outlook"),
            details={"outlook": {"warning_id": row.id}},
        )
        return result.order.id, result.order.number

    # ------------------------------------------------------------------ forecasts and seasons

    def _cached(self, kind: str, towns: frozenset[int] | None, make: Any) -> Any:
        key = (kind, self._today(), towns)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
                return hit[1]
        value = make()
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if k[1] == key[1]}
            self._cache[key] = (time.monotonic(), value)
        return value

    def forecasts(
        self, actor: Actor, town_unit_id: int | None = None, limit: int = 100
    ) -> list[ForecastView]:
        """The next four weeks of each category in each town `actor` sees (or in one town),
        the busiest first; computed once a day."""
        with self.db.reading() as session:
            org, towns = self._towns(session, actor)
            if town_unit_id is not None and not access.may_see_area(actor, town_unit_id, org):
                raise NotFound("镇街不存在", town_unit_id=town_unit_id)
            all_views: list[ForecastView] = self._cached(
                "forecast", None, lambda: self._all_forecasts(session, org)
            )
        views = [
            v
            for v in all_views
            if (towns is None or v.town_unit_id in towns)
            and (town_unit_id is None or v.town_unit_id == town_unit_id)
        ]
        return views[: max(1, min(limit, 1000))]

    def _all_forecasts(self, session: Session, org: OrgTree) -> list[ForecastView]:
        last = self._today() - timedelta(days=1)
        start = repo.first_order_day(session)
        if start is None or start > last:
            return []
        first = max(start, last - timedelta(days=FORECAST_DAYS - 1))
        history = self._history(session, first, last, None)
        forecaster = Forecaster(self.reference.get(session).calendar, first, last)
        names = repo.category_names(session)
        views: list[ForecastView] = []
        with one_blas_thread():
            for key, series in history.series.items():
                unit = org.units.get(key.town_unit_id)
                if unit is None:
                    continue
                f = forecaster.forecast(series)
                views.append(
                    ForecastView(
                        key.town_unit_id,
                        unit.name,
                        key.category_code,
                        names.get(key.category_code, key.category_code),
                        f.method,
                        sum(series.counts[-7:]),
                        tuple(WeekView(w.first, round(w.mean, 1), w.low, w.high) for w in f.weeks),
                    )
                )
        views.sort(key=lambda v: (-(v.weeks[0].mean if v.weeks else 0.0), v.town, v.category_code))
        return views

    def seasons(self, actor: Actor, months_ahead: int = 12) -> list[SeasonView]:
        """The seasons of the categories (季节提示) in the towns `actor` sees, learned from up to
        three years of history, the nearest month first (this month, then the next …)."""
        with self.db.reading() as session:
            _, towns = self._towns(session, actor)
            found: list[SeasonView] = self._cached("season", towns, lambda: self._seasons(session, towns))
        return [s for s in found if s.months_ahead <= months_ahead]

    def outlook_in(
        self, session: Session, towns: frozenset[int] | None, months_ahead: int = 3
    ) -> tuple[list[SeasonView], list[ForecastView]]:
        """The seasons of the next `months_ahead` months and the next four weeks' forecasts of
        the towns `towns` (None: all), read in the caller's transaction (a report's): no access
        check here, the caller decided whose outlook this is."""
        seasons: list[SeasonView] = self._cached("season", towns, lambda: self._seasons(session, towns))
        org = self.reference.get(session).org
        forecasts: list[ForecastView] = self._cached(
            "forecast", None, lambda: self._all_forecasts(session, org)
        )
        return (
            [s for s in seasons if s.months_ahead <= months_ahead],
            [f for f in forecasts if towns is None or f.town_unit_id in towns],
        )

    def _seasons(self, session: Session, towns: frozenset[int] | None) -> list[SeasonView]:
        last = self._today() - timedelta(days=1)
        start = repo.first_order_day(session)
        if start is None or start > last:
            return []
        first = max(start, last - timedelta(days=SEASON_DAYS - 1))
        daily: dict[str, dict[date, int]] = {}
        for category, _town, day, count in self._counts(session, first, last, towns):
            per_day = daily.setdefault(category, {})
            per_day[day] = per_day.get(day, 0) + count
        names = repo.category_names(session)
        month = self._today().month
        views = [
            SeasonView(
                p.category_code,
                names.get(p.category_code, p.category_code),
                p.month,
                p.lift,
                p.years,
                p.orders,
                season_text(p, names.get(p.category_code, p.category_code)),
                (p.month - month) % 12,
            )
            for p in seasonal_patterns(daily, first, last)
        ]
        views.sort(key=lambda s: (s.months_ahead, -s.lift))
        return views


_NOW = object()  # stamped with the step's time
_WHO = object()  # stamped with the actor's name


def build(services: Services) -> OutlookService:
    """The capability's service over the process's services (`Capability.services`)."""
    return OutlookService(services.db, services.reference, services.intake, clock=services.clock)


__all__ = [
    "DetectionResult",
    "ForecastView",
    "History",
    "OutlookService",
    "SeasonView",
    "StepView",
    "WarningView",
    "WeekView",
    "build",
]
