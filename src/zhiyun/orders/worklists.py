"""The console's lists of orders: queues per role with counts, filters, sorts, keyset pages, exports.

Every list is limited by the same scope as WorkOrderService.list (store.orders.scope_clause
for the actor) and narrowed by store.orders.filtered_query; a queue adds its own clause
(待分拨 is what waits at the user's own unit, 待审核 what a unit below replied, …). Pages
are keyset-paginated on (sort key, id) so that page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, false, func, literal_column, or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, Role, text_for
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.order_query import OrderFilter
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo
from zhiyun.orders.list_indexes import SEARCH_DOCUMENT, SEARCH_INDEXED
from zhiyun.orders.views import OrderSummary, summary_of
from zhiyun.reference.cache import ReferenceCache, ReferenceSnapshot
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

COUNT_CAP = 1_000
OPEN = sorted(s.value for s in OPEN_STATUSES)
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class QueueSpec:
    """One queue of the workbench: who has it, and what it holds for them."""

    key: str
    label: str
    roles: frozenset[Role]
    statuses: tuple[str, ...] = ()
    at_own_unit: bool = False  # only what waits at the user's own unit (dispatchers, handlers)
    below_own_unit: bool = False  # only what sits at a unit below the user's (a center reviewing)
    deadline_alert: str | None = None
    supervised: bool | None = None
    has_instruction: bool | None = None
    possible_duplicate: bool = False


_CENTERS = frozenset({Role.DISPATCHER, Role.AGENT, Role.ADMIN})  # agents: the calls they parked (暂存)
_HOLDERS = frozenset({Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER, Role.ADMIN})
_OVERSEERS = frozenset({Role.DISPATCHER, Role.LEADER, Role.INSPECTOR, Role.ADMIN, Role.HANDLER})

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("to_dispatch", "待分拨", _CENTERS, (OrderStatus.PENDING_DISPATCH.value,), at_own_unit=True),
    QueueSpec("to_sign", "待签收", _HOLDERS, (OrderStatus.DISPATCHED.value,), at_own_unit=True),
    QueueSpec("in_progress", "办理中", EVERYONE, (OrderStatus.IN_PROGRESS.value,)),
    QueueSpec("warning", "即将超时", EVERYONE, deadline_alert="warning"),
    QueueSpec("overdue", "已超时", EVERYONE, deadline_alert="overdue"),
    QueueSpec(
        "to_review",
        "待审核",
        frozenset({Role.DISPATCHER, Role.ADMIN, Role.LEADER, Role.INSPECTOR}),
        (OrderStatus.REPLIED.value,),
        below_own_unit=True,
    ),
    QueueSpec(
        "to_callback",
        "待回访",
        frozenset({Role.DISPATCHER, Role.INSPECTOR, Role.ADMIN, Role.LEADER}),
        (OrderStatus.AWAITING_CALLBACK.value,),
    ),
    QueueSpec("supervised", "督办件", _OVERSEERS, tuple(OPEN), supervised=True),
    QueueSpec("instructed", "批示件", _OVERSEERS, tuple(OPEN), has_instruction=True),
    QueueSpec(
        "duplicates",
        "疑似重复",
        frozenset({Role.DISPATCHER, Role.INSPECTOR, Role.ADMIN}),
        tuple(OPEN),
        possible_duplicate=True,
    ),
    QueueSpec("all", "全部工单", EVERYONE),
)
QUEUE_BY_KEY = {q.key: q for q in QUEUES}

# sort key → (label, column, descending)
SORTS: dict[str, tuple[str, Any, bool]] = {
    "newest": ("最新受理", WorkOrderRow.registered_at, True),
    "oldest": ("最早受理", WorkOrderRow.registered_at, False),
    "deadline": ("办理期限最近", WorkOrderRow.reply_due_at, False),
    "updated": ("最近更新", WorkOrderRow.updated_at, True),
}


@dataclass(frozen=True)
class ListQuery:
    """What the user narrowed a list to (every field optional)."""

    queue: str = "all"
    channel: str | None = None
    category_code: str | None = None
    order_type: str | None = None
    urgency: str | None = None
    status: str | None = None
    unit_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    sort: str = "newest"

    def validated(self) -> ListQuery:
        errors: dict[str, str] = {}
        if self.queue not in QUEUE_BY_KEY:
            errors["queue"] = "未知的队列"
        if self.sort not in SORTS:
            errors["sort"] = "未知的排序方式"
        if self.status and self.status not in {s.value for s in OrderStatus}:
            errors["status"] = "未知的状态"
        if self.date_from and self.date_to and self.date_from > self.date_to:
            errors["date_to"] = "结束日期不能早于开始日期"
        if self.text and len(self.text) > 100:
            errors["text"] = "搜索内容不能超过100字"
        if errors:
            raise ValidationFailed("；".join(errors.values()), fields=errors)
        return self


@dataclass(frozen=True)
class QueueCount:
    key: str
    label: str
    count: int
    more: bool = False  # the count stopped at the cap: there are more


@dataclass(frozen=True)
class ListPage:
    """One page of a list; `next_cursor` is None on the last page."""

    items: list[OrderSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class ExportRow:
    """One order as an export line (contact masked as its reader must see it)."""

    summary: OrderSummary
    content: str
    address: str | None
    citizen_name: str | None
    citizen_phone: str | None
    closed_at: datetime | None
    satisfaction: str | None


@dataclass(frozen=True)
class MapPoint:
    id: int
    number: str
    title: str
    status: str
    status_label: str
    category_code: str | None
    latitude: float
    longitude: float


def _encode(sort: str, value: datetime | None, order_id: int) -> str:
    raw = json.dumps([sort, value.isoformat() if value else None, order_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str, sort: str) -> tuple[datetime | None, int]:
    try:
        key, value, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if key != sort:
            raise ValueError(key)
        instant = datetime.fromisoformat(value) if value else None
        order = int(order_id)
        if instant is not None and (instant.tzinfo is None or not 1900 <= instant.year <= 2199):
            raise ValueError("out of range")
        if not 0 <= order <= 2**63 - 1:
            raise ValueError("out of range")
        return instant, order
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ValidationFailed("分页游标无效", field="cursor") from exc


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


class WorklistService:
    """Queues, filtered lists, exports and map points of orders, as the actor may see them."""

    def __init__(
        self,
        db: Database,
        *,
        reference: ReferenceCache,
        clock: Clock = system_clock,
        segment: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.db = db
        self.reference = reference
        self.clock = clock
        self._segment = segment

    # -- building the statement ------------------------------------------------------------

    def _words(self, text: str) -> list[str]:
        if self._segment is None:
            from zhiyun.kernel.text import default_segmenter

            self._segment = default_segmenter().search_words
        return [w for w in self._segment(text) if w.strip()]

    def _text_clause(self, session: Session, text: str) -> Any:
        """Chinese full-text search: the segmented words on PostgreSQL (GIN index), a substring on SQLite.

        Orders without segmented text (registered by hand) are matched on their title.
        """
        text = text.strip()
        if session.get_bind().dialect.name == "postgresql":
            # each word a quoted lexeme; a word of nothing but backslashes would leave '' (a
            # syntax error in tsquery), so such words are dropped, and with no word left the
            # full-text part matches nothing
            quoted = [w.replace("'", "''").replace("\\", "") for w in self._words(text) or [text]]
            query = " & ".join(f"'{w}'" for w in quoted if w)
            full_text = (
                and_(
                    SEARCH_INDEXED,
                    SEARCH_DOCUMENT.op("@@")(func.to_tsquery(literal_column("'simple'"), query)),
                )
                if query
                else false()
            )
            return or_(
                full_text,
                WorkOrderRow.number == text,
                and_(WorkOrderRow.search_text.is_(None), WorkOrderRow.title.contains(text, autoescape=True)),
            )
        # substrings, with LIKE's wildcards (% _) and the escape character taken literally
        return or_(
            WorkOrderRow.search_text.contains(text, autoescape=True),
            WorkOrderRow.title.contains(text, autoescape=True),
            WorkOrderRow.content.contains(text, autoescape=True),
            WorkOrderRow.address.contains(text, autoescape=True),
            WorkOrderRow.number == text,
        )

    def _statement(
        self, session: Session, actor: Actor, query: ListQuery, snap: ReferenceSnapshot, now: datetime
    ) -> Any:
        spec = QUEUE_BY_KEY[query.queue]
        flt = OrderFilter(
            statuses=[query.status] if query.status else list(spec.statuses),
            channel=query.channel or None,
            order_type=query.order_type or None,
            urgency=query.urgency or None,
            category_code=query.category_code or None,
            unit_id=query.unit_id,
            supervised=spec.supervised,
            has_instruction=spec.has_instruction,
            deadline_alert=spec.deadline_alert,
            registered_from=_local_midnight(query.date_from) if query.date_from else None,
            registered_to=_local_midnight(query.date_to + timedelta(days=1)) if query.date_to else None,
            now=now,
        )
        if query.status and spec.statuses and query.status not in spec.statuses:
            flt = replace(flt, statuses=["__none__"])
        stmt = repo.filtered_query(flt, repo.scope_clause(actor, snap.org))
        stmt = stmt.where(*self._queue_clauses(spec, actor, snap.org))
        if query.text and query.text.strip():
            stmt = stmt.where(self._text_clause(session, query.text))
        return stmt

    @staticmethod
    def _queue_clauses(spec: QueueSpec, actor: Actor, org: OrgTree) -> list[Any]:
        clauses: list[Any] = []
        own = actor.unit_id
        if actor.role in (Role.HANDLER, Role.GRID_WORKER) and spec.key != "all":
            # a handler's queues are what their unit holds now, not every order it once touched
            clauses.append(WorkOrderRow.current_unit_id == (own if own is not None else -1))
        elif actor.role is Role.DISPATCHER and own is not None and spec.key != "all" and not spec.at_own_unit:
            # a center's queues are what its subtree holds now (which also lets the database
            # count them from the (status, current unit) index instead of the route table)
            clauses.append(WorkOrderRow.current_unit_id.in_(sorted(org.subtree_ids(own))))
        if spec.at_own_unit and actor.role is not Role.ADMIN:
            clauses.append(WorkOrderRow.current_unit_id == (own if own is not None else -1))
        if spec.below_own_unit and own is not None and actor.role is Role.DISPATCHER:
            clauses.append(WorkOrderRow.current_unit_id.in_(sorted(org.subtree_ids(own) - {own})))
        if spec.possible_duplicate:
            clauses.append(WorkOrderRow.possible_duplicate.is_(True))
        return clauses

    # -- use cases ------------------------------------------------------------------------------

    def queues(self, actor: Actor) -> list[QueueSpec]:
        return [q for q in QUEUES if actor.role in q.roles]

    def counts(
        self, actor: Actor, query: ListQuery | None = None, *, cap: int = COUNT_CAP
    ) -> list[QueueCount]:
        """Each of the actor's queues with how many orders it holds (under the other filters).

        A count stops at `cap` (+1): a queue of a thousand orders or more reads "1000+" and
        costs what counting a thousand costs, however many there are.
        """
        base = (query or ListQuery()).validated()
        now = self.clock()
        out: list[QueueCount] = []
        with self.db.reading() as session:
            snap = self.reference.get(session)
            for spec in self.queues(actor):
                stmt = self._statement(session, actor, replace(base, queue=spec.key, status=None), snap, now)
                capped = stmt.with_only_columns(WorkOrderRow.id, maintain_column_froms=True).limit(cap + 1)
                count = select(func.count()).select_from(capped.subquery())
                n = int(session.execute(count).scalar_one())
                out.append(QueueCount(spec.key, spec.label, min(n, cap), n > cap))
        return out

    def _ordered(self, stmt: Any, sort: str, after: tuple[datetime | None, int] | None) -> Any:
        _, column, desc = SORTS[sort]
        if after is not None:
            value, last_id = after
            if sort == "deadline":  # ascending, NULLs (no deadline yet) last
                if value is None:
                    stmt = stmt.where(and_(column.is_(None), WorkOrderRow.id > last_id))
                else:
                    stmt = stmt.where(
                        or_(
                            column > value,
                            and_(column == value, WorkOrderRow.id > last_id),
                            column.is_(None),
                        )
                    )
            elif desc:
                stmt = stmt.where(or_(column < value, and_(column == value, WorkOrderRow.id < last_id)))
            else:
                stmt = stmt.where(or_(column > value, and_(column == value, WorkOrderRow.id > last_id)))
        if sort == "deadline":
            return stmt.order_by(column.asc().nulls_last(), WorkOrderRow.id.asc())
        if desc:
            return stmt.order_by(column.desc(), WorkOrderRow.id.desc())
        return stmt.order_by(column.asc(), WorkOrderRow.id.asc())

    def page(self, actor: Actor, query: ListQuery, *, cursor: str | None = None, limit: int = 50) -> ListPage:
        query = query.validated()
        if not 1 <= limit <= 500:
            raise ValidationFailed("每页条数须在 1–500 之间", field="limit")
        after = _decode(cursor, query.sort) if cursor else None
        now = self.clock()
        with self.db.reading() as session:
            snap = self.reference.get(session)
            stmt = self._ordered(self._statement(session, actor, query, snap, now), query.sort, after)
            rows = list(session.scalars(stmt.limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            items = [
                summary_of(r, repo.state_of(r), snap.org, snap.calendar, now, viewer=actor) for r in rows
            ]
            next_cursor = None
            if more and rows:
                column = SORTS[query.sort][1]
                next_cursor = _encode(query.sort, getattr(rows[-1], column.key), rows[-1].id)
            return ListPage(items, next_cursor)

    def export_rows(self, actor: Actor, query: ListQuery, *, batch: int = 1000) -> Iterator[ExportRow]:
        """Every order of the list, read in keyset batches (one short transaction each)."""
        from zhiyun.domain.access import can_see_contact, mask_name, mask_phone

        query = query.validated()
        after: tuple[datetime | None, int] | None = None
        column = SORTS[query.sort][1]
        while True:
            now = self.clock()
            with self.db.reading() as session:
                snap = self.reference.get(session)
                stmt = self._ordered(self._statement(session, actor, query, snap, now), query.sort, after)
                rows = list(session.scalars(stmt.limit(batch)))
                out = []
                for r in rows:
                    see = can_see_contact(actor, r.confidential)
                    out.append(
                        ExportRow(
                            summary=summary_of(
                                r, repo.state_of(r), snap.org, snap.calendar, now, viewer=actor
                            ),
                            content=text_for(actor, r.confidential, r.content) or "",
                            address=text_for(actor, r.confidential, r.address),
                            citizen_name=r.citizen_name if see else mask_name(r.citizen_name),
                            citizen_phone=r.citizen_phone if see else mask_phone(r.citizen_phone),
                            closed_at=r.closed_at,
                            satisfaction=r.satisfaction,
                        )
                    )
                last = (getattr(rows[-1], column.key), rows[-1].id) if rows else None
            yield from out
            if len(rows) < batch or last is None:
                return
            after = last

    def map_points(self, actor: Actor, query: ListQuery, *, limit: int = 5000) -> tuple[list[MapPoint], bool]:
        """Located orders of the list (newest first, at most `limit`); True when there were more."""
        query = query.validated()
        now = self.clock()
        with self.db.reading() as session:
            snap = self.reference.get(session)
            stmt = self._statement(session, actor, query, snap, now).where(
                WorkOrderRow.latitude.is_not(None), WorkOrderRow.longitude.is_not(None)
            )
            stmt = stmt.with_only_columns(
                WorkOrderRow.id,
                WorkOrderRow.number,
                WorkOrderRow.title,
                WorkOrderRow.confidential,
                WorkOrderRow.status,
                WorkOrderRow.category_code,
                WorkOrderRow.latitude,
                WorkOrderRow.longitude,
                maintain_column_froms=True,
            )
            stmt = stmt.order_by(WorkOrderRow.registered_at.desc(), WorkOrderRow.id.desc()).limit(limit + 1)
            rows = session.execute(stmt).all()
            points = [
                MapPoint(
                    r.id,
                    r.number,
                    text_for(actor, r.confidential, r.title) or "",
                    r.status,
                    OrderStatus(r.status).label,
                    r.category_code,
                    float(r.latitude),
                    float(r.longitude),
                )
                for r in rows[:limit]
            ]
            return points, len(rows) > limit

    def explain(self, actor: Actor, query: ListQuery, *, cursor: str | None = None, limit: int = 50) -> str:
        """The database's plan for one page of the list (to check that it uses indexes)."""
        query = query.validated()
        after = _decode(cursor, query.sort) if cursor else None
        with self.db.reading() as session:
            snap = self.reference.get(session)
            stmt = self._ordered(
                self._statement(session, actor, query, snap, self.clock()), query.sort, after
            )
            compiled = stmt.limit(limit).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            prefix = "EXPLAIN QUERY PLAN " if session.get_bind().dialect.name == "sqlite" else "EXPLAIN "
            from sqlalchemy import text

            return "\n".join(str(r[-1]) for r in session.execute(text(prefix + str(compiled))))
