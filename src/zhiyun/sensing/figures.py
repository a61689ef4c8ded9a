"""Sensing's feedback and figures (感知统计, issue 18 part 6), and the reads of the 感知事件 pages.

`SensingFigures.figures(actor, start=, end=, place=)` counts, over a period of local days
(default the last 30) and the villages the reader sees (`domain.sensing_figures.sensing_villages`),
optionally narrowed to a town or a village (docs/sensing.md, "统计与反馈 Figures", has each
definition):

- the funnel: alarms received → counted (opened or folded into an event: not below the
  threshold, suppressed, from an unknown device, …) → events (their first alarm in the period)
  → raised → verified (checks answered) → work orders; and the alarms by outcome;
- precision per scene, per (scene, algorithm version) and per device, from the answered checks
  of the period (labels), with the Wilson interval and the vendor flag (settings
  `sensing_precision_floor`, `sensing_precision_min_labels`);
- false-alarm hot spots: the grids and devices with the most false alarms;
- the time from an order's first alarm to the order (median, 90th percentile);
- verification timeliness: answered on time, escalated, overdue now;
- hazards found per month: work orders made from events, the last 12 months;
- devices silent now (past their heartbeat interval).

Every figure is a SQL aggregate (`figures_repo`); only one row per work order (for the time
percentiles) and per heartbeat device is read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from time import monotonic
from typing import TYPE_CHECKING, Any

from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ, local_date, local_midnight
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.sensing_alarms import AlarmOutcome, EventStatus, VerificationStatus
from zhiyun.domain.sensing_figures import (
    DEFAULT_MIN_LABELS,
    DEFAULT_PRECISION_FLOOR,
    FunnelStage,
    Precision,
    funnel,
    percentile,
    precision_of,
    require_sensing_reader,
    sensing_villages,
    share,
)
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.reference import repo as ref
from zhiyun.sensing import figures_repo as repo
from zhiyun.sensing.figures_repo import EventFilter, Villages
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

DEFAULT_DAYS = 30
MAX_DAYS = 366
MONTHS = 12
LISTED = 50  # devices listed per table at most (the JSON has all with labels)
HOT_SPOTS = 10
SILENT_LISTED = 50
KEPT_SECONDS = 120.0
KEPT_MAX = 128
EVENT_PAGE = 50
EVENT_ALARMS_SHOWN = 100
PLACE_MAX = 64


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def _local(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class PrecisionRow:
    """The precision of a scene, an algorithm version or a device."""

    kind: str  # scene | version | device
    key: str
    name: str
    detail: str  # the scene of a version, the vendor and place of a device
    precision: Precision
    events: int | None = None  # events in the period (scenes)

    def as_json(self) -> dict[str, Any]:
        p = self.precision
        interval = p.interval
        return {
            "kind": self.kind,
            "key": self.key,
            "name": self.name,
            "detail": self.detail,
            "events": self.events,
            "confirmed": p.confirmed,
            "false_alarm": p.false_alarm,
            "gone": p.gone,
            "labels": p.labels,
            "precision": _pct(p.value),
            "interval": None if interval is None else [round(interval[0], 4), round(interval[1], 4)],
            "gone_share": _pct(p.gone_share),
            "judged": p.judged,
            "flagged": p.flagged,
        }


@dataclass(frozen=True)
class HotSpot:
    """A grid or a device with many false alarms."""

    kind: str  # grid | device
    key: str
    name: str
    place: str
    false_alarms: int
    answers: int

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "name": self.name,
            "place": self.place,
            "false_alarms": self.false_alarms,
            "answers": self.answers,
        }


@dataclass(frozen=True)
class SilentDevice:
    code: str
    name: str
    place: str
    last_seen_at: datetime | None
    silent_minutes: int | None  # None: never heard from
    fault_order: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "place": self.place,
            "last_seen_at": _iso(self.last_seen_at),
            "silent_minutes": self.silent_minutes,
            "fault_order": self.fault_order,
        }


@dataclass(frozen=True)
class TimeToOrder:
    """Minutes from an order's first alarm to the order, over the orders of the period."""

    orders: int
    median_minutes: float | None
    p90_minutes: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "median_minutes": None if self.median_minutes is None else round(self.median_minutes, 1),
            "p90_minutes": None if self.p90_minutes is None else round(self.p90_minutes, 1),
        }


