"""Quick replies (常用语) use cases: the snippets a user may insert, filled for an order, and
the management of the units' sets and of each user's own.

Who may do what is decided by the named policies of `domain/access.py`:

- a unit's set is used by the staff of that unit and of the units below it
  (`may_use_quick_replies`: a village handler uses the village's, the town's and the district
  center's sets) and kept by the admins of that unit or of a unit above it
  (`may_manage_quick_replies`);
- a personal set is its owner's alone (`may_manage_own_quick_replies`), even for reading.

A snippet the actor may not read answers NotFound (404), exactly like one that does not exist;
one they may read but not change answers PermissionDenied (403). Filling a snippet for an
order reads the order as the actor may (`WorkOrderService.get`: NotFound when they may not
read it; names and numbers masked as the order page masks them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.domain.access import (
    Actor,
    may_administer_quick_replies,
    may_manage_own_quick_replies,
    may_manage_quick_replies,
    may_use_quick_replies,
    require,
)
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import Conflict, NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders.service import WorkOrderService
from zhiyun.reference.cache import ReferenceCache
from zhiyun.replies import repo
from zhiyun.replies.placeholders import Filled, OrderFacts, fill, values_for
from zhiyun.replies.tables import TEXT_MAX, TITLE_MAX, QuickReplyRow
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

SET_MAX = 200  # snippets in one set: the picker lists them all
SORT_MIN, SORT_MAX = -9999, 9999


class Scope(StrEnum):
    """Whose set a quick reply belongs to."""

    UNIT = repo.UNIT
    PERSONAL = repo.PERSONAL

    @property
    def label(self) -> str:
        return {"unit": "单位常用语", "personal": "我的常用语"}[self.value]


@dataclass(frozen=True)
class QuickReplyInput:
    """A snippet as its author writes it."""

    title: str
    text: str
    sort_order: int = 0
    active: bool = True

    def validated(self) -> QuickReplyInput:
        """The input cleaned (a keyword's leading "/" dropped, line ends unified), or
        ValidationFailed saying in Chinese what is wrong."""
        title = self.title.strip().lstrip("/／").strip()
        text = self.text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not title:
            raise ValidationFailed("请填写关键词", field="title")
        if len(title) > TITLE_MAX:
            raise ValidationFailed(f"关键词不能超过{TITLE_MAX}个字", field="title")
        if any(c.isspace() for c in title):
            raise ValidationFailed("关键词不能包含空格", field="title")
        if not text:
            raise ValidationFailed("请填写常用语内容", field="text")
        if len(text) > TEXT_MAX:
            raise ValidationFailed(f"常用语内容不能超过{TEXT_MAX}字", field="text")
        if "\x00" in title or "\x00" in text:
            raise ValidationFailed("内容含有不允许的字符", field="text")
        if not SORT_MIN <= self.sort_order <= SORT_MAX:
            raise ValidationFailed(f"排序须在 {SORT_MIN} 至 {SORT_MAX} 之间", field="sort_order")
        return QuickReplyInput(title=title, text=text, sort_order=self.sort_order, active=self.active)


@dataclass(frozen=True)
class QuickReply:
    """One snippet as its reader sees it."""

    id: int
    scope: Scope
    unit_id: int | None
    unit_name: str | None
    user_id: int | None
    title: str
    text: str
    sort_order: int
    active: bool
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @property
    def set_label(self) -> str:
        """The set it belongs to, as the picker groups it: the unit's name, or 我的常用语."""
        return (self.unit_name or "") if self.scope is Scope.UNIT else Scope.PERSONAL.label


@dataclass(frozen=True)
class Expanded:
    """A snippet and its text filled for an order (or with no order at hand)."""

    reply: QuickReply
    text: str
    unfilled: tuple[str, ...]


@dataclass(frozen=True)
class UnitSet:
    """A unit's set, as its admins keep it (inactive snippets included)."""

    unit_id: int
    unit_name: str
    unit_path: str
    replies: list[QuickReply]


def _view(row: QuickReplyRow, org: OrgTree) -> QuickReply:
    unit = org.units.get(row.unit_id) if row.unit_id is not None else None
    return QuickReply(
        id=row.id,
        scope=Scope(row.scope),
        unit_id=row.unit_id,
        unit_name=unit.name if unit else None,
        user_id=row.user_id,
        title=row.title,
        text=row.text,
        sort_order=row.sort_order,
        active=row.active,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def usable_units(actor: Actor, org: OrgTree) -> list[int]:
    """The units whose sets `actor` uses, nearest first: their own unit, the units above it, the
    district center last (only the district center's for staff without a unit)."""
    if actor.unit_id is None or actor.unit_id not in org.units:
        roots = [u.id for u in org.units.values() if u.parent_id is None]
        return [u for u in roots if may_use_quick_replies(actor, u, org)]
    chain = [actor.unit_id, *(u.id for u in org.ancestors(actor.unit_id))]
    return [u for u in chain if may_use_quick_replies(actor, u, org)]


def picker_order(actor: Actor, org: OrgTree) -> Callable[[QuickReplyRow], tuple[int, int, str, int]]:
    """How the picker lists the snippets: the actor's unit's set, their own, then the sets of the
    units above (the district center's last); each set in its own order."""
    units = usable_units(actor, org)
    own_unit = units[:1] if actor.unit_id is not None and units[:1] == [actor.unit_id] else []
    above = [u for u in units if u not in own_unit]
    rank = {("unit", u): 0 for u in own_unit} | {("unit", u): 2 + i for i, u in enumerate(above)}

    def key(row: QuickReplyRow) -> tuple[int, int, str, int]:
        where = rank.get((row.scope, row.unit_id or 0), 1) if row.scope == repo.UNIT else 1
        return (where, row.sort_order, row.title, row.id)

    return key


class QuickReplyService:
    """Quick replies over one database: read, filled for an order, and kept."""

    def __init__(
        self,
        db: Database,
        orders: WorkOrderService,
        reference: ReferenceCache,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.orders = orders
        self.reference = reference
        self.clock = clock

    # -- reading ------------------------------------------------------------------------------

    def usable(self, actor: Actor, order: str | int | None = None) -> list[Expanded]:
        """The active snippets `actor` may insert, in the picker's order, each filled for the
        order `order` (its id or number) when one is given — NotFound if they may not read it."""
        facts = self._order_facts(actor, order) if order is not None else None
        with self.db.reading() as session:
            org = self._org(session)
            rows = self._usable_rows(session, actor, org, active_only=True)
            views = [_view(r, org) for r in sorted(rows, key=picker_order(actor, org))]
        values = self._values(actor, org, facts)
        return [self._expanded(view, values) for view in views]

    def get(self, actor: Actor, reply_id: int) -> QuickReply:
        """One snippet `actor` may read (their own, one of a set they use or keep); NotFound otherwise."""
        with self.db.reading() as session:
            org = self._org(session)
            return _view(self._readable_row(session, actor, reply_id, org), org)

    def expand(self, actor: Actor, reply_id: int, order: str | int | None = None) -> Expanded:
        """One snippet filled for the order `order` (NotFound for a snippet or an order the
        actor may not read)."""
        facts = self._order_facts(actor, order) if order is not None else None
        with self.db.reading() as session:
            org = self._org(session)
            view = _view(self._readable_row(session, actor, reply_id, org), org)
        return self._expanded(view, self._values(actor, org, facts))

    def personal(self, actor: Actor) -> list[QuickReply]:
        """The actor's own set, inactive snippets included."""
        require(may_manage_own_quick_replies, actor, actor.user_id)
        with self.db.reading() as session:
            org = self._org(session)
            return [_view(r, org) for r in repo.of_sets(session, (), actor.user_id, active_only=False)]

    def unit_set(self, actor: Actor, unit_id: int) -> UnitSet:
        """A unit's set as its admins keep it, inactive snippets included."""
        with self.db.reading() as session:
            org = self._org(session)
            if unit_id not in org.units:
                raise NotFound("组织单位不存在", unit_id=unit_id)
            require(may_manage_quick_replies, actor, unit_id, org)
            rows = repo.of_sets(session, (unit_id,), None, active_only=False)
            return UnitSet(
                unit_id, org.units[unit_id].name, org.path_names(unit_id), [_view(r, org) for r in rows]
            )

    def kept_sets(self, actor: Actor) -> list[UnitSet]:
        """Every unit set `actor` keeps that has snippets, with the set of their own unit (or the
        district center's) first even when empty: the admin page."""
        require(may_administer_quick_replies, actor)
        with self.db.reading() as session:
            org = self._org(session)
            kept = self._kept_units(actor, org)
            with_replies = repo.units_with_replies(session, kept)
            home = kept[:1]
            shown = home + [u for u in kept[1:] if u in with_replies]
            rows = repo.of_sets(session, shown, None, active_only=False)
            by_unit: dict[int, list[QuickReply]] = {u: [] for u in shown}
            for row in rows:
                if row.unit_id in by_unit:
                    by_unit[row.unit_id].append(_view(row, org))
            return [UnitSet(u, org.units[u].name, org.path_names(u), by_unit[u]) for u in shown]

    def kept_units(self, actor: Actor) -> list[tuple[int, str]]:
        """(unit id, "南海区 / 桂城街道") of every unit whose set `actor` keeps, in tree order."""
        require(may_administer_quick_replies, actor)
        with self.db.reading() as session:
            org = self._org(session)
            return [(u, org.path_names(u)) for u in self._kept_units(actor, org)]

    # -- changing -----------------------------------------------------------------------------

    def create(
        self, actor: Actor, scope: Scope | str, data: QuickReplyInput, *, unit_id: int | None = None
    ) -> QuickReply:
        """A new snippet in the actor's own set (`scope` personal) or in the set of the unit
        `unit_id` (`scope` unit: admins of that unit or above)."""
        scope = _scope(scope)
        with self.db.transaction() as session:
            org = self._org(session)
            if scope is Scope.PERSONAL:
                require(may_manage_own_quick_replies, actor, actor.user_id)
                owner_unit, owner_user = None, actor.user_id
            else:
                require(may_administer_quick_replies, actor)
                if unit_id is None or unit_id not in org.units:
                    raise ValidationFailed("请选择常用语所属的单位", field="unit_id")
                require(may_manage_quick_replies, actor, unit_id, org)
                owner_unit, owner_user = unit_id, None
            clean = data.validated()
            if repo.set_size(session, scope.value, owner_unit, owner_user) >= SET_MAX:
                raise ValidationFailed(f"每套常用语最多 {SET_MAX} 条", field="title")
            self._check_title(session, scope.value, owner_unit, owner_user, clean.title)
            now = self.clock()
            row = QuickReplyRow(
                scope=scope.value,
                unit_id=owner_unit,
                user_id=owner_user,
                title=clean.title,
                text=clean.text,
                sort_order=clean.sort_order,
                active=clean.active,
                created_by_id=actor.user_id,
                created_by=actor.name,
                created_at=now,
                updated_by_id=actor.user_id,
                updated_by=actor.name,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _view(row, org)

    def update(self, actor: Actor, reply_id: int, data: QuickReplyInput) -> QuickReply:
        """Change a snippet: its owner (personal), an admin keeping its unit's set (unit)."""
        with self.db.transaction() as session:
            org = self._org(session)
            row = self._changeable_row(session, actor, reply_id, org)
            clean = data.validated()
            self._check_title(session, row.scope, row.unit_id, row.user_id, clean.title, but=row.id)
            row.title, row.text = clean.title, clean.text
            row.sort_order, row.active = clean.sort_order, clean.active
            row.updated_by_id, row.updated_by, row.updated_at = actor.user_id, actor.name, self.clock()
            session.flush()
            return _view(row, org)

    def delete(self, actor: Actor, reply_id: int) -> QuickReply:
        """Delete a snippet (who may change it may delete it); what it was."""
        with self.db.transaction() as session:
            org = self._org(session)
            row = self._changeable_row(session, actor, reply_id, org)
            view = _view(row, org)
            session.delete(row)
            return view

    # -- helpers ------------------------------------------------------------------------------

    def _org(self, session: Session) -> OrgTree:
        return self.reference.get(session).org

    @staticmethod
    def _kept_units(actor: Actor, org: OrgTree) -> list[int]:
        """The units whose sets `actor` keeps, in tree order (their own unit, or the root, first)."""
        top = actor.unit_id if actor.unit_id is not None and actor.unit_id in org.units else None
        if top is None:
            roots = [u.id for u in org.units.values() if u.parent_id is None]
            top = roots[0] if roots else None
        if top is None:
            return []
        out: list[int] = []

        def walk(unit_id: int) -> None:
            out.append(unit_id)
            for child in org.children.get(unit_id, ()):
                walk(child)

        walk(top)
        return [u for u in out if may_manage_quick_replies(actor, u, org)]

    def _usable_rows(
        self, session: Session, actor: Actor, org: OrgTree, *, active_only: bool
    ) -> list[QuickReplyRow]:
        units = usable_units(actor, org)
        own = actor.user_id if may_manage_own_quick_replies(actor, actor.user_id) else None
        return repo.of_sets(session, units, own, active_only=active_only)

    @staticmethod
    def _readable(actor: Actor, row: QuickReplyRow, org: OrgTree) -> bool:
        if row.scope == repo.PERSONAL:
            return may_manage_own_quick_replies(actor, row.user_id)
        assert row.unit_id is not None  # the table's check constraint
        if may_manage_quick_replies(actor, row.unit_id, org):
            return True
        return row.active and may_use_quick_replies(actor, row.unit_id, org)

    def _readable_row(self, session: Session, actor: Actor, reply_id: int, org: OrgTree) -> QuickReplyRow:
        row = repo.find(session, reply_id)
        if row is None or not self._readable(actor, row, org):
            raise NotFound("常用语不存在", reply_id=reply_id)
        return row

    def _changeable_row(self, session: Session, actor: Actor, reply_id: int, org: OrgTree) -> QuickReplyRow:
        """The snippet if `actor` may change it; NotFound when they may not even read it,
        PermissionDenied when they may read it but not change it."""
        row = self._readable_row(session, actor, reply_id, org)
        if row.scope == repo.UNIT:
            assert row.unit_id is not None
            require(may_manage_quick_replies, actor, row.unit_id, org)
        return row

    @staticmethod
    def _check_title(
        session: Session,
        scope: str,
        unit_id: int | None,
        user_id: int | None,
        title: str,
        *,
        but: int | None = None,
    ) -> None:
        if repo.title_taken(session, scope, unit_id, user_id, title, but=but):
            raise Conflict(f"这套常用语里已有关键词“{title}”", field="title")

    def _order_facts(self, actor: Actor, order: str | int) -> OrderFacts:
        detail = self.orders.get(actor, order)  # NotFound unless the actor may read it
        s = detail.summary
        return OrderFacts(
            number=s.number,
            title=s.title,
            citizen_name=detail.citizen_name,
            address=detail.address,
            registered_on=local_date(s.registered_at),
            due_on=local_date(s.reply_deadline.due_at) if s.reply_deadline else None,
            responsible_unit=s.responsible_unit.name if s.responsible_unit else None,
            current_unit=s.current_unit.name if s.current_unit else None,
        )

    def _values(self, actor: Actor, org: OrgTree, facts: OrderFacts | None) -> dict[str, str]:
        unit = org.units.get(actor.unit_id) if actor.unit_id is not None else None
        return values_for(
            local_date(self.clock()),
            order=facts,
            my_unit=unit.name if unit else None,
            my_name=actor.name or None,
        )

    @staticmethod
    def _expanded(view: QuickReply, values: dict[str, str]) -> Expanded:
        filled: Filled = fill(view.text, values)
        return Expanded(view, filled.text, filled.unfilled)


def _scope(value: Scope | str) -> Scope:
    try:
        return Scope(value)
    except ValueError:
        raise ValidationFailed("常用语范围须为 unit（单位）或 personal（个人）", field="scope") from None


def build(services: Services) -> QuickReplyService:
    """The capability's service over the process's services (`Capability.services`)."""
    return QuickReplyService(services.db, services.orders, services.reference, clock=services.clock)


__all__ = [
    "Expanded",
    "QuickReply",
    "QuickReplyInput",
    "QuickReplyService",
    "Scope",
    "UnitSet",
    "build",
    "usable_units",
]
