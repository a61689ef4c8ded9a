"""Work-order use cases: register, act, record, read. One transaction each, one audit row per change.

Every change of an order goes through here: a person's or a hook's command (`act`, `act_in`)
and the changes no command makes (`record_in`: an update from a channel, a duplicate flag or
its dismissal, a category change, a file, the deadline sweep's alerts). The domain builds
the new state and the audit record (`apply`, `record_event`); `store.orders.write_change`
stores both in one version-checked write, so that each change bumps the order's version
and leaves exactly one audit row.

Lists of orders (the API's and the console's alike) are `orders.worklists.WorklistService`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhiyun.config import Settings
from zhiyun.domain.access import (
    Actor,
    Role,
    can_view,
    may_record_system_event,
    may_register,
    may_register_at,
    require,
)
from zhiyun.domain.channels import MANUAL, ChannelBook
from zhiyun.domain.errors import ConcurrentUpdate, Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.order_access import (
    attachment_allowed,
    may_attach,
    may_change_category,
    may_decide_duplicate,
    may_record_repeat_call,
)
from zhiyun.domain.workorder import (
    SYSTEM_ONLY_EVENTS,
    Action,
    Command,
    Event,
    Merge,
    OrderState,
    OrderStatus,
    OrderType,
    RuleContext,
    SystemEvent,
    TransitionRecord,
    Urgency,
    allowed_actions,
    apply,
    record_event,
    register,
)
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.text import default_segmenter
from zhiyun.orders import repo
from zhiyun.orders.views import (
    NoticeView,
    OrderDetail,
    TransitionView,
    attachment_view,
    detail_of,
    notice_view,
    summary_of,
    transition_view,
)
from zhiyun.reference.cache import ReferenceCache, ReferenceSnapshot
from zhiyun.store.db import Database
from zhiyun.store.tables import TransitionRow, WorkOrderRow

MAX_TITLE = 300
MAX_CONTENT = 20_000
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")


@dataclass(frozen=True)
class NewOrder:
    """What a dispatcher or a channel gives to register an order."""

    title: str
    content: str
    order_type: OrderType = OrderType.HELP
    urgency: Urgency = Urgency.NORMAL
    channel: str = "manual"
    external_id: str | None = None
    citizen_name: str | None = None
    citizen_phone: str | None = None
    category_code: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    confidential: bool = False
    center_unit_id: int | None = None
    note: str = ""

    def validated(self) -> NewOrder:
        errors: dict[str, str] = {}
        title = (self.title or "").strip()
        content = (self.content or "").strip()
        if not title:
            errors["title"] = "标题不能为空"
        elif len(title) > MAX_TITLE:
            errors["title"] = f"标题不能超过{MAX_TITLE}字"
        if not content:
            errors["content"] = "诉求内容不能为空"
        elif len(content) > MAX_CONTENT:
            errors["content"] = f"诉求内容不能超过{MAX_CONTENT}字"
        phone = (self.citizen_phone or "").strip() or None
        if phone and not PHONE_RE.match(phone):
            errors["citizen_phone"] = "电话号码格式不正确"
        if (self.latitude is None) != (self.longitude is None):
            errors["location"] = "经纬度必须同时提供"
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            errors["latitude"] = "纬度超出范围"
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            errors["longitude"] = "经度超出范围"
        if self.external_id is not None and len(self.external_id) > 128:
            errors["external_id"] = "外部编号过长"
        if errors:
            raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
        return NewOrder(
            **{
                **self.__dict__,
                "title": title,
                "content": content,
                "citizen_phone": phone,
                "citizen_name": (self.citizen_name or "").strip() or None,
                "address": (self.address or "").strip() or None,
                "external_id": (self.external_id or "").strip() or None,
            }
        )


@dataclass(frozen=True)
class Registered:
    order: OrderDetail
    created: bool


# Who may record the events people cause: the order policies of the policy table
# (domain/access.py), asked by `record_in` whoever calls it. The events of the machine (a
# channel's update, a duplicate flag, the sweep's alerts: domain.workorder.SYSTEM_ONLY_EVENTS)
# are the system principal's alone (`may_record_system_event`).
EVENT_POLICIES: dict[SystemEvent, Callable[[Actor, OrderState, RuleContext], bool]] = {
    SystemEvent.DISMISS_DUPLICATE: may_decide_duplicate,
    SystemEvent.RECATEGORIZE: may_change_category,
    SystemEvent.ATTACH: attachment_allowed,  # staff taking part; a citizen's photos of their report
    SystemEvent.REPEAT_CALL: may_record_repeat_call,
}


@dataclass(frozen=True)
class Recorded:
    """A system event stored on an order: the order's new state, the audit record, its row's id."""

    state: OrderState
    record: TransitionRecord
    audit_id: int


class OrderHook(Protocol):
    """A step another capability adds to the order use cases, inside their transaction.

    Automatic dispatch classifies an order before it is registered and routes it after;
    training feedback watches the transitions people make. A hook changes an order only
    through `act_in` (an audited transition) or through the registration itself.
    """

    def before_register(
        self, session: Session, actor: Actor, new: NewOrder, now: datetime
    ) -> tuple[NewOrder, Mapping[str, Any]]:
        """The order to register (fields it may fill in) and details for the registration's audit record."""
        ...

    def after_register(
        self, session: Session, actor: Actor, row: WorkOrderRow, now: datetime, snap: ReferenceSnapshot
    ) -> OrderState | None:
        """Act on a newly registered order; its new state when the hook changed it."""
        ...

    def after_act(
        self,
        session: Session,
        actor: Actor,
        row: WorkOrderRow,
        before: OrderState,
        record: TransitionRecord,
        now: datetime,
    ) -> None:
        """Watch one transition (`before`: the order's state before it)."""
        ...


