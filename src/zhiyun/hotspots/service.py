"""Hot issues for people (热点问题): the ranked list, one issue with its orders, and what a
dispatcher does about one.

Reading: whoever has a dashboard (`may_view_dashboard`); the district's readers see every issue,
a dispatcher the issues with an order in their unit's subtree, and of an issue's orders only
those they may see (`can_view`).

Acting (`may_act_on_hot_issues`: a dispatcher who sees the issue), in one transaction each:

- **merge** into one supervised order (合并督办): the issue's earliest open order leads; every
  other open order the dispatcher may merge (the life cycle decides, order by order: its
  registering center's dispatcher) is merged into it, and the lead is supervised (督办, when the
  dispatcher's center is above its holder) — each an audited transition of its order; orders
  the dispatcher may not merge stay as they are and are named in the answer.
- **proactive order** (未诉先办): an order through intake (channel `proactive`) at the dispatcher's
  center, about the issue's matter and place, the issue's most common category and village —
  before more people have to call.

Either is done once per issue (`merged` or `ordered`, with the order, who and when).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.domain.access import (
    DISTRICT_WIDE_READERS,
    Actor,
    can_view,
    may_act_on_hot_issues,
    may_view_dashboard,
)
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.channels import PROACTIVE
from zhiyun.domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import Merge, OrderStatus, OrderType, Supervise, Urgency
from zhiyun.geo.locator import Location
from zhiyun.hotspots.tables import HotIssueMemberRow, HotIssueRow
from zhiyun.hotspots.tracker import MERGED, ORDERED
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo as order_repo
from zhiyun.orders.service import WorkOrderService
from zhiyun.reference.cache import ReferenceCache, ReferenceSnapshot
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

W = WorkOrderRow
NOTE_MAX = 500
MERGEABLE = frozenset({OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS})


@dataclass(frozen=True)
class HotIssueView:
    """A hot issue as a list shows it."""

    id: int
    rank: int | None
    title: str
    place: str | None
    hot_index: float
    parts: dict[str, float]
    first_at: datetime
    last_at: datetime
    size: int
    counted: int
    callers: int
    status: str
    order_id: int | None
    order_number: str | None
    handled_by_name: str
    note: str

    @property
    def status_label(self) -> str:
        return {"active": "", "faded": "已降温", "merged": "已合并督办", "ordered": "已未诉先办"}.get(
            self.status, ""
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rank": self.rank,
            "title": self.title,
            "place": self.place,
            "hot_index": self.hot_index,
            "parts": self.parts,
            "first_at": self.first_at.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
            "last_at": self.last_at.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
            "size": self.size,
            "counted": self.counted,
            "callers": self.callers,
            "status": self.status,
            "order_number": self.order_number,
            "handled_by": self.handled_by_name,
            "note": self.note,
        }


@dataclass(frozen=True)
class MemberView:
    """One order of a hot issue, as its reader may see it."""

    id: int
    number: str
    title: str
    status: OrderStatus
    registered_at: datetime
    village: str


@dataclass(frozen=True)
class HotIssueDetail:
    issue: HotIssueView
    members: list[MemberView]
    hidden: int  # orders of the issue the reader may not see


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the order it made or led with, and the orders it could not merge."""

    issue: HotIssueView
    order_number: str
    merged: tuple[str, ...] = ()
    not_merged: tuple[str, ...] = ()
    supervised: bool = False


