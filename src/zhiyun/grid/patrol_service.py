"""Merged patrols (合并巡查) use cases: plan a month, a worker's day, a visit from the phone.

- `plan(actor, period)`: the month's visit tasks for every grid worker from (object × items
  due), one visit per object covering every due item (`domain.patrol_plan`), written in one
  transaction; planning a month again replaces its tasks no visit has touched.
- `today(actor, day)`: a grid worker's tasks for the day, with each object and the merged
  checklist of every item the visit covers, at the version the task names.
- `submit(actor, submission, photos)`: a visit from the phone (`domain.patrol_visits`):
  idempotent by the phone's submission id, checked against each item's checklist at the
  version answered, stored with its answers, the items it satisfied and its photos; the task
  done (or a follow-up task for the items left); a conflict kept with the visit.

Who may do what: a grid worker patrols only objects in the grids of their posts (their
tasks and, as extra visits, any object there); planning is an administrator's or the system's.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.config import Settings
from zhiyun.domain.access import Actor, may_patrol, may_plan_patrols, require
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import Conflict, NotFound, ValidationFailed
from zhiyun.domain.grid import GridPlace, GridPost, WorkerKind, may_see_grid
from zhiyun.domain.grid_items import (
    AnswerValue,
    GridItem,
    Hazard,
    Period,
    Question,
    answer_text,
    hazards,
    validate_answers,
)
from zhiyun.domain.patrol_plan import (
    MonthPlan,
    PlanItem,
    TaskStatus,
    WorkerPost,
    grid_crews,
    plan_month,
    record_visit,
    task_status,
)
from zhiyun.domain.patrol_visits import (
    ConflictKind,
    Recheck,
    VisitConflict,
    VisitSubmission,
    check_submission,
)
from zhiyun.grid import patrol_repo as repo
from zhiyun.grid import repo as posts_repo
from zhiyun.grid.hazards import GridHazardService, HazardReport, HazardView
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_tables import PatrolTaskRow, PatrolVisitRow
from zhiyun.grid.tables import GridWorkerRow
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders.attachments import check_upload, keep_spooled, safe_filename, spool_upload
from zhiyun.reference import repo as ref
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

TITLE_MAX = 60  # a hazard order's title
DAY_LIMIT = 300  # tasks a worker's day shows at most
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
CHUNK = 1 << 16
HEAD_BYTES = 1024


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanReport:
    """A month planned: the plan's figures, what was replaced and kept, and the time each step took."""

    plan: MonthPlan
    workers: int
    replaced: int  # pending tasks of an earlier plan of the month, deleted
    kept: int  # tasks of the month a visit had touched, kept
    saved: bool
    load_s: float
    plan_s: float
    save_s: float

    @property
    def total_s(self) -> float:
        return self.load_s + self.plan_s + self.save_s

    def as_json(self) -> dict[str, Any]:
        p = self.plan
        return {
            "month": p.period.start.strftime("%Y-%m"),
            "objects": p.objects,
            "objects_nothing_due": p.objects_nothing_due,
            "workers": self.workers,
            "working_days": len(p.working_days),
            "tasks_made": p.tasks_made,
            "per_item_tasks": p.per_item_tasks,
            "tasks_saved": p.tasks_saved,
            "share_saved": round(p.share_saved, 4),
            "overdue_tasks": p.overdue_tasks,
            "unassigned_tasks": p.unassigned_tasks,
            "over_capacity_tasks": p.over_capacity_tasks,
            "rest_day_tasks": p.rest_day_tasks,
            "replaced": self.replaced,
            "kept": self.kept,
            "saved": self.saved,
            "seconds": {
                "load": round(self.load_s, 2),
                "plan": round(self.plan_s, 2),
                "save": round(self.save_s, 2),
                "total": round(self.total_s, 2),
            },
        }


@dataclass(frozen=True)
class ChecklistItem:
    """An item a task covers, at the version the visit answers."""

    code: str
    version: int
    item: GridItem


