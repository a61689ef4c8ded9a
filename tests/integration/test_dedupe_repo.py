"""Duplicate candidates in the database, on SQLite and on PostgreSQL.

`find_candidates` returns the open orders near in place (within the radius, by grid cell
then exact distance) and time (within the window), or from the same caller; never merged,
closed or cancelled ones; newest first and bounded. `record_candidates` stores one row per
candidate and re-scores without duplicating.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.support import District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.dedupe.repo import (
    find_candidates,
    item_of_order,
    prune_signatures,
    record_candidates,
    store_signature,
)
from zhiyun.dedupe.scoring import DedupeScore, best_candidates
from zhiyun.domain.workorder import OrderStatus
from zhiyun.kernel.geo import geo_cell
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import DedupeSignatureRow, DuplicateCandidateRow, WorkOrderRow

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
SPOT = (23.04000, 113.15000)
M_PER_DEG_LAT = 111_195.0
POLICY = DedupePolicy(radius_m=300, window_days=7)


@pytest.fixture
def district(services: Services) -> District:
    return build_small_district(services)


def north(metres: float) -> tuple[float, float]:
    return SPOT[0] + metres / M_PER_DEG_LAT, SPOT[1]


def add_order(
    services: Services,
    district: District,
    title: str = "夏北路12号门口占道经营",
    content: str = "夏北路12号门口每天晚上有流动摊贩占道经营烧烤，油烟很大",
    *,
    at: tuple[float, float] | None = SPOT,
    phone: str | None = None,
    days_ago: float = 1.0,
    status: OrderStatus | None = None,
) -> int:
    """Register an order, then place it, date it and set its status as intake would have."""
    new = NewOrder(title=title, content=content, citizen_phone=phone)
    oid = services.orders.register(district.actors["district"], new).order.summary.id
    values: dict[str, Any] = {"registered_at": NOW - timedelta(days=days_ago)}
    if at is not None:
        values.update(latitude=at[0], longitude=at[1], geo_cell=geo_cell(*at))
    if status is not None:
        values["status"] = status.value
    with services.db.transaction() as session:
        session.execute(
            update(WorkOrderRow)
            .where(WorkOrderRow.id == oid)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return oid


def new_report(
    *, at: tuple[float, float] | None = SPOT, phone: str | None = None, id: int | None = None
) -> DedupeItem:
    return DedupeItem.from_text(
        id,
        "夏北路烧烤摊占道经营",
        "网格员巡查发现：夏北路12号门口有流动摊贩占道经营，烧烤油烟大",
        phone=phone,
        lat=at[0] if at else None,
        lon=at[1] if at else None,
        registered_at=NOW,
    )


def candidates(services: Services, item: DedupeItem, **kw: Any) -> list[int]:
    with services.db.reading() as session:
        return [c.id for c in find_candidates(session, item, POLICY, NOW, **kw) if c.id is not None]


def test_orders_within_the_radius_are_candidates_and_those_beyond_are_not(
    services: Services, district: District
) -> None:
    here = add_order(services, district, at=north(0))
    near = add_order(services, district, at=north(250))
    beyond = add_order(services, district, at=north(350))  # likely in a neighbour cell, but too far
    far = add_order(services, district, at=north(2_000))
    unplaced = add_order(services, district, at=None)
    found = candidates(services, new_report())
    assert set(found) == {here, near}
    assert beyond not in found and far not in found and unplaced not in found


def test_only_orders_within_the_time_window_are_candidates(services: Services, district: District) -> None:
    recent = add_order(services, district, days_ago=6.9)
    old = add_order(services, district, days_ago=7.1)
    found = candidates(services, new_report())
    assert recent in found and old not in found


@pytest.mark.parametrize("status", [OrderStatus.MERGED, OrderStatus.CLOSED, OrderStatus.CANCELLED])
def test_merged_closed_and_cancelled_orders_are_never_candidates(
    services: Services, district: District, status: OrderStatus
) -> None:
    open_one = add_order(services, district, status=OrderStatus.IN_PROGRESS)
    ended = add_order(services, district, status=status)
    found = candidates(services, new_report())
    assert open_one in found and ended not in found


def test_orders_of_the_same_caller_are_candidates_anywhere_or_nowhere(
    services: Services, district: District
) -> None:
    far_same = add_order(services, district, at=north(5_000), phone="13800000001")
    unplaced_same = add_order(services, district, at=None, phone="13800000001")
    far_other = add_order(services, district, at=north(5_000), phone="13900000009")
    old_same = add_order(services, district, at=None, phone="13800000001", days_ago=9)
    found = candidates(services, new_report(at=None, phone="13800000001"))
    assert set(found) == {far_same, unplaced_same}
    assert far_other not in found and old_same not in found


def test_a_placed_report_from_a_caller_finds_the_orders_nearby_and_the_callers_anywhere(
    services: Services, district: District
) -> None:
    """One round trip on PostgreSQL (nearby and same caller together), two on SQLite: the same
    candidates, newest first, each once, and the nearby ones read on past the first page."""
    near_same = add_order(services, district, at=north(20), phone="13800000001", days_ago=1)
    far_same = add_order(services, district, at=north(5_000), phone="13800000001", days_ago=2)
    unplaced_same = add_order(services, district, at=None, phone="13800000001", days_ago=3)
    near_others = [add_order(services, district, at=north(40 + i), days_ago=4 + i / 10) for i in range(6)]
    far_other = add_order(services, district, at=north(5_000), phone="13900000009")
    # The cells and box read more than the circle: the newest orders in the box's corner, outside
    # it, fill the first page of 2 × limit rows, and the nearby ones come from the next page.
    corner = (SPOT[0] + 0.0024, SPOT[1] + 0.0026)
    corners = [add_order(services, district, at=corner, days_ago=0.1 * (i + 1)) for i in range(4)]
    assert candidates(services, new_report(phone="13800000001"), limit=2) == [near_same, far_same]
    found = candidates(services, new_report(phone="13800000001"), limit=5)
    assert found == [near_same, far_same, unplaced_same, *near_others[:2]]
    everything = candidates(services, new_report(phone="13800000001"))
    assert everything == [near_same, far_same, unplaced_same, *near_others]
    assert far_other not in everything and not set(corners) & set(everything)


def test_a_service_number_is_not_a_caller(services: Services, district: District) -> None:
    add_order(services, district, at=None, phone="12345")
    assert candidates(services, new_report(at=None, phone="12345")) == []


def test_a_report_with_neither_place_nor_caller_has_no_candidates(
    services: Services, district: District
) -> None:
    add_order(services, district)
    assert candidates(services, new_report(at=None)) == []


def test_candidates_are_newest_first_bounded_and_exclude_the_order_itself(
    services: Services, district: District
) -> None:
    ids = [add_order(services, district, at=north(10 * i), days_ago=5 - i) for i in range(5)]
    me = ids[-1]
    found = candidates(services, new_report(id=me), limit=3)
    assert found == [ids[3], ids[2], ids[1]]
    with services.db.reading() as session:
        items = find_candidates(session, new_report(id=me), POLICY, NOW)
    assert all(i.status in {s.value for s in OrderStatus} for i in items)
    assert all(i.registered_at is not None and i.registered_at.tzinfo is not None for i in items)
    assert items[0].title_tokens and "占道经营" in items[0].title_tokens


def test_the_candidates_found_score_as_the_issue_says(services: Services, district: District) -> None:
    duplicate = add_order(services, district, at=north(30))
    other_matter = add_order(
        services, district, "夏北路井盖丢失", "夏北路12号旁边人行道上的井盖不见了，晚上很危险", at=north(20)
    )
    with services.db.reading() as session:
        found = find_candidates(session, new_report(), POLICY, NOW)
    best = best_candidates(new_report(), found, POLICY)
    assert [s.candidate_id for s in best] == [duplicate]
    assert best[0].decision == "merge"
    assert other_matter in {c.id for c in found}


def test_record_candidates_writes_one_row_per_candidate_and_rescoring_updates_it(
    services: Services, district: District
) -> None:
    master = add_order(services, district)
    other = add_order(services, district, at=north(100))
    new = add_order(services, district, at=north(5), days_ago=0)
    scores = [
        DedupeScore(master, 0.81, 0.9, 5.0, False, "merge"),
        DedupeScore(other, 0.42, 0.5, 95.123, True, "flag"),
        DedupeScore(None, 0.99, 0.99, None, False, "merge"),  # no id: skipped
        DedupeScore(new, 1.0, 1.0, 0.0, False, "merge"),  # itself: skipped
    ]
    with services.db.transaction() as session:
        assert record_candidates(session, new, scores) == 2
    with services.db.transaction() as session:
        assert record_candidates(session, new, [DedupeScore(master, 0.77, 0.8, 6.0, False, "merge")]) == 1
    with services.db.reading() as session:
        rows = (
            session.execute(
                select(DuplicateCandidateRow)
                .where(DuplicateCandidateRow.order_id == new)
                .order_by(DuplicateCandidateRow.candidate_id)
            )
            .scalars()
            .all()
        )
        stored = [(r.candidate_id, r.score, r.distance_m, r.same_caller, r.decision) for r in rows]
        assert all(r.created_at.tzinfo is not None for r in rows)
    assert stored == [(master, 0.77, 6.0, False, "open"), (other, 0.42, 95.1, True, "open")]


def test_item_of_order_reads_a_stored_order(services: Services, district: District) -> None:
    oid = add_order(services, district, phone="13800000001")
    with services.db.reading() as session:
        row = session.get(WorkOrderRow, oid)
        assert row is not None
        item = item_of_order(row)
    assert item.id == oid and item.phone == "13800000001"
    assert item.lat == pytest.approx(SPOT[0]) and "占道经营" in item.title_tokens


def _store_signature(services: Services, oid: int, days_ago: float) -> None:
    with services.db.transaction() as session:
        row = session.get(WorkOrderRow, oid)
        assert row is not None
        store_signature(session, oid, item_of_order(row), NOW - timedelta(days=days_ago))


def test_candidates_with_a_stored_signature_score_as_if_segmented_again(
    services: Services, district: District
) -> None:
    with_signature = add_order(services, district)
    without = add_order(services, district, at=north(100))
    _store_signature(services, with_signature, 1.0)
    new = new_report()
    with services.db.reading() as session:
        found = {c.id: c for c in find_candidates(session, new, POLICY, NOW)}
        stored = {
            oid: item_of_order(session.get(WorkOrderRow, oid))  # type: ignore[arg-type]
            for oid in (with_signature, without)
        }
    assert set(found) == {with_signature, without}
    assert found[with_signature].title_tokens == ()  # read from the signature, not segmented
    assert found[without].title_tokens != ()
    for oid in found:
        assert best_candidates(new, [found[oid]], POLICY) == best_candidates(new, [stored[oid]], POLICY)


def test_pruning_deletes_only_signatures_older_than_the_given_time(
    services: Services, district: District
) -> None:
    old, recent = add_order(services, district, days_ago=10), add_order(services, district)
    _store_signature(services, old, 10.0)
    _store_signature(services, recent, 1.0)
    with services.db.transaction() as session:
        assert prune_signatures(session, NOW - timedelta(days=8)) == 1
    with services.db.reading() as session:
        kept = set(session.scalars(select(DedupeSignatureRow.order_id)))
    assert kept == {recent}
