"""Raising a sensing event (issue 18, part 5): what happens when its condition is first met.

The alarm pipeline calls `EventRaiser.raise_in` inside its own transaction, once per event, with
the event still `watching`. What it does is `domain.sensing_alarms.raising(scene)`:

- **verify** (核实): a verification task (`sensing_verification`, kind `verify`, pending) for a
  grid worker of the event's grid (else of its village; nobody when the village has none),
  due `verification_due(scene, now)`; the event is `verifying`.
- **order**: the event's work order at once (`event_orders.EventOrders`); the event is `ordered`.
- **urgent order** (a severe scene: 燃气泄漏, 明火): an urgent order at once, and a task of kind
  `notice` for the nearest grid worker, who answers that they are on the spot (已到场).

When the order cannot be registered (the `iot` channel switched off, the scene's category gone
from the taxonomy: a ValidationFailed), the event is not lost: it gets a verification task
instead, and the person's confirmation tries again or shows why it cannot.

An event of a group (`group_id`: the group's first event) whose group already has a pending
task or an order takes that task or order (`verifying`, or `ordered` with the group's order) and
makes nothing new: one check, one order per group.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.sensing_alarms import EventStatus, Raising, VerificationStatus, raising, verification_due
from zhiyun.domain.sensing_scenes import Scene
from zhiyun.domain.sensing_verification import WorkerPost, choose_verifier, nearest_worker
from zhiyun.geo.tables import GridRow
from zhiyun.grid.tables import GridWorkerRow
from zhiyun.sensing.alarm_tables import EventRow, VerificationRow
from zhiyun.sensing.event_orders import EventOrder, EventOrders, lead_id
from zhiyun.store.tables import UserRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.sensing")

VERIFY_KIND = "verify"
NOTICE_KIND = "notice"


def group_members(session: Session, event: EventRow) -> list[EventRow]:
    """Every event of `event`'s group (the lead and those that joined it), the event itself too."""
    lead = lead_id(event)
    rows = list(
        session.scalars(
            select(EventRow).where(or_(EventRow.id == lead, EventRow.group_id == lead)).order_by(EventRow.id)
        )
    )
    if all(r.id != event.id for r in rows):
        rows.append(event)
    return rows