@dataclass(frozen=True)
class DayTask:
    """One task of a worker's day: the task, its status, its object, its merged checklist."""

    id: int
    day: date
    earliest: date
    latest: date
    overdue: bool
    status: TaskStatus
    object_id: int
    object_kind: str
    object_name: str
    object_address: str
    object_lat: float | None
    object_lon: float | None
    object_risk: str
    object_updated_at: datetime
    grid_code: str
    items: tuple[ChecklistItem, ...]
    rechecks: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class WorkerDay:
    day: date
    worker_id: int
    tasks: tuple[DayTask, ...]
    generated_at: datetime


@dataclass(frozen=True)
class PhotoUpload:
    """A photo as it came with a submission: the phone's id for it, its file name and bytes."""

    client_id: str
    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class StoredPhoto:
    client_id: str
    sha256: str
    content_type: str
    size: int
    filename: str
    storage_key: str


@dataclass(frozen=True)
class FoundHazard:
    item_code: str
    question_id: str
    question: str
    answer: str
    level: str
    order_number: str | None = None


@dataclass(frozen=True)
class VisitReceipt:
    """What the server did with a visit; a retry of the same submission gets it again."""

    visit_id: int
    submission_id: str
    created: bool
    task_id: int | None
    task_status: TaskStatus | None
    satisfied: tuple[str, ...]
    unsatisfied: tuple[str, ...]
    follow_up_task_id: int | None
    hazards: tuple[FoundHazard, ...] = ()
    conflict: VisitConflict | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "submission_id": self.submission_id,
            "created": self.created,
            "task": (
                None
                if self.task_id is None or self.task_status is None
                else {
                    "id": self.task_id,
                    "status": self.task_status.value,
                    "status_label": self.task_status.label,
                }
            ),
            "satisfied": list(self.satisfied),
            "unsatisfied": list(self.unsatisfied),
            "follow_up_task_id": self.follow_up_task_id,
            "hazards": [h.__dict__ for h in self.hazards],
            "conflict": (
                None
                if self.conflict is None
                else {"kind": self.conflict.kind.value, "message": self.conflict.message}
            ),
            **self.extra,
        }


def receipt_from_json(data: dict[str, Any]) -> VisitReceipt:
    task = data.get("task") or None
    conflict = data.get("conflict") or None
    return VisitReceipt(
        visit_id=int(data["visit_id"]),
        submission_id=str(data["submission_id"]),
        created=False,
        task_id=None if task is None else int(task["id"]),
        task_status=None if task is None else TaskStatus(task["status"]),
        satisfied=tuple(data.get("satisfied") or ()),
        unsatisfied=tuple(data.get("unsatisfied") or ()),
        follow_up_task_id=data.get("follow_up_task_id"),
        hazards=tuple(FoundHazard(**h) for h in data.get("hazards") or ()),
        conflict=(
            None
            if conflict is None
            else VisitConflict(ConflictKind(conflict["kind"]), str(conflict["message"]))
        ),
        extra={k: v for k, v in data.items() if k in ("report_order_number", "rechecks")},
    )


# -- the service ----------------------------------------------------------------------------------


