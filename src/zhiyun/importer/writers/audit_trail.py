"""The audit trail of imported orders: one audit row per order, the domain's import record.

Every stored order gets version 1 and one audit row, as the domain describes it
(`domain.workorder.import_record`: action "import", actor 历史数据导入, details {file, row}).
SQLite's writer stores the record `audit_record` returns for each row; PostgreSQL's builds the
same rows in SQL from the records `audit_plan` asks for the batch (see `AuditPlan`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from psycopg.types.json import Json

from zhiyun.domain.workorder import (
    OrderStatus,
    SystemEvent,
    TransitionRecord,
    import_actor,
    import_chain,
    import_record,
)
from zhiyun.importer.staged_row import COL, I_ROWNUM

IMPORT_ACTOR = import_actor()
IMPORT_ACTION = SystemEvent.IMPORT.value
IMPORT_ACTOR_NAME = IMPORT_ACTOR.name
IMPORT_ACTOR_ROLE = IMPORT_ACTOR.role.value


def chain_of(registered: int, responsible: int | None) -> list[int]:
    """The route of an imported order (`domain.workorder.import_chain`)."""
    return list(import_chain(registered, responsible))


_STATUS = {s.value: s for s in OrderStatus}
_I_STATUS = COL["status"]
_I_REGISTERED_UNIT, _I_RESPONSIBLE_UNIT = COL["registered_unit_id"], COL["responsible_unit_id"]


def audit_record(row: list[Any], source: str) -> TransitionRecord:
    """The audit record of a staged row, imported from `source` (`domain.workorder.import_record`)."""
    chain = import_chain(row[_I_REGISTERED_UNIT], row[_I_RESPONSIBLE_UNIT])
    return import_record(_STATUS[row[_I_STATUS]], chain, file=source, row=row[I_ROWNUM])


# Where a record's row number goes, in the records an audit plan asks the domain for: no file
# has such a row (rows are counted from 1).
ROW_PLACEHOLDER = -1
_AUDIT_GROUP_FIELDS = ("action", "from_status", "to_status", "from_unit_id", "to_unit_id", "note")


@dataclass(frozen=True)
class AuditPlan:
    """How the PostgreSQL writer builds a batch's audit rows in SQL, from the domain's records.

    An imported order's record depends on its status and chain and on its row (`audit_record`).
    The plan asks the domain once for each (status, registering unit, responsible unit) in the
    batch, with the row number left as ROW_PLACEHOLDER; each staged row carries its group's
    number (`groups`), and SQL puts the row's own number where the placeholder stood (in the
    details, `details_sql`). `audit_plan` checks, on the batch's first row, that this is the
    record the domain gives for it, so that every audit row is the domain's record — at the
    cost of one dictionary look-up per row instead of a record per row.
    """

    groups: list[int]  # per staged row: its group, counted from 1
    params: dict[str, Any]  # the groups' fields as arrays, and the details' keys and constant values
    details_sql: str  # the details of staged row `s`, as SQL


def _details_sql(details: Mapping[str, Any], params: dict[str, Any]) -> str:
    parts = []
    for i, (key, value) in enumerate(details.items()):
        params[f"dk{i}"] = key
        if value == ROW_PLACEHOLDER and not isinstance(value, bool):
            parts.append(f"%(dk{i})s::text, s.rownum")
        elif isinstance(value, str):
            params[f"dv{i}"] = value
            parts.append(f"%(dk{i})s::text, %(dv{i})s::text")
        else:
            params[f"dv{i}"] = Json(value)
            parts.append(f"%(dk{i})s::text, %(dv{i})s::json")
    return f"json_build_object({', '.join(parts)})"


def audit_plan(rows: Sequence[list[Any]], source: str) -> AuditPlan:
    """The audit plan of a batch (see AuditPlan); AssertionError if the domain's record of its
    first row is not the one the plan would store (the record then depends on the row in a way
    the writer cannot put in SQL: the writer must be changed with the domain)."""
    keys: dict[tuple[str, int, int | None], int] = {}
    records: list[TransitionRecord] = []
    groups: list[int] = []
    for row in rows:
        key = (row[_I_STATUS], row[_I_REGISTERED_UNIT], row[_I_RESPONSIBLE_UNIT])
        group = keys.get(key)
        if group is None:
            group = keys[key] = len(records) + 1
            chain = import_chain(key[1], key[2])
            records.append(import_record(_STATUS[key[0]], chain, file=source, row=ROW_PLACEHOLDER))
        groups.append(group)
    details = records[0].details
    if any(r.details != details for r in records):
        raise AssertionError("an import record's details depend on more than its row: store them per row")
    first = rows[0]
    template = records[groups[0] - 1]
    filled = {k: first[I_ROWNUM] if v == ROW_PLACEHOLDER else v for k, v in template.details.items()}
    if audit_record(first, source) != replace(template, details=filled):
        raise AssertionError("the domain's import record is not its template with the row filled in")
    params: dict[str, Any] = {
        f"g_{name}": [getattr(getattr(r, name), "value", getattr(r, name)) for r in records]
        for name in _AUDIT_GROUP_FIELDS
    }
    return AuditPlan(groups, params, _details_sql(details, params))