@dataclass(frozen=True)
class Timeliness:
    checks: repo.CheckCounts

    @property
    def on_time_share(self) -> float | None:
        return share(self.checks.on_time, self.checks.answered)

    @property
    def escalated_share(self) -> float | None:
        return share(self.checks.escalated, self.checks.made)

    def as_json(self) -> dict[str, Any]:
        c = self.checks
        return {
            "made": c.made,
            "answered": c.answered,
            "on_time": c.on_time,
            "on_time_share": _pct(self.on_time_share),
            "escalated": c.escalated,
            "escalated_share": _pct(self.escalated_share),
            "pending": c.pending,
            "overdue_now": c.overdue_now,
            "notices": c.notices,
        }


@dataclass(frozen=True)
class SensingReport:
    """Sensing's figures over a period, as far as the reader may see."""

    start: date
    end: date
    generated_at: datetime
    scope_name: str
    floor: float
    min_labels: int
    funnel: tuple[FunnelStage, ...]
    outcomes: tuple[tuple[str, str, int], ...]  # (outcome, label, alarms)
    event_statuses: tuple[tuple[str, str, int], ...]
    scenes: tuple[PrecisionRow, ...]
    versions: tuple[PrecisionRow, ...]
    devices: tuple[PrecisionRow, ...]
    hot_grids: tuple[HotSpot, ...]
    hot_devices: tuple[HotSpot, ...]
    time_to_order: TimeToOrder
    timeliness: Timeliness
    months: tuple[tuple[str, int], ...]
    silent_total: int
    silent: tuple[SilentDevice, ...]
    place_choices: tuple[tuple[str, str], ...] = field(default=())

    @property
    def flags(self) -> tuple[PrecisionRow, ...]:
        """Every scene, version and device flagged for the vendor, the lowest precision first."""
        rows = [r for r in (*self.scenes, *self.versions, *self.devices) if r.precision.flagged]
        return tuple(sorted(rows, key=lambda r: (r.precision.value or 0.0, -r.precision.labels)))

    @property
    def overall(self) -> Precision:
        """The precision over every label of the period (each check once)."""
        c = sum(r.precision.confirmed for r in self.scenes)
        f = sum(r.precision.false_alarm for r in self.scenes)
        g = sum(r.precision.gone for r in self.scenes)
        return precision_of(c, f, g, floor=self.floor, min_labels=self.min_labels)

    def summary(self) -> dict[str, Any]:
        """What the dashboard's panel shows."""
        worst = [r for r in self.scenes if r.precision.judged][:3]
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "funnel": [_stage(s) for s in self.funnel],
            "precision": _pct(self.overall.value),
            "labels": self.overall.labels,
            "worst_scenes": [r.as_json() for r in worst],
            "flags": len(self.flags),
            "time_to_order": self.time_to_order.as_json(),
            "overdue_now": self.timeliness.checks.overdue_now,
            "silent": self.silent_total,
        }

    def as_json(self) -> dict[str, Any]:
        overall = self.overall
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "generated_at": _iso(self.generated_at),
            "scope_name": self.scope_name,
            "precision_floor": self.floor,
            "min_labels": self.min_labels,
            "funnel": [_stage(s) for s in self.funnel],
            "alarms_by_outcome": [
                {"outcome": o, "label": label, "alarms": n} for o, label, n in self.outcomes
            ],
            "events_by_status": [
                {"status": s, "label": label, "events": n} for s, label, n in self.event_statuses
            ],
            "precision": {
                "confirmed": overall.confirmed,
                "false_alarm": overall.false_alarm,
                "gone": overall.gone,
                "labels": overall.labels,
                "precision": _pct(overall.value),
                "gone_share": _pct(overall.gone_share),
            },
            "scenes": [r.as_json() for r in self.scenes],
            "versions": [r.as_json() for r in self.versions],
            "devices": [r.as_json() for r in self.devices],
            "flags": [r.as_json() for r in self.flags],
            "hot_spots": {
                "grids": [h.as_json() for h in self.hot_grids],
                "devices": [h.as_json() for h in self.hot_devices],
            },
            "time_to_order": self.time_to_order.as_json(),
            "verification": self.timeliness.as_json(),
            "orders_per_month": [{"month": m, "orders": n} for m, n in self.months],
            "silent_devices": {"total": self.silent_total, "devices": [d.as_json() for d in self.silent]},
        }


