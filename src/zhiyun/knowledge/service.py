"""The knowledge base's use cases (docs/knowledge.md): read, write, review, publish and withdraw
knowledge items (知识点), import them in bulk, and propose drafts from answered consultation orders.

Who may do what is decided by the named policies of `domain/access.py`: every staff user reads
the published items (`may_read_knowledge`); the keepers (`may_keep_knowledge`: admins and
inspectors) also read drafts and history; an admin of the item's unit or above writes
(`may_edit_knowledge`); an admin or inspector of the item's unit or above reviews, publishes and
withdraws (`may_review_knowledge`); agents, dispatchers and admins propose a draft from a closed
consultation order they may read (`may_propose_knowledge`). An item the actor may not read is
NotFound (404), like one that does not exist.

One transaction per use case; every change bumps the item's version and writes one history row
(`knowledge_item_step`) saying who, when, and what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.domain.access import (
    Actor,
    may_edit_knowledge,
    may_keep_knowledge,
    may_propose_knowledge,
    may_read_knowledge,
    may_review_knowledge,
    require,
)
from zhiyun.domain.actions import NOTE_MAX
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import ConcurrentUpdate, NotFound, ValidationFailed
from zhiyun.domain.knowledge import ITEM_LIFECYCLE, ItemAction, ItemInput, ItemStatus, answerable_on
from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import ResolveOnIntake
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.knowledge import repo
from zhiyun.knowledge.tables import ORIGIN_REF_MAX, KnowledgeItemRow
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.views import OrderDetail
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

LISTED = 200
MAX_ID = 2**62  # ids are BIGINT: a larger number names nothing
ORIGINS = ("manual", "guide", "import", "order")
ACTION_LABELS = {a.value: a.label for a in ItemAction}
REVIEW_ACTIONS = (ItemAction.REVIEW, ItemAction.SEND_BACK, ItemAction.PUBLISH, ItemAction.WITHDRAW)
_FIELDS = (
    "title",
    "answer",
    "category",
    "department",
    "source",
    "policy_ref",
    "valid_from",
    "valid_to",
    "questions",
)


@dataclass(frozen=True)
class StepView:
    """One change of an item: what, who, when, from and to which status, what changed."""

    action: str
    label: str
    from_status: str | None
    to_status: str
    actor_name: str
    at: datetime
    note: str
    changed: tuple[str, ...]


@dataclass(frozen=True)
class ItemView:
    """A knowledge item as its reader sees it, with what they may do to it now."""

    id: int
    title: str
    answer: str
    questions: tuple[str, ...]
    category: str
    unit_id: int | None
    unit_name: str | None
    department: str
    source: str
    policy_ref: str
    valid_from: date | None
    valid_to: date | None
    status: str
    status_label: str
    origin: str
    origin_ref: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    published_at: datetime | None
    version: int
    answerable: bool  # published and valid today: 小南 may answer with it
    actions: tuple[str, ...] = ()
    history: tuple[StepView, ...] = ()


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemView]
    total: int


@dataclass(frozen=True)
class ImportRecord:
    """One item of an import: what it says and which record of its source it is."""

    data: ItemInput
    ref: str | None = None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)


def _input_of(row: KnowledgeItemRow) -> ItemInput:
    return ItemInput(
        title=row.title,
        answer=row.answer,
        category=row.category,
        department=row.department,
        source=row.source,
        policy_ref=row.policy_ref,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        questions=tuple(row.questions or ()),
    )


def _columns(data: ItemInput) -> dict[str, Any]:
    return {
        "title": data.title,
        "answer": data.answer,
        "category": data.category,
        "department": data.department,
        "source": data.source,
        "policy_ref": data.policy_ref,
        "valid_from": data.valid_from,
        "valid_to": data.valid_to,
        "questions": list(data.questions),
    }


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _diff(before: ItemInput, after: ItemInput) -> dict[str, list[object]]:
    """What an edit changed: field → [old, new]."""
    return {
        name: [_plain(getattr(before, name)), _plain(getattr(after, name))]
        for name in _FIELDS
        if getattr(before, name) != getattr(after, name)
    }


class KnowledgeService:
    """The knowledge items over one database: read, kept, imported, proposed."""

    def __init__(
        self,
        db: Database,
        reference: ReferenceCache,
        orders: WorkOrderService,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.reference = reference
        self.orders = orders
        self.clock = clock

    def _org(self, session: Session) -> OrgTree:
        return self.reference.get(session).org

    def _view(
        self, row: KnowledgeItemRow, org: OrgTree, actor: Actor, steps: Sequence[StepView] = ()
    ) -> ItemView:
        status = ItemStatus(row.status)
        unit = org.units.get(row.unit_id) if row.unit_id is not None else None
        actions = [
            a.value
            for a in ITEM_LIFECYCLE.table.actions_from(status)
            if (may_review_knowledge if a in REVIEW_ACTIONS else may_edit_knowledge)(actor, row.unit_id, org)
        ]
        return ItemView(
            id=row.id,
            title=row.title,
            answer=row.answer,
            questions=tuple(row.questions or ()),
            category=row.category,
            unit_id=row.unit_id,
            unit_name=unit.name if unit else None,
            department=row.department,
            source=row.source,
            policy_ref=row.policy_ref,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            status=status.value,
            status_label=status.label,
            origin=row.origin,
            origin_ref=row.origin_ref,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
            published_at=row.published_at,
            version=row.version,
            answerable=answerable_on(status, row.valid_from, row.valid_to, local_date(self.clock())),
            actions=tuple(sorted(actions, key=lambda a: list(ItemAction).index(ItemAction(a)))),
            history=tuple(steps),
        )

    def _readable(self, session: Session, actor: Actor, item_id: int) -> KnowledgeItemRow:
        require(may_read_knowledge, actor)
        row = repo.find(session, item_id) if 0 < item_id <= MAX_ID else None
        if row is None or (row.status != ItemStatus.PUBLISHED.value and not may_keep_knowledge(actor)):
            raise NotFound("知识点不存在", item_id=item_id)
        return row

    # -- reading ------------------------------------------------------------------------------

    def items(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        words: str | None = None,
        limit: int = LISTED,
        offset: int = 0,
    ) -> ItemPage:
        """The items `actor` may read (the published ones; every item for a keeper), of one status
        when given, whose title, category or department holds `words`; newest change first."""
        require(may_read_knowledge, actor)
        statuses: set[str] | None = None
        if status:
            try:
                statuses = {ItemStatus(status).value}
            except ValueError:
                raise ValidationFailed("状态不正确", field="status") from None
        if not may_keep_knowledge(actor):
            statuses = {ItemStatus.PUBLISHED.value} & (statuses or {ItemStatus.PUBLISHED.value})
        with self.db.reading() as session:
            org = self._org(session)
            rows, total = repo.listed(
                session,
                statuses=statuses,
                words=(words or "").strip()[:100] or None,
                limit=limit,
                offset=offset,
            )
            return ItemPage([self._view(r, org, actor) for r in rows], total)

    def get(self, actor: Actor, item_id: int) -> ItemView:
        """One item `actor` may read, with its history for a keeper; NotFound otherwise."""
        with self.db.reading() as session:
            row = self._readable(session, actor, item_id)
            steps: list[StepView] = []
            if may_keep_knowledge(actor):
                steps = [
                    StepView(
                        action=s.action,
                        label=ACTION_LABELS.get(s.action, s.action),
                        from_status=s.from_status,
                        to_status=s.to_status,
                        actor_name=s.actor_name,
                        at=s.created_at,
                        note=s.note,
                        changed=tuple(sorted((s.details or {}).get("changed", {}))),
                    )
                    for s in repo.steps_of(session, row.id)
                ]
            return self._view(row, self._org(session), actor, steps)

    # -- keeping ------------------------------------------------------------------------------

    def create(
        self, actor: Actor, data: ItemInput, *, unit_id: int | None = None, note: str = ""
    ) -> ItemView:
        """A new draft item kept by `unit_id` (None: the district's)."""
        clean = data.validated()
        with self.db.transaction() as session:
            org = self._org(session)
            if unit_id is not None and unit_id not in org.units:
                raise ValidationFailed("组织单位不存在", field="unit_id")
            require(may_edit_knowledge, actor, unit_id, org)
            row = self._new_row(actor, clean, unit_id, "manual", None)
            record = AuditRecord(ItemAction.CREATE.value, None, ItemStatus.DRAFT.value, note[:500])
            repo.add(session, row, [record], actor, row.created_at)
            return self._view(row, org, actor)

    def _new_row(
        self, actor: Actor, data: ItemInput, unit_id: int | None, origin: str, ref: str | None
    ) -> KnowledgeItemRow:
        now = self.clock()
        who = actor.name or actor.role.label
        return KnowledgeItemRow(
            **_columns(data),
            unit_id=unit_id,
            status=ItemStatus.DRAFT.value,
            origin=origin,
            origin_ref=ref,
            created_at=now,
            created_by=who,
            updated_at=now,
            updated_by=who,
            version=1,
        )

    def update(self, actor: Actor, item_id: int, data: ItemInput, *, version: int | None = None) -> ItemView:
        """Change an item's words or facts; it becomes a draft again (a published item stops being
        answered until it is reviewed and published again). `version`: the one the editor read
        (ConcurrentUpdate when someone changed it since)."""
        clean = data.validated()
        with self.db.transaction() as session:
            org = self._org(session)
            row = self._readable(session, actor, item_id)
            require(may_edit_knowledge, actor, row.unit_id, org)
            if version is not None and version != row.version:
                raise ConcurrentUpdate("该知识点已被他人修改，请刷新后重试")
            changed = _diff(_input_of(row), clean)
            if not changed:
                return self._view(row, org, actor)
            record = ITEM_LIFECYCLE.record(
                ItemStatus(row.status),
                ItemAction.EDIT,
                actor,
                to=ItemStatus.DRAFT,
                details={"changed": changed},
            )
            self._step(session, actor, row, {**_columns(clean)}, record)
            return self._view(row, org, actor)

    def act(self, actor: Actor, item_id: int, action: ItemAction | str, note: str = "") -> ItemView:
        """Review, send back, publish or withdraw an item (`ITEM_STEPS` says from where)."""
        try:
            step = ItemAction(action)
        except ValueError:
            raise ValidationFailed("未知的操作", field="action") from None
        if step not in REVIEW_ACTIONS:
            raise ValidationFailed("未知的操作", field="action")
        if len(note) > 500:
            raise ValidationFailed("说明不能超过 500 个字", field="note")
        with self.db.transaction() as session:
            org = self._org(session)
            row = self._readable(session, actor, item_id)
            require(may_review_knowledge, actor, row.unit_id, org)
            status = ItemStatus(row.status)
            target = next(iter(ITEM_LIFECYCLE.table.targets(status, step)), status)
            record = ITEM_LIFECYCLE.record(status, step, actor, to=target, note=note.strip())
            changes: dict[str, Any] = {}
            if step is ItemAction.PUBLISH:
                changes["published_at"] = self.clock()
            self._step(session, actor, row, changes, record)
            return self._view(row, org, actor)

    def _step(
        self,
        session: Session,
        actor: Actor,
        row: KnowledgeItemRow,
        changes: dict[str, Any],
        record: AuditRecord,
    ) -> None:
        now = self.clock()
        full = {
            **changes,
            "status": record.to_state,
            "updated_at": now,
            "updated_by": actor.name or actor.role.label,
        }
        if not repo.write_step(session, row, full, record, actor, now):
            raise ConcurrentUpdate("该知识点已被他人修改，请刷新后重试")
        session.refresh(row)

    # -- answering an order (一键秒回) ------------------------------------------------------------

    def answer_order(self, actor: Actor, order_key: str | int, item_id: int) -> OrderDetail:
        """Close a consultation order at intake (即时办结) with a published item's answer: the
        order's life cycle decides whether `actor` may (`resolve_on_intake`); the item's title and
        id are recorded with the reply in the order's audit trail."""
        require(may_read_knowledge, actor)
        with self.db.reading() as session:
            row = session.get(KnowledgeItemRow, item_id)
            if row is None or not answerable_on(
                ItemStatus(row.status), row.valid_from, row.valid_to, local_date(self.clock())
            ):
                raise NotFound("知识点不存在或未发布", item_id=item_id)
            note = f"{row.answer}\n（答复依据：知识库「{row.title}」#{row.id}）"[:NOTE_MAX]
        return self.orders.act(actor, order_key, ResolveOnIntake(note=note))

    # -- bulk ---------------------------------------------------------------------------------

    def import_items(
        self,
        actor: Actor,
        records: Iterable[ImportRecord],
        *,
        origin: str = "import",
        unit_id: int | None = None,
        publish: bool = False,
    ) -> ImportResult:
        """Add the records as items kept by `unit_id` in one transaction. A record whose `ref` an
        earlier import of the same origin made is updated when it changed (a draft again, unless
        `publish`) and left alone otherwise. `publish`: the new and changed items are reviewed and
        published at once (the importer must also be a reviewer; the history says so)."""
        if origin not in ORIGINS:
            raise ValidationFailed("未知的来源", field="origin")
        result = ImportResult()
        with self.db.transaction() as session:
            org = self._org(session)
            if unit_id is not None and unit_id not in org.units:
                raise ValidationFailed("组织单位不存在", field="unit_id")
            require(may_edit_knowledge, actor, unit_id, org)
            if publish:
                require(may_review_knowledge, actor, unit_id, org)
            cleaned: list[tuple[ItemInput, str | None]] = []
            for n, given in enumerate(records, start=1):
                ref = (given.ref or "").strip()[:ORIGIN_REF_MAX] or None
                try:
                    cleaned.append((given.data.validated(), ref))
                except ValidationFailed as exc:
                    result.rejected.append((ref or f"第 {n} 条", exc.message))
            seen: set[str] = set()
            existing = repo.by_origin(session, origin, {r for _, r in cleaned if r})
            now = self.clock()
            note = "批量导入" if origin != "guide" else "导入办事指南"
            for data, ref in cleaned:
                if ref is not None:
                    if ref in seen:
                        result.rejected.append((ref, "重复的编号"))
                        continue
                    seen.add(ref)
                old = existing.get(ref) if ref is not None else None
                if old is None:
                    row = self._new_row(actor, data, unit_id, origin, ref)
                    steps = [AuditRecord(ItemAction.CREATE.value, None, ItemStatus.DRAFT.value, note)]
                    if publish:
                        row.status = ItemStatus.PUBLISHED.value
                        row.published_at = now
                        steps += [
                            AuditRecord(ItemAction.REVIEW.value, "draft", "reviewed", note),
                            AuditRecord(ItemAction.PUBLISH.value, "reviewed", "published", note),
                        ]
                        result.published += 1
                    repo.add(session, row, steps, actor, now)
                    result.created += 1
                    continue
                changed = _diff(_input_of(old), data)
                if not changed:
                    result.unchanged += 1
                    continue
                record = ITEM_LIFECYCLE.record(
                    ItemStatus(old.status),
                    ItemAction.EDIT,
                    actor,
                    to=ItemStatus.DRAFT,
                    note=note,
                    details={"changed": changed},
                )
                self._step(session, actor, old, _columns(data), record)
                result.updated += 1
                if publish:
                    for step, to in (
                        (ItemAction.REVIEW, ItemStatus.REVIEWED),
                        (ItemAction.PUBLISH, ItemStatus.PUBLISHED),
                    ):
                        rec = ITEM_LIFECYCLE.record(ItemStatus(old.status), step, actor, to=to, note=note)
                        extra = {"published_at": now} if step is ItemAction.PUBLISH else {}
                        self._step(session, actor, old, extra, rec)
                    result.published += 1
        return result

    def propose_from_orders(self, actor: Actor, *, limit: int = 50) -> list[ItemView]:
        """Drafts from closed consultation orders (咨询) whose reply answered the question and that
        `actor` may read: the order's title as the question, its words as a similar question, the
        reply as the answer; the reviewer rewrites and publishes them. Each order is proposed once."""
        require(may_propose_knowledge, actor)
        if not 1 <= limit <= 500:
            raise ValidationFailed("数量须在 1 至 500 之间", field="limit")
        made: list[ItemView] = []
        with self.db.transaction() as session:
            org = self._org(session)
            now = self.clock()
            for order in repo.answered_consultations(session, limit * 4):
                if len(made) >= limit:
                    break
                if not self.orders.can_read_in(session, actor, order.id, order.chain or []):
                    continue
                question = order.content.strip()[:200]
                data = ItemInput(
                    title=order.title[:200] or question[:200],
                    answer=(order.result or "").strip(),
                    category=order.category_code or "",
                    source=f"工单 {order.number}",
                    questions=(question,) if question else (),
                )
                try:
                    clean = data.validated()
                except ValidationFailed:
                    continue
                row = self._new_row(actor, clean, order.responsible_unit_id, "order", order.number)
                note = f"由已办结咨询工单 {order.number} 生成，待审核"
                repo.add(
                    session, row, [AuditRecord(ItemAction.CREATE.value, None, "draft", note)], actor, now
                )
                made.append(self._view(row, org, actor))
        return made


def item_input(**fields: Any) -> ItemInput:
    """An ItemInput from loose fields (faces): similar questions one per line."""
    questions = fields.pop("questions", ()) or ()
    if isinstance(questions, str):
        questions = tuple(q for q in questions.splitlines() if q.strip())
    return replace(ItemInput(title="", answer=""), **fields, questions=tuple(questions))


def build(services: Services) -> KnowledgeService:
    """The capability's service over the process's services (`Capability.services`)."""
    return KnowledgeService(services.db, services.reference, services.orders, clock=services.clock)


__all__ = [
    "ImportRecord",
    "ImportResult",
    "ItemPage",
    "ItemView",
    "KnowledgeService",
    "StepView",
    "build",
    "item_input",
]
