"""The demo: its district, its seeded orders (every status, genuine histories), the live simulator,
and `zhiyun demo` itself as a process answering HTTP."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.api.app import create_app
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.demo.boundaries import ensure_boundaries, village_centre
from zhiyun.demo.cli import prepare_demo, sign_example
from zhiyun.demo.district import (
    DEMO_ADMIN,
    DEMO_PASSWORD,
    LOGIN_EXAMPLES,
    TOWNS,
    DemoDirectory,
    ensure_district,
    is_simulated,
    sim_users,
    units,
    users,
)
from zhiyun.demo.grids import DEMO_GRID_WORKERS, DEMO_GRIDS, demo_grids, demo_workers, grid_at, village_prefix
from zhiyun.demo.orders import DEFAULT_COUNT, SeedReport, seed_orders
from zhiyun.demo.simulator import ChannelPoster, TrafficSimulator
from zhiyun.domain.access import STAFF_ROLES, Role
from zhiyun.domain.errors import ConcurrentUpdate
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.org import UnitKind
from zhiyun.domain.workorder import Action, OrderStatus, Satisfaction
from zhiyun.grid.tables import GridWorkerRow
from zhiyun.grid.workers import GridWorkerService
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade
from zhiyun.store.tables import ChannelKeyRow, IntakeRecordRow, TransitionRow, UserRow, WorkOrderRow


def _counts(services: Services) -> dict[str, int]:
    with services.db.reading() as session:
        statuses = dict(
            session.execute(select(WorkOrderRow.status, func.count()).group_by(WorkOrderRow.status)).all()
        )
        return {
            **{f"status:{k}": int(v) for k, v in statuses.items()},
            "orders": int(session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0),
            "transitions": int(session.scalar(select(func.count()).select_from(TransitionRow)) or 0),
            "users": int(session.scalar(select(func.count()).select_from(UserRow)) or 0),
        }


SEEDED_DB = "demo.db"


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def seeded(seeded_dir: Path) -> Iterator[tuple[Services, SeedReport]]:
    """The demo as `zhiyun demo` prepares it, once for this module, on a SQLite file."""
    path = seeded_dir / SEEDED_DB
    services = build_services(Database(f"sqlite:///{path}"), Settings(attachment_dir=path.parent / "att"))
    started = time.perf_counter()
    report = prepare_demo(services, progress=False)
    report.seconds = time.perf_counter() - started
    try:
        yield services, report
    finally:
        services.close()


# --------------------------------------------------------------------------- district


def test_the_demo_district_looks_like_nanhai() -> None:
    records = units()
    kinds = Counter(r.kind for r in records)
    assert kinds[UnitKind.DISTRICT] == 1
    assert kinds[UnitKind.TOWN] == 7
    assert 35 <= kinds[UnitKind.VILLAGE] <= 45
    top_departments = [r for r in records if r.kind == UnitKind.DEPARTMENT and r.parent_code == "NH"]
    assert 14 <= len(top_departments) <= 16
    assert any(r.kind == UnitKind.DEPARTMENT and r.parent_code != "NH" for r in records)  # sub-units
    assert any(r.kind == UnitKind.OFFICE for r in records)  # town offices
    names = {r.name for r in records}
    assert {"南海区", "桂城街道", "九江镇", "西樵镇", "丹灶镇", "狮山镇", "大沥镇", "里水镇"} <= names
    assert "区城管局" in names
    assert "桂城" in next(r for r in records if r.code == "GC").aliases
    assert len({r.code for r in records}) == len(records)


def test_there_is_a_demo_user_for_every_role_and_every_center(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    accounts = {u.username: u for u in services.accounts.list_users()}
    assert {Role(u.role) for u in accounts.values()} == set(STAFF_ROLES)
    assert set(LOGIN_EXAMPLES) <= set(accounts)
    directory = DemoDirectory.load(services)
    for unit in directory.org.units.values():
        if directory.org.is_center(unit.id):
            assert directory.dispatcher_at(unit.id) is not None, unit.name
        else:
            assert directory.holder_at(unit.id) is not None, unit.name
    assert services.accounts.authenticate("gc_dispatcher", DEMO_PASSWORD).unit_name == "桂城街道"
    generated = {w.username for w in demo_workers()} - {u.username for u in users()}  # gc_xb_grid is both
    assert len(users()) + len(sim_users()) + len(generated) == len(accounts)


def test_the_simulator_has_its_own_accounts_named_as_simulated(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    accounts = {u.username: u for u in services.accounts.list_users()}
    simulated = {name: u for name, u in accounts.items() if is_simulated(name)}
    assert {
        "sim_dispatcher_nh",
        "sim_dispatcher_gc",
        "sim_handler_gc_xb",
        "sim_leader",
        "sim_inspector",
    } <= set(simulated)
    assert all(u.display_name and u.display_name.startswith("模拟") for u in simulated.values())
    assert not any(is_simulated(name) for name in LOGIN_EXAMPLES)
    with pytest.raises(AuthenticationFailed):  # nobody signs in with them
        services.accounts.authenticate("sim_dispatcher_gc", DEMO_PASSWORD)
    people, sim = DemoDirectory.load(services), DemoDirectory.load(services, simulated=True)
    assert not any(is_simulated(name) for name in people.actors)
    assert set(sim.actors) == set(simulated)
    for unit in sim.org.units.values():  # the simulator can act wherever people can
        if sim.org.is_center(unit.id):
            assert sim.dispatcher_at(unit.id) is not None, unit.name
        else:
            assert sim.holder_at(unit.id) is not None, unit.name


def test_the_printed_sign_example_names_a_real_order_its_login_may_sign(
    seeded: tuple[Services, SeedReport],
) -> None:
    services, _ = seeded
    example = sign_example(services)
    assert example is not None
    login, unit, number = example
    assert not is_simulated(login) and login.startswith("gc_")  # 桂城街道's first
    actor = services.accounts.authenticate(login, DEMO_PASSWORD).actor()
    detail = services.orders.get(actor, number)
    assert detail.summary.status == "dispatched" and detail.summary.current_unit is not None
    assert detail.summary.current_unit.name == unit
    assert Action.SIGN in services.orders.allowed(actor, number)


# --------------------------------------------------------------------------- grids and grid workers


def test_the_demo_has_1049_grids_numbered_in_each_village_and_every_order_point_in_one(
    seeded: tuple[Services, SeedReport],
) -> None:
    services, _ = seeded
    grids = services.geo.grids()
    assert len(grids) == DEMO_GRIDS == 1049
    directory = DemoDirectory.load(services)
    by_village: dict[int, list[str]] = {}
    for g in grids:
        by_village.setdefault(g.village_unit_id, []).append(g.code)
    assert len(by_village) == 40
    for village_id, codes in by_village.items():
        prefix = village_prefix(directory.org.units[village_id].code)
        assert codes == [f"{prefix}{n:03d}" for n in range(1, len(codes) + 1)]
    assert {c[:6] for c in (g.code for g in grids)} == {"440605"}
    # numbered north → south: the first grid of a village lies north of its last
    xb = [g for g in grids if g.village_unit_id == directory.id("GC-XB")]
    assert xb[0].bbox[3] > xb[-1].bbox[1]
    # the village's boundary is tiled: no gaps, no overlaps (the import would have said)
    again = services.geo.import_grids(DEMO_ADMIN, demo_grids(), dry_run=True)
    assert (again.unchanged, again.warnings) == (1049, [])
    lat, lon = village_centre("GC-XB")
    located = services.geo.locate(lat, lon)
    assert located.village_unit_id == directory.id("GC-XB") and located.grid_code is not None
    assert located.grid_code == (grid_at(lat, lon) or pytest.fail("no demo grid there")).code


def test_the_demo_has_4823_grid_workers_a_chief_per_village_and_a_full_time_worker_per_grid(
    seeded: tuple[Services, SeedReport],
) -> None:
    services, _ = seeded
    with services.db.reading() as session:
        kinds = dict(
            session.execute(select(GridWorkerRow.kind, func.count()).group_by(GridWorkerRow.kind)).all()
        )
        workers = session.scalar(
            select(func.count()).select_from(UserRow).where(UserRow.role == "grid_worker")
        )
        full_time_grids = session.scalar(
            select(func.count(func.distinct(GridWorkerRow.grid_id))).where(GridWorkerRow.kind == "full_time")
        )
    assert workers == DEMO_GRID_WORKERS == 4823
    assert kinds == {"chief": 40, "full_time": 1049, "part_time": 4823 - 40 - 1049}
    assert full_time_grids == 1049
    counts = services.get(GridWorkerService).village_counts(DEMO_ADMIN)
    assert len(counts) == 40 and all(c.chiefs == 1 and c.full_time == c.grids for c in counts)
    assert all(3 * c.grids <= c.part_time <= 4 * c.grids for c in counts)
    # the printed grid worker works 夏北社区's first grid and sees only it; the chief all of 夏北's
    named = services.accounts.authenticate("gc_xb_grid", DEMO_PASSWORD)
    assert [g.code for g in services.get(GridWorkerService).visible_grids(named.actor())] == [
        "440605001001001"
    ]
    chief = services.accounts.authenticate("gc_xb_chief", DEMO_PASSWORD)
    seen = services.get(GridWorkerService).visible_grids(chief.actor())
    assert len(seen) > 1 and {g.code[:12] for g in seen} == {"440605001001"}
    assert services.accounts.authenticate("ls_ds_grid002_1", DEMO_PASSWORD).role == "grid_worker"
    assert {"gc_xb_grid", "gc_xb_chief"} <= set(LOGIN_EXAMPLES)
    assert sum(1 for name in LOGIN_EXAMPLES if "grid" in name or "chief" in name) <= 3  # a few, not 4,823


# --------------------------------------------------------------------------- seeded orders


def test_seeding_is_quick_and_refuses_nothing(seeded: tuple[Services, SeedReport]) -> None:
    _, report = seeded
    assert report.failures == []
    assert report.created == DEFAULT_COUNT
    assert report.seconds < 60


def test_every_status_and_every_satisfaction_is_present(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    counts = _counts(services)
    for status in OrderStatus:
        assert counts.get(f"status:{status.value}", 0) > 0, status
    with services.db.reading() as session:
        ratings = set(
            session.scalars(select(WorkOrderRow.satisfaction).where(WorkOrderRow.status == "closed"))
        )
    assert {s.value for s in Satisfaction} <= ratings
    assert None in ratings  # archived without a callback


def test_every_action_of_the_life_cycle_appears_in_the_histories(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    with services.db.reading() as session:
        actions = set(session.scalars(select(TransitionRow.action).distinct()))
        reworked = session.scalar(select(func.count()).where(WorkOrderRow.rework_count > 0))
        reopened = session.scalar(select(func.count()).where(WorkOrderRow.reopen_count > 0))
        instructed = session.scalar(select(func.count()).where(WorkOrderRow.has_instruction.is_(True)))
        supervised = session.scalar(select(func.count()).where(WorkOrderRow.supervised.is_(True)))
        extended = session.scalar(select(func.count()).where(WorkOrderRow.extension_count > 0))
    assert {a.value for a in Action} <= actions
    assert min(reworked or 0, reopened or 0, instructed or 0, supervised or 0, extended or 0) > 0


def test_some_open_orders_are_overdue_and_most_are_not(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    now = datetime.now(UTC)
    with services.db.reading() as session:
        open_statuses = ("pending_dispatch", "dispatched", "in_progress")
        live = session.scalar(select(func.count()).where(WorkOrderRow.status.in_(open_statuses)))
        overdue = session.scalar(
            select(func.count()).where(
                WorkOrderRow.status.in_(open_statuses), WorkOrderRow.reply_due_at <= now
            )
        )
    assert 0 < (overdue or 0) < (live or 0) / 2


def test_every_order_history_starts_with_register_and_spreads_over_the_past_month(
    seeded: tuple[Services, SeedReport],
) -> None:
    services, _ = seeded
    now = datetime.now(UTC)
    with services.db.reading() as session:
        first_ids = select(func.min(TransitionRow.id)).group_by(TransitionRow.order_id)
        first_actions = Counter(
            session.scalars(select(TransitionRow.action).where(TransitionRow.id.in_(first_ids)))
        )
        registers = session.execute(
            select(TransitionRow.order_id, func.count())
            .where(TransitionRow.action == "register")
            .group_by(TransitionRow.order_id)
        ).all()
        orders = session.scalar(select(func.count()).select_from(WorkOrderRow))
        oldest, newest = session.execute(
            select(func.min(WorkOrderRow.registered_at), func.max(WorkOrderRow.registered_at))
        ).one()
        last_step = session.scalar(select(func.max(TransitionRow.created_at)))
        unordered = session.scalar(
            select(func.count())
            .select_from(TransitionRow)
            .join(WorkOrderRow, WorkOrderRow.id == TransitionRow.order_id)
            .where(TransitionRow.created_at < WorkOrderRow.registered_at)
        )
    assert first_actions == {"register": orders}
    assert all(n == 1 for _, n in registers) and len(registers) == orders
    assert now - timedelta(days=31) <= oldest <= now - timedelta(days=20)
    assert newest <= now and last_step <= now
    assert unordered == 0


def test_an_order_history_reads_like_a_real_one(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    leader = services.accounts.authenticate("leader", DEMO_PASSWORD).actor()
    page = services.worklists.page(leader, OrderQuery(statuses=("closed",)), limit=50)
    details = (services.orders.get(leader, o.id) for o in page.items)
    detail = next(d for d in details if d.satisfaction == "satisfied")
    trail = services.orders.transitions(leader, detail.summary.id)
    assert trail[0].action == "register"
    assert trail[-1].action == "callback" and trail[-1].to_status == "closed"
    assert any(t.action == "reply" and t.note for t in trail)
    assert len({t.actor_name for t in trail}) >= 3  # dispatchers, a handler, an inspector
    assert detail.summary.title and detail.content and detail.result
    assert detail.citizen_phone is None or len(detail.citizen_phone) == 11


def test_seeding_again_keeps_what_is_there_and_adds_nothing(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    before = _counts(services)
    again = prepare_demo(services, progress=False)
    assert again.created == 0
    assert again.existing == DEFAULT_COUNT
    assert again.failures == []
    assert _counts(services) == before


def test_a_district_already_there_is_kept_by_ensure_district(seeded: tuple[Services, SeedReport]) -> None:
    services, _ = seeded
    report = ensure_district(services)
    assert (report.units_created, report.units_updated, report.users_created) == (0, 0, 0)


# --------------------------------------------------------------------------- the simulator


@pytest.fixture
def small_demo(tmp_path: Path) -> Iterator[Services]:
    db = Database(f"sqlite:///{tmp_path / 'small.db'}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=tmp_path / "att"))
    ensure_district(services)
    ensure_boundaries(services, services.geo)
    report = seed_orders(services, count=30)
    assert report.failures == []
    try:
        yield services
    finally:
        services.close()


@contextmanager
def posting(services: Services) -> Iterator[ChannelPoster]:
    """The intake endpoint behind Starlette's TestClient: what the simulator posts to in tests."""
    client = TestClient(create_app(services))
    try:
        yield ChannelPoster(client)
    finally:
        client.close()


