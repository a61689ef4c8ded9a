"""Lists of orders: the one query path of the API, the console's queues, exports and map, and the CLI.

Every list is a `domain.order_query.OrderQuery`, validated there, and every list runs the one
statement `WorklistService` builds from it: the orders the actor may read
(`repo.scope_clause`, the rule every read of an order follows) narrowed by the query's
filters, its queue's own clauses (待分拨 is what waits at the user's own unit, 待审核 what a
unit below replied, …) and its words (`_text_clause`: the full-text search over the words
intake stored for each order). GET /api/v1/orders and the workbench call the same `page`,
so that they find the same orders for the same words.

Pages are keyset-paginated on (sort key, id), so that page 10,000 costs what page 1 costs.
A page's cursor is opaque: it holds the last order's sort key and id with a check digest over
them and over the query, so that a cursor that was altered, or that belongs to another
list, is refused (ValidationFailed) instead of reaching the database. The digest is a
checksum, not a secret: a cursor only says where a page starts, and every page is scoped to
its reader whatever it says.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, false, func, literal, literal_column, not_, or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.access import CONFIDENTIAL_CONTACT_READERS, CONTACT_READERS, Actor, Role, text_for
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.order_query import QUEUE_BY_KEY, QUEUES, SORT_LABELS, OrderQuery, QueueSpec
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OrderStatus
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.normalize import normalize_phone
from zhiyun.orders import repo
from zhiyun.orders.list_indexes import SEARCH_DOCUMENT, SEARCH_INDEXED
from zhiyun.orders.views import OrderSummary, summary_of
from zhiyun.reference.cache import ReferenceCache, ReferenceSnapshot
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow, WorkOrderUnitRow

COUNT_CAP = 1_000
MAX_LIMIT = 500

# sort key → (label, column, descending)
SORTS: dict[str, tuple[str, Any, bool]] = {
    "newest": (SORT_LABELS["newest"], WorkOrderRow.registered_at, True),
    "oldest": (SORT_LABELS["oldest"], WorkOrderRow.registered_at, False),
    "deadline": (SORT_LABELS["deadline"], WorkOrderRow.reply_due_at, False),
    "updated": (SORT_LABELS["updated"], WorkOrderRow.updated_at, True),
}

# the statuses in which a sign-for or a reply deadline is live (runs)
SIGN_LIVE_STATUSES = (OrderStatus.DISPATCHED.value,)
REPLY_LIVE_STATUSES = (
    OrderStatus.PENDING_DISPATCH.value,
    OrderStatus.DISPATCHED.value,
    OrderStatus.IN_PROGRESS.value,
)


# -- the cursor ---------------------------------------------------------------------------------

_CURSOR_CHECK = b"zhiyun order list cursor 1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    """The bytes `_b64` wrote as `text`; ValueError for anything else (padding, spaces, other letters)."""
    raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if _b64(raw) != text:
        raise ValueError("not as written")
    return raw


def _query_key(query: OrderQuery) -> bytes:
    """The validated query, canonically: a cursor is valid for this list only."""

    def plain(value: Any) -> Any:
        return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value

    values = {f.name: plain(getattr(query, f.name)) for f in fields(query)}
    return json.dumps(values, sort_keys=True, ensure_ascii=False).encode()


def _check(query: OrderQuery, payload: bytes) -> bytes:
    return hashlib.sha256(b"\0".join((_CURSOR_CHECK, _query_key(query), payload))).digest()[:12]


def encode_cursor(query: OrderQuery, value: datetime | None, order_id: int) -> str:
    """Where the page after the order (`value` of the sort key, `order_id`) of `query` starts."""
    payload = json.dumps([query.sort, value.isoformat() if value else None, order_id]).encode()
    return f"{_b64(payload)}.{_b64(_check(query, payload))}"


def _decode_cursor(query: OrderQuery, cursor: str) -> tuple[datetime | None, int]:
    """The (sort key, id) a cursor of `query` holds; ValidationFailed for a cursor this service
    did not write for this list (altered, cut, or another list's), before any query runs."""
    try:
        body, dot, check = cursor.partition(".")
        payload = _unb64(body)
        if not dot or not hmac.compare_digest(_unb64(check), _check(query, payload)):
            raise ValueError("altered, or another list's cursor")
        key, value, order_id = json.loads(payload)
        if key != query.sort or not (value is None or isinstance(value, str)):
            raise ValueError("another sort")
        if (
            isinstance(order_id, bool)
            or not isinstance(order_id, int)
            or not 0 <= order_id <= repo.MAX_ORDER_ID
        ):
            raise ValueError("out of range")
        instant = datetime.fromisoformat(value) if value else None
        if instant is not None and (instant.tzinfo is None or not 1900 <= instant.year <= 2199):
            raise ValueError("out of range")
        return instant, order_id
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error) as exc:
        raise ValidationFailed("分页游标无效", field="cursor") from exc


