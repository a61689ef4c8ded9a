"""Verification tasks (核实) of sensing events: the grid worker's list and answer, the village's
list of late tasks, reassignment, escalation (issue 18, part 5).

- **The worker's tasks** (`mine`): the pending tasks of kinds `verify` and `notice` owed by the
  grid worker, and those owed by nobody in the grids their posts cover; each with its event, the
  scene, the device, the address and point, the evidence ids, the due time and whether it is
  late.
- **An answer** (`answer`): 属实 (confirmed), 误报 (false alarm) or 已消失 (gone), a note and
  photos, idempotent by the phone's `submission_id` (a retry of the same submission returns the
  first answer; the id used for another task is a Conflict). Only the task's worker, a grid worker
  whose posts cover its grid, or a dispatcher of its village or above (`domain.
  sensing_verification.may_answer`) — anyone else is told it does not exist. The photos are
  checked as attachments are (`orders.attachments`: the bytes judge the type, the size limit)
  and kept in the attachments' store. Confirmed: the event group's work order
  (`event_orders.EventOrders`) with the photos and the evidence attached and the note in its
  content; every event of the group waiting on the task is `ordered`. False alarm or gone: the
  events take that status, no order. A notice task (a severe event, its order already
  registered) is answered 已到场 (`confirmed`): the arrival is recorded.
- **Late tasks** (`escalate_due`, the worker's job every minute): a pending task past its due
  time goes once to its village's center (`escalated_at`, `escalated_to`; late again after a
  reassignment, to the town's), and shows on the dispatchers' list (`pending_for_unit`: the
  tasks of the villages in their unit's subtree that are late or owed by nobody), who answer it
  themselves or give it to another grid worker of the village (`reassign`, a new due time).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.config import Settings
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid import GridPost
from zhiyun.domain.org import OrgTree
from zhiyun.domain.sensing_alarms import EventStatus, VerificationAnswer, VerificationStatus
from zhiyun.domain.sensing_scenes import Scene, scene_from_json
from zhiyun.domain.sensing_verification import (
    NOTE_MAX,
    PHOTOS_MAX,
    VERIFICATION_DISPATCHERS,
    EventPlace,
    TaskPlace,
    escalation_target,
    is_overdue,
    may_answer,
    may_dispatch_verifications,
    may_see_event,
)
from zhiyun.geo.tables import GridRow
from zhiyun.grid import repo as posts_repo
from zhiyun.grid.tables import GridWorkerRow
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders.attachments import (
    HEAD_BYTES,
    check_upload,
    download_name,
    keep_spooled,
    safe_filename,
    sniff,
    spool_upload,
)
from zhiyun.reference.cache import ReferenceCache
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, EvidenceRow, VerificationRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.event_orders import EventOrder, EventOrders, evidence_of, evidence_path
from zhiyun.sensing.raising import NOTICE_KIND, VERIFY_KIND, group_members
from zhiyun.sensing.tables import SceneRow, SceneVersionRow
from zhiyun.store.db import Database
from zhiyun.store.tables import UserRow, WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

SUBMISSION_MIN = 8
SUBMISSION_MAX = 64
LIST_MAX = 500
KIND_LABELS = {VERIFY_KIND: "核实", NOTICE_KIND: "到场通知"}


@dataclass(frozen=True)
class TaskView:
    """A verification task as the phone and the dispatchers' list show it."""

    id: int
    kind: str
    status: VerificationStatus
    event_id: int
    event_status: str
    scene_code: str
    scene_name: str
    device_code: str
    device_name: str
    address: str
    latitude: float | None
    longitude: float | None
    grid_id: int | None
    grid_code: str | None
    village_unit_id: int | None
    village_name: str
    worker_id: int | None
    worker_name: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    best_score: float
    evidence_ids: list[int]
    created_at: datetime
    due_at: datetime
    overdue: bool
    escalated_at: datetime | None
    escalated_to: int | None
    escalated_to_name: str | None
    order_id: int | None
    order_number: str | None
    answered_at: datetime | None
    note: str
    photos: list[dict[str, Any]] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "status": self.status.value,
            "status_label": self.status.label,
            "event": {
                "id": self.event_id,
                "status": self.event_status,
                "status_label": EventStatus(self.event_status).label,
                "count": self.count,
                "first_seen": self.first_seen.isoformat(),
                "last_seen": self.last_seen.isoformat(),
                "best_score": round(self.best_score, 3),
            },
            "scene": {"code": self.scene_code, "name": self.scene_name},
            "device": {"code": self.device_code, "name": self.device_name},
            "address": self.address,
            "lat": self.latitude,
            "lon": self.longitude,
            "grid": {"id": self.grid_id, "code": self.grid_code},
            "village": {"id": self.village_unit_id, "name": self.village_name},
            "worker": None if self.worker_id is None else {"id": self.worker_id, "name": self.worker_name},
            "evidence": [{"id": i, "url": f"/api/v1/sensing/evidence/{i}"} for i in self.evidence_ids],
            "created_at": self.created_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "overdue": self.overdue,
            "escalated_at": self.escalated_at.isoformat() if self.escalated_at else None,
            "escalated_to": (
                None
                if self.escalated_to is None
                else {"id": self.escalated_to, "name": self.escalated_to_name}
            ),
            "order": None if self.order_id is None else {"id": self.order_id, "number": self.order_number},
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "note": self.note,
            "photos": len(self.photos),
        }