class WorkOrderService:
    """The life cycle of work orders, as use cases over the database."""

    def __init__(
        self,
        db: Database,
        settings: Settings | None = None,
        *,
        clock: Clock = system_clock,
        reference: ReferenceCache | None = None,
        channels: ChannelBook | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.clock = clock
        self.reference = reference or ReferenceCache()
        # Without a channel book only hand registration's own channel is known.
        self.channels = channels or ChannelBook(known=frozenset({MANUAL}), pushed=frozenset())
        self.hooks: list[OrderHook] = []

    # -- helpers ----------------------------------------------------------------

    def _visible_row(
        self, session: Session, actor: Actor, key: str | int, snap: ReferenceSnapshot
    ) -> WorkOrderRow:
        row = repo.find_order(session, key)
        if row is None or not self._may_view(session, actor, row, snap):
            raise NotFound("工单不存在", order=str(key))
        return row

    def _load_visible(
        self, session: Session, actor: Actor, key: str | int
    ) -> tuple[repo.LoadedOrder, ReferenceSnapshot]:
        """The order `key` if `actor` may read it, and the reference data, in one round trip."""
        loaded = repo.load_order(session, key)
        if loaded is None:
            raise NotFound("工单不存在", order=str(key))
        snap = self.reference.get(session, loaded.revision)
        if not self._may_view(session, actor, loaded.row, snap):
            raise NotFound("工单不存在", order=str(key))
        return loaded, snap

    @staticmethod
    def _may_view(session: Session, actor: Actor, row: WorkOrderRow, snap: ReferenceSnapshot) -> bool:
        """Whether `actor` may read the order: by the units on its route, else by its whole history."""
        return WorkOrderService._may_view_route(session, actor, row.id, row.chain, snap)

    @staticmethod
    def _may_view_route(
        session: Session, actor: Actor, order_id: int, chain: Sequence[int], snap: ReferenceSnapshot
    ) -> bool:
        """Whether `actor` may read the order `order_id` whose route is `chain`.

        The units of an order's chain are always among the units it has been at (every
        change records them), so when they already show the order visible (district-wide
        readers, centers above it, its holder) the involvement table need not be read.
        """
        if can_view(actor, chain, snap.org):
            return True
        return can_view(actor, repo.involved_units(session, order_id), snap.org)

    def _detail(
        self,
        session: Session,
        row: WorkOrderRow,
        actor: Actor,
        snap: ReferenceSnapshot,
        now: datetime,
        *,
        has_duplicates: bool = True,
        has_attachments: bool = True,
        state: OrderState | None = None,
    ) -> OrderDetail:
        """The order as `actor` sees it; `has_…=False` when known to be empty (skips the query).

        `state`: the row's life-cycle state when the caller has it at hand.
        """
        state = state or repo.state_of(row)
        ctx = snap.rule_context(now)
        detail = detail_of(
            row, state, actor, snap.org, snap.calendar, now, allowed_actions(state, actor, ctx)
        )
        duplicates = [
            summary_of(d, repo.state_of(d), snap.org, snap.calendar, now, viewer=actor)
            for d in (repo.duplicates_of(session, row.id) if has_duplicates else ())
        ]
        master = None
        if row.master_id is not None:
            master_row = session.get(WorkOrderRow, row.master_id)
            if master_row is not None and self._may_view(session, actor, master_row, snap):
                master = summary_of(
                    master_row, repo.state_of(master_row), snap.org, snap.calendar, now, viewer=actor
                )
        attachments = [
            attachment_view(a) for a in (repo.attachments_of(session, row.id) if has_attachments else ())
        ]
        return OrderDetail(
            **{
                **detail.__dict__,
                "may_attach": may_attach(actor, state, ctx),
                "may_change_category": may_change_category(actor, state, ctx),
                "may_decide_duplicate": may_decide_duplicate(actor, state, ctx),
                "duplicates": duplicates,
                "master": master,
                "attachments": attachments,
            }
        )

    def _register_center(self, actor: Actor, requested: int | None, snap: ReferenceSnapshot) -> int:
        org = snap.org
        if not may_register(actor):
            raise PermissionDenied("您的角色不能登记工单")
        if requested is not None:
            center = requested
        elif actor.unit_id is None or actor.role is Role.ADMIN:
            center = org.root().id
        else:
            center = org.center_of(actor.unit_id).id
        if not may_register_at(actor, center, org):
            raise PermissionDenied("只能在本中心或其下级中心登记工单", field="center_unit_id")
        org.get(center)
        return center

    # -- use cases ----------------------------------------------------------------

    def register(self, actor: Actor, new: NewOrder) -> Registered:
        """Register (受理) an order; a repeat of the same channel and external id returns the first.

        The role is checked before anything is looked up, and a repeat is answered only to
        someone who may read the order it names (409 otherwise, with nothing of the order): an
        external id is not a key to other units' orders. A person registering by hand names a
        known channel and may not take an id from a channel that pushes its own (ChannelBook).
        """
        new = new.validated()
        if not may_register(actor):
            raise PermissionDenied("您的角色不能登记工单")
        if not actor.is_system:
            self.channels.check_hand_registration(new.channel, new.external_id)
        now = self.clock()
        try:
            with self.db.transaction() as session:
                if new.external_id:
                    revision, existing_id = repo.revision_and_external_order(
                        session, new.channel, new.external_id
                    )
                    snap = self.reference.get(session, revision)
                    existing = repo.load_order(session, existing_id) if existing_id is not None else None
                    if existing is not None:
                        return self._repeat_registration(session, actor, existing, snap, now)
                else:
                    snap = self.reference.get(session)
                # searchable at once by every word of title and content (not after the backfill)
                words = {"search_text": default_segmenter().search_text(new.title, new.content)}
                row = self.register_in(session, actor, new, now, snap=snap, extra=words)
                state = self.after_register_in(session, actor, row, now, snap=snap)
                detail = self._detail(
                    session, row, actor, snap, now, has_duplicates=False, has_attachments=False, state=state
                )  # a new order has neither
                return Registered(detail, created=True)
        except IntegrityError:
            if not new.external_id:
                raise
            # Someone registered the same (channel, external id) at the same moment: theirs stands.
            with self.db.reading() as session:
                existing_row = repo.find_by_external_id(session, new.channel, new.external_id)
                if existing_row is None:  # the conflict was about something else
                    raise
                existing = repo.load_order(session, existing_row.id)
                if existing is None:
                    raise
                snap = self.reference.get(session, existing.revision)
                return self._repeat_registration(session, actor, existing, snap, now)

    def _repeat_registration(
        self,
        session: Session,
        actor: Actor,
        existing: repo.LoadedOrder,
        snap: ReferenceSnapshot,
        now: datetime,
    ) -> Registered:
        """The order an earlier registration with the same (channel, external id) made, if the
        actor may read it; Conflict (409, nothing of the order) if not."""
        if not self._may_view(session, actor, existing.row, snap):
            raise Conflict("该渠道的外部编号已被其他工单使用", field="external_id")
        detail = self._detail(
            session,
            existing.row,
            actor,
            snap,
            now,
            has_duplicates=existing.has_duplicates,
            has_attachments=existing.has_attachments,
        )
        return Registered(detail, created=False)

    def act(
        self,
        actor: Actor,
        key: str | int,
        command: Command,
        *,
        expected_version: int | None = None,
        attachment_ids: Sequence[int] = (),
    ) -> OrderDetail:
        """Apply one command to one order: the only way an order's state changes.

        `attachment_ids` names files already uploaded to this order that the step refers to
        (the photos of a reply, say); they are listed in the audit record.
        """
        now = self.clock()
        try:
            with self.db.transaction() as session:
                loaded, snap = self._load_visible(session, actor, key)
                row = loaded.row
                if expected_version is not None and row.version != expected_version:
                    raise ConcurrentUpdate(
                        "工单已被他人更新，请刷新后重试", current_version=row.version, status=row.status
                    )
                state = self.act_in(
                    session, actor, row, command, now, snap=snap, attachment_ids=attachment_ids
                )
                return self._detail(
                    session,
                    row,
                    actor,
                    snap,
                    now,
                    has_duplicates=loaded.has_duplicates,
                    has_attachments=loaded.has_attachments,
                    state=state,
                )
        except StaleDataError as exc:
            raise ConcurrentUpdate("工单已被他人同时更新，请刷新后重试") from exc

    # -- building blocks for use cases that span more than one step (intake) ---------------

    def register_in(
        self,
        session: Session,
        actor: Actor,
        new: NewOrder,
        now: datetime,
        *,
        snap: ReferenceSnapshot | None = None,
        extra: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
        companions: Sequence[repo.CompanionRow] = (),
    ) -> WorkOrderRow:
        """Register a validated order inside the caller's transaction; `extra` sets more columns
        (where intake located it, its segmented text), `details` goes into the audit record,
        `companions` are rows of other tables stored with it (intake's payload record)."""
        snap = snap or self.reference.get(session)
        center = self._register_center(actor, new.center_unit_id, snap)
        for hook in self.hooks:
            new, more = hook.before_register(session, actor, new, now)
            if more:
                details = {**(details or {}), **more}
        outcome = register(
            center_unit_id=center,
            order_type=new.order_type,
            urgency=new.urgency,
            now=now,
            note=new.note,
            category_code=new.category_code,
        )
        if details:
            outcome = replace(
                outcome, record=replace(outcome.record, details={**outcome.record.details, **details})
            )
        columns: dict[str, Any] = {
            "number": repo.reserve_order_number(self.db, session, self.settings.order_number_prefix, now),
            "channel": new.channel,
            "external_id": new.external_id,
            "citizen_name": new.citizen_name,
            "citizen_phone": new.citizen_phone,
            "title": new.title,
            "content": new.content,
            "category_code": new.category_code,
            "address": new.address,
            "latitude": new.latitude,
            "longitude": new.longitude,
            "confidential": new.confidential,
            "created_at": now,
            "updated_at": now,
            "location_source": "",
            "version": 1,
            **(extra or {}),
            **repo.state_values(outcome.state),
        }
        row = repo.order_row(columns)
        repo.insert_registered(session, row, outcome.state.chain, outcome.record, actor, now, companions)
        return row

    def after_register_in(
        self,
        session: Session,
        actor: Actor,
        row: WorkOrderRow,
        now: datetime,
        *,
        snap: ReferenceSnapshot | None = None,
    ) -> OrderState | None:
        """Run the hooks on a newly registered order (once duplicates are settled); its new state, if changed."""
        if not self.hooks:
            return None
        snap = snap or self.reference.get(session)
        state = None
        for hook in self.hooks:
            state = hook.after_register(session, actor, row, now, snap) or state
        return state

    def act_in(
        self,
        session: Session,
        actor: Actor,
        row: WorkOrderRow,
        command: Command,
        now: datetime,
        *,
        snap: ReferenceSnapshot | None = None,
        attachment_ids: Sequence[int] = (),
    ) -> OrderState:
        """Apply one command to a loaded order inside the caller's transaction; the new state."""
        snap = snap or self.reference.get(session)
        if isinstance(command, Merge):
            self._check_master(session, actor, row, command.master_id, snap)
        before = repo.state_of(row)
        outcome = apply(before, command, actor, snap.rule_context(now))
        if attachment_ids:
            owned = {a.id for a in repo.attachments_of(session, row.id)}
            foreign = sorted(set(attachment_ids) - owned)
            if foreign:
                raise ValidationFailed("附件不属于该工单", field="attachment_ids", attachment_ids=foreign)
            record = replace(
                outcome.record,
                details={**outcome.record.details, "attachment_ids": sorted(set(attachment_ids))},
            )
            outcome = replace(outcome, record=record)
        # the units already on the chain were recorded when they joined it
        joined = set(outcome.state.chain).difference(before.chain)
        if (
            repo.write_change(session, row, outcome.state, outcome.record, actor, now, new_units=joined)
            is None
        ):
            raise ConcurrentUpdate("工单已被他人同时更新，请刷新后重试")
        for hook in self.hooks:
            hook.after_act(session, actor, row, before, outcome.record, now)
        return outcome.state

    def record_in(
        self,
        session: Session,
        actor: Actor,
        row: WorkOrderRow,
        event: Event,
        now: datetime,
        *,
        snap: ReferenceSnapshot | None = None,
        retries: int = 0,
    ) -> Recorded:
        """Record a system event on a loaded order inside the caller's transaction.

        The domain builds the new state and the audit record (`record_event`), the event's
        named policy is asked for the events people cause (`EVENT_POLICIES`), and the change
        is stored like a command's: version + 1 and one audit row; `row` is brought up to date.
        When someone changed the order since `row` was read: ConcurrentUpdate; or, given
        `retries`, the order read again, locked this time, and the event judged and recorded
        afresh on it (a channel's message or an uploaded file is kept, not refused, when
        someone acted on the order at the same moment: optimistic first, and only the loser
        of a race waits for the others).
        """
        snap = snap or self.reference.get(session)
        ctx = snap.rule_context(now)
        policy = EVENT_POLICIES.get(event.kind)
        if event.kind in SYSTEM_ONLY_EVENTS:
            require(may_record_system_event, actor)
        for attempt in range(retries + 1):
            before = repo.state_of(row)
            if policy is not None:
                require(policy, actor, before, ctx)
            outcome = record_event(before, event, actor, ctx)
            audit_id = repo.write_change(session, row, outcome.state, outcome.record, actor, now)
            if audit_id is not None:
                return Recorded(outcome.state, outcome.record, audit_id)
            if attempt == retries or not repo.refresh_order(session, row, lock=True):
                break
        raise ConcurrentUpdate("工单已被他人同时更新，请刷新后重试")

    def detail_in(self, session: Session, actor: Actor, row: WorkOrderRow, now: datetime) -> OrderDetail:
        """The detail of an order as `actor` sees it, inside the caller's transaction."""
        return self._detail(session, row, actor, self.reference.get(session), now)

    def can_read_in(self, session: Session, actor: Actor, order_id: int, chain: Sequence[int]) -> bool:
        """Whether `actor` may read the order `order_id` whose route is `chain` (inside the caller's
        transaction): the policy every use case that shows another order asks."""
        return self._may_view_route(session, actor, order_id, chain, self.reference.get(session))

    def visible_row_in(self, session: Session, actor: Actor, key: str | int) -> WorkOrderRow:
        """The order `key` if `actor` may read it (NotFound otherwise), inside the caller's transaction."""
        loaded, _ = self._load_visible(session, actor, key)
        return loaded.row

    def _check_master(
        self, session: Session, actor: Actor, row: WorkOrderRow, master_key: int, snap: ReferenceSnapshot
    ) -> None:
        if master_key == row.id:
            raise ValidationFailed("不能与自身合并", field="master_id")
        master = repo.merge_target(session, master_key, row.id)
        if master is None or not self._may_view_route(session, actor, master.id, master.chain, snap):
            raise ValidationFailed("主工单不存在", field="master_id")
        if OrderStatus(master.status).is_terminal:
            raise ValidationFailed("主工单已办结或撤销，不能合并到该工单", field="master_id")
        if master.order_has_duplicates:
            raise ValidationFailed("该工单已有重复件，请把其他工单合并到它", field="master_id")

    def get(self, actor: Actor, key: str | int) -> OrderDetail:
        with self.db.reading() as session:
            return self._visible_detail(session, actor, key)[0]

    def _visible_detail(
        self, session: Session, actor: Actor, key: str | int
    ) -> tuple[OrderDetail, WorkOrderRow, ReferenceSnapshot]:
        """The order's detail as `actor` may see it, after the one visibility check."""
        loaded, snap = self._load_visible(session, actor, key)
        detail = self._detail(
            session,
            loaded.row,
            actor,
            snap,
            self.clock(),
            has_duplicates=loaded.has_duplicates,
            has_attachments=loaded.has_attachments,
        )
        return detail, loaded.row, snap

    def allowed(self, actor: Actor, key: str | int) -> list[Action]:
        now = self.clock()
        with self.db.reading() as session:
            loaded, snap = self._load_visible(session, actor, key)
            return allowed_actions(repo.state_of(loaded.row), actor, snap.rule_context(now))

    def transitions(self, actor: Actor, key: str | int) -> list[TransitionView]:
        """The order's audit trail as `actor` may read it: personal numbers masked as in the
        order, and the numbers of other orders the actor may not read (possible-duplicate
        candidates) left out."""
        with self.db.reading() as session:
            loaded, snap = self._load_visible(session, actor, key)
            return self._trail_in(session, actor, loaded.row, snap)

    def read_in(
        self, session: Session, actor: Actor, key: str | int
    ) -> tuple[OrderDetail, list[TransitionView], ReferenceSnapshot]:
        """The order's detail and its audit trail, as `get` and `transitions` give them, read in
        the caller's session with one visibility check (the order page's read model)."""
        detail, row, snap = self._visible_detail(session, actor, key)
        return detail, self._trail_in(session, actor, row, snap), snap

    def _trail_in(
        self, session: Session, actor: Actor, row: WorkOrderRow, snap: ReferenceSnapshot
    ) -> list[TransitionView]:
        views = [
            transition_view(t, snap.org, viewer=actor, confidential=row.confidential)
            for t in repo.transitions_of(session, row.id)
        ]
        return self._without_unreadable_numbers(session, actor, views, snap)

    def _without_unreadable_numbers(
        self, session: Session, actor: Actor, views: list[TransitionView], snap: ReferenceSnapshot
    ) -> list[TransitionView]:
        named = {
            str(c["number"])
            for v in views
            for c in v.details.get("candidates", ())
            if isinstance(c, dict) and c.get("number")
        }
        if not named:
            return views
        hidden = {
            number
            for number, order_id, chain in repo.routes_by_number(session, named)
            if not self._may_view_route(session, actor, order_id, chain, snap)
        }
        if not hidden:
            return views
        out = []
        for v in views:
            candidates = v.details.get("candidates")
            if not candidates:
                out.append(v)
                continue
            note = v.note
            for number in hidden:
                note = note.replace(number, "（无权查看的工单）")
            kept = [
                {**c, "number": None} if isinstance(c, dict) and c.get("number") in hidden else c
                for c in candidates
            ]
            out.append(replace(v, note=note, details={**v.details, "candidates": kept}))
        return out

    def returns_by_unit(self, since: datetime | None = None) -> dict[int, int]:
        """How many times each unit returned an order (退单数), for rankings."""
        with self.db.reading() as session:
            stmt = select(TransitionRow.from_unit_id, func.count()).where(
                TransitionRow.action == Action.RETURN.value
            )
            if since is not None:
                stmt = stmt.where(TransitionRow.created_at >= since)
            stmt = stmt.group_by(TransitionRow.from_unit_id)
            return {int(u): int(n) for u, n in session.execute(stmt) if u is not None}

    def notices(self, actor: Actor, limit: int = 50) -> list[NoticeView]:
        """The newest notices (urge notices on overdue orders) to the actor's own unit."""
        if actor.unit_id is None:
            return []
        with self.db.reading() as session:
            snap = self.reference.get(session)
            return [notice_view(n, snap.org) for n in repo.notices_for_units(session, [actor.unit_id], limit)]


def reference_snapshot(service: WorkOrderService) -> ReferenceSnapshot:
    with service.db.reading() as session:
        return service.reference.get(session)


__all__ = [
    "EVENT_POLICIES",
    "NewOrder",
    "OrderHook",
    "Recorded",
    "Registered",
    "WorkOrderService",
    "reference_snapshot",
]