# -- the statement ------------------------------------------------------------------------------


def deadline_clause(level: str, now: datetime) -> Any:
    """Orders whose one deadline state (`domain.workorder.order_deadline`) is `level`
    ("warning" or "overdue") at `now`: overdue when a running sign-for or reply deadline is
    past (strictly: a step at the due instant is on time), in warning when one is in its
    warning time and none is overdue. tests/integration/test_deadline_queues.py holds the two
    to the same answer."""
    sign_live = WorkOrderRow.status.in_(SIGN_LIVE_STATUSES)
    reply_live = WorkOrderRow.status.in_(REPLY_LIVE_STATUSES)
    overdue = or_(
        and_(sign_live, WorkOrderRow.sign_due_at.is_not(None), WorkOrderRow.sign_due_at < now),
        and_(reply_live, WorkOrderRow.reply_due_at.is_not(None), WorkOrderRow.reply_due_at < now),
    )
    if level == "overdue":
        return overdue
    if level != "warning":
        raise ValueError(level)
    warning = or_(
        and_(sign_live, WorkOrderRow.sign_warn_at <= now, WorkOrderRow.sign_due_at >= now),
        and_(reply_live, WorkOrderRow.reply_warn_at <= now, WorkOrderRow.reply_due_at >= now),
    )
    return and_(warning, not_(overdue))


def _filter_clauses(query: OrderQuery, spec: QueueSpec, now: datetime) -> list[Any]:
    """The query's filters and its queue's statuses and flags, as WHERE clauses (all must hold)."""
    clauses: list[Any] = []
    statuses = query.statuses
    if spec.statuses:
        statuses = tuple(s for s in statuses if s in spec.statuses) if statuses else spec.statuses
        if not statuses:  # only statuses the queue does not hold were asked for
            return [false()]
    if statuses:
        clauses.append(WorkOrderRow.status.in_(list(statuses)))
    if query.channel:
        clauses.append(WorkOrderRow.channel == query.channel)
    if query.order_type:
        clauses.append(WorkOrderRow.order_type == query.order_type)
    if query.urgency:
        clauses.append(WorkOrderRow.urgency == query.urgency)
    if query.category_code:
        clauses.append(WorkOrderRow.category_code.startswith(query.category_code, autoescape=True))
    if query.current_unit_id is not None:
        clauses.append(WorkOrderRow.current_unit_id == query.current_unit_id)
    if query.unit_id is not None:
        clauses.append(
            exists().where(
                WorkOrderUnitRow.order_id == WorkOrderRow.id, WorkOrderUnitRow.unit_id == query.unit_id
            )
        )
    for supervised in {f for f in (query.supervised, spec.supervised) if f is not None}:
        clauses.append(WorkOrderRow.supervised.is_(supervised))
    for instructed in {f for f in (query.has_instruction, spec.has_instruction) if f is not None}:
        clauses.append(WorkOrderRow.has_instruction.is_(instructed))
    for level in sorted({a for a in (query.deadline_alert, spec.deadline_alert) if a}):
        clauses.append(deadline_clause(level, now))
    if query.registered_from is not None:
        clauses.append(WorkOrderRow.registered_at >= query.registered_from)
    if query.registered_to is not None:
        clauses.append(WorkOrderRow.registered_at < query.registered_to)
    if spec.possible_duplicate:
        clauses.append(WorkOrderRow.possible_duplicate.is_(True))
    return clauses