class HotIssueService:
    """Reads and actions of the hot issues (the module's note)."""

    def __init__(
        self,
        db: Database,
        reference: ReferenceCache,
        orders: WorkOrderService,
        intake: IntakeService,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.reference = reference
        self.orders = orders
        self.intake = intake
        self.clock = clock

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _reader(actor: Actor) -> None:
        if not may_view_dashboard(actor):
            raise PermissionDenied("热点问题仅供领导、质检员、派单员和管理员查看", role=actor.role.value)

    @staticmethod
    def _subtree(actor: Actor, org: OrgTree) -> set[int] | None:
        if actor.role in DISTRICT_WIDE_READERS or actor.unit_id is None or actor.unit_id == org.root().id:
            return None
        return org.subtree_ids(actor.unit_id)

    @staticmethod
    def _in_scope(session: Session, issue_ids: list[int], units: set[int] | None) -> set[int]:
        """The issues of `issue_ids` with an order in `units` (None: all of them)."""
        if units is None or not issue_ids:
            return set(issue_ids)
        ids = sorted(units)
        query = (
            select(HotIssueMemberRow.hot_issue_id)
            .join(W, W.id == HotIssueMemberRow.order_id)
            .where(
                HotIssueMemberRow.hot_issue_id.in_(issue_ids),
                W.registered_unit_id.in_(ids) | W.current_unit_id.in_(ids) | W.responsible_unit_id.in_(ids),
            )
            .distinct()
        )
        return {int(i) for i in session.scalars(query)}

    @staticmethod
    def _view(row: HotIssueRow, number: str | None) -> HotIssueView:
        return HotIssueView(
            id=row.id,
            rank=row.rank,
            title=row.title,
            place=row.place,
            hot_index=row.hot_index,
            parts=dict(row.parts),
            first_at=row.first_at,
            last_at=row.last_at,
            size=row.size,
            counted=row.counted,
            callers=row.callers,
            status=row.status,
            order_id=row.order_id,
            order_number=number,
            handled_by_name=row.handled_by_name,
            note=row.note,
        )

    def _numbers(self, session: Session, rows: list[HotIssueRow]) -> dict[int, str]:
        ids = sorted({r.order_id for r in rows if r.order_id is not None})
        if not ids:
            return {}
        return {int(i): str(n) for i, n in session.execute(select(W.id, W.number).where(W.id.in_(ids)))}

    def issues(self, actor: Actor, *, limit: int = 50, handled: bool = True) -> list[HotIssueView]:
        """The ranked issues `actor` sees, hottest first (and, with `handled`, those acted on that
        are no longer ranked, after them)."""
        self._reader(actor)
        with self.db.reading() as session:
            org = self.reference.get(session).org
            ranked = list(
                session.scalars(
                    select(HotIssueRow).where(HotIssueRow.rank.is_not(None)).order_by(HotIssueRow.rank)
                )
            )
            if handled:
                ranked += list(
                    session.scalars(
                        select(HotIssueRow)
                        .where(HotIssueRow.rank.is_(None), HotIssueRow.status.in_((MERGED, ORDERED)))
                        .order_by(HotIssueRow.handled_at.desc())
                        .limit(limit)
                    )
                )
            seen = self._in_scope(session, [r.id for r in ranked], self._subtree(actor, org))
            rows = [r for r in ranked if r.id in seen][: max(1, min(limit, 200))]
            numbers = self._numbers(session, rows)
            return [self._view(r, numbers.get(r.order_id or 0)) for r in rows]

    def _issue_in(self, session: Session, actor: Actor, org: OrgTree, issue_id: int) -> HotIssueRow:
        row = session.get(HotIssueRow, issue_id)
        if row is None or not self._in_scope(session, [issue_id], self._subtree(actor, org)):
            raise NotFound("没有这个热点问题")
        return row

    def _members(self, session: Session, issue_id: int) -> list[WorkOrderRow]:
        return list(
            session.scalars(
                select(W)
                .join(HotIssueMemberRow, HotIssueMemberRow.order_id == W.id)
                .where(HotIssueMemberRow.hot_issue_id == issue_id)
                .order_by(W.registered_at, W.id)
            )
        )

    def detail(self, actor: Actor, issue_id: int) -> HotIssueDetail:
        """One issue with the orders `actor` may see (明细)."""
        self._reader(actor)
        with self.db.reading() as session:
            snap = self.reference.get(session)
            row = self._issue_in(session, actor, snap.org, issue_id)
            members = self._members(session, issue_id)
            visible = [
                m for m in members if can_view(actor, order_repo.involved_units(session, m.id), snap.org)
            ]
            views = [
                MemberView(
                    id=m.id,
                    number=m.number,
                    title=m.title,
                    status=OrderStatus(m.status),
                    registered_at=m.registered_at,
                    village=snap.org.units[m.village_unit_id].name
                    if m.village_unit_id in snap.org.units
                    else "",
                )
                for m in visible
            ]
            numbers = self._numbers(session, [row])
            return HotIssueDetail(
                self._view(row, numbers.get(row.order_id or 0)), views, len(members) - len(visible)
            )

    # ------------------------------------------------------------------ acting

    def _actor_may_act(self, actor: Actor) -> None:
        if not may_act_on_hot_issues(actor):
            raise PermissionDenied("只有派单员可以处置热点问题", role=actor.role.value)

    @staticmethod
    def _not_done(row: HotIssueRow) -> None:
        if row.status in (MERGED, ORDERED):
            raise Conflict("这个热点问题已经处置过了", status=row.status)

    @staticmethod
    def _note(note: str) -> str:
        text = note.strip()
        if len(text) > NOTE_MAX:
            raise ValidationFailed(f"说明最多 {NOTE_MAX} 字", field="note")
        return text

    def _handled(
        self, row: HotIssueRow, actor: Actor, status: str, order_id: int, note: str, now: datetime
    ) -> None:
        row.status = status
        row.order_id = order_id
        row.handled_by = actor.user_id
        row.handled_by_name = actor.name[:100]
        row.handled_at = now
        row.note = note

    def _open_in(
        self, session: Session, actor: Actor, issue_id: int
    ) -> tuple[ReferenceSnapshot, HotIssueRow]:
        """The issue `actor` acts on, inside the action's transaction: seen by them, not yet acted on."""
        snap = self.reference.get(session)
        row = self._issue_in(session, actor, snap.org, issue_id)
        self._not_done(row)
        return snap, row

    def merge(self, actor: Actor, issue_id: int, note: str = "") -> ActionResult:
        """Merge the issue's open orders into its earliest open one and supervise that one (only
        orders `actor` may see: the others are neither touched nor named)."""
        self._actor_may_act(actor)
        text = self._note(note)
        now = self.clock()
        with self.db.transaction() as session:
            snap, row = self._open_in(session, actor, issue_id)
            open_ = [m for m in self._members(session, issue_id) if OrderStatus(m.status) in MERGEABLE]
            visible = [
                m for m in open_ if can_view(actor, order_repo.involved_units(session, m.id), snap.org)
            ]
            if not visible:
                raise Conflict("这个热点问题没有您可以合并的在办工单")
            lead = visible[0]
            merged: list[str] = []
            refused: list[str] = []
            reason = f"热点问题「{row.title}」合并督办" + (f"：{text}" if text else "")
            for member in visible[1:]:
                try:
                    with session.begin_nested():
                        self.orders.act_in(
                            session, actor, member, Merge(note=reason, master_id=lead.id), now, snap=snap
                        )
                    merged.append(member.number)
                except DomainError:
                    refused.append(member.number)
            try:
                with session.begin_nested():
                    self.orders.act_in(session, actor, lead, Supervise(note=reason), now, snap=snap)
                supervised = True
            except DomainError:  # the lead is still at the dispatcher's own center: nobody above to supervise
                supervised = False
            if not merged and not supervised:
                raise Conflict("这个热点问题的工单您既不能合并也不能督办")
            self._handled(row, actor, MERGED, lead.id, text, now)
            view = self._view(row, lead.number)
        return ActionResult(view, lead.number, tuple(merged), tuple(refused), supervised)

    def proactive_order(self, actor: Actor, issue_id: int, note: str = "") -> ActionResult:
        """Register a proactive order (未诉先办) about the issue at the dispatcher's center."""
        self._actor_may_act(actor)
        text = self._note(note)
        now = self.clock()
        with self.db.transaction() as session:
            _, row = self._open_in(session, actor, issue_id)
            members = self._members(session, issue_id)
            categories = Counter(m.category_code for m in members if m.category_code)
            villages = Counter(m.village_unit_id for m in members if m.village_unit_id is not None)
            towns = Counter(m.town_unit_id for m in members if m.town_unit_id is not None)
            village = villages.most_common(1)[0][0] if villages else None
            town = towns.most_common(1)[0][0] if towns else None
            span = (
                f"{row.first_at.astimezone(LOCAL_TZ):%Y-%m-%d} 至 {row.last_at.astimezone(LOCAL_TZ):%Y-%m-%d}"
            )
            content = (
                f"热点问题「{row.title}」：{span} 共 {row.size} 件诉求、{row.callers} 位来电人，热度 {row.hot_index:.1f}。"
                "请在市民再次来电之前研判原因、组织处置（未诉先办）。"
                + (f"\n派单员说明：{text}" if text else "")
            )
            draft = IntakeDraft(
                external_id=f"H{row.id}",
                title=f"未诉先办：{row.title}"[:300],
                content=content,
                order_type=OrderType.REPORT,
                urgency=Urgency.NORMAL,
                reported_at=now,
                category_code=categories.most_common(1)[0][0] if categories else None,
                attributes={"hot_issue_id": row.id},
            )
            result = self.intake.accept_in(
                session,
                PROACTIVE,
                draft,
                {"hot_issue_id": row.id, "title": row.title},
                actor=actor,
                now=now,
                center_unit_id=actor.unit_id,
                location=Location(town_unit_id=town, village_unit_id=village, source="hotspots")
                if town is not None or village is not None
                else None,
                details={"hotspots": {"hot_issue_id": row.id}},
            )
            self._handled(row, actor, ORDERED, result.order.id, text, now)
            view = self._view(row, result.order.number)
        return ActionResult(view, result.order.number)


def build(services: Services) -> HotIssueService:
    """The capability's service over the process's services (`Capability.services`)."""
    return HotIssueService(
        services.db, services.reference, services.orders, services.intake, clock=services.clock
    )


__all__ = ["ActionResult", "HotIssueDetail", "HotIssueService", "HotIssueView", "MemberView", "build"]
