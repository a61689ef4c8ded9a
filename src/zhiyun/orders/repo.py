"""Work orders in the database: mapping rows to the domain state, the one write path of every
change, numbering, scoping, listing."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    exists,
    false,
    func,
    insert,
    inspect,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased, configure_mappers
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.instrumentation import manager_of_class

from zhiyun.domain.access import DISTRICT_WIDE_READERS, Actor, Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.deadlines import Deadline, LimitUnit
from zhiyun.domain.order_query import OrderFilter
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import (
    AlertLevel,
    CancelReason,
    OrderState,
    OrderStatus,
    OrderType,
    PendingRequest,
    RequestKind,
    Satisfaction,
    TransitionRecord,
    Urgency,
)
from zhiyun.reference.repo import REVISION_KEY
from zhiyun.store.base import UTCDateTime, stored_utc, table_of
from zhiyun.store.db import Database, driver_execute
from zhiyun.store.lifecycle import AuditedTable
from zhiyun.store.tables import (
    AttachmentRow,
    NoticeRow,
    OrderNumberCounterRow,
    SettingRow,
    TransitionRow,
    WorkOrderRow,
    WorkOrderUnitRow,
)

# --------------------------------------------------------------------------- mapping


def _deadline(
    due: datetime | None, warn: datetime | None, unit: str | None, budget: float | None, provisional: bool
) -> Deadline | None:
    if due is None or warn is None or unit is None:
        return None
    return Deadline(due, warn, LimitUnit(unit), budget or 0.0, provisional)


def _pending_from_json(data: dict[str, Any] | None) -> PendingRequest | None:
    if not data:
        return None
    new_due = data.get("new_due_at")
    return PendingRequest(
        kind=RequestKind(data["kind"]),
        reason=data["reason"],
        requested_at=datetime.fromisoformat(data["requested_at"]),
        requested_by_unit_id=int(data["requested_by_unit_id"]),
        new_due_at=datetime.fromisoformat(new_due) if new_due else None,
    )


def pending_to_json(pending: PendingRequest | None) -> dict[str, Any] | None:
    if pending is None:
        return None
    return {
        "kind": pending.kind.value,
        "reason": pending.reason,
        "requested_at": pending.requested_at.isoformat(),
        "requested_by_unit_id": pending.requested_by_unit_id,
        "new_due_at": pending.new_due_at.isoformat() if pending.new_due_at else None,
    }


def state_of(row: WorkOrderRow) -> OrderState:
    """The life-cycle state of a stored order."""
    return OrderState(
        status=OrderStatus(row.status),
        chain=tuple(int(u) for u in row.chain),
        order_type=OrderType(row.order_type),
        urgency=Urgency(row.urgency),
        registered_at=row.registered_at,
        sign_deadline=_deadline(
            row.sign_due_at,
            row.sign_warn_at,
            row.sign_limit_unit,
            row.sign_budget_seconds,
            row.sign_provisional,
        ),
        reply_deadline=_deadline(
            row.reply_due_at,
            row.reply_warn_at,
            row.reply_limit_unit,
            row.reply_budget_seconds,
            row.reply_provisional,
        ),
        pending=_pending_from_json(row.pending),
        first_dispatched_at=row.first_dispatched_at,
        signed_at=row.signed_at,
        replied_at=row.replied_at,
        suspended_at=row.suspended_at,
        closed_at=row.closed_at,
        extension_count=row.extension_count,
        reopen_count=row.reopen_count,
        rework_count=row.rework_count,
        return_count=row.return_count,
        callback_attempts=row.callback_attempts,
        urge_count=row.urge_count,
        satisfaction=Satisfaction(row.satisfaction) if row.satisfaction else None,
        cancel_reason=CancelReason(row.cancel_reason) if row.cancel_reason else None,
        master_id=row.master_id,
        supervised=row.supervised,
        has_instruction=row.has_instruction,
        result=row.result,
        category_code=row.category_code,
        possible_duplicate=bool(row.possible_duplicate),
        sign_alert=AlertLevel(row.sign_alert or ""),
        reply_alert=AlertLevel(row.reply_alert or ""),
    )


def state_values(state: OrderState) -> dict[str, Any]:
    """The columns of a stored order that hold its life-cycle state."""
    values: dict[str, Any] = {
        "status": state.status.value,
        "chain": list(state.chain),
        "current_unit_id": state.current_unit_id,
        "registered_unit_id": state.registering_unit_id,
        "responsible_unit_id": state.chain[1] if len(state.chain) > 1 else None,
        "order_type": state.order_type.value,
        "urgency": state.urgency.value,
        "registered_at": state.registered_at,
    }
    for prefix, deadline in (("sign", state.sign_deadline), ("reply", state.reply_deadline)):
        values[f"{prefix}_due_at"] = deadline.due_at if deadline else None
        values[f"{prefix}_warn_at"] = deadline.warn_at if deadline else None
        values[f"{prefix}_limit_unit"] = deadline.unit.value if deadline else None
        values[f"{prefix}_budget_seconds"] = deadline.budget_seconds if deadline else None
        values[f"{prefix}_provisional"] = deadline.provisional if deadline else False
    values.update(
        pending=pending_to_json(state.pending),
        first_dispatched_at=state.first_dispatched_at,
        signed_at=state.signed_at,
        replied_at=state.replied_at,
        suspended_at=state.suspended_at,
        closed_at=state.closed_at,
        extension_count=state.extension_count,
        reopen_count=state.reopen_count,
        rework_count=state.rework_count,
        return_count=state.return_count,
        callback_attempts=state.callback_attempts,
        urge_count=state.urge_count,
        satisfaction=state.satisfaction.value if state.satisfaction else None,
        cancel_reason=state.cancel_reason.value if state.cancel_reason else None,
        master_id=state.master_id,
        supervised=state.supervised,
        has_instruction=state.has_instruction,
        result=state.result,
        category_code=state.category_code,
        possible_duplicate=state.possible_duplicate,
        sign_alert=state.sign_alert.value,
        reply_alert=state.reply_alert.value,
    )
    return values


_ORDER_TABLE = table_of(WorkOrderRow)
_ORDER_NAMES = tuple(c.name for c in _ORDER_TABLE.c)
_UTC_COLUMNS = frozenset(c.name for c in _ORDER_TABLE.c if isinstance(c.type, UTCDateTime))


@functools.cache
def _new_order_row() -> Any:
    """The ORM's constructor of bare WorkOrderRow instances (mappers configured first)."""
    configure_mappers()
    return manager_of_class(WorkOrderRow).new_instance