def worker_posts(session: Session, village_unit_ids: Iterable[int]) -> dict[int, list[WorkerPost]]:
    """The active posts of these villages' grid workers (active accounts), by village, with their
    grids' centres and the tasks each worker owes now."""
    villages = sorted(set(village_unit_ids))
    rows: list[tuple[GridWorkerRow, float, float, float, float]] = []  # the grid's, None outside one
    for start in range(0, len(villages), 500):
        rows += session.execute(
            select(GridWorkerRow, GridRow.min_lat, GridRow.max_lat, GridRow.min_lon, GridRow.max_lon)
            .join(UserRow, UserRow.id == GridWorkerRow.user_id)
            .outerjoin(GridRow, GridRow.id == GridWorkerRow.grid_id)
            .where(
                GridWorkerRow.village_unit_id.in_(villages[start : start + 500]),
                GridWorkerRow.active.is_(True),
                UserRow.active.is_(True),
            )
        ).all()
    users = sorted({r[0].user_id for r in rows})
    owed: dict[int, int] = {}
    for start in range(0, len(users), 500):
        owed.update(
            (int(u or 0), int(n))
            for u, n in session.execute(
                select(VerificationRow.worker_id, func.count())
                .where(
                    VerificationRow.worker_id.in_(users[start : start + 500]),
                    VerificationRow.status == VerificationStatus.PENDING.value,
                )
                .group_by(VerificationRow.worker_id)
            ).all()
        )
    posts: dict[int, list[WorkerPost]] = {v: [] for v in villages}
    for post, min_lat, max_lat, min_lon, max_lon in rows:
        centre = None
        if min_lat is not None and max_lat is not None and min_lon is not None and max_lon is not None:
            centre = ((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
        posts[post.village_unit_id].append(
            WorkerPost(
                user_id=post.user_id,
                village_unit_id=post.village_unit_id,
                grid_id=post.grid_id,
                kind=WorkerKind(post.kind),
                centre=centre,
                owed=owed.get(post.user_id, 0),
                post_id=post.id,
            )
        )
    for found in posts.values():
        found.sort(key=lambda p: p.post_id)
    return posts


class RaiseTurn:
    """What raising several events in one transaction looks up once: the members of their groups
    and which groups have a pending check (one query each), and each village's grid worker posts
    with what each owes (one query per village) — kept current as the turn opens tasks. After a
    raising that failed (its savepoint rolled back) the turn forgets and looks up again."""

    def __init__(self, session: Session, events: Sequence[EventRow] = ()) -> None:
        self.session = session
        self.leads = {lead_id(e) for e in events}
        self.villages = {e.village_unit_id for e in events if e.village_unit_id is not None}
        self._members: dict[int, list[EventRow]] = {}
        self._checked: set[int] = set()  # leads whose group has a pending check
        self._posts: dict[int, list[WorkerPost]] = {}

    def forget(self) -> None:
        self._members.clear()
        self._checked.clear()
        self._posts.clear()

    def members(self, event: EventRow) -> list[EventRow]:
        """Every event of `event`'s group, the event itself too (`group_members`)."""
        lead = lead_id(event)
        if lead not in self._members:
            self._load_groups(self.leads | {lead})
        rows = self._members[lead]
        if all(r.id != event.id for r in rows):
            rows.append(event)
        return rows

    def checked(self, event: EventRow) -> bool:
        """Whether `event`'s group has a pending check."""
        self.members(event)
        return lead_id(event) in self._checked

    def posts(self, village_unit_id: int | None) -> list[WorkerPost]:
        if village_unit_id is None:
            return []
        if village_unit_id not in self._posts:
            wanted = (self.villages | {village_unit_id}) - set(self._posts)
            with self.session.no_autoflush:
                self._posts.update(worker_posts(self.session, wanted))
        return self._posts[village_unit_id]

    def opened(self, event: EventRow, kind: str, worker_id: int | None) -> None:
        """A task was opened for `event`: its group is checked (a `verify` task), its worker owes
        one more."""
        if kind == VERIFY_KIND:
            self._checked.add(lead_id(event))
        if worker_id is None:
            return
        for village, posts in self._posts.items():
            self._posts[village] = [
                replace(p, owed=p.owed + 1) if p.user_id == worker_id else p for p in posts
            ]

    def _load_groups(self, leads: set[int]) -> None:
        wanted = sorted(leads - set(self._members))
        with self.session.no_autoflush:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for lead in chunk:
                    self._members[lead] = []
                rows = self.session.scalars(
                    select(EventRow)
                    .where(or_(EventRow.id.in_(chunk), EventRow.group_id.in_(chunk)))
                    .order_by(EventRow.id)
                )
                ids: dict[int, int] = {}
                for row in rows:
                    self._members[lead_id(row)].append(row)
                    ids[row.id] = lead_id(row)
                if ids:
                    pending = select(VerificationRow.event_id).where(
                        VerificationRow.event_id.in_(sorted(ids)),
                        VerificationRow.kind == VERIFY_KIND,
                        VerificationRow.status == VerificationStatus.PENDING.value,
                    )
                    self._checked.update(ids[event_id] for event_id in self.session.scalars(pending))


class EventRaiser:
    """Raises sensing events (the module's note)."""

    def __init__(self, orders: EventOrders) -> None:
        self.orders = orders

    def prepare(self, session: Session) -> None:
        """Load what raising needs before the first event waits for it."""
        self.orders.prepare(session)

    def raise_in(
        self, session: Session, event: EventRow, scene: Scene, now: datetime, turn: RaiseTurn | None = None
    ) -> None:
        """Raise `event` (status `watching`) by `scene` at `now`, inside the caller's transaction
        (`turn`: what the caller's other raisings in it looked up)."""
        turn = turn or RaiseTurn(session, (event,))
        event.raised_at = now
        event.updated_at = now
        if self._join_group(event, now, turn):
            return
        plan = raising(scene)
        if plan is Raising.VERIFY:
            self._verify_in(session, event, scene, now, turn)
            return
        try:
            with session.begin_nested():  # a refusal leaves nothing of the registration behind
                self._order_in(session, event, scene, now)
        except ValidationFailed as exc:
            # the channel switched off, a category gone from the taxonomy …: the event is not lost,
            # a person checks it (their confirmation registers the order, or says why it cannot)
            log.warning(
                "event %s: order not registered (%s); a verification task instead", event.id, exc.message
            )
            event.order_id = event.ordered_at = None
            self._verify_in(session, event, scene, now, turn)
            return
        if plan is Raising.URGENT_ORDER:
            self._open_task_in(session, event, scene, now, turn, kind=NOTICE_KIND)

    def _verify_in(
        self, session: Session, event: EventRow, scene: Scene, now: datetime, turn: RaiseTurn
    ) -> None:
        self._open_task_in(session, event, scene, now, turn, kind=VERIFY_KIND)
        event.status = EventStatus.VERIFYING.value

    def _order_in(self, session: Session, event: EventRow, scene: Scene, now: datetime) -> EventOrder:
        """Register the event's order at once (the platform registers it) and mark it ordered."""
        made = self.orders.register_in(session, event, scene, now)
        event.status = EventStatus.ORDERED.value
        return made

    def _open_task_in(
        self, session: Session, event: EventRow, scene: Scene, now: datetime, turn: RaiseTurn, *, kind: str
    ) -> VerificationRow:
        posts = turn.posts(event.village_unit_id)
        if kind == NOTICE_KIND:
            point = (
                (event.latitude, event.longitude)
                if event.latitude is not None and event.longitude is not None
                else None
            )
            worker = nearest_worker(posts, event.grid_id, event.village_unit_id, point)
        else:
            worker = choose_verifier(posts, event.grid_id, event.village_unit_id)
        task = VerificationRow(
            event_id=event.id,
            kind=kind,
            grid_id=event.grid_id,
            village_unit_id=event.village_unit_id,
            worker_id=worker,
            status=VerificationStatus.PENDING.value,
            created_at=now,
            due_at=verification_due(scene, now),
            note="",
            photos=[],
        )
        session.add(task)
        turn.opened(event, kind, worker)
        return task

    @staticmethod
    def _join_group(event: EventRow, now: datetime, turn: RaiseTurn) -> bool:
        """Take the group's order or pending task when it has one (True), else nothing (False)."""
        members = [m for m in turn.members(event) if m.id != event.id]
        ordered = next((m for m in members if m.order_id is not None), None)
        if ordered is not None:
            event.status = EventStatus.ORDERED.value
            event.order_id = ordered.order_id
            event.ordered_at = now
            return True
        if turn.checked(event):
            event.status = EventStatus.VERIFYING.value
            return True
        return False


def build(services: Services) -> EventRaiser:
    """The capability's service over the process's services (`Capability.services`)."""
    return EventRaiser(EventOrders(services.intake, services.attachments, services.reference))


__all__ = [
    "NOTICE_KIND",
    "VERIFY_KIND",
    "EventRaiser",
    "RaiseTurn",
    "build",
    "group_members",
    "worker_posts",
]