def _stage(s: FunnelStage) -> dict[str, Any]:
    return {
        "key": s.key,
        "label": s.label,
        "count": s.count,
        "of_previous": _pct(s.of_previous),
        "of_first": _pct(s.of_first),
    }


# --------------------------------------------------------------------------- the event pages


@dataclass(frozen=True)
class EventQuery:
    """The 感知事件 list's filters (already checked: `EventQuery.parse`)."""

    status: str | None = None
    scene: str | None = None
    place: str | None = None
    device: str | None = None
    start: date | None = None
    end: date | None = None

    @classmethod
    def parse(
        cls,
        *,
        status: str | None = None,
        scene: str | None = None,
        place: str | None = None,
        device: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> EventQuery:
        status = (status or "").strip() or None
        if status is not None and status not in repo.EVENT_STATUSES:
            raise ValidationFailed(f"事件状态「{status[:20]}」不存在", field="status")
        if start and end and start > end:
            raise ValidationFailed("开始日期不能晚于结束日期", field="from")
        return cls(
            status,
            (scene or "").strip()[:16] or None,
            (place or "").strip()[:PLACE_MAX] or None,
            (device or "").strip()[:64] or None,
            start,
            end,
        )


@dataclass(frozen=True)
class EventLine:
    """One event as the list shows it."""

    id: int
    scene_code: str
    scene_name: str
    device_code: str
    device_name: str
    place: str
    grid_code: str
    count: int
    first_seen: datetime
    last_seen: datetime
    status: str
    status_label: str
    order_id: int | None
    order_number: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scene_code": self.scene_code,
            "scene_name": self.scene_name,
            "device_code": self.device_code,
            "device_name": self.device_name,
            "place": self.place,
            "grid_code": self.grid_code,
            "count": self.count,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "status": self.status,
            "status_label": self.status_label,
            "order_id": self.order_id,
            "order_number": self.order_number,
        }

    @property
    def first_seen_local(self) -> str:
        return _local(self.first_seen)

    @property
    def last_seen_local(self) -> str:
        return _local(self.last_seen)


@dataclass(frozen=True)
class EventPage:
    total: int
    page: int
    pages: int
    items: tuple[EventLine, ...]


@dataclass(frozen=True)
class AlarmLine:
    alarm_id: str
    at: datetime
    received_at: datetime
    score: float
    algorithm_version: str
    outcome: str
    outcome_label: str
    duration_s: int | None

    @property
    def at_local(self) -> str:
        return _local(self.at)


@dataclass(frozen=True)
class CheckView:
    """The verification (核实) of an event (or of its group) and its answer."""

    kind: str
    kind_label: str
    status: str
    status_label: str
    worker: str
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None
    escalated_at: datetime | None
    note: str
    on_time: bool | None

    def local(self, value: datetime | None) -> str:
        return _local(value)


@dataclass(frozen=True)
class EventDetail:
    line: EventLine
    scene_version: int
    algorithm_version: str
    best_score: float
    longest_s: int
    raised_at: datetime | None
    ordered_at: datetime | None
    first_alarm_at: datetime
    latitude: float | None
    longitude: float | None
    group_id: int | None
    evidence_id: int | None
    alarms_total: int
    alarms: tuple[AlarmLine, ...]
    check: CheckView | None

    def local(self, value: datetime | None) -> str:
        return _local(value)


# --------------------------------------------------------------------------- the service


