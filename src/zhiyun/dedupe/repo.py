"""Storage side of duplicate detection: finding the candidates of a new order, recording the scores.

Candidates are open orders (not merged, closed or cancelled) registered within
`policy.window_days` before `now` that are within `policy.radius_m` of the new order (grid
cells and a bounding box first, on the (geo_cell, registered_at) index, then the exact
distance), or that come from the same caller (on the citizen_phone index). Two bounded
queries, newest first, so that each uses its own index on SQLite and PostgreSQL alike;
nothing is locked. Intake runs them for every new order, so they are built once and run
past the ORM: on SQLite as Core statements, on PostgreSQL as SQL text on the driver's
connection (`_PG_NEARBY`, `_PG_SAME_CALLER`), both in one round trip when the new order has
a place and a caller (`_PG_NEARBY_AND_CALLER`: a UNION ALL of the two, each with its index).

The scoring itself is pure (`zhiyun.dedupe.scoring`). Nothing here commits: the caller's
unit of work does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from zhiyun.dedupe.item import MAX_CONTENT_CHARS, DedupeItem
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.dedupe.scoring import DedupeScore
from zhiyun.kernel.geo import EARTH_RADIUS_M, haversine_m, neighbour_cells
from zhiyun.kernel.text import Segmenter
from zhiyun.store.base import stored_utc, table_of
from zhiyun.store.db import driver_execute
from zhiyun.store.tables import (
    OPEN_STATUS_VALUES,
    DedupeSignatureRow,
    DuplicateCandidateRow,
    WorkOrderRow,
)

__all__ = [
    "CANDIDATE_LIMIT",
    "find_candidates",
    "item_of_order",
    "prune_signatures",
    "record_candidates",
    "store_signature",
]

CANDIDATE_LIMIT = 200
MIN_CALLER_DIGITS = 7  # 12345 and other service numbers are not a caller
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180

_ORDER = table_of(WorkOrderRow).c
_SIGNATURE = table_of(DedupeSignatureRow)
_WITH_SIGNATURE = table_of(WorkOrderRow).outerjoin(_SIGNATURE, _SIGNATURE.c.order_id == _ORDER.id)
_COLUMNS = (
    _ORDER.id,
    _ORDER.number,
    _ORDER.title,
    func.substr(_ORDER.content, 1, MAX_CONTENT_CHARS).label("content"),
    _ORDER.category_code,
    _ORDER.citizen_phone,
    _ORDER.latitude,
    _ORDER.longitude,
    _ORDER.registered_at,
    _ORDER.status,
    _SIGNATURE.c.features.label("signature"),
)
_NEWEST_FIRST = (_ORDER.registered_at.desc(), _ORDER.id.desc())
_OPEN_RECENT = (
    _ORDER.status.in_(OPEN_STATUS_VALUES),
    _ORDER.registered_at >= bindparam("since"),
    _ORDER.id != bindparam("me"),  # the new order itself (-1: none)
)
_OLDER = or_(
    _ORDER.registered_at < bindparam("after_at"),
    and_(_ORDER.registered_at == bindparam("after_at"), _ORDER.id < bindparam("after_id")),
)
_NEARBY = (
    select(*_COLUMNS)
    .select_from(_WITH_SIGNATURE)
    .where(
        _ORDER.geo_cell.in_(bindparam("cells", expanding=True)),
        _ORDER.latitude.between(bindparam("min_lat"), bindparam("max_lat")),
        _ORDER.longitude.between(bindparam("min_lon"), bindparam("max_lon")),
        *_OPEN_RECENT,
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("rows"))
)
_NEARBY_OLDER = _NEARBY.where(_OLDER)
_SAME_CALLER = (
    select(*_COLUMNS)
    .select_from(_WITH_SIGNATURE)
    .where(_ORDER.citizen_phone == bindparam("phone"), *_OPEN_RECENT)
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("rows"))
)


# PostgreSQL: the same two queries as SQL text, run on the driver's connection (intake runs
# them for every new order, and SQLAlchemy's part of a statement costs as much as psycopg's):
# arrays instead of expanding IN lists, so that each is one prepared statement.
_PG_SELECT = f"""
SELECT w.id, w.number, w.title, substr(w.content, 1, {MAX_CONTENT_CHARS}) AS content, w.category_code,
       w.citizen_phone, w.latitude, w.longitude, w.registered_at, w.status, s.features AS signature