def _never_posts(channel: str, payload: object, key: str) -> tuple[int, dict[str, object]]:
    raise AssertionError("this test does not post")


def test_the_simulator_posts_through_the_channels_and_moves_orders_through_the_real_services(
    small_demo: Services,
) -> None:
    before = _counts(small_demo)
    with posting(small_demo) as poster:
        simulator = TrafficSimulator(small_demo, poster=poster, seed=11, moves_per_order=4)
        outcomes = [simulator.step() for _ in range(120)]
    after = _counts(small_demo)
    c = simulator.counts
    assert c["posted"] > 10 and len(simulator.by_channel) >= 4
    assert c["created"] > 0 and c["rejected"] == c["post_errors"] == c["errors"] == 0, outcomes
    moved = sum(n for k, n in c.items() if k in {a.value for a in Action})
    assert moved > 30
    assert c["refused"] == 0, [o for o in outcomes if o.startswith("refused")]
    assert after["orders"] == before["orders"] + c["created"]
    # every new order registers, a merged one is merged, a flagged one flagged, an update recorded
    audit = c["created"] + c["merged"] + c["flagged"] + c["updated"] + moved
    audit += c["merge_confirmed"] + c["dismissed"]
    assert after["transitions"] == before["transitions"] + audit
    with small_demo.db.reading() as session:
        from_channels = session.scalar(
            select(func.count())
            .select_from(IntakeRecordRow)
            .where(IntakeRecordRow.external_id.not_like("DEMO-%"))
        )
    assert from_channels == c["created"] + c["updated"]


