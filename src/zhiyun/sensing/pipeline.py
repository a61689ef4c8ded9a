"""The alarm pipeline (告警处理): alarms in, events out, decided serially per device.

`AlarmPipeline.store(batch)` takes alarms as they came off MQTT or the webhook (parsed:
`sensing.alarm_schema`) and, in one transaction:

1. skips the alarms already stored (by `alarm_id`: a redelivered MQTT message, a retried call);
2. locks the rows of the batch's devices in id order (`SELECT … FOR UPDATE` on PostgreSQL; on
   SQLite the one writer is the lock), so that whatever else runs at once — a second consumer,
   the webhook — the alarms of one device are decided one after the other;
3. judges each alarm (`domain.sensing_alarms.judge`), folds it into the open event of its
   device and scene or opens one (grouped with a live event of the same scene from a nearby
   device), and marks the event due for raising when its condition is first met — all in
   memory, then written at the batch's end with one statement per table (`_Folding`);
4. notes that each device was heard from.

Raising a due event (`raise_due`, helper `sensing.raising`: a verification task, or an order at
once) is a transaction of its own, after the batch: the consumer does it once it has
acknowledged the batch, the webhook before it answers (`take`), the worker's job for whatever
was left due. A raising that fails never holds the alarms back.

Two backstops make a second open event for one device and scene impossible even if the lock
were missing: the unique `open_key` of an open event, and the retry of the whole batch when the
database refuses a row (a duplicate alarm id or open key written meanwhile by someone else),
which then finds what the other wrote. The caller acknowledges the messages only after `store`
returned, so a crash loses nothing: the broker delivers them again and step 1 skips what was
stored.

Evidence images are checked as attachments are (JPEG or PNG by their bytes) and stored by
content hash before the transaction (a retry finds them there). A webhook call with a bad image
is refused whole (`strict`); on MQTT, where nobody can be told, the alarm is kept and the image
dropped with the reason in the stored payload.
"""

from __future__ import annotations

import collections
import io
import logging
import threading
import time as monotonic
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.config import Settings
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_alarms import (
    AlarmOutcome,
    EventState,
    EventStatus,
    condition_met,
    fold,
    groups_with,
    in_window,
    judge,
    new_event,
)
from zhiyun.domain.sensing_scenes import Scene
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, haversine_m
from zhiyun.orders.attachments import check_upload, keep_spooled, spool_upload
from zhiyun.sensing.alarm_schema import EVIDENCE_MAX_BYTES, AlarmMessage
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, EvidenceRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.raising import EventRaiser, RaiseTurn
from zhiyun.sensing.scenes import SceneCatalogue, SceneVersion
from zhiyun.sensing.verification import scene_of
from zhiyun.store.base import table_of
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.sensing")

EVIDENCE_TYPES = ("image/jpeg", "image/png")
SCENES_TTL_S = 5.0  # a catalogue change takes effect within this
RETRIES = 3
RAISE_BATCH = 50  # events raised in one transaction (short, so that a batch of alarms waits little)
RETRY_RAISE = timedelta(minutes=5)  # an event whose raising failed is tried again after this
LIVE = (EventStatus.WATCHING.value, EventStatus.VERIFYING.value, EventStatus.ORDERED.value)


@dataclass(frozen=True)
class Received:
    """An alarm as it came: the parsed message, how (`mqtt` or `http`), and when."""

    message: AlarmMessage
    via: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class AlarmReceipt:
    """What became of one alarm: `created` is False for an alarm already stored."""

    alarm_id: str
    outcome: AlarmOutcome
    event_id: int | None
    event_status: EventStatus | None
    created: bool


@dataclass
class _StoredEvidence:
    filename: str
    content_type: str = ""
    size: int = 0
    sha256: str | None = None
    url: str | None = None


@dataclass
class _Prepared:
    received: Received
    evidence: list[_StoredEvidence] = field(default_factory=list)
    evidence_refused: list[str] = field(default_factory=list)


