"""From a grid hazard to a work order (issue 17, part 7): report, rectify, re-check, count.

- **Report** (`report_in`): a hazard answer of a patrol visit's checklist, or a free report
  (随手报), becomes a work order through the `grid` channel, registered by the grid worker
  (signed in: the person is the principal, not a channel key) at the village/community center
  of its grid, with the grid (its code in the registration's audit record), the managed
  object's name and address in the content, the photos as the order's attachments and the
  worker, the item, the question and the answer in the audit record. It takes intake's path
  (`IntakeService.accept_in`): idempotent by the report's key (the same key again returns the
  first order), and the same duplicate check as every channel (merged into an open order
  above the high threshold, flagged for a dispatcher between the thresholds).
- **The village's side**: solve it at once (就地解决, the life cycle's `resolve_on_intake`)
  with a rectification deadline (整改期限, `resolve_locally`, `set_rectification`), or send
  it up (the life cycle's `return` from a registering center: village → town → district).
- **Re-check** (复查, `recheck_in`): the next visit's answer, by the order's status then
  (`domain.grid_hazards.recheck_plan`): fixed closes an order awaiting its callback (the
  re-check is the check), not fixed calls it back as unsatisfied (reopened down its chain, at
  the village when it never left it); an order still being handled is left to its holder; an
  order that ended while the hazard is still there is followed by a new report. The steps on
  the order are the platform's (`RECHECK`, a system principal; the worker's name is in the
  note) after this use case checked the worker's right to the hazard's grid.
- **Figures** (`local_resolution`): per village and overall, grid orders registered, closed,
  solved in the village, the share 就地解决率, and hazards found, fixed, open and overdue.

The patrol visits' submission calls `report_in` and `recheck_in` inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, Role, require
from zhiyun.domain.calendar import LOCAL_TZ, local_date
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid import GridPlace, GridPost, villages_in_view
from zhiyun.domain.grid_hazards import (
    MAX_RECHECK_NOTE,
    MAX_RECTIFY_DAYS,
    HazardStatus,
    LocalFigures,
    RecheckStep,
    is_overdue,
    may_recheck,
    may_report_in_grid,
    may_set_rectification,
    recheck_plan,
    rectify_deadline,
    solved_in_village,
)
from zhiyun.domain.grid_items import HazardLevel
from zhiyun.domain.order_access import may_attach
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import (
    Callback,
    Close,
    OrderStatus,
    OrderType,
    ResolveOnIntake,
    Satisfaction,
    SetRectification,
    Urgency,
)
from zhiyun.geo.locator import Location
from zhiyun.geo.service import GeoService
from zhiyun.geo.tables import GridRow
from zhiyun.grid import hazard_repo as repo
from zhiyun.grid import items_repo
from zhiyun.grid import repo as posts_repo
from zhiyun.grid.hazard_tables import ANSWER_MAX, KEY_MAX, GridHazardRow
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo as orders_repo
from zhiyun.orders.attachments import AttachmentService
from zhiyun.orders.service import WorkOrderService
from zhiyun.reference.cache import ReferenceSnapshot
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

GRID_CHANNEL = "grid"
# Who takes a re-check's step on the order: the platform, for the worker whose right this use
# case checked (workorder.SYSTEM_ACTIONS: callback and close).
RECHECK = Actor.system("网格复查")
MAX_PHOTOS = 20
MAX_TITLE = 100
MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class HazardReport:
    """A hazard answer of a visit, or a free report (随手报; no item, question or level).

    `key`: the report's own id, unique (e.g. `"{submission_id}:{item}:{question}"`); the same
    key again returns the first order. `submission_key`: the visit's submission (default: the
    key up to its first colon). Coordinates are WGS-84. `photos`: (file name, bytes) pairs.
    `rectify_days`: a default rectification period in calendar days (the village may set
    another deadline)."""

    key: str
    worker: Actor
    title: str
    description: str = ""
    grid_id: int | None = None
    object_id: int | None = None
    level: HazardLevel | None = None
    item_code: str | None = None
    item_version: int | None = None
    question_id: str | None = None
    answer: str = ""
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    found_at: datetime | None = None  # aware; default: now
    photos: Sequence[tuple[str, bytes]] = ()
    rectify_days: int | None = None
    submission_key: str | None = None

    def validated(self) -> HazardReport:
        errors: dict[str, str] = {}
        key = (self.key or "").strip()
        if not key:
            errors["key"] = "上报编号不能为空"
        elif len(key) > KEY_MAX:
            errors["key"] = f"上报编号不能超过 {KEY_MAX} 个字符"
        title = (self.title or "").strip()
        if not title:
            errors["title"] = "标题不能为空"
        elif len(title) > MAX_TITLE:
            errors["title"] = f"标题不能超过 {MAX_TITLE} 字"
        if len(self.description or "") > MAX_DESCRIPTION:
            errors["description"] = f"描述不能超过 {MAX_DESCRIPTION} 字"
        if len(self.answer or "") > ANSWER_MAX:
            errors["answer"] = f"回答不能超过 {ANSWER_MAX} 字"
        from_item = (self.item_code, self.item_version, self.question_id, self.level)
        if any(v is not None for v in from_item) and any(v is None for v in from_item):
            errors["item_code"] = "检查项隐患须同时给出入格事项、版本、检查项和隐患等级（随手报则都不给）"
        if len(self.photos) > MAX_PHOTOS:
            errors["photos"] = f"照片不能超过 {MAX_PHOTOS} 张"
        if self.rectify_days is not None and not 1 <= self.rectify_days <= MAX_RECTIFY_DAYS:
            errors["rectify_days"] = f"整改期限应为 1–{MAX_RECTIFY_DAYS} 天"
        if self.found_at is not None and self.found_at.tzinfo is None:
            errors["found_at"] = "发现时间须带时区"
        if (self.latitude is None) != (self.longitude is None):
            errors["location"] = "经纬度必须同时提供"
        if errors:
            raise ValidationFailed("；".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
        submission = (self.submission_key or key.split(":", 1)[0]).strip()[:KEY_MAX]
        return replace(self, key=key, title=title, submission_key=submission)

    @property
    def from_checklist(self) -> bool:
        return self.item_code is not None


@dataclass(frozen=True)
class HazardOrder:
    """What became of a report: its hazard and its order (created now, or the first one for a
    repeated key), the master it was merged into or the orders it was flagged against."""

    hazard_id: int
    order_id: int
    order_number: str
    created: bool
    status: HazardStatus
    rectify_by: date | None = None
    duplicate_of: str | None = None
    possible_duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HazardView:
    """A hazard as pages and the phone show it."""

    id: int
    order_id: int
    order_number: str
    order_status: str
    object_id: int | None
    object_name: str | None
    grid_id: int | None
    grid_code: str | None
    village_unit_id: int
    worker_id: int
    worker_name: str
    item_code: str | None
    item_version: int | None
    question_id: str | None
    level: HazardLevel | None
    answer: str
    found_at: datetime
    rectify_by: date | None
    status: HazardStatus
    overdue: bool
    rechecked_at: datetime | None
    recheck_note: str | None
    recheck_by_name: str | None
    follows_id: int | None

    @property
    def level_label(self) -> str:
        return self.level.label if self.level is not None else "随手报"


@dataclass(frozen=True)
class RecheckResult:
    """What a re-check did: the hazard after it, the step on its order and the order's status
    after it, the new report when the order had ended, and the photos attached."""

    hazard: HazardView
    step: RecheckStep
    reason: str
    order_status: str
    follow_up: HazardOrder | None = None
    photos_attached: int = 0


@dataclass(frozen=True)
class VillageFigures:
    """One village's figures (`domain.grid_hazards.LocalFigures`) with its names."""

    village_unit_id: int
    village_name: str
    town_name: str
    figures: LocalFigures


