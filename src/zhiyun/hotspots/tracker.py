"""Keeping the platform's hot issues current (热点问题): the worker's grouping index and its ranking.

The worker owns one `HotIssueIndex` (`hotspots.method`) over the orders of the last
`HotIssueSettings.window_days` (90): built from the database on its first turn, once a day, or by
`zhiyun hotspots rebuild`, then fed each turn with the orders registered since the last turn (and
`LATE_COMMITS` before it, so that an order whose transaction committed late is not missed; those
already in are skipped) — each joins or starts a group in well under a millisecond
(benchmarks/hotspots.py) — with the orders of the ranked issues
whose government signals changed (supervised, urged, overdue, reopened, unsatisfied: re-added
with the new ones), and rid of what fell out of the window. A message is an order's title and
content, its registration time, its caller (the phone number), and the names of its grid and
village (places the index treats as an area); the gazetteer is the names of the district's towns,
villages and grids.

Each turn ranks the issues and writes the `top` of them (`hot_issue`, `hot_issue_member`) in one
transaction. A stored issue keeps its id while its group lives, across rebuilds: a ranked group
takes the stored issue that holds most of its orders (at least half of the smaller), else it is
new; a stored issue no group took is `faded` (or keeps `merged`/`ordered`, what was done about it,
with its rank cleared). Cancelled orders, proactive orders (made from hot issues and warnings) and
the devices' orders (channel `iot`: sensing groups its alarms itself) are not messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_run_housekeeping, require
from zhiyun.domain.channels import IOT, PROACTIVE
from zhiyun.domain.hot_issues import GovernmentSignals
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.workorder import OrderStatus, Satisfaction
from zhiyun.geo.tables import GridRow
from zhiyun.hotspots.method import HotIssue, HotIssueIndex, HotIssueSettings, Message
from zhiyun.hotspots.tables import HotIssueMemberRow, HotIssueRow
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.base import table_of
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.hotspots")

W = WorkOrderRow
TOP = 100  # issues ranked and stored each turn
# Not what people raise: the platform's own orders (from hot issues and warnings) and the devices'
# (sensing folds a device's alarms into events and groups nearby devices itself)
NOT_MESSAGES = (PROACTIVE, IOT)
LATE_COMMITS = timedelta(minutes=5)  # an order committed this long after it was registered is still seen
REBUILD_EVERY = timedelta(hours=24)  # and a full rebuild a day takes in what came another way (an import)
CHUNK = 5_000  # orders read at a time on a rebuild
ACTIVE, FADED, MERGED, ORDERED = "active", "faded", "merged", "ordered"
LIVE_STATUSES = (OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS)
_COLUMNS = (
    W.id,
    W.title,
    W.content,
    W.registered_at,
    W.citizen_phone,
    W.grid_id,
    W.village_unit_id,
    W.supervised,
    W.urge_count,
    W.reopen_count,
    W.satisfaction,
    W.status,
    W.reply_due_at,
)


@dataclass(frozen=True)
class TurnReport:
    """What one turn did."""

    rebuilt: bool
    added: int
    refreshed: int
    expired: int
    ranked: int
    seconds: float
    assign_p99_ms: float = 0.0  # the grouping of one new order (index.add), 99th percentile of the turn
    assign_max_ms: float = 0.0


def signals_of(row: Sequence[object], now: datetime) -> GovernmentSignals:
    """An order's government signals from its columns (`_COLUMNS` order)."""
    return _signals(row[7:13], now)


_SIGNAL_COLUMNS = _COLUMNS[7:13]


def _signals(values: Sequence[object], now: datetime) -> GovernmentSignals:
    supervised, urged, reopened, satisfaction, status, reply_due = values
    overdue = (
        status in {s.value for s in LIVE_STATUSES} and isinstance(reply_due, datetime) and reply_due <= now
    )
    return GovernmentSignals(
        supervised=1 if supervised else 0,
        urged=int(urged or 0),  # type: ignore[call-overload]
        overdue=1 if overdue else 0,
        reopened=int(reopened or 0),  # type: ignore[call-overload]
        unsatisfied=1 if satisfaction == Satisfaction.UNSATISFIED.value else 0,
    )