def _open_key(device_id: int, scene_code: str) -> str:
    return f"{device_id}:{scene_code}"


def _state(event: EventRow, best_alarm: str) -> EventState:
    return EventState(
        count=event.count,
        first_seen=event.first_seen,
        last_seen=event.last_seen,
        longest_s=event.longest_s,
        best_score=event.best_score,
        best_alarm=best_alarm,
    )


class AlarmPipeline:
    """Alarms to events (see the module's note)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        raiser: EventRaiser,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.raiser = raiser
        self.clock = clock
        self._scenes: dict[str, SceneVersion] = {}
        self._scenes_until = 0.0
        self._scenes_lock = threading.Lock()
        self._versions: dict[tuple[str, int], Scene] = {}

    @property
    def evidence_root(self) -> Path:
        return Path(self.settings.attachment_dir)

    def prepare(self) -> None:
        """Load the scene catalogue and what raising needs, before the first batch (a consumer
        starting up: after a restart the backlog then waits for nothing else)."""
        with self.db.reading() as session:
            self._scene_snapshot(session)
            self.raiser.prepare(session)

    # ------------------------------------------------------------------ evidence

    def _prepare(self, received: Received, *, strict: bool) -> _Prepared:
        prepared = _Prepared(received)
        for number, item in enumerate(received.message.evidence, start=1):
            if item.url is not None:
                prepared.evidence.append(_StoredEvidence(item.filename, url=item.url))
                continue
            try:
                data = item.data() or b""
                if not data:
                    raise ValidationFailed("证据图为空", field="evidence")
                tmp, sha, size, head = spool_upload(
                    self.evidence_root, io.BytesIO(data), EVIDENCE_MAX_BYTES, what="证据图"
                )
                try:
                    kind, name = check_upload(tmp, head, item.filename, EVIDENCE_TYPES)
                    keep_spooled(self.evidence_root, tmp, sha)
                finally:
                    tmp.unlink(missing_ok=True)
            except ValidationFailed as exc:
                if strict:
                    raise ValidationFailed(f"第 {number} 张证据图：{exc.message}", field="evidence") from None
                prepared.evidence_refused.append(f"第 {number} 张：{exc.message}")
                continue
            prepared.evidence.append(_StoredEvidence(name, kind, size, sha))
        return prepared

    # ------------------------------------------------------------------ scenes

    def _scene_snapshot(self, session: Session) -> dict[str, SceneVersion]:
        with self._scenes_lock:
            if monotonic.monotonic() < self._scenes_until:
                return self._scenes
        scenes = SceneCatalogue.current_in(session)
        with self._scenes_lock:
            self._scenes = scenes
            self._scenes_until = monotonic.monotonic() + SCENES_TTL_S
        return scenes

    # ------------------------------------------------------------------ the batch

    def take(self, batch: Sequence[Received], *, strict: bool = False) -> list[AlarmReceipt]:
        """Store and fold a batch of alarms (`store`), then raise the events it made due, each in
        its own transaction; a receipt per alarm, in the batch's order, saying how its event
        ended. With `strict` (the webhook), a bad evidence image refuses the call
        (ValidationFailed) before anything is stored."""
        receipts, due = self.store(batch, strict=strict)
        if not due:
            return receipts
        self.raise_due(due)
        with self.db.reading() as session:
            ids = sorted({r.event_id for r in receipts if r.event_id is not None})
            query = select(EventRow.id, EventRow.status).where(EventRow.id.in_(ids))
            statuses: dict[int, str] = {event_id: status for event_id, status in session.execute(query)}
        return [
            replace(r, event_status=EventStatus(statuses[r.event_id])) if r.event_id in statuses else r
            for r in receipts
        ]

    def store(
        self, batch: Sequence[Received], *, strict: bool = False
    ) -> tuple[list[AlarmReceipt], list[int]]:
        """Store and fold a batch of alarms in one transaction (the module's note): a receipt per
        alarm, and the events the batch made due, to be raised (`raise_due`) — the consumer
        does it after acknowledging the batch, so that raising never holds alarms back."""
        if not batch:
            return [], []
        prepared = [self._prepare(r, strict=strict) for r in batch]
        for attempt in range(RETRIES):
            try:
                with self.db.transaction() as session:
                    return self._take_in(session, prepared)
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise
                log.info("alarm batch met a concurrent write; taking it again")
        raise AssertionError("unreachable")

    def raise_due(
        self,
        event_ids: Sequence[int] | None = None,
        *,
        limit: int = RAISE_BATCH,
        older_than: timedelta | None = None,
    ) -> int:
        """Raise events whose condition was met (`raise_due_at` set and come): those named, else
        the oldest `limit` (due for longer than `older_than`), in one transaction that locks
        their rows and skips those another transaction holds (a batch folding alarms into them,
        another raiser): they stay due for the next turn. Each is raised in a savepoint: one that
        fails is logged and tried again in `RETRY_RAISE` while the others are raised. How many it
        raised."""
        now = self.clock()
        query = select(EventRow).where(EventRow.raise_due_at.is_not(None), EventRow.raise_due_at <= now)
        if event_ids is not None:
            query = query.where(EventRow.id.in_(sorted(set(event_ids))[:limit]))
        if older_than is not None:
            query = query.where(EventRow.raise_due_at <= now - older_than)
        query = (
            query.order_by(EventRow.raise_due_at, EventRow.id).limit(limit).with_for_update(skip_locked=True)
        )
        raised = 0
        with self.db.transaction() as session:
            events = session.scalars(query).all()
            turn = RaiseTurn(session, events)
            for event in events:
                try:
                    with session.begin_nested():
                        event.raise_due_at = None
                        if event.status != EventStatus.WATCHING.value:
                            continue
                        scene = self._scene_version(session, event.scene_code, event.scene_version)
                        self.raiser.raise_in(session, event, scene, now, turn)
                        if event.status == EventStatus.WATCHING.value:
                            raise AssertionError(f"the raiser left event {event.id} watching")
                        raised += 1
                except Exception:  # the others go on; this one is tried again later
                    log.exception("sensing event %s could not be raised; trying again later", event.id)
                    event.raise_due_at = now + RETRY_RAISE
                    turn.forget()
        return raised

    def _scene_version(self, session: Session, code: str, version: int) -> Scene:
        """A scene at one of its versions (a version never changes once written: kept)."""
        key = (code, version)
        found = self._versions.get(key)
        if found is None:
            found = self._versions[key] = scene_of(session, code, version)
        return found

    def _take_in(self, session: Session, batch: Sequence[_Prepared]) -> tuple[list[AlarmReceipt], list[int]]:
        now = self.clock()
        ids = list(dict.fromkeys(p.received.message.alarm_id for p in batch))
        stored: dict[str, AlarmReceipt] = {}
        for alarm_id, outcome, event_id, status in session.execute(
            select(AlarmRow.alarm_id, AlarmRow.outcome, AlarmRow.event_id, EventRow.status)
            .outerjoin(EventRow, EventRow.id == AlarmRow.event_id)
            .where(AlarmRow.alarm_id.in_(ids))
        ):
            stored[alarm_id] = AlarmReceipt(
                alarm_id, AlarmOutcome(outcome), event_id, EventStatus(status) if status else None, False
            )
        codes = sorted({p.received.message.device_id or "" for p in batch})
        devices = {
            d.code: d
            for d in session.scalars(
                select(DeviceRow).where(DeviceRow.code.in_(codes)).order_by(DeviceRow.id).with_for_update()
            )
        }
        scenes = self._scene_snapshot(session)
        folding = _Folding(session, now, min(p.received.message.at for p in batch))
        folding.preload(
            (
                _open_key(devices[code].id, scene)
                for code, scene in {
                    (p.received.message.device_id or "", p.received.message.scene) for p in batch
                }
                if code in devices
            ),
            alarms=len({p.received.message.alarm_id for p in batch} - set(stored)),
        )
        taken: list[tuple[str, AlarmOutcome, EventRow | None] | AlarmReceipt] = []
        heard: dict[int, tuple[DeviceRow, datetime]] = {}
        with session.no_autoflush:  # the batch's rows are written at its end (`_Folding.finish`)
            for p in batch:
                message = p.received.message
                if message.alarm_id in stored:
                    taken.append(stored[message.alarm_id])
                    continue
                device = devices.get(message.device_id or "")
                outcome, event = folding.take(p, device, scenes.get(message.scene))
                stored[message.alarm_id] = AlarmReceipt(
                    message.alarm_id, outcome, event.id if event is not None else None, None, False
                )
                taken.append((message.alarm_id, outcome, event))
                if device is not None:  # heard from (a clock running ahead counts as now)
                    at = min(message.at, now)
                    if heard.get(device.id) is None or heard[device.id][1] < at:
                        heard[device.id] = (device, at)
        # written once per device at the batch's end, not at every alarm
        for device, at in heard.values():
            if device.last_seen_at is None or device.last_seen_at < at:
                device.last_seen_at = at
                device.fault_order_id = None  # its silence, if any, has ended
        folding.finish()
        receipts: list[AlarmReceipt] = []
        for item in taken:
            if isinstance(item, AlarmReceipt):
                if not item.created and item.event_status is None and item.event_id is not None:
                    # a repeat within this batch: the event as it ended up
                    found = session.get(EventRow, item.event_id)
                    item = replace(item, event_status=EventStatus(found.status) if found else None)
                receipts.append(item)
                continue
            alarm_id, outcome, made = item
            made_status = EventStatus(made.status) if made is not None else None
            receipts.append(AlarmReceipt(alarm_id, outcome, made.id if made else None, made_status, True))
        return receipts, folding.due


class _Ids:
    """Ids for a table's rows taken before the rows are written, so that a batch writes each table's
    rows at its end in one statement: from the table's sequence on PostgreSQL (a block at a time),
    above the largest id on SQLite (where the batch's transaction holds the one write lock)."""

    def __init__(self, session: Session, table: Table) -> None:
        self.session = session
        self.table = table
        self.free: collections.deque[int] = collections.deque()
        self.top: int | None = None  # SQLite: the largest id handed out so far

    def reserve(self, count: int) -> None:
        """Take `count` more at once (one round trip)."""
        if count <= 0:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
            found = self.session.execute(query, {"table": self.table.name, "n": count})
            self.free.extend(int(i) for (i,) in found)
            return
        if self.top is None:
            self.top = self.session.scalar(select(func.max(self.table.c.id))) or 0
        self.free.extend(range(self.top + 1, self.top + 1 + count))
        self.top += count

    def take(self) -> int:
        if not self.free:
            self.reserve(1)
        return self.free.popleft()


@dataclass
class _Live:
    """What grouping needs of a live event."""

    group_id: int | None
    device_id: int
    latitude: float
    longitude: float
    last_seen: datetime


class _Folding:
    """One batch's folding, in its transaction. It decides every alarm in memory — the open events
    it has looked up by key, their state as the batch folds alarms into them, the live events of
    each scene it has grouped against — and writes at the end (`finish`): the new events, the
    alarms and their evidence with one statement each (their ids taken ahead, `_Ids`), the changed
    events with one more."""

    def __init__(self, session: Session, now: datetime, earliest: datetime) -> None:
        self.session = session
        self.now = now
        self.earliest = earliest
        self.open: dict[str, EventRow | None] = {}
        self.live: dict[str, dict[int, _Live]] = {}
        self.events: dict[int, EventRow] = {}  # the events the batch opened or folded into
        self.states: dict[int, EventState] = {}  # … and their state now
        self.made: set[int] = set()  # … those of them it opened
        self.event_ids = _Ids(session, table_of(EventRow))
        self.alarm_ids = _Ids(session, table_of(AlarmRow))
        self.alarm_rows: dict[str, int] = {}  # alarm id → its row's id, for this batch's alarms
        self.alarms: list[dict[str, Any]] = []
        self.evidence: list[dict[str, Any]] = []
        self.due: list[int] = []  # the events whose condition the batch met, in order

    def preload(self, keys: Iterable[str], alarms: int) -> None:
        """Look up the open events of these keys at once (one query for the batch), and take the
        ids of its `alarms` new alarms and of about as many new events as keys without one."""
        wanted = [k for k in set(keys) if k not in self.open]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found = {
                e.open_key: e
                for e in self.session.scalars(select(EventRow).where(EventRow.open_key.in_(chunk)))
            }
            for key in chunk:
                self.open[key] = found.get(key)
        self.alarm_ids.reserve(alarms)
        self.event_ids.reserve(sum(1 for event in self.open.values() if event is None))

    def finish(self) -> None:
        """Write what the batch decided: new events (with the device rows' changes: one flush),
        alarms, evidence, the changed events' state, the events made due."""
        for event_id in self.made:
            self._apply(self.events[event_id], self.states[event_id])
        self.session.flush()
        if self.alarms:
            # the table's insert: the ORM's would split the rows by which of them hold NULLs
            self.session.execute(insert(table_of(AlarmRow)), self.alarms)
        if self.evidence:
            self.session.execute(insert(table_of(EvidenceRow)), self.evidence)
        changed = [
            {
                "event": event_id,
                "count": state.count,
                "first_seen": state.first_seen,
                "last_seen": state.last_seen,
                "longest_s": state.longest_s,
                "best_score": state.best_score,
                "best_alarm_id": self.alarm_rows.get(state.best_alarm, self.events[event_id].best_alarm_id),
                "updated_at": self.now,
            }
            for event_id, state in self.states.items()
            if event_id not in self.made
        ]
        if changed:
            table = table_of(EventRow)
            columns = (
                "count",
                "first_seen",
                "last_seen",
                "longest_s",
                "best_score",
                "best_alarm_id",
                "updated_at",
            )
            statement = (
                update(table)
                .where(table.c.id == bindparam("event"))
                .values({c: bindparam(c) for c in columns})
            )
            self.session.execute(statement, changed)
        if self.due:
            self.session.execute(
                update(table_of(EventRow))
                .where(table_of(EventRow).c.id.in_(self.due))
                .values(raise_due_at=self.now)
            )

    def _apply(self, event: EventRow, state: EventState) -> None:
        event.count = state.count
        event.first_seen = state.first_seen
        event.last_seen = state.last_seen
        event.longest_s = state.longest_s
        event.best_score = state.best_score
        event.best_alarm_id = self.alarm_rows.get(state.best_alarm)
        event.updated_at = self.now
        if event.id in self.due:
            event.raise_due_at = self.now

    def take(
        self, p: _Prepared, device: DeviceRow | None, version: SceneVersion | None
    ) -> tuple[AlarmOutcome, EventRow | None]:
        message = p.received.message
        self.alarm_rows[message.alarm_id] = row_id = self.alarm_ids.take()
        outcome, event = self._decide(message, device, version)
        point = self._point(message, device)
        payload: dict[str, Any] = message.model_dump(mode="json", exclude={"evidence"})
        if p.evidence_refused:
            payload["evidence_refused"] = p.evidence_refused
        self.alarms.append(
            {
                "id": row_id,
                "alarm_id": message.alarm_id,
                "device_code": message.device_id or "",
                "device_id": device.id if device is not None else None,
                "scene_code": message.scene,
                "source": device.kind
                if device is not None
                else (version.scene.source.value if version else ""),
                "at": message.at,
                "received_at": p.received.received_at or self.now,
                "score": message.score,
                "algorithm_version": message.algorithm_version,
                "duration_s": message.duration_s,
                "value": message.value,
                "limit": message.limit,
                "latitude": point[0] if point else None,
                "longitude": point[1] if point else None,
                "via": p.received.via,
                "outcome": outcome.value,
                "event_id": event.id if event is not None else None,
                "payload": payload,
            }
        )
        for e in p.evidence:
            self.evidence.append(
                {
                    "alarm_id": row_id,
                    "filename": e.filename,
                    "content_type": e.content_type,
                    "size": e.size,
                    "sha256": e.sha256,
                    "url": e.url,
                }
            )
        return outcome, event

    @staticmethod
    def _point(message: AlarmMessage, device: DeviceRow | None) -> tuple[float, float] | None:
        if message.lat is not None and message.lon is not None:
            if message.coord_system is CoordSystem.GCJ02:
                return gcj02_to_wgs84(message.lat, message.lon)
            return (message.lat, message.lon)
        if device is not None and device.latitude is not None and device.longitude is not None:
            return (device.latitude, device.longitude)
        return None

    def _decide(
        self, message: AlarmMessage, device: DeviceRow | None, version: SceneVersion | None
    ) -> tuple[AlarmOutcome, EventRow | None]:
        """The alarm's outcome and the event it opened or folded into (marked due when the alarm
        met its condition)."""
        if device is None:
            return AlarmOutcome.UNKNOWN_DEVICE, None
        if device.status != "active":
            return AlarmOutcome.DEVICE_OFF, None
        if version is None:
            return AlarmOutcome.UNKNOWN_SCENE, None
        scene = version.scene
        if not version.active:
            return AlarmOutcome.SCENE_OFF, None
        if (device.scenes and scene.code not in device.scenes) or (
            not device.scenes and scene.source.value != device.kind
        ):
            return AlarmOutcome.NOT_RUN, None
        override = (device.thresholds or {}).get(scene.code)
        judged = judge(
            scene,
            score=message.score,
            at=message.at,
            local_time=message.at.astimezone(LOCAL_TZ).time(),
            now=self.now,
            threshold=float(override) if override is not None else None,
        )
        if judged is not None:
            return judged, None
        outcome, event = self._fold(message, device, version)
        self._maybe_due(event, scene, self.states[event.id])
        return outcome, event

    def _open_event(self, key: str) -> EventRow | None:
        if key not in self.open:
            self.open[key] = self.session.scalar(select(EventRow).where(EventRow.open_key == key))
        return self.open[key]

    def _state_of(self, event: EventRow) -> EventState:
        found = self.states.get(event.id)
        if found is None:  # as stored; its best alarm's key unknown (a tie keeps it)
            found = EventState(
                count=event.count,
                first_seen=event.first_seen,
                last_seen=event.last_seen,
                longest_s=event.longest_s,
                best_score=event.best_score,
                best_alarm="",
            )
        return found

    def _fold(
        self, message: AlarmMessage, device: DeviceRow, version: SceneVersion
    ) -> tuple[AlarmOutcome, EventRow]:
        scene = version.scene
        key = _open_key(device.id, scene.code)
        event = self._open_event(key)
        if event is not None:
            state = self._state_of(event)
            if in_window(scene, state, message.at):
                self._keep(
                    event, fold(state, message.alarm_id, message.at, message.score, message.duration_s)
                )
                return AlarmOutcome.FOLDED, event
            # its window has passed: it takes no more repeats (written now: the new event below
            # takes its key)
            event.open_key = None
            if event.status == EventStatus.WATCHING.value:
                event.status = EventStatus.LAPSED.value
            event.updated_at = self.now
            self.session.flush()
        event = self._new_event(message, device, version, key)
        self.open[key] = event
        return AlarmOutcome.OPENED, event

    def _keep(self, event: EventRow, state: EventState) -> None:
        self.events[event.id] = event
        self.states[event.id] = state
        live = self.live.get(event.scene_code, {}).get(event.id)
        if live is not None:
            live.last_seen = state.last_seen

    def _new_event(
        self, message: AlarmMessage, device: DeviceRow, version: SceneVersion, key: str
    ) -> EventRow:
        scene = version.scene
        point = self._point(message, device)
        state = new_event(message.alarm_id, message.at, message.score, message.duration_s)
        event = EventRow(
            id=self.event_ids.take(),
            open_key=key,
            device_id=device.id,
            scene_code=scene.code,
            scene_version=version.version,
            algorithm_version=message.algorithm_version,
            status=EventStatus.WATCHING.value,
            count=state.count,
            first_seen=state.first_seen,
            last_seen=state.last_seen,
            longest_s=state.longest_s,
            best_score=state.best_score,
            first_alarm_at=self.now,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            grid_id=device.grid_id,
            village_unit_id=device.village_unit_id,
            group_id=self._group_of(scene, device, point, message.at),
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(event)
        self.made.add(event.id)
        self._keep(event, state)
        if event.latitude is not None and event.longitude is not None:
            self._live(scene, message.at)[event.id] = _Live(
                event.group_id, device.id, event.latitude, event.longitude, event.last_seen
            )
        return event

    def _live(self, scene: Scene, at: datetime) -> dict[int, _Live]:
        """The live events of `scene` seen within its window before the batch's earliest alarm,
        looked up once per scene and batch (the batch's new events join it as they are made)."""
        found = self.live.get(scene.code)
        if found is None:
            since = min(self.earliest, at) - timedelta(minutes=scene.window_minutes)
            found = {
                event_id: _Live(group_id, device_id, lat, lon, last_seen)
                for event_id, group_id, device_id, lat, lon, last_seen in self.session.execute(
                    select(
                        EventRow.id,
                        EventRow.group_id,
                        EventRow.device_id,
                        EventRow.latitude,
                        EventRow.longitude,
                        EventRow.last_seen,
                    ).where(
                        EventRow.scene_code == scene.code,
                        EventRow.status.in_(LIVE),
                        EventRow.last_seen >= since,
                        EventRow.latitude.is_not(None),
                    )
                )
                if lat is not None and lon is not None
            }
            # the events this batch has folded into are newer than their rows (written at its end)
            for event_id, state in self.states.items():
                event = self.events[event_id]
                if (
                    event.scene_code == scene.code
                    and event.status in LIVE
                    and state.last_seen >= since
                    and event.latitude is not None
                    and event.longitude is not None
                ):
                    found[event_id] = _Live(
                        event.group_id, event.device_id, event.latitude, event.longitude, state.last_seen
                    )
            self.live[scene.code] = found
        return found

    def _group_of(
        self, scene: Scene, device: DeviceRow, point: tuple[float, float] | None, at: datetime
    ) -> int | None:
        """The group of the nearest live event of `scene` from another device within the scene's
        radius (its own group, or itself as the group's first), or None."""
        if point is None or scene.group_radius_m <= 0:
            return None
        best: tuple[float, int] | None = None
        for event_id, other in self._live(scene, at).items():
            if other.device_id == device.id:
                continue
            d = haversine_m(point[0], point[1], other.latitude, other.longitude)
            if groups_with(scene, d, other.last_seen, at) and (best is None or d < best[0]):
                best = (d, other.group_id or event_id)
        return best[1] if best else None

    def _maybe_due(self, event: EventRow, scene: Scene, state: EventState) -> None:
        """Mark the event due for raising when this alarm met its condition (once)."""
        if (
            event.status == EventStatus.WATCHING.value
            and event.raise_due_at is None
            and event.id not in self.due
            and condition_met(scene, state)
        ):
            self.due.append(event.id)


def raise_late_events(services: Services) -> None:
    """The worker's job: raise the events left due for a minute (a consumer stopped between
    storing a batch and raising its events, a webhook call cut short)."""
    raised = services.get(AlarmPipeline).raise_due(older_than=timedelta(minutes=1))
    if raised:
        log.info("raised %d sensing events left due", raised)


def build(services: Services) -> AlarmPipeline:
    """The capability's service over the process's services (`Capability.services`)."""
    return AlarmPipeline(
        services.db, services.settings, raiser=services.get(EventRaiser), clock=services.clock
    )


__all__ = ["AlarmPipeline", "AlarmReceipt", "Received"]