class SensingFigures:
    """Sensing's figures and the reads of its event pages, each scoped to the reader."""

    def __init__(
        self,
        db: Database,
        *,
        floor: float = DEFAULT_PRECISION_FLOOR,
        min_labels: int = DEFAULT_MIN_LABELS,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.floor = floor
        self.min_labels = min_labels
        self.clock = clock
        self._kept: dict[tuple[Any, ...], tuple[float, SensingReport]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ figures

    def period(self, start: date | None = None, end: date | None = None) -> tuple[date, date]:
        """The period asked for: `end` defaults to today, `start` to 30 days up to `end`."""
        today = local_date(self.clock())
        end = end or today
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise ValidationFailed("开始日期不能晚于结束日期", field="from")
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationFailed(f"统计时间段最长 {MAX_DAYS} 天", field="from")
        return start, end

    def figures(
        self, actor: Actor, *, start: date | None = None, end: date | None = None, place: str | None = None
    ) -> SensingReport:
        """The figures of the module's note for the reader's villages (with `place`, a town or
        village by code or name: its part; one out of sight is NotFound)."""
        require_sensing_reader(actor)
        start, end = self.period(start, end)
        now = self.clock()
        since, until = local_midnight(start), local_midnight(end + timedelta(days=1))
        with self.db.reading() as session:
            org = ref.load_org(session)
            villages, scope_name, choices = _scope(actor, org, place)
            outcomes = repo.alarms_by_outcome(session, since, until, villages)
            counts = repo.event_counts(session, since, until, villages)
            per_scene_events = repo.events_per_scene(session, since, until, villages)
            by_scene = repo.labels_by(session, ("scene_code",), since, until, villages)
            by_version = repo.labels_by(session, ("scene_code", "algorithm_version"), since, until, villages)
            by_device = repo.labels_by(session, ("device_id",), since, until, villages)
            by_grid = repo.labels_by(session, ("grid_id",), since, until, villages)
            times = repo.order_times(session, since, until, villages)
            checks = repo.check_counts(session, since, until, now, villages)
            months = _months(local_date(now))
            per_month = repo.orders_per_month(session, months, villages)
            heartbeat = repo.heartbeat_devices(session, villages)
            names = repo.scene_names(session)
            device_facts = repo.devices(session, [k[0] for k in by_device])
            grid_facts = repo.grids(session, [k[0] for k in by_grid if k[0] is not None])
            unit_names = {u.id: u.name for u in org.units.values()}

        def p(answers: dict[str, int]) -> Precision:
            return precision_of(
                answers.get(VerificationStatus.CONFIRMED.value, 0),
                answers.get(VerificationStatus.FALSE_ALARM.value, 0),
                answers.get(VerificationStatus.GONE.value, 0),
                floor=self.floor,
                min_labels=self.min_labels,
            )

        def worst_first(row: PrecisionRow) -> tuple[Any, ...]:
            q = row.precision
            return (not q.flagged, not q.judged, q.value if q.value is not None else 2.0, -q.labels, row.key)

        scene_codes = set(per_scene_events) | {k[0] for k in by_scene}
        scenes = sorted(
            (
                PrecisionRow(
                    "scene",
                    code,
                    names.get(code, code),
                    "",
                    p(by_scene.get((code,), {})),
                    per_scene_events.get(code, 0),
                )
                for code in scene_codes
            ),
            key=worst_first,
        )
        versions = sorted(
            (
                PrecisionRow(
                    "version",
                    f"{code}@{version or '-'}",
                    f"{names.get(code, code)} {version or '（未标版本）'}",
                    str(code),
                    p(answers),
                )
                for (code, version), answers in by_version.items()
            ),
            key=worst_first,
        )

        def place_of(village: int | None, grid: int | None) -> str:
            parts = []
            if village is not None and village in unit_names:
                parts.append(unit_names[village])
            if grid is not None and grid in grid_facts:
                parts.append(grid_facts[grid][0])
            return " · ".join(parts)

        devices = sorted(
            (
                PrecisionRow(
                    "device",
                    d.code if d else str(device_id),
                    d.name if d else f"设备 {device_id}",
                    " · ".join(x for x in ((d.vendor, place_of(d.village_unit_id, None)) if d else ()) if x),
                    p(answers),
                )
                for (device_id,), answers in by_device.items()
                for d in (device_facts.get(device_id),)
            ),
            key=worst_first,
        )
        hot_grids = tuple(
            HotSpot(
                "grid",
                grid_facts[g][0],
                grid_facts[g][1],
                unit_names.get(grid_facts[g][2], ""),
                answers.get(VerificationStatus.FALSE_ALARM.value, 0),
                sum(answers.values()),
            )
            for (g,), answers in sorted(
                by_grid.items(), key=lambda kv: -kv[1].get(VerificationStatus.FALSE_ALARM.value, 0)
            )
            if g is not None and g in grid_facts and answers.get(VerificationStatus.FALSE_ALARM.value, 0)
        )[:HOT_SPOTS]
        hot_devices = tuple(
            HotSpot("device", r.key, r.name, r.detail, r.precision.false_alarm, r.precision.answers)
            for r in sorted(devices, key=lambda r: (-r.precision.false_alarm, r.key))
            if r.precision.false_alarm
        )[:HOT_SPOTS]

        counted = sum(n for o, n in outcomes.items() if o in (AlarmOutcome.OPENED, AlarmOutcome.FOLDED))
        stages = funnel(
            [
                ("alarms", "告警", sum(outcomes.values())),
                ("counted", "有效告警", counted),
                ("events", "事件", counts.events),
                ("raised", "触发处置", counts.raised),
                ("verified", "已核实", counts.verified),
                ("orders", "立案工单", counts.orders),
            ]
        )
        minutes = [(ordered - first).total_seconds() / 60 for first, ordered in times]
        silent = _silent(heartbeat, now, place_of)
        return SensingReport(
            start=start,
            end=end,
            generated_at=now,
            scope_name=scope_name,
            floor=self.floor,
            min_labels=self.min_labels,
            funnel=stages,
            outcomes=tuple(
                (o, _outcome_label(o), n) for o, n in sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            event_statuses=tuple((s, _status_label(s), n) for s, n in counts.by_status),
            scenes=tuple(scenes),
            versions=tuple(versions),
            devices=tuple(devices),
            hot_grids=hot_grids,
            hot_devices=hot_devices,
            time_to_order=TimeToOrder(len(minutes), percentile(minutes, 50), percentile(minutes, 90)),
            timeliness=Timeliness(checks),
            months=tuple((label, per_month.get(label, 0)) for label, _, _ in months),
            silent_total=len(silent),
            silent=tuple(silent[:SILENT_LISTED]),
            place_choices=choices,
        )

    def kept(self, actor: Actor) -> SensingReport:
        """The default period's figures for `actor`'s scope, kept `KEPT_SECONDS` (the
        dashboard's panel shows them on every refresh)."""
        require_sensing_reader(actor)
        with self.db.reading() as session:
            villages = sensing_villages(actor, ref.load_org(session))
        key = (None if villages is None else tuple(sorted(villages)), local_date(self.clock()))
        now = monotonic()
        with self._lock:
            found = self._kept.get(key)
            if found is not None and found[0] > now:
                return found[1]
        report = self.figures(actor)
        with self._lock:
            if len(self._kept) >= KEPT_MAX:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            self._kept[key] = (now + KEPT_SECONDS, report)
        return report

    # ------------------------------------------------------------------ the event pages

    def events(self, actor: Actor, query: EventQuery, *, page: int = 1, size: int = EVENT_PAGE) -> EventPage:
        """The events the reader sees that match `query`, newest last seen first, a page of
        `size` (a place or device out of sight: NotFound)."""
        require_sensing_reader(actor)
        page = max(1, min(page, 10_000))
        with self.db.reading() as session:
            org = ref.load_org(session)
            villages, _, _ = _scope(actor, org, query.place)
            device_id = None
            if query.device:
                device = repo.device_by_code(session, query.device)
                if device is None or not _visible(device.village_unit_id, villages):
                    raise NotFound(f"设备「{query.device[:40]}」不存在", field="device")
                device_id = device.id
            flt = EventFilter(
                status=query.status,
                scene_code=query.scene,
                device_id=device_id,
                since=local_midnight(query.start) if query.start else None,
                until=local_midnight(query.end + timedelta(days=1)) if query.end else None,
            )
            total, rows = repo.event_page(session, flt, villages, (page - 1) * size, size)
            lines = _lines(session, org, rows)
        return EventPage(total, page, max(1, -(-total // size)), tuple(lines))

    def event(self, actor: Actor, event_id: int) -> EventDetail:
        """One event the reader sees: its alarms (the latest `EVENT_ALARMS_SHOWN`), the best
        evidence, the check and its answer, the order. Another unit's event is NotFound, as
        one that does not exist."""
        require_sensing_reader(actor)
        with self.db.reading() as session:
            org = ref.load_org(session)
            villages = sensing_villages(actor, org)
            row = repo.event(session, event_id)
            if row is None or not _visible(row.village_unit_id, villages):
                raise NotFound("感知事件不存在或您无权查看")
            (line,) = _lines(session, org, [row])
            alarms_total, alarms = repo.event_alarms(session, row.id, EVENT_ALARMS_SHOWN)
            evidence = repo.best_evidence(session, row)
            check = repo.verification_of(session, row)
            worker = (
                repo.user_names(session, [check.worker_id]).get(check.worker_id, "")
                if check is not None and check.worker_id is not None
                else ""
            )
            detail = EventDetail(
                line=line,
                scene_version=row.scene_version,
                algorithm_version=row.algorithm_version,
                best_score=row.best_score,
                longest_s=row.longest_s,
                raised_at=row.raised_at,
                ordered_at=row.ordered_at,
                first_alarm_at=row.first_alarm_at,
                latitude=row.latitude,
                longitude=row.longitude,
                group_id=row.group_id,
                evidence_id=evidence,
                alarms_total=alarms_total,
                alarms=tuple(
                    AlarmLine(
                        a.alarm_id,
                        a.at,
                        a.received_at,
                        a.score,
                        a.algorithm_version,
                        a.outcome,
                        _outcome_label(a.outcome),
                        a.duration_s,
                    )
                    for a in alarms
                ),
                check=None if check is None else _check(check, worker),
            )
        return detail

    def choices(self, actor: Actor) -> dict[str, Any]:
        """What the event list's filters offer the reader: statuses, scenes, towns and villages."""
        require_sensing_reader(actor)
        with self.db.reading() as session:
            org = ref.load_org(session)
            _, _, places = _scope(actor, org, None)
            names = repo.scene_names(session)
        return {
            "statuses": [(s.value, s.label) for s in EventStatus],
            "scenes": sorted(names.items()),
            "places": list(places),
        }


# --------------------------------------------------------------------------- helpers


def _visible(village: int | None, villages: Villages) -> bool:
    return villages is None or (village is not None and village in villages)


def _villages_under(org: OrgTree, unit_id: int) -> frozenset[int]:
    return frozenset(u for u in org.subtree_ids(unit_id) if org.units[u].kind is UnitKind.VILLAGE)


def _scope(
    actor: Actor, org: OrgTree, place: str | None
) -> tuple[Villages, str, tuple[tuple[str, str], ...]]:
    """The villages the figures are about (the reader's, narrowed to `place`), the scope's
    name, and the towns and villages the reader may narrow to (code, name)."""
    villages = sensing_villages(actor, org)
    towns = sorted(
        (u for u in org.units.values() if u.kind in (UnitKind.TOWN, UnitKind.VILLAGE)),
        key=lambda u: u.code,
    )
    choices = tuple(
        (u.code, u.name if u.kind is UnitKind.TOWN else f"　{u.name}")
        for u in towns
        if villages is None or (_villages_under(org, u.id) and _villages_under(org, u.id) <= villages)
    )
    if villages is None:
        name = "全区"
    elif actor.unit_id is not None and actor.unit_id in org.units:
        name = org.units[actor.unit_id].name
    else:
        name = "—"
    if not place:
        return villages, name, choices
    wanted = place.strip()[:PLACE_MAX]
    places = [u for u in org.units.values() if u.kind in (UnitKind.TOWN, UnitKind.VILLAGE)]
    found = [u for u in places if u.code == wanted] or [u for u in places if u.name == wanted]
    if len(found) > 1:
        raise ValidationFailed(f"有多个名为「{wanted}」的镇街或村居，请用单位编码", field="town")
    if not found:
        raise NotFound(f"镇街或村居「{wanted}」不存在", field="town")
    under = _villages_under(org, found[0].id)
    if villages is not None and not (under & villages):
        raise NotFound(f"镇街或村居「{wanted}」不存在", field="town")
    return (under if villages is None else under & villages), found[0].name, choices


def _months(today: date) -> list[tuple[str, datetime, datetime]]:
    """The last `MONTHS` months up to this one: (YYYY-MM, start, end) in UTC."""
    result = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1)
        result.append((f"{year:04d}-{month:02d}", local_midnight(start), local_midnight(end)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(result))


def _silent(devices: list[repo.DeviceFacts], now: datetime, place_of: Any) -> list[SilentDevice]:
    """The devices past their heartbeat interval now, the longest silent first."""
    result = []
    for d in devices:
        if d.heartbeat_s is None:
            continue
        seen = d.last_seen_at
        if seen is not None and (now - seen).total_seconds() <= d.heartbeat_s:
            continue
        minutes = None if seen is None else int((now - seen).total_seconds() // 60)
        result.append(
            SilentDevice(
                d.code,
                d.name,
                place_of(d.village_unit_id, d.grid_id),
                seen,
                minutes,
                d.fault_order_id is not None,
            )
        )
    return sorted(
        result, key=lambda s: (s.last_seen_at is not None, s.last_seen_at or datetime.min.replace(tzinfo=UTC))
    )


def _lines(session: Any, org: OrgTree, rows: list[Any]) -> list[EventLine]:
    names = repo.scene_names(session)
    device_facts = repo.devices(session, [r.device_id for r in rows])
    grid_facts = repo.grids(session, [r.grid_id for r in rows if r.grid_id is not None])
    numbers = repo.order_numbers(session, [r.order_id for r in rows if r.order_id is not None])
    result = []
    for r in rows:
        d = device_facts.get(r.device_id)
        village = org.units.get(r.village_unit_id) if r.village_unit_id is not None else None
        grid = grid_facts.get(r.grid_id) if r.grid_id is not None else None
        result.append(
            EventLine(
                id=r.id,
                scene_code=r.scene_code,
                scene_name=names.get(r.scene_code, r.scene_code),
                device_code=d.code if d else "",
                device_name=d.name if d else "",
                place=village.name if village else "",
                grid_code=grid[0] if grid else "",
                count=r.count,
                first_seen=r.first_seen,
                last_seen=r.last_seen,
                status=r.status,
                status_label=_status_label(r.status),
                order_id=r.order_id,
                order_number=numbers.get(r.order_id) if r.order_id is not None else None,
            )
        )
    return result


def _check(row: Any, worker: str) -> CheckView:
    kind_label = "现场告知" if row.kind == "notice" else "核实"
    answered = row.answered_at
    return CheckView(
        kind=row.kind,
        kind_label=kind_label,
        status=row.status,
        status_label=_check_label(row.status),
        worker=worker,
        created_at=row.created_at,
        due_at=row.due_at,
        answered_at=answered,
        escalated_at=row.escalated_at,
        note=row.note or "",
        on_time=None if answered is None else answered <= row.due_at,
    )


def _outcome_label(value: str) -> str:
    try:
        return AlarmOutcome(value).label
    except ValueError:
        return value


def _status_label(value: str) -> str:
    try:
        return EventStatus(value).label
    except ValueError:
        return value


def _check_label(value: str) -> str:
    try:
        return VerificationStatus(value).label
    except ValueError:
        return value


def build(services: Services) -> SensingFigures:
    """The capability's service over the process's services (`Capability.services`)."""
    s = services.settings
    return SensingFigures(
        services.db,
        floor=s.sensing_precision_floor,
        min_labels=s.sensing_precision_min_labels,
        clock=services.clock,
    )


__all__ = [
    "AlarmLine",
    "CheckView",
    "EventDetail",
    "EventLine",
    "EventPage",
    "EventQuery",
    "HotSpot",
    "PrecisionRow",
    "SensingFigures",
    "SensingReport",
    "SilentDevice",
    "TimeToOrder",
    "Timeliness",
    "build",
]