def order_row(values: dict[str, Any]) -> WorkOrderRow:
    """A transient WorkOrderRow holding `values` as they stand (no ORM bookkeeping: a
    read-only picture of a stored order, or of one about to be stored by `insert_order`).

    The use cases read orders through rows; building one this way costs a microsecond where
    the ORM's constructor or its loading costs tens (it records the history of each value).
    """
    row: WorkOrderRow = _new_order_row()()
    row.__dict__.update(values)
    return row


# Every change of an order: the order's columns and version, one audit row, the units it joins.
ORDER_STEPS = AuditedTable(
    _ORDER_TABLE,
    table_of(TransitionRow),
    audit_key="order_id",
    links=(table_of(WorkOrderUnitRow), "order_id", "unit_id"),
)


def write_change(
    session: Session,
    row: WorkOrderRow,
    state: OrderState,
    record: TransitionRecord,
    actor: Actor,
    at: datetime,
    *,
    new_units: Iterable[int] = (),
) -> int | None:
    """Store one change of the order `row` (as it was read): its new life-cycle `state`, its
    version + 1 and its one audit row `record`, and the units it joins (`new_units`), if
    nobody changed the order since it was read (`row.version`). Every change of an order,
    a command's or a system event's, is stored here.

    Only the columns that changed are written; on PostgreSQL in one statement (see
    `store.lifecycle`). `row` is brought up to date. The audit row's id; None, and nothing
    written, when another transaction changed the order first.
    """
    changed = {k: v for k, v in state_values(state).items() if getattr(row, k) != v}
    changed["updated_at"] = at
    audit_id = ORDER_STEPS.step(
        session, row.id, row.version, changed, _audit_values(record, actor, at), new_units
    )
    if audit_id is None:
        return None
    changed["version"] = row.version + 1
    for key, value in changed.items():
        set_committed_value(row, key, value)
    return audit_id


def refresh_order(session: Session, row: WorkOrderRow, *, lock: bool = False) -> bool:
    """Bring `row` up to the order as stored now (after another transaction changed it and
    committed), holding it until the transaction ends if `lock`; False when the order is gone."""
    loaded = load_order(session, row.id, lock=lock)
    if loaded is None:
        return False
    fresh = loaded.row
    if fresh is not row:
        for name in _ORDER_NAMES:
            set_committed_value(row, name, getattr(fresh, name))
    return True