def _queue_clauses(spec: QueueSpec, actor: Actor, org: OrgTree) -> list[Any]:
    """Where a queue's orders are for this actor: at their own unit, below it, in their subtree."""
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
    return clauses


def _text_clause(dialect: str, text: str, words: list[str]) -> Any:
    """The orders that have every one of `words` (the searched text segmented as intake
    segments an order), in any order and anywhere in title or content, or whose number is `text`.

    The words are matched whole against the words intake stored for each order
    (`search_text`): on PostgreSQL by the full-text index (to_tsvector('simple') over them),
    on SQLite by looking for each among the stored words. Orders without stored words
    (imported history not yet backfilled) are matched on their title,
    which must contain every word.
    """
    words = words or [text.lower()]
    stored: Any
    if dialect == "postgresql":
        # each word a quoted lexeme; a word of nothing but backslashes would leave '' (a
        # syntax error in tsquery), so such words are dropped, and with no word left the
        # full-text part matches nothing
        quoted = [w.replace("'", "''").replace("\\", "") for w in words]
        tsquery = " & ".join(f"'{w}'" for w in quoted if w)
        stored = (
            SEARCH_DOCUMENT.op("@@")(func.to_tsquery(literal_column("'simple'"), tsquery))
            if tsquery
            else false()
        )
    else:
        padded = literal(" ") + WorkOrderRow.search_text + literal(" ")
        stored = and_(*(padded.contains(f" {w} ", autoescape=True) for w in words))
    title = func.lower(WorkOrderRow.title)
    return or_(
        and_(SEARCH_INDEXED, stored),
        WorkOrderRow.number == text,
        and_(WorkOrderRow.search_text.is_(None), *(title.contains(w, autoescape=True) for w in words)),
    )


def _phone_clause(actor: Actor, text: str) -> Any:
    """The orders of the caller whose number `text` is (any way it is written), for a reader
    who sees that order's number unmasked: not for those who see phones masked (leaders, grid
    workers), and confidential orders only for those who see confidential contacts — a search
    must not confirm a number the page would hide. None when `text` is no phone number."""
    try:
        phone = normalize_phone(text, field="text")
    except ValidationFailed:
        return None
    if phone is None or actor.role not in CONTACT_READERS:
        return None
    clause = WorkOrderRow.citizen_phone == phone
    if actor.role not in CONFIDENTIAL_CONTACT_READERS:
        clause = and_(clause, WorkOrderRow.confidential.is_(False))
    return clause


def _ordered(stmt: Any, sort: str, after: tuple[datetime | None, int] | None) -> Any:
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


def _count(session: Session, stmt: Any, cap: int | None = None) -> int:
    """How many orders `stmt` selects; at most `cap` + 1 are counted when given."""
    if cap is None:
        # keep `work_order` in FROM: the scope's EXISTS must correlate to it, not count on its own
        counted = stmt.with_only_columns(func.count(), maintain_column_froms=True)
        return int(session.execute(counted).scalar_one())
    capped = stmt.with_only_columns(WorkOrderRow.id, maintain_column_froms=True).limit(cap + 1)
    return int(session.execute(select(func.count()).select_from(capped.subquery())).scalar_one())


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