FROM work_order w LEFT JOIN dedupe_signature s ON s.order_id = w.id
WHERE w.status = ANY(%(open)s::text[]) AND w.registered_at >= %(since)s AND w.id <> %(me)s
"""
_PG_NEWEST_FIRST = "ORDER BY w.registered_at DESC, w.id DESC LIMIT %(rows)s"
_PG_NEARBY_WHERE = """
  AND w.geo_cell = ANY(%(cells)s::bigint[])
  AND w.latitude BETWEEN %(min_lat)s AND %(max_lat)s
  AND w.longitude BETWEEN %(min_lon)s AND %(max_lon)s
"""
_PG_NEARBY = f"{_PG_SELECT}{_PG_NEARBY_WHERE}{_PG_NEWEST_FIRST}"
_PG_NEARBY_OLDER = (
    f"{_PG_SELECT}{_PG_NEARBY_WHERE}"
    "  AND (w.registered_at < %(after_at)s OR (w.registered_at = %(after_at)s AND w.id < %(after_id)s))\n"
    f"{_PG_NEWEST_FIRST}"
)
_PG_SAME_CALLER = f"{_PG_SELECT}  AND w.citizen_phone = %(phone)s\n{_PG_NEWEST_FIRST}"
# Both at once for a new order with a place and a caller (one round trip where there were two):
# the first column says which query a row came from; each keeps its own order and limit.
_PG_NEARBY_AND_CALLER = (
    f"(SELECT TRUE AS near, q.* FROM ({_PG_NEARBY}) q) UNION ALL "
    f"(SELECT FALSE AS near, q.* FROM ({_PG_SAME_CALLER.replace('%(rows)s', '%(caller_rows)s')}) q)"
)


class _CandidateRow(NamedTuple):
    """A row of the PostgreSQL candidate queries, as SQLAlchemy would give it (aware UTC time)."""

    id: int
    number: str
    title: str
    content: str | None
    category_code: str | None
    citizen_phone: str | None
    latitude: float | None
    longitude: float | None
    registered_at: datetime
    status: str
    signature: str | None


class _Candidates:
    """The candidate queries of one session: SQL text on PostgreSQL's driver, Core on SQLite."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgresql = session.get_bind().dialect.name == "postgresql"

    def run(self, statement: str, params: dict[str, Any]) -> list[Any]:
        if not self.postgresql:
            core = {"nearby": _NEARBY, "older": _NEARBY_OLDER, "caller": _SAME_CALLER}[statement]
            return list(self.session.connection().execute(core, params).all())
        sql = {"nearby": _PG_NEARBY, "older": _PG_NEARBY_OLDER, "caller": _PG_SAME_CALLER}[statement]
        return [_candidate_row(r) for r in driver_execute(self.session, sql, _pg_params(params)).fetchall()]

    def nearby_and_caller(
        self, params: dict[str, Any], phone: str, caller_rows: int
    ) -> tuple[list[Any], list[Any]]:
        """The first page of orders nearby and the orders of the same caller (one round trip on PostgreSQL)."""
        caller = {"since": params["since"], "me": params["me"], "phone": phone, "rows": caller_rows}
        if not self.postgresql:
            return self.run("nearby", params), self.run("caller", caller)
        pg_params = _pg_params({**params, "phone": phone, "caller_rows": caller_rows})
        near: list[Any] = []
        same_caller: list[Any] = []
        for r in driver_execute(self.session, _PG_NEARBY_AND_CALLER, pg_params).fetchall():
            (near if r[0] else same_caller).append(_candidate_row(r[1:]))
        near.sort(key=_time_and_id, reverse=True)
        same_caller.sort(key=_time_and_id, reverse=True)
        return near, same_caller


