"""Two people acting on one order at the same moment, on SQLite and on PostgreSQL.

Exactly one wins (the version check); the other gets a 409 (ConcurrentUpdate or
ActionNotAllowed) and leaves no trace: no audit row, no version bump.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from tests.support import ONLY_POSTGRESQL, District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.errors import ActionNotAllowed, ConcurrentUpdate
from zhiyun.domain.workorder import Command, Dispatch, Redispatch, Reply, Return, Review, Sign, Urge
from zhiyun.orders.service import NewOrder, Registered
from zhiyun.orders.views import OrderDetail
from zhiyun.store.db import Database
from zhiyun.store.tables import TransitionRow, WorkOrderRow

ROUNDS = 15
LOSING = (ConcurrentUpdate, ActionNotAllowed)


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, released together; results or raised errors, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(k: int) -> None:
        barrier.wait()
        try:
            results[k] = calls[k]()
        except BaseException as exc:
            results[k] = exc

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def stored(services: Services, order_id: int) -> tuple[int, int, str]:
    """(audit rows, version, status) of an order, straight from the database."""
    with services.db.reading() as session:
        trail = session.scalar(
            select(func.count()).select_from(TransitionRow).where(TransitionRow.order_id == order_id)
        )
        version, status = session.execute(
            select(WorkOrderRow.version, WorkOrderRow.status).where(WorkOrderRow.id == order_id)
        ).one()
    return int(trail or 0), int(version), str(status)


def at_village(services: Services, district: District, i: int) -> int:
    """An order dispatched district → 桂城 → 夏北, waiting for 夏北 to sign for it."""
    a = district.actors
    oid = services.orders.register(a["district"], NewOrder(title=f"井盖缺失 {i}", content="井盖缺失")).order
    order_id = oid.summary.id
    services.orders.act(a["district"], order_id, Dispatch(target_unit_id=district.units["GC"]))
    services.orders.act(a["town"], order_id, Sign())
    services.orders.act(a["town"], order_id, Dispatch(target_unit_id=district.units["GC-XB"]))
    return order_id


def one_wins(services: Services, order_id: int, calls: list[Callable[[], Any]]) -> tuple[int, Any]:
    """Race `calls` on one order; check exactly one won and the losers changed nothing."""
    trail, version, _ = stored(services, order_id)
    results = at_once(calls)
    winners = [k for k, r in enumerate(results) if isinstance(r, OrderDetail)]
    losers = [r for r in results if not isinstance(r, OrderDetail)]
    assert len(winners) == 1, results
    for loser in losers:
        assert isinstance(loser, LOSING), loser
        assert loser.http_status == 409
    winner = results[winners[0]]
    assert winner.summary.version == version + 1
    assert stored(services, order_id) == (trail + 1, version + 1, winner.summary.status)
    return winners[0], winner


def test_two_signs_at_once_sign_the_order_once(services: Services) -> None:
    district = build_small_district(services)
    xiabei = district.actors["xiabei"]
    for i in range(ROUNDS):
        oid = at_village(services, district, i)
        _, winner = one_wins(services, oid, [lambda oid=oid: services.orders.act(xiabei, oid, Sign())] * 2)
        assert winner.summary.status == "in_progress"
        signs = [t for t in services.orders.transitions(xiabei, oid) if t.action == "sign"]
        assert len(signs) == 2  # the town's and the village's


def test_sign_and_return_on_the_same_version_let_only_one_through(services: Services) -> None:
    district = build_small_district(services)
    xiabei = district.actors["xiabei"]
    for i in range(ROUNDS):
        oid = at_village(services, district, i)
        version = services.orders.get(xiabei, oid).summary.version
        commands: list[Command] = [Sign(), Return(note="不属于本社区")]
        k, winner = one_wins(
            services,
            oid,
            [
                lambda oid=oid, c=c, v=version: services.orders.act(xiabei, oid, c, expected_version=v)
                for c in commands
            ],
        )
        assert winner.summary.status == ("in_progress" if k == 0 else "pending_dispatch")


def test_a_redispatch_racing_a_sign_lets_only_one_through(services: Services) -> None:
    district = build_small_district(services)
    a = district.actors
    for i in range(ROUNDS):
        oid = at_village(services, district, i)
        version = services.orders.get(a["town"], oid).summary.version
        k, winner = one_wins(
            services,
            oid,
            [
                lambda oid=oid, v=version: services.orders.act(a["xiabei"], oid, Sign(), expected_version=v),
                lambda oid=oid, v=version: services.orders.act(
                    a["town"], oid, Redispatch(target_unit_id=district.units["GC-PN"]), expected_version=v
                ),
            ],
        )
        current = winner.summary.current_unit
        assert current is not None
        assert current.code == ("GC-XB" if k == 0 else "GC-PN")


def test_approve_and_reject_at_once_review_the_reply_once(services: Services) -> None:
    district = build_small_district(services)
    a = district.actors
    for i in range(ROUNDS):
        oid = at_village(services, district, i)
        services.orders.act(a["xiabei"], oid, Sign())
        services.orders.act(a["xiabei"], oid, Reply(note="已补装井盖"))
        k, winner = one_wins(
            services,
            oid,
            [
                lambda oid=oid: services.orders.act(a["town"], oid, Review(approve=True)),
                lambda oid=oid: services.orders.act(a["town"], oid, Review(approve=False, note="照片不清晰")),
            ],
        )
        assert winner.summary.status == ("awaiting_callback" if k == 0 else "in_progress")
        reviews = [t for t in services.orders.transitions(a["town"], oid) if t.action == "review"]
        assert len(reviews) == 1


def test_concurrent_urges_never_lose_an_update(services: Services) -> None:
    district = build_small_district(services)
    a = district.actors
    oid = at_village(services, district, 0)
    trail, version, _ = stored(services, oid)
    successes = 0
    for _ in range(5):
        results = at_once([lambda: services.orders.act(a["leader"], oid, Urge(note="请加快"))] * 4)
        for r in results:
            assert isinstance(r, OrderDetail | ConcurrentUpdate), r
        successes += sum(isinstance(r, OrderDetail) for r in results)
    assert successes >= 5  # at least one per round
    detail = services.orders.get(a["leader"], oid)
    assert detail.counters["urges"] == successes
    assert stored(services, oid) == (trail + successes, version + successes, "dispatched")


@ONLY_POSTGRESQL
def test_a_registration_still_open_does_not_hold_up_the_next_number(services: Services) -> None:
    """On PostgreSQL the day's number is taken in a transaction of its own: a second registration
    gets the next number while the first is still uncommitted, and a rollback leaves a gap."""
    district = build_small_district(services)
    actor = district.actors["district"]
    with services.db.transaction() as session:
        first = services.orders.register_in(
            session, actor, NewOrder(title="路灯不亮", content="路灯坏了"), datetime.now(UTC)
        )
        # while `first` is uncommitted (its counter row would be locked if taken in this transaction)
        done: list[Any] = []
        other = threading.Thread(
            target=lambda: done.append(
                services.orders.register(actor, NewOrder(title="井盖缺失", content="井盖缺失"))
            )
        )
        other.start()
        other.join(timeout=20)
        assert done, "the second registration waited for the first one's transaction"
        second = done[0]
        assert isinstance(second, Registered), second
        assert int(second.order.summary.number[-4:]) == int(first.number[-4:]) + 1
        session.rollback()
    third = services.orders.register(actor, NewOrder(title="垃圾堆积", content="垃圾没人清"))
    assert int(third.order.summary.number[-4:]) == int(second.order.summary.number[-4:]) + 1
    with services.db.reading() as session:
        numbers = set(session.scalars(select(WorkOrderRow.number)))
    assert first.number not in numbers  # rolled back: its number is a gap, never given again


@ONLY_POSTGRESQL
def test_a_dropped_counter_connection_is_replaced_without_losing_the_registration(services: Services) -> None:
    """The number counter's connections skip the ping on checkout: one that died is retried once."""
    district = build_small_district(services)
    actor = district.actors["district"]
    first = services.orders.register(actor, NewOrder(title="路灯不亮", content="路灯坏了")).order.summary
    with services.db.counter_engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with services.db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    second = services.orders.register(actor, NewOrder(title="井盖缺失", content="井盖缺失")).order.summary
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