def _audit_values(record: TransitionRecord, actor: Actor, at: datetime) -> dict[str, Any]:
    return {
        "action": record.action,
        "from_status": record.from_status.value if record.from_status else None,
        "to_status": record.to_status.value,
        "from_unit_id": record.from_unit_id,
        "to_unit_id": record.to_unit_id,
        "actor_user_id": actor.user_id,
        "actor_name": actor.name or actor.role.label,
        "actor_role": actor.role.value,
        "actor_unit_id": actor.unit_id,
        "note": record.note,
        "details": dict(record.details),
        "created_at": at,
    }


def _transition_values(order_id: int, record: TransitionRecord, actor: Actor, at: datetime) -> dict[str, Any]:
    return {"order_id": order_id, **_audit_values(record, actor, at)}


def audit_row_values(order_id: int, record: TransitionRecord, actor: Actor, at: datetime) -> dict[str, Any]:
    """The columns of the audit row `record` makes (for writers that store many at once)."""
    return _transition_values(order_id, record, actor, at)


# Statements on the path of every transition are built once: building a statement costs
# more than running it. They run on the session's connection, past the ORM.
_INSERT_TRANSITION = insert(table_of(TransitionRow))
_NEXT_NUMBER = {
    dialect: upsert(table_of(OrderNumberCounterRow))
    .values(day=bindparam("day"), last=1)
    .on_conflict_do_update(
        index_elements=[OrderNumberCounterRow.day], set_={"last": OrderNumberCounterRow.last + 1}
    )
    .returning(OrderNumberCounterRow.last)
    for dialect, upsert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
# The same upsert as SQL text, for `Database.run_counter`.
_PG_NEXT_NUMBER = (
    "INSERT INTO order_number_counter AS c (day, last) VALUES (%(day)s, 1) "
    "ON CONFLICT (day) DO UPDATE SET last = c.last + 1 RETURNING c.last"
)
_RECORD_INVOLVEMENT = {
    "postgresql": pg_insert(table_of(WorkOrderUnitRow)).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(table_of(WorkOrderUnitRow)).on_conflict_do_nothing(),
}
_INSERT_ORDER = insert(table_of(WorkOrderRow)).returning(table_of(WorkOrderRow).c.id)
_ORDER_COLUMNS = frozenset(table_of(WorkOrderRow).c.keys())


def insert_order(session: Session, row: WorkOrderRow) -> None:
    """Store a new order given as a transient row (one INSERT … RETURNING, past the unit of work).

    Every column the row should get must be set on it (version included); `row.id` is
    filled in and the row stays transient: a read-only picture of what was stored.
    """
    values = {k: v for k, v in inspect(row).dict.items() if k in _ORDER_COLUMNS}
    row.id = session.connection().execute(_INSERT_ORDER, values).scalar_one()


_TR = table_of(TransitionRow).c
_TRANSITION_FIELDS = tuple(c.name for c in _TR if c.name not in ("id", "order_id"))


@dataclass(frozen=True)
class CompanionRow:
    """A row of another table that belongs to a new order, stored with it (`insert_registered`).

    `values` are its columns but `order_id`, which becomes the new order's id.
    """

    table: Table
    values: dict[str, Any]

    def __post_init__(self) -> None:
        settable = set(self.table.c.keys()) - {"order_id"}  # the order's id is given by the insert
        unknown = set(self.values) - settable
        if unknown:
            raise ValueError(f"not columns a companion of {self.table.name} may set: {sorted(unknown)}")


@functools.cache
def _pg_register(columns: tuple[str, ...], companions: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> str:
    """The order, its units, its first audit row and its companion rows in one statement
    (data-modifying CTEs).

    The order's values, the audit row's and each companion's come as one JSON object each
    (json_populate_record gives them the tables' column types), so that the statement has a
    few parameters however many columns are set: psycopg converts and caches a statement's
    text only up to 50. Built once per set of columns (registrations set the same ones).
    """
    order_columns = ", ".join(columns)
    audit_columns = ", ".join(_TRANSITION_FIELDS)
    more = "".join(
        f"c{i} AS (INSERT INTO {table} (order_id, {', '.join(cols)}) "
        f"SELECT o.id, {', '.join(cols)} FROM o, json_populate_record(NULL::{table}, %(c{i})s::json)), "
        for i, (table, cols) in enumerate(companions)
    )
    return (
        f"WITH o AS (INSERT INTO work_order ({order_columns}) "
        f"SELECT {order_columns} FROM json_populate_record(NULL::work_order, %(order)s::json) "
        "RETURNING id), "
        "u AS (INSERT INTO work_order_unit (order_id, unit_id) "
        "SELECT o.id, unit FROM o, unnest(%(units)s::integer[]) AS unit ON CONFLICT DO NOTHING), "
        f"{more}"
        f"t AS (INSERT INTO transition (order_id, {audit_columns}) "
        f"SELECT o.id, {audit_columns} FROM o, json_populate_record(NULL::transition, %(audit)s::json)) "
        "SELECT id FROM o"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return stored_utc(value).isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _row_json(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, default=_json_default)


def insert_registered(
    session: Session,
    row: WorkOrderRow,
    unit_ids: Iterable[int],
    record: TransitionRecord,
    actor: Actor,
    at: datetime,
    companions: Sequence[CompanionRow] = (),
) -> None:
    """Store a new order (a transient row, as `insert_order`), its units, its first audit row
    and the rows of other tables that come with it (`companions`: intake's payload record…).

    On PostgreSQL one statement (one round trip, where there were four or more on the path of
    every channel message); on SQLite, which has no data-modifying CTEs, one insert each.
    """
    if session.get_bind().dialect.name != "postgresql":
        insert_order(session, row)
        record_involvement(session, row.id, unit_ids)
        _insert_transition(session, row.id, record, actor, at)
        for companion in companions:
            session.connection().execute(insert(companion.table), {**companion.values, "order_id": row.id})
        return
    values = {k: v for k, v in inspect(row).dict.items() if k in _ORDER_COLUMNS}
    audit = _transition_values(0, record, actor, at)
    params = {
        "order": _row_json(values),
        "units": sorted(set(unit_ids)),
        "audit": _row_json({f: audit[f] for f in _TRANSITION_FIELDS}),
    }
    shapes = []
    for i, companion in enumerate(companions):
        columns = tuple(sorted(companion.values))
        shapes.append((companion.table.name, columns))
        params[f"c{i}"] = _row_json(companion.values)
    cursor = driver_execute(session, _pg_register(tuple(sorted(values)), tuple(shapes)), params)
    row.id = cursor.fetchone()[0]


def _insert_transition(
    session: Session, order_id: int, record: TransitionRecord, actor: Actor, at: datetime
) -> None:
    """The first audit row of a new order (SQLite; no ORM object, no id back)."""
    session.connection().execute(_INSERT_TRANSITION, _transition_values(order_id, record, actor, at))


# --------------------------------------------------------------------------- numbering


def _number_day(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y%m%d")


def next_order_number(session: Session, prefix: str, at: datetime) -> str:
    """NH + local date + a per-day sequence of at least four digits: NH202611260001.

    Taken in the caller's transaction: the day's counter stays locked until it commits.
    Registrations use `reserve_order_number`, which holds the lock only for the upsert.
    """
    day = _number_day(at)
    stmt = _NEXT_NUMBER[session.get_bind().dialect.name]
    seq = session.connection().execute(stmt, {"day": day}).scalar_one()
    return f"{prefix}{day}{seq:04d}"


def reserve_order_number(db: Database, session: Session, prefix: str, at: datetime) -> str:
    """The next order number of `at`'s day, for a registration in `session`'s transaction.

    On PostgreSQL the day's counter is advanced in a transaction of its own, committed at
    once: every registration of the day takes that one counter row, and inside the caller's
    transaction its lock would be held until the caller commits, so that concurrent
    registrations (intake from every channel at once) would queue behind each other's whole
    transactions. The price is a gap in the day's numbers when the registration then rolls
    back, as with any database sequence. SQLite has a single writer, whose transaction
    already holds the write lock: there the counter is taken in the caller's transaction.
    """
    if db.dialect != "postgresql":
        return next_order_number(session, prefix, at)
    day = _number_day(at)
    seq = db.run_counter(_PG_NEXT_NUMBER, {"day": day})
    return f"{prefix}{day}{seq:04d}"


def record_involvement(session: Session, order_id: int, unit_ids: Iterable[int]) -> None:
    """Remember that the order has been at these units (for scoping); repeats are ignored."""
    ids = sorted(set(unit_ids))
    if not ids:
        return
    session.connection().execute(
        _RECORD_INVOLVEMENT[session.get_bind().dialect.name],
        [{"order_id": order_id, "unit_id": u} for u in ids],
    )


# --------------------------------------------------------------------------- scoping


def scope_clause(actor: Actor, org: OrgTree) -> Any:
    """A WHERE clause limiting work orders to those `actor` may read (None: all)."""
    if actor.role in DISTRICT_WIDE_READERS:
        return None
    if actor.unit_id is None:
        return WorkOrderRow.id.is_(None)
    units = org.subtree_ids(actor.unit_id) if actor.role is Role.DISPATCHER else {actor.unit_id}
    involved = exists().where(
        and_(WorkOrderUnitRow.order_id == WorkOrderRow.id, WorkOrderUnitRow.unit_id.in_(sorted(units)))
    )
    return involved


MAX_ORDER_ID = 2**63 - 1  # ids are BIGINT: a larger number names no order


def _key_clause(key: str | int) -> Any:
    """An order by id (digits) or by number; a key no order can have matches nothing."""
    if isinstance(key, int) or (isinstance(key, str) and key.isascii() and key.isdigit()):
        order_id = int(key)
        if not 1 <= order_id <= MAX_ORDER_ID:
            return false()
        return WorkOrderRow.id == order_id
    return WorkOrderRow.number == key


_BY_EXTERNAL_ID = select(WorkOrderRow).where(
    WorkOrderRow.channel == bindparam("channel"), WorkOrderRow.external_id == bindparam("external_id")
)


def find_by_external_id(session: Session, channel: str, external_id: str) -> WorkOrderRow | None:
    """The order a channel sent under `external_id`, if any."""
    return session.scalars(_BY_EXTERNAL_ID, {"channel": channel, "external_id": external_id}).one_or_none()


_SETTING, _ORDER = table_of(SettingRow).c, table_of(WorkOrderRow).c
_INTAKE_LOOKUP = select(
    select(_SETTING.value).where(_SETTING.key == REVISION_KEY).scalar_subquery(),
    select(_ORDER.id)
    .where(_ORDER.channel == bindparam("channel"), _ORDER.external_id == bindparam("external_id"))
    .scalar_subquery(),
)

_PG_INTAKE_LOOKUP = (
    "SELECT (SELECT value FROM setting WHERE key = %s), "
    "(SELECT id FROM work_order WHERE channel = %s AND external_id = %s)"
)


def revision_and_external_order(
    session: Session, channel: str, external_id: str
) -> tuple[dict[str, int], int | None]:
    """The reference revision stamp and the id of the order `channel` sent as `external_id`.

    One round trip for the two things every intake of a channel's message reads first.
    """
    if session.get_bind().dialect.name == "postgresql":
        cursor = driver_execute(session, _PG_INTAKE_LOOKUP, (REVISION_KEY, channel, external_id))
        revision, order_id = cursor.fetchone()
    else:
        revision, order_id = session.execute(
            _INTAKE_LOOKUP, {"channel": channel, "external_id": external_id}
        ).one()
    return dict(revision or {}), order_id


def routes_by_number(session: Session, numbers: Iterable[str]) -> list[tuple[str, int, list[int]]]:
    """(number, id, chain) of the orders with these numbers."""
    stmt = select(WorkOrderRow.number, WorkOrderRow.id, WorkOrderRow.chain).where(
        WorkOrderRow.number.in_(sorted(set(numbers)))
    )
    return [(n, i, list(c or ())) for n, i, c in session.execute(stmt)]


def find_order(session: Session, key: str | int, *, for_update: bool = False) -> WorkOrderRow | None:
    """An order by id or by number."""
    stmt = select(WorkOrderRow).where(_key_clause(key))
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


@dataclass(frozen=True)
class LoadedOrder:
    """An order together with what its use cases read next to it, fetched in one round trip."""

    row: WorkOrderRow
    revision: dict[str, int]  # the reference-data revision stamp (see store.reference)
    has_duplicates: bool
    has_attachments: bool


_DUPLICATE = aliased(WorkOrderRow, name="duplicate")
_LOAD_ORDER = select(
    WorkOrderRow,
    select(SettingRow.value).where(SettingRow.key == REVISION_KEY).scalar_subquery(),
    exists().where(_DUPLICATE.master_id == WorkOrderRow.id),
    exists().where(AttachmentRow.order_id == WorkOrderRow.id),
)
_LOAD_BY_ID = _LOAD_ORDER.where(WorkOrderRow.id == bindparam("key"))
_LOAD_BY_NUMBER = _LOAD_ORDER.where(WorkOrderRow.number == bindparam("key"))


# The same on PostgreSQL through the driver: the order comes back as a transient row (`order_row`).
_PG_LOAD_ORDER = (
    f"SELECT {', '.join(f'w.{c}' for c in _ORDER_NAMES)}, "
    "(SELECT value FROM setting WHERE key = %(revision)s), "
    "EXISTS (SELECT 1 FROM work_order d WHERE d.master_id = w.id), "
    "EXISTS (SELECT 1 FROM attachment a WHERE a.order_id = w.id) "
    "FROM work_order w WHERE w.{key} = %(key)s"
)
_PG_LOAD_BY = {
    (by, lock): _PG_LOAD_ORDER.replace("{key}", by) + (" FOR NO KEY UPDATE OF w" if lock else "")
    for by in ("id", "number")
    for lock in (False, True)
}
_N_ORDER_COLUMNS = len(_ORDER_NAMES)


def _pg_order_row(values: Sequence[Any]) -> WorkOrderRow:
    """A transient row from the driver's values of `_ORDER_NAMES` (naive UTC times made aware)."""
    stored = dict(zip(_ORDER_NAMES, values, strict=True))
    for name in _UTC_COLUMNS:
        at = stored[name]
        if at is not None:
            stored[name] = at.replace(tzinfo=UTC)
    return order_row(stored)


def load_order(session: Session, key: str | int, *, lock: bool = False) -> LoadedOrder | None:
    """An order by id or number, with the revision stamp and whether it has duplicates or files.

    On PostgreSQL the order is a transient row (`order_row`): every use case that changes an
    order starts here, and the ORM's loading would cost more than the rest of the read.
    `lock`: hold the order's row until the transaction ends (FOR NO KEY UPDATE: the lock an
    UPDATE of the order takes, which rows naming the order by foreign key do not wait for);
    SQLite's writer holds the whole database already.
    """
    by_id = isinstance(key, int) or (key.isascii() and key.isdigit())
    if by_id and not 1 <= int(key) <= MAX_ORDER_ID:
        return None  # an id no order can have
    if session.get_bind().dialect.name == "postgresql":
        sql = _PG_LOAD_BY[("id" if by_id else "number", lock)]
        params = {"revision": REVISION_KEY, "key": int(key) if by_id else key}
        found = driver_execute(session, sql, params).fetchone()
        if found is None:
            return None
        n = _N_ORDER_COLUMNS
        revision, has_duplicates, has_attachments = found[n : n + 3]
        return LoadedOrder(
            _pg_order_row(found[:n]), dict(revision or {}), bool(has_duplicates), bool(has_attachments)
        )
    if by_id:
        found = session.execute(_LOAD_BY_ID, {"key": int(key)}).one_or_none()
    else:
        found = session.execute(_LOAD_BY_NUMBER, {"key": key}).one_or_none()
    if found is None:
        return None
    row, revision, has_duplicates, has_attachments = found
    return LoadedOrder(row, dict(revision or {}), bool(has_duplicates), bool(has_attachments))


def involved_units(session: Session, order_id: int) -> set[int]:
    return set(session.scalars(select(WorkOrderUnitRow.unit_id).where(WorkOrderUnitRow.order_id == order_id)))


# --------------------------------------------------------------------------- listing


SIGN_LIVE_STATUSES = (OrderStatus.DISPATCHED.value,)
REPLY_LIVE_STATUSES = (
    OrderStatus.PENDING_DISPATCH.value,
    OrderStatus.DISPATCHED.value,
    OrderStatus.IN_PROGRESS.value,
)


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


def filtered_query(flt: OrderFilter, scope: Any) -> Select[WorkOrderRow]:
    stmt = select(WorkOrderRow)
    if scope is not None:
        stmt = stmt.where(scope)
    if flt.statuses:
        stmt = stmt.where(WorkOrderRow.status.in_(list(flt.statuses)))
    if flt.channel:
        stmt = stmt.where(WorkOrderRow.channel == flt.channel)
    if flt.order_type:
        stmt = stmt.where(WorkOrderRow.order_type == flt.order_type)
    if flt.urgency:
        stmt = stmt.where(WorkOrderRow.urgency == flt.urgency)
    if flt.category_code:
        stmt = stmt.where(WorkOrderRow.category_code.startswith(flt.category_code, autoescape=True))
    if flt.current_unit_id is not None:
        stmt = stmt.where(WorkOrderRow.current_unit_id == flt.current_unit_id)
    if flt.unit_id is not None:
        stmt = stmt.where(
            exists().where(
                and_(WorkOrderUnitRow.order_id == WorkOrderRow.id, WorkOrderUnitRow.unit_id == flt.unit_id)
            )
        )
    if flt.supervised is not None:
        stmt = stmt.where(WorkOrderRow.supervised.is_(flt.supervised))
    if flt.has_instruction is not None:
        stmt = stmt.where(WorkOrderRow.has_instruction.is_(flt.has_instruction))
    if flt.deadline_alert:
        stmt = stmt.where(deadline_clause(flt.deadline_alert, flt.now or datetime.now(UTC)))
    if flt.registered_from is not None:
        stmt = stmt.where(WorkOrderRow.registered_at >= flt.registered_from)
    if flt.registered_to is not None:
        stmt = stmt.where(WorkOrderRow.registered_at < flt.registered_to)
    if flt.master_id is not None:
        stmt = stmt.where(WorkOrderRow.master_id == flt.master_id)
    if flt.text:
        text = flt.text.strip()
        # a substring, with LIKE's wildcards (% _) and the escape character taken literally
        stmt = stmt.where(
            or_(
                WorkOrderRow.title.contains(text, autoescape=True),
                WorkOrderRow.content.contains(text, autoescape=True),
                WorkOrderRow.number == text,
                WorkOrderRow.address.contains(text, autoescape=True),
            )
        )
    return stmt


def list_orders(
    session: Session, flt: OrderFilter, scope: Any, *, limit: int, after: tuple[datetime, int] | None
) -> list[WorkOrderRow]:
    """Newest first, keyset-paginated on (registered_at, id)."""
    stmt = filtered_query(flt, scope)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            or_(
                WorkOrderRow.registered_at < at,
                and_(WorkOrderRow.registered_at == at, WorkOrderRow.id < last_id),
            )
        )
    stmt = stmt.order_by(WorkOrderRow.registered_at.desc(), WorkOrderRow.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def count_orders(session: Session, flt: OrderFilter, scope: Any) -> int:
    # keep `work_order` in FROM: the scope's EXISTS must correlate to it, not count on its own
    stmt = (
        filtered_query(flt, scope).with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    )
    return int(session.execute(stmt).scalar_one())


def transitions_of(session: Session, order_id: int) -> list[TransitionRow]:
    stmt = select(TransitionRow).where(TransitionRow.order_id == order_id).order_by(TransitionRow.id)
    return list(session.scalars(stmt))


def attachments_of(session: Session, order_id: int) -> list[AttachmentRow]:
    stmt = select(AttachmentRow).where(AttachmentRow.order_id == order_id).order_by(AttachmentRow.id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class MergeTarget:
    """What merging an order into a master checks about the master, and about the order."""

    id: int
    status: str
    chain: list[int]  # the master's route, for who may see it
    order_has_duplicates: bool  # some order was merged into the order being merged


def merge_target(session: Session, master_key: str | int, order_id: int) -> MergeTarget | None:
    """The master `master_key` (id or number) as a merge of `order_id` into it needs it, in one
    round trip and without loading either row; None when there is no such master."""
    duplicates = select(WorkOrderRow.id).where(WorkOrderRow.master_id == order_id).exists()
    stmt = select(WorkOrderRow.id, WorkOrderRow.status, WorkOrderRow.chain, duplicates).where(
        _key_clause(master_key)
    )
    found = session.connection().execute(stmt).first()  # Core: no ORM entities to load
    if found is None:
        return None
    return MergeTarget(int(found[0]), found[1], [int(u) for u in found[2] or []], bool(found[3]))


def duplicates_of(session: Session, order_id: int) -> list[WorkOrderRow]:
    stmt = select(WorkOrderRow).where(WorkOrderRow.master_id == order_id).order_by(WorkOrderRow.id)
    return list(session.scalars(stmt))


def notices_for_units(session: Session, unit_ids: Iterable[int], limit: int = 50) -> list[NoticeRow]:
    stmt = (
        select(NoticeRow)
        .where(NoticeRow.unit_id.in_(sorted(set(unit_ids))))
        .order_by(NoticeRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