class HotIssueTracker:
    """The worker's hot issues (the module's note). One per process; its turns never overlap."""

    def __init__(
        self,
        db: Database,
        reference: ReferenceCache,
        *,
        settings: HotIssueSettings | None = None,
        clock: Clock = system_clock,
        top: int = TOP,
    ) -> None:
        self.db = db
        self.reference = reference
        self.settings = settings or HotIssueSettings()
        self.clock = clock
        self.top = top
        self._index: HotIssueIndex | None = None
        self._signals: dict[int, GovernmentSignals] = {}  # the orders in the index, with their signals
        self._rebuilt_at: datetime | None = None
        self._turned_at: datetime | None = None
        self._lock = threading.Lock()
        self._grid_names: dict[int, str] = {}

    # ------------------------------------------------------------------ messages

    def _window_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.settings.window_days or 90.0)

    def _places(self, org: OrgTree, grid_id: int | None, village_id: int | None) -> tuple[str, ...]:
        names = []
        if grid_id is not None and grid_id in self._grid_names:
            names.append(self._grid_names[grid_id])
        if village_id is not None and village_id in org.units:
            names.append(org.units[village_id].name)
        return tuple(names)

    def _message(self, org: OrgTree, row: Sequence[object], now: datetime) -> Message:
        order_id, title, content, at, phone, grid_id, village_id = row[:7]
        assert isinstance(order_id, int) and isinstance(at, datetime)
        return Message(
            key=str(order_id),
            title=str(title or ""),
            text=str(content or ""),
            at=at,
            caller=str(phone) if phone else None,
            places=self._places(org, grid_id, village_id),  # type: ignore[arg-type]
            signals=signals_of(row, now),
        )

    @staticmethod
    def _counted() -> list[ColumnElement[bool]]:
        return [W.status != OrderStatus.CANCELLED.value, W.channel.not_in(NOT_MESSAGES)]

    def _gazetteer(self, session: Session, org: OrgTree) -> list[str]:
        self._grid_names = {int(i): str(n) for i, n in session.execute(select(GridRow.id, GridRow.name)) if n}
        units = [u.name for u in org.units.values() if u.kind in (UnitKind.TOWN, UnitKind.VILLAGE)]
        return sorted({*units, *self._grid_names.values()})

    # ------------------------------------------------------------------ turns

    def rebuild(self, actor: Actor) -> TurnReport:
        """Build the index again from the database and rank (`zhiyun hotspots rebuild`)."""
        require(may_run_housekeeping, actor)
        with self._lock:
            self._index = None
            return self._turn()

    def refresh(self, actor: Actor) -> TurnReport:
        """One turn: the new orders and changed signals in, the expired out, the ranking stored
        (the worker's job, every minute)."""
        require(may_run_housekeeping, actor)
        with self._lock:
            return self._turn()

    def _turn(self) -> TurnReport:
        started = time.perf_counter()
        now = self.clock()
        rebuilt = False
        added = refreshed = 0
        with self.db.reading() as session:
            org = self.reference.get(session).org
            if self._index is None or (
                self._rebuilt_at is not None and now - self._rebuilt_at > REBUILD_EVERY
            ):
                self._index = HotIssueIndex(self.settings, gazetteer=self._gazetteer(session, org))
                self._signals = {}
                self._rebuilt_at = now
                rebuilt = True
                since = self._window_start(now)
            else:  # what was registered since the last turn (and a margin for late commits)
                since = (self._turned_at or now) - LATE_COMMITS
            self._turned_at = now
            index = self._index
            query = select(*_COLUMNS).where(W.registered_at >= since, *self._counted())
            timings: list[float] = []
            after: tuple[datetime, int] | None = None
            while True:  # in time order, a page at a time (keyset: no offset, no server cursor)
                page = query if after is None else query.where(tuple_(W.registered_at, W.id) > tuple_(*after))
                rows = session.execute(page.order_by(W.registered_at, W.id).limit(CHUNK)).all()
                for row in rows:
                    if int(row[0]) in self._signals:
                        continue  # added in an earlier turn
                    message = self._message(org, row, now)
                    began = time.perf_counter()
                    index.add(message)
                    timings.append(time.perf_counter() - began)
                    self._signals[int(row[0])] = message.signals
                    added += 1
                if len(rows) < CHUNK:
                    break
                after = (rows[-1][3], int(rows[-1][0]))
            refreshed = self._refresh_signals(session, org, index, now)
        expired = index.expire(now)
        for key in [k for k in self._signals if index.group_of(str(k)) is None]:
            del self._signals[key]
        issues = index.issues(now, top=self.top)
        self._store(issues, now)
        timings.sort()
        report = TurnReport(
            rebuilt,
            added,
            refreshed,
            expired,
            len(issues),
            time.perf_counter() - started,
            assign_p99_ms=timings[min(len(timings) - 1, int(0.99 * len(timings)))] * 1000 if timings else 0.0,
            assign_max_ms=timings[-1] * 1000 if timings else 0.0,
        )
        log.info(
            "hot issues: %s %d orders, %d re-signalled, %d expired, %d ranked in %.1f s",
            "rebuilt from" if rebuilt else "added",
            added,
            refreshed,
            expired,
            len(issues),
            report.seconds,
        )
        return report

    def _refresh_signals(self, session: Session, org: OrgTree, index: HotIssueIndex, now: datetime) -> int:
        """Re-add the orders of the ranked issues whose signals changed since they were added."""
        ids = sorted(
            int(i)
            for (i,) in session.execute(
                select(HotIssueMemberRow.order_id)
                .join(HotIssueRow, HotIssueRow.id == HotIssueMemberRow.hot_issue_id)
                .where(HotIssueRow.rank.is_not(None))
            )
        )
        changed: list[int] = []
        for start in range(0, len(ids), 1000):  # the signals' columns only: most have not changed
            chunk = ids[start : start + 1000]
            for row in session.execute(
                select(W.id, *_SIGNAL_COLUMNS).where(W.id.in_(chunk), *self._counted())
            ):
                order_id = int(row[0])
                if order_id in self._signals and self._signals[order_id] != _signals(row[1:], now):
                    changed.append(order_id)
        for start in range(0, len(changed), 1000):
            for row in session.execute(select(*_COLUMNS).where(W.id.in_(changed[start : start + 1000]))):
                message = self._message(org, row, now)
                index.add(message)  # the same key: replaced
                self._signals[int(row[0])] = message.signals
        return len(changed)

    # ------------------------------------------------------------------ storing the ranking

    def _store(self, issues: Sequence[HotIssue], now: datetime) -> None:
        with self.db.transaction() as session:
            members: dict[int, int] = {
                int(o): int(h)
                for o, h in session.execute(
                    select(HotIssueMemberRow.order_id, HotIssueMemberRow.hot_issue_id)
                )
            }
            sizes = Counter(members.values())
            taken: dict[int, HotIssue] = {}
            fresh: list[HotIssue] = []
            for issue in issues:
                order_ids = [int(k) for k in issue.members]
                votes = Counter(members[o] for o in order_ids if o in members)
                chosen = None
                for stored, shared in votes.most_common():
                    if stored not in taken and shared * 2 >= min(len(order_ids), sizes[stored]):
                        chosen = stored
                        break
                if chosen is None:
                    fresh.append(issue)
                else:
                    taken[chosen] = issue
            rows = {
                r.id: r for r in session.scalars(select(HotIssueRow).where(HotIssueRow.id.in_(list(taken))))
            }
            for stored_id, issue in taken.items():
                self._write(rows[stored_id], issue, now)
            for issue in fresh:
                row = HotIssueRow(
                    status=ACTIVE,
                    order_id=None,
                    handled_by=None,
                    handled_by_name="",
                    handled_at=None,
                    note="",
                    created_at=now,
                )
                self._write(row, issue, now)
                session.add(row)
                session.flush()
                taken[row.id] = issue
            # membership as ranked now: an order is in one issue at a time
            wanted: dict[int, int] = {}
            for stored_id, issue in taken.items():
                for key in issue.members:
                    wanted.setdefault(int(key), stored_id)
            others = [i for i in set(members.values()) if i not in taken]
            if others:  # what was done about an issue keeps its orders while no ranked one claims them
                handled = set(
                    session.scalars(
                        select(HotIssueRow.id).where(
                            HotIssueRow.id.in_(others), HotIssueRow.status.in_((MERGED, ORDERED))
                        )
                    )
                )
                for order_id, stored_id in members.items():
                    if stored_id in handled:
                        wanted.setdefault(order_id, stored_id)
            # written as a difference: most members stay where they were from one turn to the next
            leaving = sorted(o for o, i in members.items() if wanted.get(o) != i)
            for start in range(0, len(leaving), 1000):
                session.execute(
                    delete(HotIssueMemberRow).where(
                        HotIssueMemberRow.order_id.in_(leaving[start : start + 1000])
                    )
                )
            values = [
                {"order_id": o, "hot_issue_id": i} for o, i in sorted(wanted.items()) if members.get(o) != i
            ]
            for start in range(0, len(values), 1000):
                session.execute(insert(table_of(HotIssueMemberRow)), values[start : start + 1000])
            if others:
                session.execute(update(HotIssueRow).where(HotIssueRow.id.in_(others)).values(rank=None))
                session.execute(
                    update(HotIssueRow)
                    .where(HotIssueRow.id.in_(others), HotIssueRow.status == ACTIVE)
                    .values(status=FADED)
                )
            session.execute(
                update(HotIssueRow)
                .where(HotIssueRow.rank.is_not(None), HotIssueRow.id.not_in(list(taken) or [0]))
                .values(rank=None)
            )

    @staticmethod
    def _write(row: HotIssueRow, issue: HotIssue, now: datetime) -> None:
        row.group_key = issue.id[:64]
        row.title = issue.title[:200]
        row.place = issue.place[:100] if issue.place else None
        row.matter = list(issue.matter)
        row.hot_index = round(issue.hot_index, 2)
        row.parts = {k: round(v, 4) for k, v in issue.index.parts().items()}
        row.first_at, row.last_at = issue.first, issue.last
        row.size, row.counted, row.callers = len(issue.members), issue.counted, issue.callers
        row.rank = issue.rank
        if row.status == FADED:
            row.status = ACTIVE
        row.refreshed_at = now


def build(services: Services) -> HotIssueTracker:
    """The capability's service over the process's services (`Capability.services`)."""
    return HotIssueTracker(services.db, services.reference, clock=services.clock)


__all__ = ["HotIssueTracker", "TurnReport", "build", "signals_of"]