@ONLY_POSTGRESQL
def test_only_the_counters_commits_skip_waiting_for_the_disk(database: Database) -> None:
    """A counter step is used only by a registration whose own (durable) commit flushes the log
    past it; every other commit waits for the disk as the server is configured."""
    with database.counter_engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    with database.engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    tuned = Database(database.url + ("&" if "?" in database.url else "?") + "options=-c%20work_mem%3D8MB")
    try:
        with tuned.counter_engine.connect() as conn:  # the URL's own options are kept
            assert conn.execute(text("SHOW work_mem")).scalar_one() == "8MB"
            assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    finally:
        tuned.dispose()


def _kill_pooled_connection(db: Database) -> None:
    """Terminate the backend of the connection `db`'s pool holds (as a database restart would)."""
    with db.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    killer = Database(db.url)
    try:
        with killer.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        killer.dispose()


@ONLY_POSTGRESQL
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(database: Database) -> None:
    db = Database(database.url, ping_after_idle_s=0.0)  # every checkout counts as after idling
    try:
        _kill_pooled_connection(db)
        with db.transaction() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()


@ONLY_POSTGRESQL
def test_a_connection_in_steady_use_is_not_pinged_and_a_dead_one_only_fails_once(database: Database) -> None:
    """No round trip before each transaction on a busy connection; if the database went away
    under it, that transaction fails, the pool is invalidated and the next one reconnects."""
    db = Database(database.url, ping_after_idle_s=3600.0)
    try:
        _kill_pooled_connection(db)
        with pytest.raises(DBAPIError) as failed, db.transaction() as session:
            session.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        with db.transaction() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()