class PatrolService:
    """Plan months, show a worker's day, take visits from the phones."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        hazards: GridHazardService,  # a visit's hazards and free report become orders through it
        clock: Clock = system_clock,
        reference: ReferenceCache | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.reference = reference or ReferenceCache()
        self._versions: dict[tuple[str, int], GridItem] = {}  # published item versions, immutable
        self._hazards = hazards

    def _checklists(self, session: Session, keys: set[tuple[str, int]]) -> dict[tuple[str, int], GridItem]:
        """The items at the given (code, version)s. A published version never changes, so they
        are kept for the life of the process once read."""
        missing = keys - self._versions.keys()
        if missing:
            self._versions.update(repo.item_versions(session, missing))
        return {key: self._versions[key] for key in keys if key in self._versions}

    # ------------------------------------------------------------------ planning

    def plan(self, actor: Actor, period: Period, *, save: bool = True) -> PlanReport:
        """Plan `period` (a month) for every grid worker; with `save`, replace the month's
        pending tasks with the plan's in one transaction (a task a visit touched stays, and its
        visit counts in the plan's history)."""
        require(may_plan_patrols, actor)
        started = time.perf_counter()
        with self.db.transaction() as session:
            snap = self.reference.get(session)
            working = [d for d in _days(period) if snap.calendar.is_workday(d)]
            villages = repo.grid_villages(session)
            posts = _worker_posts(session)
            crews = grid_crews(posts, villages)
            items = [PlanItem(item, version) for item, version in repo.active_item_versions(session)]
            objects = list(repo.plan_objects(session))
            visits = list(repo.item_history(session, period))
            loaded = time.perf_counter()
            plan = plan_month(
                period=period, objects=objects, items=items, visits=visits, crews=crews, working_days=working
            )
            del objects, visits
            planned = time.perf_counter()
            replaced = kept = 0
            if save:
                replaced = repo.drop_pending_tasks(session, period)
                kept = repo.tasks_in(session, period)
                repo.insert_tasks(session, period, plan.tasks, self.clock())
            workers = len({w.user_id for crew in crews.values() for w in crew})
            report = PlanReport(
                plan,
                workers,
                replaced,
                kept,
                save,
                load_s=loaded - started,
                plan_s=planned - loaded,
                save_s=time.perf_counter() - planned,  # recorded without the commit
            )
            if save:
                record = {
                    **report.as_json(),
                    "planned_at": self.clock().isoformat(),
                    "planned_by": actor.name or actor.role.label,
                }
                ref.put_setting(session, _plan_key(period), record)
        return replace(report, save_s=time.perf_counter() - planned)  # with the commit

    def plan_recorded(self, period: Period) -> dict[str, Any] | None:
        """The figures of the month's last saved plan (`PlanReport.as_json`, with when and by
        whom), or None when it was never planned."""
        with self.db.reading() as session:
            return ref.get_setting(session, _plan_key(period))

    # ------------------------------------------------------------------ a worker's day

    def today(self, actor: Actor, day: date | None = None) -> WorkerDay:
        """A grid worker's tasks for `day` (default: today): those planned for it or before and
        not yet visited, the most urgent first, then those visited that day."""
        require(may_patrol, actor)
        assert actor.user_id is not None
        now = self.clock()
        today = local_date(now)
        day = day or today
        with self.db.reading() as session:
            rows = repo.workers_day(session, actor.user_id, day, DAY_LIMIT)
            checklists = self._checklists(session, {(str(c), int(v)) for r in rows for c, v in r.task.items})
            open_hazards: dict[int, list[dict[str, Any]]] = {}
            for h in self._hazards.open_hazards_in(session, {r.obj.id for r in rows}):
                if h.object_id is not None:
                    open_hazards.setdefault(h.object_id, []).append(_recheck_entry(h, self._versions))
            tasks = []
            for r in rows:
                t = repo.task_of(r.task)
                items = tuple(
                    ChecklistItem(i.code, i.version, checklists[(i.code, i.version)])
                    for i in t.items
                    if (i.code, i.version) in checklists
                )
                o = r.obj
                tasks.append(
                    DayTask(
                        id=r.task.id,
                        day=t.day,
                        earliest=t.earliest,
                        latest=t.latest,
                        overdue=t.overdue or (t.visited_on is None and today > t.latest),
                        status=task_status(t, today),
                        object_id=o.id,
                        object_kind=o.kind,
                        object_name=o.name,
                        object_address=o.address,
                        object_lat=o.lat,
                        object_lon=o.lon,
                        object_risk=o.risk,
                        object_updated_at=o.updated_at,
                        grid_code=r.grid_code,
                        items=items,
                        rechecks=tuple(open_hazards.get(o.id, ())) if t.visited_on is None else (),
                    )
                )
        return WorkerDay(day, actor.user_id, tuple(tasks), now)

    # ------------------------------------------------------------------ a visit

    def submit(
        self, actor: Actor, submission: VisitSubmission, photos: Sequence[PhotoUpload] = ()
    ) -> VisitReceipt:
        """Take a visit from the phone (see the module's note); a retry of the same submission id
        answers the first receipt with `created` False."""
        require(may_patrol, actor)
        assert actor.user_id is not None
        now = self.clock()
        check_submission(submission, [p.client_id for p in photos], now)
        with self.db.reading() as session:
            earlier = repo.visit_by_submission(session, submission.submission_id)
            if earlier is not None:
                return self._replay(actor, earlier)
        stored = [
            self._store_photo(p) for p in photos
        ]  # content-addressed: a failed visit leaves nothing named
        try:
            with self.db.transaction() as session:
                return self._submit_in(session, actor, submission, stored, now)
        except IntegrityError:
            with self.db.reading() as session:  # the same submission arrived twice at once: the first stands
                earlier = repo.visit_by_submission(session, submission.submission_id)
                if earlier is None:
                    raise
                return self._replay(actor, earlier)

    def visit(self, actor: Actor, submission_id: str) -> VisitReceipt:
        """The receipt of a submission the actor made (NotFound for anyone else's)."""
        require(may_patrol, actor)
        with self.db.reading() as session:
            row = repo.visit_by_submission(session, submission_id[:64])
            if row is None or row.worker_id != actor.user_id:
                raise NotFound("巡查记录不存在")
            return self._replay(actor, row)

    def _replay(self, actor: Actor, row: PatrolVisitRow) -> VisitReceipt:
        if row.worker_id != actor.user_id:
            raise Conflict("该提交编号已被其他人使用", field="submission_id")
        return receipt_from_json(dict(row.receipt or {}))

    def _store_photo(self, photo: PhotoUpload) -> StoredPhoto:
        """Check one photo by its bytes (JPEG, PNG or WebP) and keep it in the attachments' store."""
        root = Path(self.settings.attachment_dir)
        what = f"照片 {photo.client_id} "
        tmp, sha, size, head = spool_upload(root, photo.stream, self.settings.attachment_max_bytes, what=what)
        try:
            if size == 0:
                raise ValidationFailed(f"{what}为空", field="photos")
            allowed = tuple(t for t in self.settings.attachment_types if t in PHOTO_TYPES)
            try:
                kind, name = check_upload(
                    tmp, head, safe_filename(photo.filename or photo.client_id), allowed
                )
            except ValidationFailed as exc:
                raise ValidationFailed(f"{what}：{exc.message}", field="photos") from None
            key = keep_spooled(root, tmp, sha)
            return StoredPhoto(photo.client_id, sha, kind, size, name, key)
        finally:
            tmp.unlink(missing_ok=True)

    def _photo_files(self, photos: Sequence[StoredPhoto]) -> list[tuple[str, bytes]]:
        root = Path(self.settings.attachment_dir)
        return [(p.filename, (root / p.storage_key).read_bytes()) for p in photos]

    def _report_hazard(
        self,
        session: Session,
        actor: Actor,
        sub: VisitSubmission,
        place: _Place,
        item: GridItem,
        version: int,
        hazard: Hazard,
        photos: Sequence[StoredPhoto],
        now: datetime,
    ) -> FoundHazard:
        """A hazard answer becomes a work order (`GridHazardService.report_in`), idempotent by
        the submission and the question."""
        order = self._hazards.report_in(
            session,
            place.report(
                actor,
                key=f"{sub.submission_id}:{item.code}:{hazard.question_id}",
                title=_title(f"{item.name}：{hazard.question}（{hazard.answer}）"),
                description=f"{item.name}（{item.department}）检查发现{hazard.level.label}：{hazard.question}——{hazard.answer}",
                level=hazard.level,
                item_code=item.code,
                item_version=version,
                question_id=hazard.question_id,
                answer=hazard.answer,
                photos=self._photo_files(photos),
                submission_key=sub.submission_id,
            ),
            now,
        )
        return FoundHazard(
            item.code,
            hazard.question_id,
            hazard.question,
            hazard.answer,
            hazard.level.value,
            order.order_number,
        )

    def _recheck(
        self, session: Session, actor: Actor, recheck: Recheck, photos: Sequence[StoredPhoto], now: datetime
    ) -> dict[str, Any]:
        result = self._hazards.recheck_in(
            session, actor, recheck.hazard_id, recheck.fixed, recheck.note, self._photo_files(photos), now
        )
        return {
            "hazard_id": recheck.hazard_id,
            "fixed": recheck.fixed,
            "step": result.step.value,
            "order_number": result.hazard.order_number,
            "order_status": result.order_status,
            "reason": result.reason,
            "follow_up_order_number": result.follow_up.order_number if result.follow_up else None,
        }

    def _check_answers(
        self,
        session: Session,
        sub: VisitSubmission,
        object_id: int | None,
        visited_on: date,
        allowed_versions: dict[str, int] | None,
    ) -> _Checked:
        """Each item's answers checked against its checklist at the version answered (the task's,
        when it names one): the rows to store, the items satisfied, the hazards the answers show;
        ValidationFailed naming every problem."""
        checklists = self._checklists(session, {(a.code, a.version) for a in sub.answers})
        checked = _Checked()
        problems: list[str] = []
        for given in sub.answers:
            item = checklists.get((given.code, given.version))
            if item is None:
                problems.append(f"事项 {given.code} 第 {given.version} 版不存在")
                continue
            if (
                allowed_versions is not None
                and allowed_versions.get(given.code, given.version) != given.version
            ):
                problems.append(f"事项 {given.code} 应按任务所列第 {allowed_versions[given.code]} 版填写")
                continue
            try:
                clean = validate_answers(item, given.answers)
            except ValidationFailed as exc:
                problems.append(f"{item.name}：{exc.message}")
                continue
            levels = {h.question_id: h for h in hazards(item, given.answers)}
            for qid, answer in clean.items():
                hazard = levels.get(qid)
                checked.rows.append(
                    {
                        "object_id": object_id,
                        "visited_on": visited_on,
                        "item_code": item.code,
                        "item_version": given.version,
                        "question_id": qid,
                        "value": _json_value(answer.value),
                        "text": hazard.answer if hazard else _answer_text(item.question(qid), answer.value),
                        "photos": list(answer.photos),
                        "hazard_level": hazard.level.value if hazard else None,
                    }
                )
            checked.satisfied.append((item.code, given.version))
            for h in levels.values():
                shown = clean[h.question_id].photos if h.question_id in clean else ()
                checked.hazards.append((item, given.version, h, tuple(shown)))
        if problems:
            raise ValidationFailed("检查结果有误：" + "；".join(problems), problems=problems)
        return checked

    def _submit_in(
        self,
        session: Session,
        actor: Actor,
        sub: VisitSubmission,
        photos: Sequence[StoredPhoto],
        now: datetime,
    ) -> VisitReceipt:
        assert actor.user_id is not None
        snap = self.reference.get(session)
        own = [p.post() for p in posts_repo.posts_of_user(session, actor.user_id)]

        def mine(grid_id: int | None, village_id: int | None) -> bool:
            if grid_id is None or village_id is None:
                return False
            return may_see_grid(actor, GridPlace(grid_id, village_id), snap.org, own)

        visited_on = local_date(sub.visited_at)
        conflict: VisitConflict | None = None

        task: PatrolTaskRow | None = None
        if sub.task_id is not None:
            task = session.get(PatrolTaskRow, sub.task_id, with_for_update=True)
            if task is None:
                raise NotFound("巡查任务不存在", field="task_id")
            if sub.object_id is not None and sub.object_id != task.object_id:
                raise ValidationFailed("巡查对象与任务不符", field="object_id")
        object_id = task.object_id if task is not None else sub.object_id
        obj: ManagedObjectRow | None = None
        if object_id is not None:
            obj = session.get(ManagedObjectRow, object_id)
            if obj is None or not mine(obj.grid_id, obj.village_unit_id):
                raise NotFound("巡查任务不存在" if task is not None else "巡查对象不存在", field="object_id")
            if not obj.active:
                conflict = VisitConflict(
                    ConflictKind.OBJECT_REMOVED, "该对象已被注销，本次巡查已保存，请告知村居核实"
                )
            elif sub.object_seen_at is not None and obj.updated_at > sub.object_seen_at.astimezone(UTC):
                conflict = VisitConflict(
                    ConflictKind.OBJECT_CHANGED,
                    "对象信息在您下载任务后已被修改，本次巡查已保存，请核对对象信息",
                    {"updated_at": obj.updated_at.isoformat()},
                )
        if task is not None and task.visited_on is not None:
            conflict = VisitConflict(
                ConflictKind.TASK_DONE,
                f"该任务已于 {task.visited_on:%m月%d日} 完成，本次巡查作为加查记录保存",
                {"task_id": task.id},
            )
            task = None

        allowed_versions = {str(c): int(v) for c, v in task.items} if task is not None else None
        checked = self._check_answers(session, sub, object_id, visited_on, allowed_versions)
        answer_rows, satisfied, found_in = checked.rows, checked.satisfied, checked.hazards

        lat, lon = sub.lat, sub.lon
        visit = PatrolVisitRow(
            submission_id=sub.submission_id,
            task_id=task.id if task is not None else None,
            object_id=object_id,
            grid_id=obj.grid_id if obj is not None else None,
            village_unit_id=obj.village_unit_id if obj is not None else None,
            worker_id=actor.user_id,
            visited_at=sub.visited_at.astimezone(UTC),
            received_at=now,
            lat=lat,
            lon=lon,
            accuracy_m=sub.accuracy_m,
            satisfied=[code for code, _ in satisfied],
            note=sub.note,
            conflict=conflict.message if conflict is not None else None,
            hazards=len(found_in),
        )
        session.add(visit)
        session.flush()
        repo.add_answers(session, [{**row, "visit_id": visit.id} for row in answer_rows])
        if object_id is not None:
            repo.add_item_visits(
                session,
                [
                    {
                        "visit_id": visit.id,
                        "object_id": object_id,
                        "item_code": c,
                        "item_version": v,
                        "visited_on": visited_on,
                    }
                    for c, v in satisfied
                ],
            )
        repo.add_photos(
            session,
            [
                {
                    "visit_id": visit.id,
                    "client_id": p.client_id,
                    "sha256": p.sha256,
                    "content_type": p.content_type,
                    "size": p.size,
                    "filename": p.filename,
                }
                for p in photos
            ],
        )

        # hazards and a free report become work orders at the village center; re-checks
        stored = {p.client_id: p for p in photos}
        place = _Place(obj, sub.lat, sub.lon, sub.visited_at, own)
        found = [
            self._report_hazard(session, actor, sub, place, item, version, h, [stored[c] for c in shown], now)
            for item, version, h, shown in found_in
        ]
        extra: dict[str, Any] = {}
        if sub.report is not None:
            report = self._hazards.report_in(
                session,
                place.report(
                    actor,
                    key=f"{sub.submission_id}:report",
                    title=_title(sub.report.description),
                    description=sub.report.description,
                    address=sub.report.address or None,
                    photos=self._photo_files([stored[c] for c in sub.report.photos]),
                    submission_key=sub.submission_id,
                ),
                now,
            )
            extra["report_order_number"] = report.order_number
        if sub.rechecks:
            extra["rechecks"] = [
                self._recheck(session, actor, r, [stored[c] for c in r.photos], now) for r in sub.rechecks
            ]

        # the task: done for the items satisfied, a follow-up for the rest
        status: TaskStatus | None = None
        follow_up_id: int | None = None
        unsatisfied: tuple[str, ...] = ()
        if task is not None:
            done_codes = {c for c, _ in satisfied}
            on_task = [c for c in done_codes if allowed_versions is not None and c in allowed_versions]
            result = record_visit(repo.task_of(task), visited_on, on_task)
            if result.done is not None:
                task.visited_on = visited_on
                task.visit_id = visit.id
                task.items = [[i.code, i.version] for i in result.done.items]
            if result.follow_up is not None and result.done is not None:
                follow = PatrolTaskRow(
                    period=task.period,
                    object_id=task.object_id,
                    grid_id=task.grid_id,
                    worker_id=task.worker_id,
                    day=result.follow_up.day,
                    earliest=task.earliest,
                    latest=task.latest,
                    items=[[i.code, i.version] for i in result.follow_up.items],
                    overdue=task.overdue,
                    follow_up_of=task.id,
                    created_at=now,
                )
                session.add(follow)
                session.flush()
                follow_up_id = follow.id
            if result.follow_up is not None:
                unsatisfied = result.follow_up.item_codes
            status = task_status(repo.task_of(task), local_date(now))

        receipt = VisitReceipt(
            visit_id=visit.id,
            submission_id=sub.submission_id,
            created=True,
            task_id=task.id if task is not None else None,
            task_status=status,
            satisfied=tuple(c for c, _ in satisfied),
            unsatisfied=unsatisfied,
            follow_up_task_id=follow_up_id,
            hazards=tuple(found),
            conflict=conflict,
            extra=extra,
        )
        visit.receipt = receipt.as_json()
        return receipt