JULY_MORNING = datetime(2026, 7, 8, 2, tzinfo=UTC)


def test_the_simulator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        db = Database(f"sqlite:///{tmp_path / f'det{n}.db'}")
        upgrade(db)
        services = build_services(db, Settings(attachment_dir=tmp_path / "att"))
        ensure_district(services)
        with posting(services) as poster:
            simulator = TrafficSimulator(services, poster=poster, seed=5, clock=lambda: JULY_MORNING)
            runs.append([simulator.step().split(" ", 2)[:2] for _ in range(25)])
        services.close()
    assert runs[0] == runs[1]


def test_the_simulator_logs_a_409_and_carries_on(
    small_demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    with posting(small_demo) as poster:
        simulator = TrafficSimulator(small_demo, poster=poster, seed=3, moves_per_order=1000, people_share=0)
        while not simulator.working:  # an order of its own to work on
            simulator.arrive()
    simulator.flagged.clear()
    simulator.poster = _never_posts

    def conflict(*_args: object, **_kwargs: object) -> None:
        raise ConcurrentUpdate("工单已被他人更新，请刷新后重试")

    monkeypatch.setattr(small_demo.orders, "act", conflict)
    outcome = simulator.step()
    assert outcome.startswith("refused")
    assert simulator.counts["refused"] == 1


def test_the_simulator_thread_survives_errors_and_stops_on_request(
    small_demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Counter[str]()
    real_get = small_demo.orders.get

    def flaky(*args: object, **kwargs: object) -> object:
        calls["get"] += 1
        if calls["get"] % 2:
            raise RuntimeError("database hiccup")
        return real_get(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(small_demo.orders, "get", flaky)
    with posting(small_demo) as poster:
        simulator = TrafficSimulator(
            small_demo, poster=poster, seed=4, rate_per_minute=600, people_share=0, stock_people=False
        )
        simulator.start()
        deadline = time.monotonic() + 20
        while (
            simulator.counts["errors"] < 2 or sum(simulator.counts.values()) < 6
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert simulator.running
        simulator.stop()
    assert not simulator.running
    assert simulator.counts["errors"] >= 2
    assert sum(n for k, n in simulator.counts.items() if k != "errors") >= 3


def _sim_user_ids(services: Services) -> tuple[set[int], set[int]]:
    """(the simulator's account ids, the people's account ids)."""
    sim, people = set(), set()
    for u in services.accounts.list_users():
        (sim if is_simulated(u.username) else people).add(u.id)
    return sim, people


def test_the_simulator_acts_only_as_its_own_sim_accounts(small_demo: Services) -> None:
    with small_demo.db.reading() as session:
        before = int(session.scalar(select(func.max(TransitionRow.id))) or 0)
    with posting(small_demo) as poster:
        simulator = TrafficSimulator(small_demo, poster=poster, seed=21, moves_per_order=6)
        stocked = simulator.stock_people_queues()
        outcomes = [simulator.step() for _ in range(150)]
    assert stocked and outcomes
    sim, people = _sim_user_ids(small_demo)
    with small_demo.db.reading() as session:
        rows = session.execute(
            select(TransitionRow.actor_user_id, TransitionRow.actor_name, TransitionRow.actor_role).where(
                TransitionRow.id > before
            )
        ).all()
    by_sim = [r for r in rows if r.actor_user_id in sim]
    assert len(by_sim) > 50
    assert {r.actor_role for r in by_sim} >= {"dispatcher", "handler"}
    assert all(r.actor_name.startswith("模拟") for r in by_sim)
    assert [r for r in rows if r.actor_user_id in people] == []
    # whatever else acted is no person: a channel's interface, automatic dispatch
    assert all(r.actor_user_id in sim or r.actor_role == "system" for r in rows), {
        (r.actor_name, r.actor_role) for r in rows if r.actor_user_id not in sim
    }


def _run_for_people(
    tmp_path: Path, name: str, seed: int, steps: int = 120, **kw: Any
) -> tuple[TrafficSimulator, list[str]]:
    """`steps` steps, then half as many in which no order left to people may see the simulator's hand."""
    db = Database(f"sqlite:///{tmp_path / name}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=tmp_path / "att"))
    ensure_district(services)
    ensure_boundaries(services, services.geo)
    try:
        with posting(services) as poster:
            simulator = TrafficSimulator(
                services, poster=poster, seed=seed, clock=lambda: JULY_MORNING, event_share=0.3, **kw
            )
            outcomes = [simulator.step() for _ in range(steps)]
            left = list(simulator.left)
            with services.db.reading() as session:
                mark = int(session.scalar(select(func.max(TransitionRow.id))) or 0)
            outcomes += [simulator.step() for _ in range(steps // 2)]
        sim, _people = _sim_user_ids(services)
        with services.db.reading() as session:
            touched = set(
                session.scalars(
                    select(TransitionRow.order_id).where(
                        TransitionRow.id > mark,
                        TransitionRow.order_id.in_(left),
                        TransitionRow.actor_user_id.in_(sim),
                    )
                )
            )
        assert touched == set(), "an order left to people was worked on after it was left"
    finally:
        services.close()
    return simulator, outcomes


def test_the_simulator_leaves_a_share_of_new_orders_and_duplicates_to_people(tmp_path: Path) -> None:
    first, outcomes = _run_for_people(tmp_path, "a.db", seed=1)
    again, outcomes_again = _run_for_people(tmp_path, "b.db", seed=1)
    assert outcomes == outcomes_again and list(first.left) == list(again.left)  # deterministic for a seed
    c = first.counts
    new = c["created"] - c["merged"] - c["flagged"]  # registered, neither merged nor flagged
    assert 0.2 * new <= c["left_to_people"] <= 0.45 * new, dict(c)  # people_share 0.3
    assert c["flagged"] > 0 and 0 < c["flags_left"] < c["flagged"] + 1, dict(c)
    assert c["flags_left"] + len(first.flagged) + c["merge_confirmed"] + c["dismissed"] >= c["flagged"]
    assert any("(left to people)" in o for o in outcomes)
    assert any("for people" in o for o in outcomes)  # a possible duplicate passed on with its flag open
    nobody, _ = _run_for_people(tmp_path, "c.db", seed=1, steps=60, people_share=0, people_duplicate_share=0)
    assert nobody.counts["left_to_people"] == nobody.counts["flags_left"] == 0 < len(nobody.working)
    everyone, _ = _run_for_people(
        tmp_path, "d.db", seed=1, steps=60, people_share=1, people_duplicate_share=1
    )
    e = everyone.counts
    assert e["left_to_people"] == e["created"] - e["merged"] - e["flagged"] > 0
    assert e["flags_left"] == e["flagged"]
    assert not everyone.working


def test_a_town_dispatcher_finds_work_in_every_queue_as_soon_as_the_simulator_starts(
    small_demo: Services,
) -> None:
    """gc_dispatcher (and every town's dispatcher) finds orders in 待分拨 and 疑似重复 at once, and
    can work them: dispatch the returned order again, decide the possible duplicate."""
    with posting(small_demo) as poster:
        simulator = TrafficSimulator(small_demo, poster=poster, seed=13)
        simulator.stock_people_queues()
        again = simulator.stock_people_queues()  # a queue with work in it gets no more
    assert again == []
    for town in TOWNS:
        person = small_demo.accounts.authenticate(f"{town.code.lower()}_dispatcher", DEMO_PASSWORD).actor()
        counts = {q.key: q.count for q in small_demo.worklists.counts(person)}
        assert counts["to_dispatch"] >= 1 and counts["duplicates"] >= 1, (town.name, counts)
    gc = small_demo.accounts.authenticate("gc_dispatcher", DEMO_PASSWORD).actor()
    waiting = small_demo.worklists.page(gc, OrderQuery(queue="to_dispatch")).items
    flagged = small_demo.worklists.page(gc, OrderQuery(queue="duplicates")).items
    assert Action.DISPATCH in small_demo.orders.allowed(gc, waiting[0].id)
    small_demo.duplicates.decide(gc, flagged[0].id, merge_into=None, note="经核实不是同一问题。")
    assert [o.id for o in small_demo.worklists.page(gc, OrderQuery(queue="duplicates")).items] == [
        o.id for o in flagged[1:]
    ]


# --------------------------------------------------------------------------- `zhiyun demo` as a process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _run_demo(db: Path, port: int, tmp_path: Path, *options: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    log = tmp_path / f"demo-{port}.log"
    handle = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhiyun.cli.main", "demo", "--db", str(db), "--port", str(port), *options],
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if _http(f"{base}/healthz")[0] == 200:
                return proc, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("zhiyun demo did not answer /healthz:\n" + log.read_text())


def _post_the_printed_channel_example(output: str) -> list[int]:
    """Run the banner's `cat > payload.json` + `curl -X POST …/intake/12345` example, twice."""
    payload = re.search(r"cat > payload.json <<'EOF'\n(.*?)\nEOF", output, re.S)
    command = re.search(r"curl -X POST (\S+/api/v1/intake/12345) -H 'X-Channel-Key: (zyk_[\w-]+)'", output)
    assert payload and command, output
    headers = {"X-Channel-Key": command.group(2), "content-type": "application/json"}
    body = payload.group(1).encode()
    return [_http(command.group(1), data=body, headers=headers)[0] for _ in range(2)]


def _run_the_printed_sign_example(output: str) -> tuple[int, object]:
    """Log in as the banner says and sign the order it names: what a reader of README does."""
    login = re.search(r"auth/token -d username=(\S+) -d password=(\S+)", output)
    sign = re.search(r"(http://\S+/api/v1/orders/(NH\d+)/sign) -d '\{\}'", output)
    assert login and sign, output
    form = urllib.parse.urlencode({"username": login.group(1), "password": login.group(2)}).encode()
    base = sign.group(1).split("/api/v1/", 1)[0]
    status, body = _http(f"{base}/api/v1/auth/token", data=form)
    assert status == 200, body
    headers = {"Authorization": f"Bearer {body['token']}", "content-type": "application/json"}  # type: ignore[index]
    return _http(sign.group(1), data=b"{}", headers=headers)


def _intake_posts(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if '"POST /api/v1/intake/' in line]


@pytest.mark.slow
def test_zhiyun_demo_serves_the_api_and_live_channel_traffic_and_a_second_start_keeps_the_data(
    seeded: tuple[Services, SeedReport], seeded_dir: Path, tmp_path: Path
) -> None:
    """Runs last in this module, on the database the tests above checked (seeding it again costs time).

    The first start is quiet (--no-traffic); the second posts traffic through the channels fast.
    """
    db = seeded_dir / SEEDED_DB
    counts = []
    starts = (("--no-traffic",), ("--traffic-rate", "900", "--traffic-seed", "3", "--typhoon-every", "0"))
    for options in starts:
        port = _free_port()
        proc, base = _run_demo(db, port, tmp_path, *options)
        log = tmp_path / f"demo-{port}.log"
        try:
            form = urllib.parse.urlencode({"username": "gc_dispatcher", "password": DEMO_PASSWORD}).encode()
            status, body = _http(f"{base}/api/v1/auth/token", data=form)
            assert status == 200, body
            token = body["token"]  # type: ignore[index]
            status, page = _http(
                f"{base}/api/v1/orders?limit=500", headers={"Authorization": f"Bearer {token}"}
            )
            assert status == 200, page
            assert page["items"], "the town dispatcher sees the orders of 桂城街道"  # type: ignore[index]
            responsible = {(o["responsible_unit"] or {}).get("code") for o in page["items"]}  # type: ignore[index]
            assert "GC" in responsible and "DL" not in responsible
            counts.append(len(page["items"]))  # type: ignore[index]
            if "--no-traffic" in options:
                assert _post_the_printed_channel_example(log.read_text()) == [201, 200]
                status, signed = _run_the_printed_sign_example(log.read_text())
                assert status == 200 and signed["status"] == "in_progress", signed  # type: ignore[index]
            else:
                deadline = time.monotonic() + 30
                while len(_intake_posts(log)) < 8 and time.monotonic() < deadline:
                    time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
                raise
        output = log.read_text()
        assert "Traceback" not in output
        assert "gc_dispatcher" in output and DEMO_PASSWORD in output
        assert f"http://127.0.0.1:{port}/docs" in output
        assert f"user list --db {db}" in output  # not the commands' default file: the banner says so
        assert "curl" in output and "/api/v1/auth/token" in output
        assert "/api/v1/intake/12345 -H 'X-Channel-Key: zyk_" in output
        assert f"沿用已有演示数据（演示工单 {DEFAULT_COUNT} 件）" in output
        if "--no-traffic" in options:
            assert "实时来件：已关闭" in output
        else:
            assert "来件渠道：12345 市长直通车、区长直通车" in output and "每分钟约 900 件" in output
            posts = _intake_posts(log)
            assert len(posts) >= 8 and all(" 201" in p or " 200" in p for p in posts), posts
    assert counts[1] >= counts[0]
    with seeded[0].db.reading() as session:
        channels = set(
            session.scalars(
                select(WorkOrderRow.channel).where(
                    WorkOrderRow.external_id.not_like("DEMO-%"), WorkOrderRow.external_id.not_like("C-DEMO-%")
                )
            )
        )
        live_keys = session.execute(
            select(ChannelKeyRow.channel_code).where(ChannelKeyRow.revoked_at.is_(None))
        ).all()
    assert len(channels) >= 3, channels
    # the simulator revoked its keys at the end; the two printed 12345 keys stay for the user
    assert [c for (c,) in live_keys] == ["12345", "12345"]


# --------------------------------------------------------------------------- patrols


def test_the_demo_grid_worker_has_merged_visits_today_and_a_hazard_is_solved_in_the_village(
    seeded: tuple[Services, SeedReport],
) -> None:
    from zhiyun.demo.patrols import clear_answers, with_hazard
    from zhiyun.domain.calendar import LOCAL_TZ
    from zhiyun.domain.patrol_visits import ItemAnswers, VisitSubmission
    from zhiyun.grid.hazards import GridHazardService
    from zhiyun.grid.patrol_service import PatrolService, PhotoUpload
    from zhiyun.grid.patrol_tables import PatrolTaskRow, PatrolVisitRow
    from zhiyun.store.tables import WorkOrderRow

    services, _ = seeded
    with services.db.reading() as session:  # the month so far in 夏北社区 (ensure_patrol_history)
        visits = session.scalar(select(func.count()).select_from(PatrolVisitRow))
        grid_orders = session.scalar(
            select(func.count()).select_from(WorkOrderRow).where(WorkOrderRow.channel == "grid")
        )
        earlier = session.scalar(
            select(func.count())
            .select_from(PatrolTaskRow)
            .where(PatrolTaskRow.day < services.clock().astimezone(LOCAL_TZ).date())
        )
    assert visits or not earlier  # the tasks of the days before today were mostly visited
    assert grid_orders
    worker = services.accounts.authenticate("gc_xb_grid", DEMO_PASSWORD).actor()
    patrols = services.get(PatrolService)
    today = services.clock().astimezone(LOCAL_TZ).date()
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    tasks = patrols.today(worker, month_end).tasks  # every task of the month up to its last day
    assert tasks and any(len(t.items) >= 2 for t in tasks)  # merged: one visit, several checklists
    assert all(t.grid_code == "440605001001001" for t in tasks)
    task = next(t for t in tasks if any(c.code == "XF-001" for c in t.items))
    answers = []
    for c in task.items:
        found = with_hazard(c.item, "cam") if c.code == "XF-001" else None
        answers.append(ItemAnswers(c.code, c.version, found[0] if found else clear_answers(c.item, "cam")))
    sub = VisitSubmission("demo-visit-0001", services.clock(), task_id=task.id, answers=tuple(answers))
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
    )
    receipt = patrols.submit(worker, sub, [PhotoUpload("cam", "cam.jpg", io.BytesIO(jpeg))])
    assert receipt.hazards and receipt.hazards[0].order_number
    number = receipt.hazards[0].order_number
    village = services.accounts.authenticate("gc_xb_dispatcher", DEMO_PASSWORD).actor()
    services.get(GridHazardService).resolve_locally(
        village, number, "已当场责令整改", today + timedelta(days=7)
    )
    with services.db.reading() as session:
        order = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
        assert order is not None and order.status == "awaiting_callback"
        assert order.channel == "grid" and order.current_unit_id == village.unit_id


def test_the_demo_villages_ledger_exports_and_its_patrol_figures_show_the_month(
    seeded: tuple[Services, SeedReport], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from zhiyun.domain.calendar import LOCAL_TZ
    from zhiyun.domain.grid_items import Period
    from zhiyun.domain.patrol_ledger import LedgerRequest
    from zhiyun.grid.ledger import LedgerService
    from zhiyun.grid.patrol_figures import PatrolFiguresService

    services, _ = seeded
    village = services.accounts.authenticate("gc_xb_dispatcher", DEMO_PASSWORD).actor()
    today = services.clock().astimezone(LOCAL_TZ).date()
    request = LedgerRequest.parse(village="GC-XB", start=today.replace(day=1), end=today)
    out = tmp_path / "ledger.xlsx"
    ledger = services.get(LedgerService).export(village, request, out)
    assert ledger.title.startswith("夏北社区 网格巡查电子台账")
    assert (ledger.totals.visits and ledger.sections) or today.day == 1  # the month so far
    assert len(load_workbook(out).sheetnames) == 1 + len(ledger.sections)
    figures = services.get(PatrolFiguresService).figures(village, Period.month(today.year, today.month))
    assert [v.name for v in figures.villages] == ["夏北社区"]
    assert figures.overall.tasks.tasks and figures.overall.hazards.found == ledger.totals.hazards_found


# --------------------------------------------------------------------------- sensing


def test_the_demo_has_devices_and_a_week_of_alarms_folded_into_events_and_partly_verified(
    seeded: tuple[Services, SeedReport],
) -> None:
    from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, VerificationRow
    from zhiyun.sensing.device_tables import DeviceRow
    from zhiyun.sensing.figures import SensingFigures

    services, _ = seeded
    with services.db.reading() as session:
        devices = session.scalar(select(func.count()).select_from(DeviceRow)) or 0
        alarms = session.scalar(select(func.count()).select_from(AlarmRow)) or 0
        events = session.scalar(select(func.count()).select_from(EventRow)) or 0
        answers = dict(
            session.execute(
                select(VerificationRow.status, func.count()).group_by(VerificationRow.status)
            ).all()
        )
    assert devices >= 50 and alarms > events > 20
    assert answers.get("confirmed", 0) > answers.get("false_alarm", 0) > 0
    figures = services.get(SensingFigures).figures(DEMO_ADMIN)
    assert figures.funnel[0].count == alarms and figures.scenes


def test_the_demo_devices_publish_over_a_real_broker_and_the_tasks_reach_the_grid_workers_phones(
    seeded: tuple[Services, SeedReport],
) -> None:
    from zhiyun.demo.sensing import DemoBroker, SensingSimulator, home_verifier
    from zhiyun.sensing.alarm_tables import EventRow, VerificationRow
    from zhiyun.sensing.consumer import AlarmConsumer
    from zhiyun.sensing.device_tables import DeviceRow
    from zhiyun.sensing.pipeline import AlarmPipeline

    services, _ = seeded
    broker = DemoBroker()
    broker.start()
    settings = services.settings.model_copy(
        update={
            "mqtt_host": broker.host,
            "mqtt_port": broker.port,
            "mqtt_protocol": "3.1.1",
            "mqtt_client_id": "t-demo",
        }
    )
    consumer = AlarmConsumer(services.get(AlarmPipeline), settings, batch_wait=0.02)
    consumer.start()
    devices = SensingSimulator(
        services, broker.host, broker.port, seed=3, gas_after_s=1.0, market_first_s=0.5
    )
    try:
        assert consumer.connected.wait(10)
        devices.start()
        deadline = time.monotonic() + 30
        found: tuple[str | None, str | None] = (None, None)
        while time.monotonic() < deadline:
            with services.db.reading() as session:
                market = session.execute(
                    select(VerificationRow.kind, VerificationRow.worker_id)
                    .join(EventRow, EventRow.id == VerificationRow.event_id)
                    .join(DeviceRow, DeviceRow.id == EventRow.device_id)
                    .where(DeviceRow.name.like("夏北市场东门%"), EventRow.scene_code == "CAM-08")
                ).first()
                gas = session.scalar(
                    select(EventRow.status)
                    .join(DeviceRow, DeviceRow.id == EventRow.device_id)
                    .where(DeviceRow.code == "NH-GAS-0001")
                )
            if market is not None and gas is not None:
                found = (market[0], gas)
                break
            time.sleep(0.2)
        assert found == ("verify", "ordered")
        assert market is not None
        verifier = home_verifier(services)
        assert verifier is not None and services.accounts.user_by_name(verifier).id == market[1]
    finally:
        devices.stop()
        consumer.stop()
        broker.stop()
    assert devices.published > 0 and consumer.stats.refused == 0