@dataclass(frozen=True)
class LocalResolution:
    """就地解决 over a period: per village (by town and name) and overall."""

    since: datetime
    until: datetime
    villages: list[VillageFigures]
    total: LocalFigures


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


class GridHazardService:
    """Grid hazards: reported as work orders, rectified by the village, re-checked on the next visit."""

    def __init__(
        self,
        db: Database,
        orders: WorkOrderService,
        intake: IntakeService,
        attachments: AttachmentService,
        geo: GeoService,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.orders = orders
        self.intake = intake
        self.attachments = attachments
        self.geo = geo
        self.clock = clock

    # ------------------------------------------------------------------ helpers

    def _snap(self, session: Session) -> ReferenceSnapshot:
        return self.orders.reference.get(session)

    @staticmethod
    def _posts(session: Session, actor: Actor) -> list[GridPost]:
        if actor.role is not Role.GRID_WORKER or actor.user_id is None:
            return []
        return [p.post() for p in posts_repo.posts_of_user(session, actor.user_id)]

    def _views(self, session: Session, rows: Sequence[GridHazardRow], today: date) -> list[HazardView]:
        return [_view(r, today) for r in repo.read(session, rows)]

    # ------------------------------------------------------------------ report

    def report_in(self, session: Session, report: HazardReport, now: datetime) -> HazardOrder:
        """A hazard or a free report becomes a work order (the module's note), inside the caller's
        transaction. The worker must be a grid worker whose posts cover the report's grid (the
        grid given, else the object's, else the one its point lies in): PermissionDenied
        otherwise. The same key again returns the first order (Conflict if another worker's)."""
        worker = report.worker
        if worker.role is not Role.GRID_WORKER or worker.user_id is None:
            raise PermissionDenied("只有网格员可以上报网格隐患")
        report = report.validated()
        existing = repo.by_key(session, report.key)
        if existing is not None:
            if existing.worker_id != worker.user_id:
                raise Conflict("该上报编号已被其他网格员使用", field="key")
            number = repo.read(session, [existing])[0].order_number
            return HazardOrder(
                existing.id,
                existing.order_id,
                number,
                created=False,
                status=HazardStatus(existing.status),
                rectify_by=existing.rectify_by,
            )
        snap = self._snap(session)
        org = snap.org
        obj = session.get(ManagedObjectRow, report.object_id) if report.object_id is not None else None
        if report.object_id is not None and (obj is None or not obj.active):
            raise ValidationFailed("管理对象不存在", field="object_id")
        grid = self._grid_of(session, report, obj)
        posts = self._posts(session, worker)
        if not may_report_in_grid(worker, GridPlace(grid.id, grid.village_unit_id), org, posts):
            raise PermissionDenied("只能上报本人负责网格内的隐患", field="grid_id")

        found_at = report.found_at or now
        rectify_by = rectify_deadline(local_date(found_at), report.rectify_days)
        lat, lon = report.latitude, report.longitude
        if lat is None and obj is not None and obj.lat is not None and obj.lon is not None:
            lat, lon = obj.lat, obj.lon
        address = report.address or (obj.address if obj is not None and obj.address else None)
        item_name = None
        if report.item_code is not None:
            item = items_repo.find(session, report.item_code)
            item_name = item.name if item is not None else None
        village = org.get(grid.village_unit_id)
        details: dict[str, Any] = {
            "worker": {"user_id": worker.user_id, "name": worker.name},
            "hazard": {
                k: v
                for k, v in {
                    "object_id": report.object_id,
                    "item_code": report.item_code,
                    "item_version": report.item_version,
                    "question_id": report.question_id,
                    "level": report.level.value if report.level is not None else None,
                    "answer": report.answer or None,
                    "submission": report.submission_key,
                    "rectify_by": rectify_by.isoformat() if rectify_by is not None else None,
                }.items()
                if v is not None
            },
        }
        draft = IntakeDraft(
            external_id=report.key,
            title=report.title,
            content=_content(report, obj, grid.code, grid.name, item_name, rectify_by),
            order_type=OrderType.REPORT,
            urgency=Urgency.URGENT if report.level is HazardLevel.MAJOR else None,
            address=address,
            latitude=lat,
            longitude=lon,
            reported_at=found_at,
            attributes={
                "grid_code": grid.code,
                "worker_id": str(worker.user_id),
                "worker_name": worker.name,
                "photos": [name for name, _ in report.photos],
            },
        )
        raw = _payload(report, found_at)
        location = Location(
            town_unit_id=village.parent_id,
            village_unit_id=village.id,
            source="grid",
            grid_id=grid.id,
            grid_code=grid.code,
        )

        def attach_photos(s: Session, row: WorkOrderRow) -> None:
            for filename, data in report.photos:
                self.attachments.add_in(s, worker, row, filename, data, now)

        result = self.intake.accept_in(
            session,
            GRID_CHANNEL,
            draft,
            raw,
            actor=worker,
            now=now,
            center_unit_id=village.id,
            location=location,
            details=details,
            on_registered=attach_photos,
        )
        row = repo.add(
            session,
            order_id=result.order.id,
            report_key=report.key,
            submission_key=report.submission_key or report.key,
            object_id=report.object_id,
            grid_id=grid.id,
            village_unit_id=village.id,
            worker_id=worker.user_id,
            item_code=report.item_code,
            item_version=report.item_version,
            question_id=report.question_id,
            level=report.level.value if report.level is not None else None,
            answer=report.answer or "",
            found_at=found_at,
            rectify_by=rectify_by,
            status=HazardStatus.OPEN.value,
            created_at=now,
        )
        return HazardOrder(
            row.id,
            result.order.id,
            result.order.number,
            created=result.created,
            status=HazardStatus.OPEN,
            rectify_by=rectify_by,
            duplicate_of=result.duplicate_of,
            possible_duplicates=list(result.possible_duplicates),
        )

    def _grid_of(self, session: Session, report: HazardReport, obj: ManagedObjectRow | None) -> GridRow:
        grid_id = report.grid_id if report.grid_id is not None else (obj.grid_id if obj is not None else None)
        if grid_id is None and report.latitude is not None and report.longitude is not None:
            grid_id = self.geo.locator(session).locate(report.latitude, report.longitude, None).grid_id
        if grid_id is None:
            raise ValidationFailed("无法确定隐患所在网格：请指定网格或管理对象，或提供位置", field="grid_id")
        grid = repo.grid(session, grid_id)
        if grid is None:
            raise ValidationFailed("网格不存在", field="grid_id")
        if obj is not None and obj.grid_id is not None and obj.grid_id != grid.id:
            raise ValidationFailed("管理对象不在该网格内", field="object_id")
        return grid

    # ------------------------------------------------------------------ reads

    def open_hazards_in(
        self, session: Session, object_ids: Iterable[int], *, free_in_grids: Iterable[int] = ()
    ) -> list[HazardView]:
        """The open hazards (待整改, 复查未整改) of some managed objects — and, given
        `free_in_grids`, the open free reports without an object in those grids — inside the
        caller's transaction: the re-check entries of a visit. The caller has scoped the objects
        and grids (a worker's own visit tasks); `recheck_in` checks the worker's grid again."""
        rows = repo.of_objects_open(session, object_ids, free_in_grids)
        return self._views(session, rows, local_date(self.clock()))

    def hazards_of_order_in(self, session: Session, order_id: int) -> list[HazardView]:
        """The hazards of an order, inside a session whose caller checked it may read the order
        (the order page's panel)."""
        return self._views(session, repo.of_order(session, order_id), local_date(self.clock()))

    def hazards_of_order(self, actor: Actor, order_key: str | int) -> list[HazardView]:
        """The hazards of an order `actor` may read (NotFound otherwise)."""
        with self.db.reading() as session:
            row = self.orders.visible_row_in(session, actor, order_key)
            return self.hazards_of_order_in(session, row.id)

    # ------------------------------------------------------------------ the village's side

    def resolve_locally(
        self, actor: Actor, order_key: str | int, note: str, rectify_by: date | None = None
    ) -> list[HazardView]:
        """The village solves a grid order at once (就地解决: the life cycle's resolve_on_intake,
        which asks who may) and sets the rectification deadline (整改期限) of its open hazards
        (`may_set_rectification`), in one transaction; the deadline is also in the step's note.
        NotFound for an order `actor` may not read, ValidationFailed for an order with no hazard."""
        now = self.clock()
        with self.db.transaction() as session:
            row, hazards, snap = self._grid_order(session, actor, order_key)
            if rectify_by is not None:
                self._may_rectify(actor, hazards, snap.org)
            text = note.strip()
            if rectify_by is not None:
                text = f"{text}（整改期限：{rectify_by.isoformat()}）" if text else ""
            # the life cycle asks who may before the deadline is judged (a refusal says nothing of it)
            self.orders.act_in(session, actor, row, ResolveOnIntake(note=text), now, snap=snap)
            if rectify_by is not None:
                self._check_deadline(rectify_by, now)
                for h in hazards:
                    if HazardStatus(h.status).is_open:
                        h.rectify_by = rectify_by
                session.flush()
            return self._views(session, hazards, local_date(now))

    def set_rectification(self, actor: Actor, order_key: str | int, rectify_by: date) -> list[HazardView]:
        """Set the rectification deadline (整改期限) of a grid order's open hazards: a dispatcher
        or agent of its village or a center above it, an admin (`may_set_rectification`);
        NotFound for an order `actor` may not read. The order's trail records it (an event
        整改期限, from and to); the same date again is refused, as nothing would change."""
        now = self.clock()
        with self.db.transaction() as session:
            row, hazards, snap = self._grid_order(session, actor, order_key)
            self._may_rectify(actor, hazards, snap.org)
            self._check_deadline(rectify_by, now)
            open_ = [h for h in hazards if HazardStatus(h.status).is_open]
            if not open_:
                raise ValidationFailed("该工单没有待整改的隐患", field="rectify_by")
            previous = max((h.rectify_by for h in open_ if h.rectify_by is not None), default=None)
            # the order's trail records it (整改期限): who moved it, from when to when
            self.orders.record_in(session, actor, row, SetRectification(rectify_by, previous), now, snap=snap)
            for h in open_:
                h.rectify_by = rectify_by
            session.flush()
            return self._views(session, hazards, local_date(now))

    def _grid_order(
        self, session: Session, actor: Actor, order_key: str | int
    ) -> tuple[WorkOrderRow, list[GridHazardRow], ReferenceSnapshot]:
        row = self.orders.visible_row_in(session, actor, order_key)
        hazards = repo.of_order(session, row.id)
        if not hazards:
            raise ValidationFailed("该工单不是网格隐患工单", field="order")
        return row, hazards, self._snap(session)

    @staticmethod
    def _may_rectify(actor: Actor, hazards: Sequence[GridHazardRow], org: OrgTree) -> None:
        for village in sorted({h.village_unit_id for h in hazards}):
            require(may_set_rectification, actor, village, org)

    @staticmethod
    def _check_deadline(rectify_by: date, now: datetime) -> None:
        today = local_date(now)
        if rectify_by < today:
            raise ValidationFailed("整改期限不能早于今天", field="rectify_by")
        if (rectify_by - today).days > MAX_RECTIFY_DAYS:
            raise ValidationFailed(f"整改期限不能超过 {MAX_RECTIFY_DAYS} 天", field="rectify_by")

    # ------------------------------------------------------------------ re-check

    def recheck_in(
        self,
        session: Session,
        actor: Actor,
        hazard_id: int,
        fixed: bool,
        note: str,
        photos: Sequence[tuple[str, bytes]],
        now: datetime,
    ) -> RecheckResult:
        """The re-check (复查) of a hazard on the next visit, inside the caller's transaction.

        Only a grid worker whose posts cover the hazard's grid (`may_recheck`): another grid's
        hazard is NotFound, as is one that does not exist; other roles PermissionDenied. A hazard
        no longer open is a Conflict. What it does to the order is `recheck_plan`'s; the photos
        go onto the order when the worker takes part in it now (it is at their village), onto
        the new order when the hazard is reported again."""
        if actor.role is not Role.GRID_WORKER or actor.user_id is None:
            raise PermissionDenied("只有网格员可以复查隐患")
        if len(note or "") > MAX_RECHECK_NOTE:
            raise ValidationFailed(f"复查说明不能超过 {MAX_RECHECK_NOTE} 字", field="note")
        if len(photos) > MAX_PHOTOS:
            raise ValidationFailed(f"照片不能超过 {MAX_PHOTOS} 张", field="photos")
        hazard = repo.get(session, hazard_id, for_update=True)
        snap = self._snap(session)
        if hazard is None or hazard.grid_id is None:
            raise NotFound("隐患不存在", hazard=hazard_id)
        place = GridPlace(hazard.grid_id, hazard.village_unit_id)
        if not may_recheck(actor, place, snap.org, self._posts(session, actor)):
            raise NotFound("隐患不存在", hazard=hazard_id)
        status = HazardStatus(hazard.status)
        if not status.is_open:
            raise Conflict(f"该隐患已{status.label}，无需复查", status=status.value)
        order = orders_repo.find_order(session, hazard.order_id)
        if order is None:  # pragma: no cover - a foreign key
            raise NotFound("工单不存在")
        state = orders_repo.state_of(order)
        ctx = snap.rule_context(now)
        plan = recheck_plan(
            state.status, fixed, reopen_count=state.reopen_count, max_reopens=ctx.policy.max_reopens
        )
        note = (note or "").strip()
        text = f"网格员{actor.name}复查：{'已整改' if fixed else '未整改'}" + (f"。{note}" if note else "")
        attached: list[int] = []
        follow_up: HazardOrder | None = None
        if plan.step is RecheckStep.FOLLOW_UP:
            follow_up = self.report_in(session, _again(hazard, order, actor, text, photos, now), now)
            new = repo.get(session, follow_up.hazard_id)
            if new is not None:
                new.follows_id = hazard.id
        elif photos and not state.status.is_terminal and may_attach(actor, state, ctx):
            for filename, data in photos:
                attached.append(self.attachments.add_in(session, actor, order, filename, data, now).id)
        if plan.step is RecheckStep.CLOSE:
            self.orders.act_in(
                session, RECHECK, order, Close(note=text), now, snap=snap, attachment_ids=attached
            )
        elif plan.step is RecheckStep.REOPEN:
            command = Callback(satisfaction=Satisfaction.UNSATISFIED, note=text)
            self.orders.act_in(session, RECHECK, order, command, now, snap=snap, attachment_ids=attached)
        hazard.status = plan.status.value
        hazard.rechecked_at = now
        hazard.recheck_note = note or None
        hazard.recheck_by = actor.user_id
        session.flush()
        view = self._views(session, [hazard], local_date(now))[0]
        return RecheckResult(
            view,
            plan.step,
            plan.reason,
            order.status,
            follow_up=follow_up,
            photos_attached=len(attached) + (len(photos) if follow_up is not None else 0),
        )

    def recheck(
        self,
        actor: Actor,
        hazard_id: int,
        fixed: bool,
        note: str = "",
        photos: Sequence[tuple[str, bytes]] = (),
    ) -> RecheckResult:
        """`recheck_in` in a transaction of its own."""
        now = self.clock()
        with self.db.transaction() as session:
            return self.recheck_in(session, actor, hazard_id, fixed, note, photos, now)

    # ------------------------------------------------------------------ figures

    def local_resolution_in(
        self,
        session: Session,
        since: datetime,
        until: datetime,
        village_ids: Iterable[int] | None = None,
        *,
        today: date | None = None,
    ) -> LocalResolution:
        """The figures of the grid orders registered in [since, until) at the villages
        `village_ids` (every village when None), per village and overall
        (`domain.grid_hazards.LocalFigures` defines each), inside a session whose caller scoped
        the villages; `today` (default: now's date) judges which open hazards are overdue."""
        today = today or local_date(self.clock())
        org = self._snap(session).org
        rows = repo.figures_rows(session, since, until, village_ids)
        order_ids = {r.order_id for r in rows}
        statuses = repo.statuses(session, order_ids)
        involved = repo.involved_units(session, order_ids)
        per: dict[int, LocalFigures] = {}
        counted: set[int] = set()
        for r in rows:
            status = HazardStatus(r.status)
            one = LocalFigures(
                hazards_found=1,
                hazards_fixed=int(status is HazardStatus.FIXED),
                hazards_open=int(status.is_open),
                hazards_overdue=int(is_overdue(status, r.rectify_by, today)),
            )
            if r.order_id not in counted:
                counted.add(r.order_id)
                order_status = OrderStatus(statuses.get(r.order_id, OrderStatus.PENDING_DISPATCH.value))
                one = one + LocalFigures(
                    registered=1,
                    closed=int(order_status is OrderStatus.CLOSED),
                    solved_in_village=int(
                        solved_in_village(order_status, r.village_unit_id, involved.get(r.order_id, ()), org)
                    ),
                )
            per[r.village_unit_id] = per.get(r.village_unit_id, LocalFigures()) + one
        wanted = set(per) if village_ids is None else set(village_ids) & set(org.units)
        villages = []
        for village_id in wanted:
            unit = org.units.get(village_id)
            if unit is None:
                continue
            town = org.units.get(unit.parent_id) if unit.parent_id is not None else None
            villages.append(
                VillageFigures(
                    village_id, unit.name, town.name if town else "", per.get(village_id, LocalFigures())
                )
            )
        villages.sort(key=lambda v: (v.town_name, v.village_name, v.village_unit_id))
        total = LocalFigures()
        for v in villages:
            total = total + v.figures
        return LocalResolution(since, until, villages, total)

    def local_resolution(
        self, actor: Actor, since: date, until: date, village_ids: Iterable[int] | None = None
    ) -> LocalResolution:
        """The figures of the local days [since, until] for the villages `actor` may see
        (`domain.grid.villages_in_view`; `village_ids` narrows them)."""
        if until < since:
            raise ValidationFailed("结束日期不能早于开始日期", field="until")
        with self.db.reading() as session:
            org = self._snap(session).org
            seen = villages_in_view(actor, org, self._posts(session, actor))
            chosen = seen if village_ids is None else seen & set(village_ids)
            return self.local_resolution_in(session, _day_start(since), _day_start(until) + _ONE_DAY, chosen)


_ONE_DAY = timedelta(days=1)


def _view(read: repo.HazardRead, today: date) -> HazardView:
    r = read.row
    status = HazardStatus(r.status)
    return HazardView(
        id=r.id,
        order_id=r.order_id,
        order_number=read.order_number,
        order_status=read.order_status,
        object_id=r.object_id,
        object_name=read.object_name,
        grid_id=r.grid_id,
        grid_code=read.grid_code,
        village_unit_id=r.village_unit_id,
        worker_id=r.worker_id,
        worker_name=read.worker,
        item_code=r.item_code,
        item_version=r.item_version,
        question_id=r.question_id,
        level=HazardLevel(r.level) if r.level else None,
        answer=r.answer,
        found_at=r.found_at,
        rectify_by=r.rectify_by,
        status=status,
        overdue=is_overdue(status, r.rectify_by, today),
        rechecked_at=r.rechecked_at,
        recheck_note=r.recheck_note,
        recheck_by_name=read.checker,
        follows_id=r.follows_id,
    )


def _content(
    report: HazardReport,
    obj: ManagedObjectRow | None,
    grid_code: str,
    grid_name: str,
    item_name: str | None,
    rectify_by: date | None,
) -> str:
    """The order's content: what was found, where, and from which check."""
    lines = []
    if report.description.strip():
        lines.append(report.description.strip())
    if obj is not None:
        where = f"，{obj.address}" if obj.address else ""
        lines.append(f"管理对象：{obj.name}{where}")
    lines.append(f"网格：{grid_code} {grid_name}".rstrip())
    if report.from_checklist and report.level is not None:
        item = f"{report.item_code} {item_name}" if item_name else str(report.item_code)
        lines.append(f"入格事项：{item}（第 {report.item_version} 版），检查项 {report.question_id}")
        if report.answer:
            lines.append(f"回答：{report.answer}（{report.level.label}）")
        else:
            lines.append(f"隐患等级：{report.level.label}")
    else:
        lines.append("网格员随手报")
    if rectify_by is not None:
        lines.append(f"整改期限：{rectify_by.isoformat()}")
    return "\n".join(lines)


def _payload(report: HazardReport, found_at: datetime) -> dict[str, Any]:
    """What intake keeps of the report (its record of the message): no photo bytes."""
    return {
        "key": report.key,
        "submission": report.submission_key,
        "worker_id": report.worker.user_id,
        "grid_id": report.grid_id,
        "object_id": report.object_id,
        "title": report.title,
        "description": report.description,
        "level": report.level.value if report.level is not None else None,
        "item_code": report.item_code,
        "item_version": report.item_version,
        "question_id": report.question_id,
        "answer": report.answer,
        "lat": report.latitude,
        "lon": report.longitude,
        "address": report.address,
        "found_at": found_at.isoformat(),
        "photos": [name for name, _ in report.photos],
        "rectify_days": report.rectify_days,
    }


def _again(
    hazard: GridHazardRow,
    order: WorkOrderRow,
    worker: Actor,
    text: str,
    photos: Sequence[tuple[str, bytes]],
    now: datetime,
) -> HazardReport:
    """The report of a hazard found again at a re-check after its order had ended."""
    return HazardReport(
        key=f"hz{hazard.id}:recheck",
        worker=worker,
        title=f"复查未整改：{order.title}"[:MAX_TITLE],
        description=f"{text}（原工单 {order.number}）",
        grid_id=hazard.grid_id,
        object_id=hazard.object_id,
        level=HazardLevel(hazard.level) if hazard.level else None,
        item_code=hazard.item_code,
        item_version=hazard.item_version,
        question_id=hazard.question_id,
        answer=hazard.answer,
        latitude=order.latitude,
        longitude=order.longitude,
        address=order.address,
        found_at=now,
        photos=photos,
        submission_key=hazard.submission_key,
    )


def build(services: Services) -> GridHazardService:
    """The capability's service over the process's services (`Capability.services`)."""
    return GridHazardService(
        services.db,
        services.orders,
        services.intake,
        services.attachments,
        services.geo,
        clock=services.clock,
    )


__all__ = [
    "GRID_CHANNEL",
    "RECHECK",
    "GridHazardService",
    "HazardOrder",
    "HazardReport",
    "HazardView",
    "LocalResolution",
    "RecheckResult",
    "VillageFigures",
    "build",
]
