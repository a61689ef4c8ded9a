"""The SQLite writer: executemany inserts under SQLite's write lock, one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhiyun.importer.staged_row import COL, I_CHANNEL, I_EXTERNAL_ID, I_ID, I_NUMBER, I_ROWNUM
from zhiyun.importer.writers.audit_trail import IMPORT_ACTOR, audit_record, chain_of
from zhiyun.importer.writers.batch import GENERATED_NUMBER_TAKEN, NUMBER_TAKEN, BatchResult
from zhiyun.importer.writers.numbering import (
    assign_numbers,
    counter_changes,
    historical_sequence_pattern,
    registration_order,
)
from zhiyun.orders.repo import audit_row_values
from zhiyun.store.db import Database
from zhiyun.store.tables import OrderNumberCounterRow, TransitionRow, WorkOrderRow, WorkOrderUnitRow

_WO = cast(Table, WorkOrderRow.__table__)
_SQLITE_INSERT_ORDERS = insert(_WO)
_SQLITE_INSERT_TRANSITIONS = insert(cast(Table, TransitionRow.__table__))
_SQLITE_INSERT_UNITS = insert(cast(Table, WorkOrderUnitRow.__table__))
_COUNTER = cast(Table, OrderNumberCounterRow.__table__)
_UPSERT_COUNTER = sqlite_insert(_COUNTER)
_RESERVE = _UPSERT_COUNTER.on_conflict_do_update(
    index_elements=[_COUNTER.c.day], set_={"last": _COUNTER.c.last + _UPSERT_COUNTER.excluded.last}
).returning(_COUNTER.c.last)
_BUMP = _UPSERT_COUNTER.on_conflict_do_update(
    index_elements=[_COUNTER.c.day], set_={"last": func.max(_COUNTER.c.last, _UPSERT_COUNTER.excluded.last)}
)
_IN_CHUNK = 500


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


class SqliteBulkWriter:
    """executemany inserts under SQLite's write lock; ids are taken after the largest stored one."""

    def __init__(self, db: Database, *, prefix: str, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.prefix = prefix
        self.clock = clock
        self.pattern = historical_sequence_pattern(prefix)

    def write(self, rows: Sequence[list[Any]], source: str) -> BatchResult:
        result = BatchResult()
        if not rows:
            return result
        now = self.clock()
        with self.db.engine.begin() as conn:  # BEGIN IMMEDIATE: nobody else writes until commit
            # 1. already imported: (channel, external id) stored
            stored: set[tuple[str, str]] = set()
            for chunk in _chunks(sorted({r[I_EXTERNAL_ID] for r in rows})):
                query = select(_WO.c.channel, _WO.c.external_id).where(_WO.c.external_id.in_(chunk))
                stored.update((channel, external_id) for channel, external_id in conn.execute(query))
            fresh = [r for r in rows if (r[I_CHANNEL], r[I_EXTERNAL_ID]) not in stored]
            result.already_imported = len(rows) - len(fresh)
            # 2. historical numbers that another order already has
            taken = self._taken(conn, sorted({r[I_NUMBER] for r in fresh if r[I_NUMBER] is not None}))
            if taken:
                result.rejected.extend(
                    (r[I_ROWNUM], "number", NUMBER_TAKEN) for r in fresh if r[I_NUMBER] in taken
                )
                fresh = [r for r in fresh if r[I_NUMBER] not in taken]
            # 3. counters: past the historical numbers of the generated shape, then reserve ranges
            fresh.sort(key=registration_order)
            highest, per_day = counter_changes(fresh, self.pattern)
            for day, last in sorted(highest.items()):
                conn.execute(_BUMP, {"day": day, "last": last})
            first_seq: dict[str, int] = {}
            for day, count in sorted(per_day.items()):
                last = conn.execute(_RESERVE, {"day": day, "last": count}).scalar_one()
                first_seq[day] = last - count + 1
            generated = assign_numbers(fresh, self.prefix, first_seq)
            # 4. generated numbers that a historical one already holds
            clash = self._taken(conn, sorted(r[I_NUMBER] for r in fresh if r[I_ROWNUM] in generated))
            if clash:
                result.rejected.extend(
                    (r[I_ROWNUM], "number", GENERATED_NUMBER_TAKEN) for r in fresh if r[I_NUMBER] in clash
                )
                fresh = [r for r in fresh if r[I_NUMBER] not in clash]
            if fresh:
                first_id = (conn.execute(select(func.max(_WO.c.id))).scalar() or 0) + 1
                orders: list[dict[str, Any]] = []
                audit: list[dict[str, Any]] = []
                units: list[dict[str, int]] = []
                for offset, r in enumerate(fresh):
                    r[I_ID] = order_id = first_id + offset
                    values = self._order_values(r, now)
                    orders.append(values)
                    audit.append(audit_row_values(order_id, audit_record(r, source), IMPORT_ACTOR, now))
                    units.extend({"order_id": order_id, "unit_id": u} for u in values["chain"])
                conn.execute(_SQLITE_INSERT_ORDERS, orders)
                conn.execute(_SQLITE_INSERT_TRANSITIONS, audit)
                conn.execute(_SQLITE_INSERT_UNITS, units)
            result.imported = len(fresh)
        result.rejected.sort()
        return result

    @staticmethod
    def _taken(conn: Any, numbers: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for chunk in _chunks(numbers):
            taken.update(conn.execute(select(_WO.c.number).where(_WO.c.number.in_(chunk))).scalars())
        return taken

    @staticmethod
    def _order_values(r: list[Any], now: datetime) -> dict[str, Any]:
        c = COL
        registered = r[c["registered_unit_id"]]
        responsible = r[c["responsible_unit_id"]]
        chain = chain_of(registered, responsible)
        return {
            "id": r[c["id"]],
            "number": r[c["number"]],
            "channel": r[c["channel"]],
            "external_id": r[c["external_id"]],
            "citizen_name": r[c["citizen_name"]],
            "citizen_phone": r[c["citizen_phone"]],
            "title": r[c["title"]],
            "content": r[c["content"]],
            "order_type": r[c["order_type"]],
            "urgency": r[c["urgency"]],
            "category_code": r[c["category_code"]],
            "address": r[c["address"]],
            "latitude": r[c["latitude"]],
            "longitude": r[c["longitude"]],
            "confidential": r[c["confidential"]],
            "town_unit_id": r[c["town_unit_id"]],
            "village_unit_id": r[c["village_unit_id"]],
            "grid_id": r[c["grid_id"]],
            "location_source": r[c["location_source"]],
            "geo_cell": r[c["geo_cell"]],
            "search_text": None,
            "possible_duplicate": False,
            "status": r[c["status"]],
            "chain": chain,
            "registered_unit_id": registered,
            "current_unit_id": chain[-1],
            "responsible_unit_id": chain[1] if len(chain) > 1 else None,
            "master_id": None,
            "registered_at": r[c["registered_at"]],
            "first_dispatched_at": None,
            "signed_at": None,
            "replied_at": r[c["replied_at"]],
            "suspended_at": None,
            "closed_at": r[c["closed_at"]],
            "sign_due_at": None,
            "sign_warn_at": None,
            "sign_limit_unit": None,
            "sign_budget_seconds": None,
            "sign_provisional": False,
            "reply_due_at": None,
            "reply_warn_at": None,
            "reply_limit_unit": None,
            "reply_budget_seconds": None,
            "reply_provisional": False,
            "sign_alert": "",
            "reply_alert": "",
            "pending": None,
            "extension_count": 0,
            "reopen_count": 0,
            "rework_count": 0,
            "return_count": 0,
            "callback_attempts": 0,
            "urge_count": 0,
            "satisfaction": r[c["satisfaction"]],
            "cancel_reason": None,
            "supervised": False,
            "has_instruction": False,
            "result": r[c["result"]],
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }

    def close(self) -> None:
        pass