def _pg_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the PostgreSQL text wants them: the open statuses, naive UTC times."""
    pg_params = {**params, "open": list(OPEN_STATUS_VALUES), "since": stored_utc(params["since"])}
    if "after_at" in params:
        pg_params["after_at"] = stored_utc(params["after_at"])
    return pg_params


def _candidate_row(r: Sequence[Any]) -> _CandidateRow:
    return _CandidateRow._make((*r[:8], r[8].replace(tzinfo=UTC), *r[9:]))


def _time_and_id(row: Any) -> tuple[datetime, int]:
    return row.registered_at, row.id


def _item(row: Any, segmenter: Segmenter | None) -> DedupeItem:
    if row.signature is not None and segmenter is None:
        stored = DedupeItem.from_signature(
            row.id,
            row.signature,
            category_code=row.category_code,
            phone=row.citizen_phone,
            lat=row.latitude,
            lon=row.longitude,
            registered_at=row.registered_at,
            status=row.status,
            number=row.number,
        )
        if stored is not None:
            return stored
    return DedupeItem.from_text(
        row.id,
        row.title,
        row.content,
        category_code=row.category_code,
        phone=row.citizen_phone,
        lat=row.latitude,
        lon=row.longitude,
        registered_at=row.registered_at,
        status=row.status,
        number=row.number,
        segmenter=segmenter,
    )


def item_of_order(row: WorkOrderRow, segmenter: Segmenter | None = None) -> DedupeItem:
    """A stored order as duplicate detection sees it."""
    return DedupeItem.from_text(
        row.id,
        row.title,
        (row.content or "")[:MAX_CONTENT_CHARS],
        category_code=row.category_code,
        phone=row.citizen_phone,
        lat=row.latitude,
        lon=row.longitude,
        registered_at=row.registered_at,
        status=row.status,
        number=row.number,
        segmenter=segmenter,
    )


def _is_caller(phone: str | None) -> bool:
    return bool(phone) and sum(c.isdigit() for c in phone or "") >= MIN_CALLER_DIGITS


def _box(lat: float, lon: float, radius_m: float) -> dict[str, float]:
    """Bounds in degrees holding every point within `radius_m` of (lat, lon), with slack to spare."""
    radius_m = max(0.0, radius_m) * 1.001 + 1.0  # as neighbour_cells: a metre for rounding
    d_lat = radius_m / _M_PER_DEG
    cos_far = math.cos(math.radians(min(89.9999, abs(lat) + d_lat)))
    d_lon = math.inf if cos_far <= 0 else radius_m / (_M_PER_DEG * cos_far)
    if lon - d_lon < -180.0 or lon + d_lon > 180.0:
        d_lon = math.inf  # across the antimeridian: the cells alone narrow it
    return {
        "min_lat": lat - d_lat,
        "max_lat": lat + d_lat,
        "min_lon": -1e9 if d_lon == math.inf else lon - d_lon,
        "max_lon": 1e9 if d_lon == math.inf else lon + d_lon,
    }


def find_candidates(
    session: Session,
    new_item: DedupeItem,
    policy: DedupePolicy,
    now: datetime,
    *,
    limit: int = CANDIDATE_LIMIT,
    segmenter: Segmenter | None = None,
) -> list[DedupeItem]:
    """Open orders that may be the same matter as `new_item`: near in place and time, or same caller.

    At most `limit`, newest first; `new_item` itself (by id) is never among them. Orders
    near in place must have a location within `policy.radius_m`; orders of the same caller
    may be anywhere (or nowhere). Both must be registered at or after now − window_days.
    """
    if limit <= 0:
        return []
    queries = _Candidates(session)
    base = {
        "since": now - timedelta(days=policy.window_days),
        "me": new_item.id if new_item.id is not None else -1,
    }
    found: dict[int, Any] = {}
    same_caller: list[Any] = []

    if new_item.lat is not None and new_item.lon is not None:
        lat, lon = new_item.lat, new_item.lon
        # Cells and box cover a square around the circle: read more rows than kept, and read
        # on (newest first) while fewer than `limit` of them lie within the radius.
        batch = limit * 2
        params = {
            **base,
            **_box(lat, lon, policy.radius_m),
            "cells": neighbour_cells(lat, lon, policy.radius_m),
            "rows": batch,
        }
        near = 0
        if _is_caller(new_item.phone):
            rows, same_caller = queries.nearby_and_caller(params, str(new_item.phone), limit)
        else:
            rows = queries.run("nearby", params)
        while True:
            for row in rows:
                if row.latitude is None or row.longitude is None:
                    continue
                if haversine_m(lat, lon, row.latitude, row.longitude) <= policy.radius_m:
                    found[row.id] = row
                    near += 1
            if near >= limit or len(rows) < batch:
                break
            last = rows[-1]
            rows = queries.run("older", {**params, "after_at": last.registered_at, "after_id": last.id})

    elif _is_caller(new_item.phone):
        same_caller = queries.run("caller", {**base, "phone": new_item.phone, "rows": limit})
    for row in same_caller:
        found.setdefault(row.id, row)

    rows = sorted(found.values(), key=_time_and_id, reverse=True)[:limit]
    return [_item(row, segmenter) for row in rows]


_INSERT_CANDIDATE = insert(table_of(DuplicateCandidateRow))


def record_candidates(
    session: Session,
    order_id: int,
    scores: Iterable[DedupeScore],
    *,
    decision: str = "open",
    at: datetime | None = None,
    new_order: bool = False,
) -> int:
    """Store the candidates of an order (one row per candidate); returns how many rows were written.

    A candidate already recorded for the order gets the new score (re-scoring after an
    update) and keeps its decision; scores without a candidate id, or naming the order
    itself, are skipped. `decision` is what a new row starts with ("open": awaiting the
    dispatcher). `new_order`: the order was registered in this transaction, so nothing is
    recorded for it yet (the look-up is skipped).
    """
    wanted: dict[int, DedupeScore] = {}
    for s in scores:
        if s.candidate_id is not None and s.candidate_id != order_id:
            wanted.setdefault(s.candidate_id, s)
    if not wanted:
        return 0
    existing: set[int] = set()
    if not new_order:
        existing = set(
            session.execute(
                select(DuplicateCandidateRow.candidate_id).where(
                    DuplicateCandidateRow.order_id == order_id,
                    DuplicateCandidateRow.candidate_id.in_(list(wanted)),
                )
            ).scalars()
        )
    fresh: Sequence[dict[str, Any]] = [
        {**_values(s), "order_id": order_id, "candidate_id": cid, "decision": decision}
        | ({"created_at": at} if at is not None else {})
        for cid, s in wanted.items()
        if cid not in existing
    ]
    if fresh:
        session.connection().execute(_INSERT_CANDIDATE, list(fresh))
    for cid in existing:
        session.execute(
            update(DuplicateCandidateRow)
            .where(DuplicateCandidateRow.order_id == order_id, DuplicateCandidateRow.candidate_id == cid)
            .values(**_values(wanted[cid]))
        )
    return len(wanted)


def _values(s: DedupeScore) -> dict[str, Any]:
    return {
        "score": s.score,
        "text_similarity": s.text_similarity,
        "distance_m": None if s.distance_m is None else round(s.distance_m, 1),
        "same_caller": s.same_caller,
    }


_INSERT_SIGNATURE = insert(_SIGNATURE)


def store_signature(session: Session, order_id: int, item: DedupeItem, registered_at: datetime) -> None:
    """Keep the text weights of a new order (`item`, as scored at intake) for later duplicate checks."""
    session.connection().execute(
        _INSERT_SIGNATURE,
        {"order_id": order_id, "registered_at": registered_at, "features": item.signature()},
    )


def prune_signatures(session: Session, before: datetime) -> int:
    """Delete the stored weights of orders registered before `before`; returns how many went."""
    result = session.execute(delete(DedupeSignatureRow).where(DedupeSignatureRow.registered_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
