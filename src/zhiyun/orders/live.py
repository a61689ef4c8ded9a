"""Live queues: what an open workbench polls, and the next order of a queue (下一件).

`pulse` answers the workbench's poll in one statement: the count of every queue of the
reader under the list's filters, and for the queues new work lands in (待分拨, 待签收) a mark
of the orders they hold now, unfiltered, so that the page can tell when one arrives.
`next_in_queue` finds the order after the current one in a list, by the list's sort.

Both are built from the worklist service's own statements (`WorklistService.statement`:
the scope of `WorkOrderService.list` and the queue's clauses; `page` with a keyset cursor),
so a count and a next order hold exactly what the workbench's lists hold for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, literal, select, union_all

from zhiyun.domain.access import Actor
from zhiyun.domain.order_query import OrderQuery
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.worklists import COUNT_CAP, SORTS, QueueCount, WorklistService, encode_cursor
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

# The queues new work lands in: a new order in one of them is announced on the workbench.
ARRIVAL_QUEUES = ("to_dispatch", "to_sign")
# The mark sums ids modulo this prime: a thousand of them cannot overflow any integer type.
_MARK_MODULUS = 1_000_003


@dataclass(frozen=True)
class ArrivalMark:
    """What an arrival queue holds now, unfiltered: its count and a mark of its orders.

    `top` is the highest order id in it and `total` the sum of its ids (modulo a prime): when
    either changes while the count does not fall, an order arrived. With `more` (the count hit
    the cap) the mark covers only part of the queue and tells nothing."""

    key: str
    label: str
    count: int
    more: bool
    top: int
    total: int


@dataclass(frozen=True)
class Pulse:
    """One poll of the workbench: the queue counts (under the filters) and the arrival marks."""

    counts: list[QueueCount]
    arrivals: list[ArrivalMark]


class LiveQueueService:
    """The workbench's poll and 下一件, over the worklist service's statements."""

    def __init__(
        self,
        db: Database,
        worklists: WorklistService,
        orders: WorkOrderService,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.worklists = worklists
        self.orders = orders
        self.clock = clock

    def pulse(
        self, actor: Actor, query: OrderQuery | None = None, *, counts: bool = True, cap: int = COUNT_CAP
    ) -> Pulse:
        """Every queue's count under the list's filters (`counts=False`: none) and the marks of
        the reader's arrival queues, in one statement. A count stops at `cap` like the
        workbench's ("1000+")."""
        base = (query or OrderQuery()).validated()
        now = self.clock()
        queues = self.worklists.queues(actor)
        with self.db.reading() as session:
            snap = self.worklists.reference.get(session)
            parts: list[Any] = []
            if counts:
                for spec in queues:
                    stmt = self.worklists.statement(
                        session, actor, replace(base, queue=spec.key, statuses=()), snap, now
                    )
                    parts.append(_counted(f"count:{spec.key}", stmt, cap))
            for spec in queues:
                if spec.key in ARRIVAL_QUEUES:
                    stmt = self.worklists.statement(session, actor, OrderQuery(queue=spec.key), snap, now)
                    parts.append(_counted(f"arrival:{spec.key}", stmt, cap))
            if not parts:
                return Pulse([], [])
            found = {row.part: row for row in session.execute(union_all(*parts))}
        labels = {spec.key: spec.label for spec in queues}
        out_counts: list[QueueCount] = []
        arrivals: list[ArrivalMark] = []
        for spec in queues:
            row = found.get(f"count:{spec.key}")
            if row is not None:
                n = int(row.n)
                out_counts.append(QueueCount(spec.key, spec.label, min(n, cap), n > cap))
            row = found.get(f"arrival:{spec.key}")
            if row is not None:
                n = int(row.n)
                arrivals.append(
                    ArrivalMark(
                        spec.key, labels[spec.key], min(n, cap), n > cap, int(row.top), int(row.total)
                    )
                )
        return Pulse(out_counts, arrivals)

    def next_in_queue(self, actor: Actor, key: str | int, query: OrderQuery) -> str | None:
        """The number of the order after `key` in the list `query` (its queue, filters and sort),
        starting again from the top when `key` was the last; None when the list holds no other
        order. `key` need not be in the list any more (signed, say): its place in the sort is
        where the next one is looked for. NotFound when the reader may not read `key`."""
        query = query.validated()
        _, column, _ = SORTS[query.sort]
        with self.db.reading() as session:
            row = self.orders.visible_row_in(session, actor, key)
            current_id = row.id
            cursor = encode_cursor(query, getattr(row, column.key), row.id)
        after = self.worklists.page(actor, query, cursor=cursor, limit=1).items
        if after and after[0].id != current_id:
            return after[0].number
        first = [o for o in self.worklists.page(actor, query, limit=2).items if o.id != current_id]
        return first[0].number if first else None


def _counted(part: str, stmt: Any, cap: int) -> Any:
    """SELECT part, count, top id, sum of ids over at most cap + 1 orders of `stmt`."""
    capped = stmt.with_only_columns(WorkOrderRow.id, maintain_column_froms=True).limit(cap + 1).subquery()
    return select(
        literal(part).label("part"),
        func.count().label("n"),
        func.coalesce(func.max(capped.c.id), 0).label("top"),
        func.coalesce(func.sum(capped.c.id % _MARK_MODULUS), 0).label("total"),
    ).select_from(capped)


__all__ = ["ARRIVAL_QUEUES", "ArrivalMark", "LiveQueueService", "Pulse"]
