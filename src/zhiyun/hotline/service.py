"""The seat's use cases: a caller's history, suggestions while typing, a call registered with
its outcome in one transaction, and a repeat call recorded on the open order it repeats.

Every use case takes the acting agent and asks `may_take_calls` first; the orders it shows
are those the agent may read (`orders.repo.scope_clause`), and confidential orders are shown
only to those who see confidential contacts. A registration goes through intake's path for a
person's registration (`IntakeService.register_by_hand_in`: located, searchable at once,
checked for duplicates) and the outcome through the order use cases (`act_in`): one
transaction, one audit row per change, the agent as the actor of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.domain.access import (
    CONFIDENTIAL_CONTACT_READERS,
    Actor,
    can_view,
    may_take_calls,
    require,
)
from zhiyun.domain.actions import NOTE_MAX
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.workorder import (
    Dispatch,
    OrderStatus,
    OrderType,
    RepeatCall,
    ResolveOnIntake,
    Satisfaction,
    Urgency,
)
from zhiyun.hotline import repo as seat_repo
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.normalize import normalize_phone, normalize_text
from zhiyun.knowledge.search import QUESTION_MAX as QUESTION_CHARS
from zhiyun.knowledge.search import KnowledgeSearch
from zhiyun.orders import repo as order_repo
from zhiyun.orders.service import NewOrder, WorkOrderService
from zhiyun.routing.auto_dispatch import AutoDispatcher
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

HISTORY_LIMIT = 20
PLACES_LIMIT = 8
ID_MAX = 64  # call and recording ids from the telephony system


class Outcome(StrEnum):
    """How the call ends."""

    RESOLVE = "resolve"  # 即时办结: answered on the call
    DISPATCH = "dispatch"  # 派单: sent to a unit now
    HOLD = "hold"  # 暂存: registered, left 待分拨

    @property
    def label(self) -> str:
        return {"resolve": "即时办结", "dispatch": "派单", "hold": "暂存"}[self.value]


GENDERS = {"male": "先生", "female": "女士"}


@dataclass(frozen=True)
class CallerOrder:
    """One earlier order of the caller, as the seat shows it."""

    id: int
    number: str
    title: str
    status: str
    status_label: str
    registered_at: datetime
    unit_name: str | None
    reply: str | None
    satisfaction_label: str | None
    open: bool


@dataclass(frozen=True)
class CallerHistory:
    phone: str
    orders: list[CallerOrder]
    total: int
    hidden_confidential: int

    @property
    def open_orders(self) -> list[CallerOrder]:
        return [o for o in self.orders if o.open]


@dataclass(frozen=True)
class Draft:
    """What the agent has typed so far (for suggestions; nothing is validated strictly)."""

    title: str = ""
    content: str = ""
    address: str = ""
    phone: str = ""
    order_type: OrderType = OrderType.HELP
    urgency: Urgency = Urgency.NORMAL
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Suggestions:
    """What the seat suggests for a draft: categories with their units and reasons, where it is,
    the open orders it may repeat, urgency signals."""

    categories: tuple[dict[str, Any], ...]
    has_model: bool
    urgent_signals: tuple[str, ...]
    town: str | None
    village: str | None
    duplicates: list[dict[str, Any]]
    answers: tuple[dict[str, Any], ...] = ()  # the knowledge base's best items, with their scores


@dataclass(frozen=True)
class Call:
    """A call registered with its outcome."""

    order: NewOrder
    outcome: Outcome
    reply: str = ""
    target_unit_id: int | None = None
    call_id: str | None = None
    recording_id: str | None = None
    gender: str | None = None
    knowledge_item_id: int | None = None  # the knowledge item whose answer the reply took (一键秒回)


@dataclass(frozen=True)
class CallResult:
    order_id: int
    number: str
    status: str
    status_label: str
    outcome: Outcome
    possible_duplicates: list[str]


class SeatService:
    """The seat's use cases over the order, intake and routing services."""

    def __init__(
        self,
        db: Database,
        orders: WorkOrderService,
        intake: IntakeService,
        routing: AutoDispatcher,
        *,
        clock: Clock = system_clock,
        knowledge: Callable[[], KnowledgeSearch | None] | None = None,
    ) -> None:
        self.db = db
        self.orders = orders
        self.intake = intake
        self.routing = routing
        self.clock = clock
        self.knowledge = knowledge  # looked up when first asked: composed after the seat

    # -- reads ------------------------------------------------------------------------------

    def caller_history(self, actor: Actor, phone: str, *, limit: int = HISTORY_LIMIT) -> CallerHistory:
        """The caller's latest orders the agent may read, newest first, open ones marked."""
        require(may_take_calls, actor)
        number = normalize_phone(phone, field="phone")
        if number is None:
            raise ValidationFailed("请输入来电号码", field="phone")
        with self.db.reading() as session:
            snap = self.orders.reference.get(session)
            rows, total, hidden = seat_repo.orders_of_caller(
                session,
                number,
                order_repo.scope_clause(actor, snap.org),
                with_confidential=actor.role in CONFIDENTIAL_CONTACT_READERS,
                limit=limit,
            )
            org = snap.org
            orders = [
                CallerOrder(
                    id=row.id,
                    number=row.number,
                    title=row.title,
                    status=row.status,
                    status_label=OrderStatus(row.status).label,
                    registered_at=row.registered_at,
                    unit_name=org.units[row.current_unit_id].name
                    if row.current_unit_id in org.units
                    else None,
                    reply=row.result,
                    satisfaction_label=Satisfaction(row.satisfaction).label if row.satisfaction else None,
                    open=not OrderStatus(row.status).is_terminal and row.master_id is None,
                )
                for row in rows
            ]
        return CallerHistory(phone=number, orders=orders, total=total, hidden_confidential=hidden)

    def suggest(self, actor: Actor, draft: Draft) -> Suggestions:
        """Category and unit suggestions with reasons, the place, possible duplicates: for a
        draft nothing has been stored of."""
        require(may_take_calls, actor)
        title = normalize_text(draft.title or "", multiline=False)[:300]
        content = normalize_text(draft.content or "")[:5000]
        address = normalize_text(draft.address or "", multiline=False)[:500]
        phone = _phone_or_none(draft.phone)
        now = self.clock()
        with self.db.reading() as session:
            snap = self.orders.reference.get(session)
            org = snap.org
            located = self.intake.geo.locator(session).locate(
                draft.latitude, draft.longitude, " ".join(x for x in (address, title) if x) or None
            )
            text_given = bool(title or content)
            routed = (
                self.routing.suggest(
                    session,
                    org,
                    title=title,
                    content=content,
                    area_unit_id=located.village_unit_id or located.town_unit_id,
                    order_type=draft.order_type,
                    urgent=draft.urgency is Urgency.URGENT,
                )
                if text_given
                else None
            )
            probe = NewOrder(
                title=title or "-",
                content=content or "-",
                citizen_phone=phone,
                address=address or None,
                latitude=draft.latitude,
                longitude=draft.longitude,
            )
            found = self.intake.duplicate_candidates(session, probe, now) if text_given else []
            candidate_ids = {c["order_id"] for c in found if c.get("order_id") is not None}
            visible = _visible(session, actor, candidate_ids, org)
        duplicates = [c for c in found if c.get("order_id") in visible]
        answers = self._answers(title, content) if text_given else ()
        return Suggestions(
            categories=routed.suggestions if routed else (),
            has_model=routed.has_model if routed else False,
            urgent_signals=routed.urgent_signals if routed else (),
            town=org.units[located.town_unit_id].name if located.town_unit_id in org.units else None,
            village=org.units[located.village_unit_id].name if located.village_unit_id in org.units else None,
            duplicates=duplicates,
            answers=answers,
        )

    def _answers(self, title: str, content: str) -> tuple[dict[str, Any], ...]:
        """The knowledge base's three best items for the call's words (一键秒回), with scores."""
        search = self.knowledge() if self.knowledge is not None else None
        if search is None:
            return ()
        question = f"{title} {content}".strip()[:QUESTION_CHARS]
        return tuple(
            {
                "item_id": hit.item_id,
                "title": hit.title,
                "answer": hit.answer,
                "department": hit.department,
                "source": hit.source,
                "score": hit.score,
                "answerable": hit.answerable,
            }
            for hit in search.ask(question, 3).hits
        )

    def places(self, actor: Actor, text: str, *, limit: int = PLACES_LIMIT) -> list[str]:
        """Place names of the gazetteer (towns, villages and communities with their town) that
        contain `text`, shortest first: suggestions for the address field."""
        require(may_take_calls, actor)
        fragment = normalize_text(text or "", multiline=False).strip()
        if not fragment:
            return []
        with self.db.reading() as session:
            org = self.orders.reference.get(session).org
        found: list[tuple[int, str]] = []
        for unit in org.units.values():
            if unit.kind not in (UnitKind.TOWN, UnitKind.VILLAGE):
                continue
            names = (unit.name, *unit.aliases)
            if not any(fragment in name for name in names):
                continue
            parent = org.units.get(unit.parent_id) if unit.parent_id is not None else None
            above = parent.name if unit.kind is UnitKind.VILLAGE and parent is not None else ""
            label = f"{above}{unit.name}"
            found.append((len(unit.name), label))
        return [label for _, label in sorted(found)[:limit]]

    # -- changes ----------------------------------------------------------------------------

    def register_call(self, actor: Actor, call: Call) -> CallResult:
        """Register the call and end it as the agent chose, in one transaction: 即时办结 (the
        reply is required; the order waits for its callback), 派单 (to the chosen unit), or
        暂存 (left 待分拨 at the agent's center)."""
        require(may_take_calls, actor)
        new, details = self._validated(call)
        now = self.clock()
        with self.db.transaction() as session:
            snap = self.orders.reference.get(session)
            registered = self.intake.register_by_hand_in(session, actor, new, now, snap=snap, details=details)
            row = registered.row
            if call.outcome is Outcome.RESOLVE:
                self.orders.act_in(
                    session, actor, row, ResolveOnIntake(note=call.reply.strip()), now, snap=snap
                )
            elif call.outcome is Outcome.DISPATCH and call.target_unit_id is not None:
                command = Dispatch(target_unit_id=call.target_unit_id, note=call.reply.strip())
                self.orders.act_in(session, actor, row, command, now, snap=snap)
            return CallResult(
                order_id=row.id,
                number=row.number,
                status=row.status,
                status_label=OrderStatus(row.status).label,
                outcome=call.outcome,
                possible_duplicates=registered.possible_duplicates,
            )

    def repeat_call(self, actor: Actor, key: str | int, note: str = "") -> str:
        """The caller calls again about an open order: recorded on it as an urge (重复来电), not
        registered anew. The order's number."""
        require(may_take_calls, actor)
        if len(note) > NOTE_MAX:
            raise ValidationFailed(f"来电记录不能超过{NOTE_MAX}字", field="note")
        now = self.clock()
        with self.db.transaction() as session:
            loaded = order_repo.load_order(session, key, lock=True)
            if loaded is None:
                raise NotFound("工单不存在")
            snap = self.orders.reference.get(session, loaded.revision)
            if not can_view(actor, order_repo.involved_units(session, loaded.row.id), snap.org):
                raise NotFound("工单不存在")
            self.orders.record_in(session, actor, loaded.row, RepeatCall(note=note.strip()), now, snap=snap)
            return loaded.row.number

    # -- helpers ----------------------------------------------------------------------------

    def _validated(self, call: Call) -> tuple[NewOrder, dict[str, Any]]:
        errors: dict[str, str] = {}
        order = call.order
        try:
            phone = normalize_phone(order.citizen_phone)
        except ValidationFailed as exc:
            errors["citizen_phone"] = exc.message
            phone = None
        if call.outcome is Outcome.RESOLVE and not call.reply.strip():
            errors["reply"] = "即时办结须填写答复内容"
        if call.outcome is Outcome.DISPATCH and call.target_unit_id is None:
            errors["target_unit_id"] = "派单须选择承办单位"
        if len(call.reply) > NOTE_MAX:
            errors["reply"] = f"答复内容不能超过{NOTE_MAX}字"
        if call.knowledge_item_id is not None and (
            call.outcome is not Outcome.RESOLVE or not 1 <= call.knowledge_item_id <= 2**31 - 1
        ):
            errors["knowledge_item_id"] = "只有即时办结可以引用知识点"
        if call.gender is not None and call.gender not in GENDERS:
            errors["gender"] = "性别不正确"
        for name, value in (("call_id", call.call_id), ("recording_id", call.recording_id)):
            if value is not None and (len(value) > ID_MAX or not value.isprintable()):
                errors[name] = f"编号须为不超过{ID_MAX}个字符的文字"
        if errors:
            raise ValidationFailed("；".join(errors.values()), fields=errors)
        new = replace(
            order,
            channel="manual",
            external_id=None,
            citizen_phone=phone,
            title=normalize_text(order.title or "", multiline=False),
            content=normalize_text(order.content or ""),
            citizen_name=normalize_text(order.citizen_name, multiline=False) if order.citizen_name else None,
            address=normalize_text(order.address, multiline=False) if order.address else None,
        ).validated()
        attributes = {
            k: v
            for k, v in (
                ("call_id", call.call_id),
                ("recording_id", call.recording_id),
                ("gender", call.gender),
                ("knowledge_item", call.knowledge_item_id),
            )
            if v
        }
        return new, ({"attributes": attributes} if attributes else {})


def _phone_or_none(text: str) -> str | None:
    try:
        return normalize_phone(text or None, field="phone")
    except ValidationFailed:
        return None


def _visible(session: Session, actor: Actor, order_ids: set[int], org: OrgTree) -> set[int]:
    """Those of `order_ids` the actor may read."""
    if not order_ids:
        return set()
    return {i for i in order_ids if can_view(actor, order_repo.involved_units(session, i), org)}


def build(services: Services) -> SeatService:
    """The seat over the platform's services (declared in capability.py)."""

    def knowledge() -> KnowledgeSearch | None:
        try:
            return services.get(KnowledgeSearch)
        except LookupError:  # the knowledge capability is not installed
            return None

    return SeatService(
        services.db,
        services.orders,
        services.intake,
        services.auto_dispatch,
        clock=services.clock,
        knowledge=knowledge,
    )