# -- helpers ----------------------------------------------------------------------------------------


@dataclass
class _Checked:
    """A visit's answers as checked: the rows to store, the items satisfied, the hazards shown."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    satisfied: list[tuple[str, int]] = field(default_factory=list)
    hazards: list[tuple[GridItem, int, Hazard, tuple[str, ...]]] = field(default_factory=list)


@dataclass(frozen=True)
class _Place:
    """Where a visit's reports are: the object's grid and address, the phone's point (else the
    object's), and the worker's one grid when the report has no object and no point."""

    obj: ManagedObjectRow | None
    lat: float | None
    lon: float | None
    found_at: datetime
    posts: Sequence[GridPost]

    def report(self, actor: Actor, **fields: Any) -> HazardReport:
        obj = self.obj
        lat, lon = self.lat, self.lon
        if lat is None and obj is not None:
            lat, lon = obj.lat, obj.lon
        grids = {p.grid_id for p in self.posts if p.grid_id is not None}
        grid_id = (
            obj.grid_id
            if obj is not None
            else (next(iter(grids)) if len(grids) == 1 and lat is None else None)
        )
        address = fields.pop("address", None) or (obj.address if obj is not None else None)
        return HazardReport(
            worker=actor,
            grid_id=grid_id,
            object_id=obj.id if obj is not None else None,
            latitude=lat,
            longitude=lon,
            address=address,
            found_at=self.found_at,
            **fields,
        )


def _recheck_entry(h: HazardView, versions: Mapping[tuple[str, int], GridItem]) -> dict[str, Any]:
    """An open hazard as the phone shows it for re-check (复查) on the next visit."""
    question = ""
    if h.item_code is not None and h.item_version is not None and h.question_id is not None:
        item = versions.get((h.item_code, h.item_version))
        found = item.question(h.question_id) if item is not None else None
        question = found.text if found is not None else h.question_id
    return {
        "hazard_id": h.id,
        "order_number": h.order_number,
        "item_code": h.item_code,
        "question": question,
        "answer": h.answer,
        "level": h.level.value if h.level is not None else None,
        "level_label": h.level.label if h.level is not None else "随手报",
        "status": h.status.value,
        "status_label": h.status.label,
        "found_at": h.found_at.isoformat(),
        "rectify_by": h.rectify_by.isoformat() if h.rectify_by else None,
        "overdue": h.overdue,
    }


def _title(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TITLE_MAX else flat[: TITLE_MAX - 1] + "…"


def _plan_key(period: Period) -> str:
    return f"patrol_plan:{repo.period_key(period)}"


def _days(period: Period) -> list[date]:
    return [period.start + timedelta(days=i) for i in range((period.end - period.start).days)]


def _worker_posts(session: Session) -> list[WorkerPost]:
    rows = session.execute(
        select(
            GridWorkerRow.user_id, GridWorkerRow.kind, GridWorkerRow.village_unit_id, GridWorkerRow.grid_id
        ).where(GridWorkerRow.active.is_(True))
    )
    return [WorkerPost(u, WorkerKind(k), v, g) for u, k, v, g in rows]


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _answer_text(question: Question | None, value: AnswerValue) -> str:
    return "" if question is None else answer_text(question, value)


def build(services: Services) -> PatrolService:
    """The capability's service over the process's services (`Capability.services`)."""
    return PatrolService(
        services.db,
        services.settings,
        clock=services.clock,
        reference=services.reference,
        hazards=services.get(GridHazardService),
    )


__all__ = [
    "ChecklistItem",
    "DayTask",
    "FoundHazard",
    "PatrolService",
    "PhotoUpload",
    "PlanReport",
    "VisitReceipt",
    "WorkerDay",
    "build",
]