@dataclass(frozen=True)
class AnswerResult:
    """What an answer did: the task after it, whether it is new (False: a retry), the order."""

    task: TaskView
    created: bool
    order: EventOrder | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"task": self.task.as_json(), "created": self.created}
        if self.order is not None:
            data["order"] = {
                "id": self.order.order_id,
                "number": self.order.order_number,
                "created": self.order.created,
                "duplicate_of": self.order.duplicate_of,
                "possible_duplicates": self.order.possible_duplicates,
            }
        return data


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence image to serve: where its bytes are, its type judged by them, its name."""

    path: Path
    content_type: str
    filename: str


SERVED_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"})


@dataclass(frozen=True)
class _Photo:
    filename: str
    data: bytes
    sha256: str
    size: int
    content_type: str

    def as_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
        }


def scene_of(session: Session, code: str, version: int) -> Scene:
    """A scene at the version an event was judged by."""
    found = session.execute(
        select(SceneVersionRow.definition)
        .join(SceneRow, SceneRow.id == SceneVersionRow.scene_id)
        .where(SceneRow.code == code, SceneVersionRow.version == version)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"场景 {code} 第 {version} 版不存在")
    return scene_from_json(found, check=False)


class VerificationService:
    """Verification tasks of sensing events (the module's note)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        orders: EventOrders,
        reference: ReferenceCache,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.orders = orders
        self.reference = reference
        self.clock = clock

    # ------------------------------------------------------------------ helpers

    def _org(self, session: Session) -> OrgTree:
        return self.reference.get(session).org

    @staticmethod
    def _posts(session: Session, actor: Actor) -> list[GridPost]:
        if actor.role is not Role.GRID_WORKER or actor.user_id is None:
            return []
        return [p.post() for p in posts_repo.posts_of_user(session, actor.user_id)]

    @staticmethod
    def _place(task: VerificationRow) -> TaskPlace:
        return TaskPlace(task.grid_id, task.village_unit_id, task.worker_id)

    def _task_for(
        self, session: Session, actor: Actor, task_id: int, *, lock: bool = False
    ) -> VerificationRow:
        """The task `actor` may answer, else NotFound (whether it exists or not)."""
        if not 1 <= task_id <= 2**62:
            raise NotFound("核实任务不存在")
        query = select(VerificationRow).where(VerificationRow.id == task_id)
        if lock:
            query = query.with_for_update()
        task = session.scalar(query)
        if task is None or not may_answer(
            actor, self._place(task), self._org(session), self._posts(session, actor)
        ):
            raise NotFound("核实任务不存在", task=task_id)
        return task

    def _views(self, session: Session, tasks: Sequence[VerificationRow], now: datetime) -> list[TaskView]:
        if not tasks:
            return []
        org = self._org(session)
        events = {
            e.id: e
            for e in session.scalars(
                select(EventRow).where(EventRow.id.in_(sorted({t.event_id for t in tasks})))
            )
        }
        device_ids = sorted({e.device_id for e in events.values()})
        devices = {d.id: d for d in session.scalars(select(DeviceRow).where(DeviceRow.id.in_(device_ids)))}
        codes = sorted({e.scene_code for e in events.values()})
        scenes = dict(
            session.execute(select(SceneRow.code, SceneRow.name).where(SceneRow.code.in_(codes))).all()
        )
        grid_ids = sorted({t.grid_id for t in tasks if t.grid_id is not None})
        grids = dict(session.execute(select(GridRow.id, GridRow.code).where(GridRow.id.in_(grid_ids))).all())
        user_ids = sorted({t.worker_id for t in tasks if t.worker_id is not None})
        users = dict(
            session.execute(select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(user_ids))).all()
        )
        alarm_ids = sorted({e.best_alarm_id for e in events.values() if e.best_alarm_id is not None})
        evidence: dict[int, list[int]] = {}
        for alarm_id, ev_id in session.execute(
            select(EvidenceRow.alarm_id, EvidenceRow.id)
            .where(EvidenceRow.alarm_id.in_(alarm_ids), EvidenceRow.sha256.is_not(None))
            .order_by(EvidenceRow.id)
        ).all():
            evidence.setdefault(alarm_id, []).append(ev_id)
        order_ids = sorted({e.order_id for e in events.values() if e.order_id is not None})
        numbers = dict(
            session.execute(
                select(WorkOrderRow.id, WorkOrderRow.number).where(WorkOrderRow.id.in_(order_ids))
            ).all()
        )
        views = []
        for t in tasks:
            e = events[t.event_id]
            d = devices.get(e.device_id)
            village = org.units.get(t.village_unit_id) if t.village_unit_id is not None else None
            target = org.units.get(t.escalated_to) if t.escalated_to is not None else None
            status = VerificationStatus(t.status)
            views.append(
                TaskView(
                    id=t.id,
                    kind=t.kind,
                    status=status,
                    event_id=e.id,
                    event_status=e.status,
                    scene_code=e.scene_code,
                    scene_name=scenes.get(e.scene_code, e.scene_code),
                    device_code=d.code if d is not None else "",
                    device_name=d.name if d is not None else "",
                    address=(d.address if d is not None else "") or "",
                    latitude=e.latitude
                    if e.latitude is not None
                    else (d.latitude if d is not None else None),
                    longitude=e.longitude
                    if e.longitude is not None
                    else (d.longitude if d is not None else None),
                    grid_id=t.grid_id,
                    grid_code=grids.get(t.grid_id) if t.grid_id is not None else None,
                    village_unit_id=t.village_unit_id,
                    village_name=village.name if village is not None else "",
                    worker_id=t.worker_id,
                    worker_name=users.get(t.worker_id) if t.worker_id is not None else None,
                    count=e.count,
                    first_seen=e.first_seen,
                    last_seen=e.last_seen,
                    best_score=e.best_score,
                    evidence_ids=evidence.get(e.best_alarm_id, []) if e.best_alarm_id is not None else [],
                    created_at=t.created_at,
                    due_at=t.due_at,
                    overdue=status is VerificationStatus.PENDING and is_overdue(t.due_at, now),
                    escalated_at=t.escalated_at,
                    escalated_to=t.escalated_to,
                    escalated_to_name=target.name if target is not None else None,
                    order_id=e.order_id,
                    order_number=numbers.get(e.order_id) if e.order_id is not None else None,
                    answered_at=t.answered_at,
                    note=t.note or "",
                    photos=list(t.photos or []),
                )
            )
        return views

    # ------------------------------------------------------------------ the worker's list

    def mine(self, actor: Actor) -> list[TaskView]:
        """The grid worker's pending tasks (the module's note), the most urgent first."""
        if actor.role is not Role.GRID_WORKER or actor.user_id is None:
            raise PermissionDenied("核实任务仅供网格员使用")
        now = self.clock()
        with self.db.reading() as session:
            posts = self._posts(session, actor)
            villages = sorted({p.village_unit_id for p in posts})
            rows = session.scalars(
                select(VerificationRow)
                .where(
                    VerificationRow.status == VerificationStatus.PENDING.value,
                    or_(
                        VerificationRow.worker_id == actor.user_id,
                        VerificationRow.worker_id.is_(None) & VerificationRow.village_unit_id.in_(villages),
                    ),
                )
                .order_by(VerificationRow.due_at, VerificationRow.id)
                .limit(LIST_MAX)
            ).all()
            org = self._org(session)
            mine = [t for t in rows if may_answer(actor, self._place(t), org, posts)]
            return self._views(session, mine, now)

    def get(self, actor: Actor, task_id: int) -> TaskView:
        """One task `actor` may answer (NotFound otherwise)."""
        with self.db.reading() as session:
            task = self._task_for(session, actor, task_id)
            return self._views(session, [task], self.clock())[0]

    # ------------------------------------------------------------------ the answer

    def answer(
        self,
        actor: Actor,
        task_id: int,
        answer: VerificationAnswer,
        note: str = "",
        photos: Sequence[tuple[str, bytes]] = (),
        submission_id: str = "",
    ) -> AnswerResult:
        """Answer a task (the module's note)."""
        if actor.role is not Role.GRID_WORKER and actor.role not in VERIFICATION_DISPATCHERS:
            raise PermissionDenied("只有网格员或调度员可以核实")
        submission = (submission_id or "").strip()
        errors: dict[str, str] = {}
        if not SUBMISSION_MIN <= len(submission) <= SUBMISSION_MAX:
            errors["submission_id"] = f"提交编号应为 {SUBMISSION_MIN}–{SUBMISSION_MAX} 个字符"
        if len(note or "") > NOTE_MAX:
            errors["note"] = f"说明不能超过 {NOTE_MAX} 字"
        if len(photos) > PHOTOS_MAX:
            errors["photos"] = f"照片不能超过 {PHOTOS_MAX} 张"
        if errors:
            raise ValidationFailed("；".join(errors.values()), fields=errors)
        note = (note or "").strip()
        with self.db.reading() as session:  # refused before a byte of a photo is stored
            task = self._task_for(session, actor, task_id)
            if task.submission_id == submission:
                return AnswerResult(self._views(session, [task], self.clock())[0], created=False)
        checked = [self._check_photo(name, data) for name, data in photos]
        try:
            return self._answer(actor, task_id, answer, note, checked, submission)
        except IntegrityError:  # the same submission a moment ago: its answer stands
            return self._answer(actor, task_id, answer, note, checked, submission)

    def _check_photo(self, filename: str, data: bytes) -> _Photo:
        root = self.orders.store
        tmp, sha, size, head = spool_upload(
            root, io.BytesIO(data), self.settings.attachment_max_bytes, what="照片"
        )
        try:
            if size == 0:
                raise ValidationFailed("照片为空", field="photos")
            kind, name = check_upload(tmp, head, safe_filename(filename), self.settings.attachment_types)
            if not kind.startswith("image/"):
                raise ValidationFailed("只能上传照片", field="photos")
            keep_spooled(root, tmp, sha)
        finally:
            tmp.unlink(missing_ok=True)
        return _Photo(name, data, sha, size, kind)

    def _answer(
        self,
        actor: Actor,
        task_id: int,
        answer: VerificationAnswer,
        note: str,
        photos: Sequence[_Photo],
        submission: str,
    ) -> AnswerResult:
        now = self.clock()
        with self.db.transaction() as session:
            task = self._task_for(session, actor, task_id, lock=True)
            same = session.scalar(select(VerificationRow).where(VerificationRow.submission_id == submission))
            if same is not None:
                if same.id != task.id:
                    raise Conflict("该提交编号已用于其他核实任务", field="submission_id")
                return AnswerResult(self._views(session, [task], now)[0], created=False)
            status = VerificationStatus(task.status)
            if status is not VerificationStatus.PENDING:
                raise Conflict(f"该任务已核实（{status.label}）", status=status.value)
            event = session.get(EventRow, task.event_id)
            if event is None:  # pragma: no cover - a foreign key
                raise NotFound("事件不存在")
            made: EventOrder | None = None
            if task.kind == NOTICE_KIND:
                if answer is not VerificationAnswer.CONFIRMED:
                    raise ValidationFailed("到场通知只需确认「已到场」", field="answer")
            elif answer is VerificationAnswer.CONFIRMED:
                scene = scene_of(session, event.scene_code, event.scene_version)
                made = self.orders.register_in(
                    session,
                    event,
                    scene,
                    now,
                    actor=actor,
                    note=note,
                    photos=[(p.filename, p.data) for p in photos],
                    verification_id=task.id,
                )
                self._settle_group(session, event, EventStatus.ORDERED, now, order_id=made.order_id)
            else:
                self._settle_group(session, event, answer.event_status, now)
            task.status = answer.status.value
            task.answered_at = now
            task.answered_by = actor.user_id
            task.note = note
            task.photos = [p.as_json() for p in photos]
            task.submission_id = submission
            session.flush()
            return AnswerResult(self._views(session, [task], now)[0], created=True, order=made)

    @staticmethod
    def _settle_group(
        session: Session, event: EventRow, status: EventStatus, now: datetime, *, order_id: int | None = None
    ) -> None:
        """The task's event and the events of its group waiting on it take `status`."""
        for member in group_members(session, event):
            if member.id != event.id and member.status != EventStatus.VERIFYING.value:
                continue
            member.status = status.value
            member.updated_at = now
            if order_id is not None:
                member.order_id = order_id
                member.ordered_at = now

    # ------------------------------------------------------------------ evidence

    def evidence(self, actor: Actor, evidence_id: int) -> EvidenceFile:
        """An evidence image's file, for those who may see its event (`may_see_event`); NotFound
        for anyone else, for an image kept only at the vendor's address and for a file gone."""
        if not 1 <= evidence_id <= 2**62:
            raise NotFound("证据图片不存在")
        with self.db.reading() as session:
            row = session.get(EvidenceRow, evidence_id)
            alarm = session.get(AlarmRow, row.alarm_id) if row is not None else None
            if row is None or alarm is None or alarm.device_id is None:
                raise NotFound("证据图片不存在")
            device = session.get(DeviceRow, alarm.device_id)
            event = session.get(EventRow, alarm.event_id) if alarm.event_id is not None else None
            if device is None:
                raise NotFound("证据图片不存在")
            place = EventPlace(
                grid_id=event.grid_id if event is not None else device.grid_id,
                village_unit_id=event.village_unit_id if event is not None else device.village_unit_id,
                owner_unit_id=device.owner_unit_id,
            )
            if not may_see_event(actor, place, self._org(session), self._posts(session, actor)):
                raise NotFound("证据图片不存在")
            path = evidence_path(self.orders.store, row)
            if path is None or not path.is_file():
                raise NotFound("证据图片不存在")
            with path.open("rb") as f:
                head = f.read(HEAD_BYTES)
            kind = sniff(head, "")
            if kind not in SERVED_IMAGES:
                kind = "application/octet-stream"
            return EvidenceFile(
                path, kind, download_name(safe_filename(row.filename) or f"evidence-{row.id}", kind)
            )

    # ------------------------------------------------------------------ the village's side

    def pending_for_unit(self, actor: Actor, *, all_pending: bool = False) -> list[TaskView]:
        """The pending tasks of the villages in a dispatcher's unit's subtree (an admin: all)
        that are late and escalated, or owed by nobody — every pending one with `all_pending`;
        the escalated first, then by due time."""
        if actor.role not in VERIFICATION_DISPATCHERS:
            raise PermissionDenied("只有调度员可以查看核实任务")
        now = self.clock()
        with self.db.reading() as session:
            org = self._org(session)
            query = select(VerificationRow).where(VerificationRow.status == VerificationStatus.PENDING.value)
            if actor.role is not Role.ADMIN:
                if actor.unit_id is None or actor.unit_id not in org.units:
                    return []
                query = query.where(
                    VerificationRow.village_unit_id.in_(sorted(org.subtree_ids(actor.unit_id)))
                )
            if not all_pending:
                query = query.where(
                    or_(VerificationRow.escalated_at.is_not(None), VerificationRow.worker_id.is_(None))
                )
            rows = session.scalars(
                query.order_by(
                    VerificationRow.escalated_at.is_(None), VerificationRow.due_at, VerificationRow.id
                ).limit(LIST_MAX)
            ).all()
            shown = [t for t in rows if may_dispatch_verifications(actor, t.village_unit_id, org)]
            return self._views(session, shown, now)

    def reassign(self, actor: Actor, task_id: int, worker_user_id: int) -> TaskView:
        """Give a pending task to another grid worker of its village, due anew from now."""
        if actor.role not in VERIFICATION_DISPATCHERS:
            raise PermissionDenied("只有调度员可以改派核实任务")
        now = self.clock()
        with self.db.transaction() as session:
            task = self._task_for(session, actor, task_id, lock=True)
            status = VerificationStatus(task.status)
            if status is not VerificationStatus.PENDING:
                raise Conflict(f"该任务已核实（{status.label}）", status=status.value)
            posted = session.scalar(
                select(GridWorkerRow.id)
                .join(UserRow, UserRow.id == GridWorkerRow.user_id)
                .where(
                    GridWorkerRow.user_id == worker_user_id,
                    GridWorkerRow.village_unit_id == task.village_unit_id,
                    GridWorkerRow.active.is_(True),
                    UserRow.active.is_(True),
                    UserRow.role == Role.GRID_WORKER.value,
                )
                .limit(1)
            )
            if posted is None:
                raise ValidationFailed("只能改派给本村居在岗的网格员", field="worker_id")
            event = session.get(EventRow, task.event_id)
            assert event is not None
            scene = scene_of(session, event.scene_code, event.scene_version)
            task.worker_id = worker_user_id
            task.due_at = now + timedelta(minutes=scene.verify_minutes)
            session.flush()
            return self._views(session, [task], now)[0]

    def escalate_due(self, actor: Actor) -> int:
        """Escalate the pending tasks past their due time (the module's note); how many. The
        worker's job (the system) or an admin."""
        if actor.role not in (Role.SYSTEM, Role.ADMIN):
            raise PermissionDenied("只有系统定时任务可以升级超时核实任务")
        now = self.clock()
        done = 0
        with self.db.transaction() as session:
            org = self._org(session)
            rows = session.scalars(
                select(VerificationRow)
                .where(
                    VerificationRow.status == VerificationStatus.PENDING.value,
                    VerificationRow.due_at < now,
                    or_(
                        VerificationRow.escalated_at.is_(None),
                        VerificationRow.escalated_at < VerificationRow.due_at,
                    ),
                )
                .order_by(VerificationRow.id)
                .limit(5000)
                .with_for_update(skip_locked=True)
            ).all()
            for task in rows:
                village = org.units.get(task.village_unit_id) if task.village_unit_id is not None else None
                town = village.parent_id if village is not None else None
                target = escalation_target(
                    village_unit_id=village.id if village is not None else None,
                    town_unit_id=town,
                    escalated_to=task.escalated_to,
                    escalated_at=task.escalated_at,
                    due_at=task.due_at,
                    now=now,
                )
                if target is None:
                    continue
                task.escalated_at = now
                task.escalated_to = target
                done += 1
        return done


def build(services: Services) -> VerificationService:
    """The capability's service over the process's services (`Capability.services`)."""
    return VerificationService(
        services.db,
        services.settings,
        EventOrders(services.intake, services.attachments, services.reference),
        services.reference,
        clock=services.clock,
    )


__all__ = [
    "AnswerResult",
    "EvidenceFile",
    "TaskView",
    "VerificationService",
    "build",
    "evidence_of",
    "scene_of",
]