class WorklistService:
    """Lists of orders, as the actor may see them: pages, counts, queues, exports, map points."""

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

    def _words(self, text: str) -> list[str]:
        if self._segment is None:
            from zhiyun.kernel.text import default_segmenter

            self._segment = default_segmenter().search_words
        return [w for w in self._segment(text) if w.strip()]

    def statement(
        self, session: Session, actor: Actor, query: OrderQuery, snap: ReferenceSnapshot, now: datetime
    ) -> Any:
        """The one statement of every list: the orders `actor` may read that `query` (validated) selects."""
        spec = QUEUE_BY_KEY[query.queue]
        stmt = select(WorkOrderRow)
        scope = repo.scope_clause(actor, snap.org)
        if scope is not None:
            stmt = stmt.where(scope)
        stmt = stmt.where(*_filter_clauses(query, spec, now), *_queue_clauses(spec, actor, snap.org))
        if query.text:
            dialect = session.get_bind().dialect.name
            text = _text_clause(dialect, query.text, self._words(query.text))
            by_phone = _phone_clause(actor, query.text)
            stmt = stmt.where(text if by_phone is None else or_(text, by_phone))
        return stmt

    # -- use cases ------------------------------------------------------------------------------

    def page(
        self, actor: Actor, query: OrderQuery, *, cursor: str | None = None, limit: int = 50
    ) -> ListPage:
        """One page of the list `query` describes, as `actor` may see it; `cursor` (the previous
        page's `next_cursor`) continues it. The API's order list and the workbench are this."""
        query = query.validated()
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(f"每页条数须在 1–{MAX_LIMIT} 之间", field="limit")
        after = _decode_cursor(query, cursor) if cursor else None
        now = self.clock()
        with self.db.reading() as session:
            snap = self.reference.get(session)
            stmt = _ordered(self.statement(session, actor, query, snap, now), query.sort, after)
            rows = list(session.scalars(stmt.limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            items = [
                summary_of(r, repo.state_of(r), snap.org, snap.calendar, now, viewer=actor) for r in rows
            ]
            next_cursor = None
            if more and rows:
                column = SORTS[query.sort][1]
                next_cursor = encode_cursor(query, getattr(rows[-1], column.key), rows[-1].id)
            return ListPage(items, next_cursor)

    def count(self, actor: Actor, query: OrderQuery) -> int:
        """How many orders the list `query` describes holds for `actor` (every one counted)."""
        query = query.validated()
        with self.db.reading() as session:
            snap = self.reference.get(session)
            return _count(session, self.statement(session, actor, query, snap, self.clock()))

    def queues(self, actor: Actor) -> list[QueueSpec]:
        return [q for q in QUEUES if actor.role in q.roles]

    def counts(
        self, actor: Actor, query: OrderQuery | None = None, *, cap: int = COUNT_CAP
    ) -> list[QueueCount]:
        """Each of the actor's queues with how many orders it holds (under the other filters).

        A count stops at `cap` (+1): a queue of a thousand orders or more reads "1000+" and
        costs what counting a thousand costs, however many there are.
        """
        base = (query or OrderQuery()).validated()
        now = self.clock()
        out: list[QueueCount] = []
        with self.db.reading() as session:
            snap = self.reference.get(session)
            for spec in self.queues(actor):
                each = replace(base, queue=spec.key, statuses=())
                n = _count(session, self.statement(session, actor, each, snap, now), cap)
                out.append(QueueCount(spec.key, spec.label, min(n, cap), n > cap))
        return out

    def export_rows(self, actor: Actor, query: OrderQuery, *, batch: int = 1000) -> Iterator[ExportRow]:
        """Every order of the list, read in keyset batches (one short transaction each)."""
        from zhiyun.domain.access import can_see_contact, mask_name, mask_phone

        query = query.validated()
        after: tuple[datetime | None, int] | None = None
        column = SORTS[query.sort][1]
        while True:
            now = self.clock()
            with self.db.reading() as session:
                snap = self.reference.get(session)
                stmt = _ordered(self.statement(session, actor, query, snap, now), query.sort, after)
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

    def map_points(
        self, actor: Actor, query: OrderQuery, *, limit: int = 5000
    ) -> tuple[list[MapPoint], bool]:
        """Located orders of the list (newest first, at most `limit`); True when there were more."""
        query = query.validated()
        now = self.clock()
        with self.db.reading() as session:
            snap = self.reference.get(session)
            stmt = self.statement(session, actor, query, snap, now).where(
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

    def explain(self, actor: Actor, query: OrderQuery, *, cursor: str | None = None, limit: int = 50) -> str:
        """The database's plan for one page of the list (to check that it uses indexes)."""
        query = query.validated()
        after = _decode_cursor(query, cursor) if cursor else None
        with self.db.reading() as session:
            snap = self.reference.get(session)
            stmt = _ordered(self.statement(session, actor, query, snap, self.clock()), query.sort, after)
            compiled = stmt.limit(limit).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            prefix = "EXPLAIN QUERY PLAN " if session.get_bind().dialect.name == "sqlite" else "EXPLAIN "
            from sqlalchemy import text

            return "\n".join(str(r[-1]) for r in session.execute(text(prefix + str(compiled))))
