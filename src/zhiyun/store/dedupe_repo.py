"""Storage side of duplicate detection: finding the candidates of a new order, recording the scores.

Candidates are open orders (not merged, closed or cancelled) registered within
`policy.window_days` before `now` that are within `policy.radius_m` of the new order (grid
cells first, on the (geo_cell, registered_at) index, then the exact distance), or that come
from the same caller (on the citizen_phone index). Two bounded queries, newest first, so
that each uses its own index on SQLite and PostgreSQL alike; nothing is locked.

The scoring itself is pure (`zhiyun.intake.dedupe`). Nothing here commits: the caller's
unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from zhiyun.intake.dedupe import MAX_CONTENT_CHARS, DedupeItem, DedupePolicy, DedupeScore
from zhiyun.intake.normalize import haversine_m, neighbour_cells
from zhiyun.intake.text import Segmenter
from zhiyun.store.tables import OPEN_STATUS_VALUES, DuplicateCandidateRow, WorkOrderRow

__all__ = ["CANDIDATE_LIMIT", "find_candidates", "item_of_order", "record_candidates"]

CANDIDATE_LIMIT = 200
MIN_CALLER_DIGITS = 7  # 12345 and other service numbers are not a caller

_COLUMNS = (
    WorkOrderRow.id,
    WorkOrderRow.title,
    func.substr(WorkOrderRow.content, 1, MAX_CONTENT_CHARS).label("content"),
    WorkOrderRow.category_code,
    WorkOrderRow.citizen_phone,
    WorkOrderRow.latitude,
    WorkOrderRow.longitude,
    WorkOrderRow.registered_at,
    WorkOrderRow.status,
)


def _item(row: Any, segmenter: Segmenter | None) -> DedupeItem:
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
        segmenter=segmenter,
    )


def _is_caller(phone: str | None) -> bool:
    return bool(phone) and sum(c.isdigit() for c in phone or "") >= MIN_CALLER_DIGITS


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
    since = now - timedelta(days=policy.window_days)
    base = [WorkOrderRow.status.in_(OPEN_STATUS_VALUES), WorkOrderRow.registered_at >= since]
    if new_item.id is not None:
        base.append(WorkOrderRow.id != new_item.id)
    order = (WorkOrderRow.registered_at.desc(), WorkOrderRow.id.desc())
    found: dict[int, Any] = {}

    if new_item.lat is not None and new_item.lon is not None:
        lat, lon = new_item.lat, new_item.lon
        cells = neighbour_cells(lat, lon, policy.radius_m)
        # The cells cover a square around the circle: read a few more rows than kept.
        nearby = session.execute(
            select(*_COLUMNS).where(WorkOrderRow.geo_cell.in_(cells), *base).order_by(*order).limit(limit * 4)
        ).all()
        for row in nearby:
            if row.latitude is None or row.longitude is None:
                continue
            if haversine_m(lat, lon, row.latitude, row.longitude) <= policy.radius_m:
                found[row.id] = row

    if _is_caller(new_item.phone):
        same_caller = session.execute(
            select(*_COLUMNS)
            .where(WorkOrderRow.citizen_phone == new_item.phone, *base)
            .order_by(*order)
            .limit(limit)
        ).all()
        for row in same_caller:
            found.setdefault(row.id, row)

    rows = sorted(found.values(), key=lambda r: (r.registered_at, r.id), reverse=True)[:limit]
    return [_item(row, segmenter) for row in rows]


def record_candidates(
    session: Session,
    order_id: int,
    scores: Iterable[DedupeScore],
    *,
    decision: str = "open",
    at: datetime | None = None,
) -> int:
    """Store the candidates of an order (one row per candidate); returns how many rows were written.

    A candidate already recorded for the order gets the new score (re-scoring after an
    update) and keeps its decision; scores without a candidate id, or naming the order
    itself, are skipped. `decision` is what a new row starts with ("open": awaiting the
    dispatcher).
    """
    wanted: dict[int, DedupeScore] = {}
    for s in scores:
        if s.candidate_id is not None and s.candidate_id != order_id:
            wanted.setdefault(s.candidate_id, s)
    if not wanted:
        return 0
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
        session.execute(insert(DuplicateCandidateRow), list(fresh))
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
