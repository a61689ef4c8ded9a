"""The deadline sweep under concurrency, and the `zhiyun worker` process, on SQLite and PostgreSQL.

Several sweeps over the same overdue orders at the same moment — threads with engines of
their own, and two real worker processes — must record exactly one urge notice per order.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from tests.support import SMALL_DISTRICT, TEST_ADMIN, TEST_SYSTEM

from zhiyun.analytics.jobs import rollup_once
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.dedupe.jobs import prune_once
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.workorder import Dispatch, OrderType, Sign
from zhiyun.orders.jobs import backfill_once, sweep_once
from zhiyun.orders.service import NewOrder
from zhiyun.orders.sweep import DeadlineSweep, SweepReport
from zhiyun.store.db import Database
from zhiyun.store.tables import NoticeRow, WorkOrderRow
from zhiyun.worker import add_jobs, scheduled_jobs, start_background_jobs

REGISTERED = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Nanhai
SWEPT = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)  # 15 working days are long gone
RECENT = datetime(2026, 7, 14, 2, 0, tzinfo=UTC)
OVERDUE_ORDERS = 12


def _clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def _district(services: Services) -> dict[str, Actor]:
    services.org.import_records(TEST_ADMIN, SMALL_DISTRICT)
    shared = PasswordHasher().hash("test-password-1")
    actors = {}
    for username, role, unit in (
        ("district", Role.DISPATCHER, "NH"),
        ("town", Role.DISPATCHER, "GC"),
        ("xiabei", Role.HANDLER, "GC-XB"),
    ):
        user = services.accounts.add_user(
            TEST_ADMIN, username=username, password="", password_hash=shared, role=role, unit_code=unit
        )
        actors[username] = user.actor()
    return actors


def _in_progress_orders(db: Database, settings: Settings, at: datetime, count: int) -> list[int]:
    """Orders registered at `at`, dispatched district → town → village and signed for there."""
    services = build_services(db, settings, clock=_clock(at))
    actors = {u.username: u.actor() for u in services.accounts.list_users()}
    snapshot_units = _unit_ids(db)
    ids = []
    for n in range(count):
        order = services.orders.register(
            actors["district"],
            NewOrder(title=f"路灯不亮 {n}", content="夏北路路灯不亮", order_type=OrderType.COMPLAINT),
        ).order
        oid = order.summary.id
        services.orders.act(actors["district"], oid, Dispatch(target_unit_id=snapshot_units["GC"]))
        services.orders.act(actors["town"], oid, Sign())
        services.orders.act(actors["town"], oid, Dispatch(target_unit_id=snapshot_units["GC-XB"]))
        services.orders.act(actors["xiabei"], oid, Sign())
        ids.append(oid)
    return ids


def _unit_ids(db: Database) -> dict[str, int]:
    from zhiyun.store.tables import OrgUnitRow

    with db.reading() as session:
        return {code: uid for code, uid in session.execute(select(OrgUnitRow.code, OrgUnitRow.id))}


def _notices_per_order(db: Database) -> dict[int, int]:
    with db.reading() as session:
        rows = session.execute(
            select(NoticeRow.order_id, func.count())
            .where(NoticeRow.kind == "urge")
            .group_by(NoticeRow.order_id)
        )
        return {int(order_id): int(n) for order_id, n in rows}


@pytest.fixture
def orders(database: Database, settings: Settings) -> tuple[list[int], list[int]]:
    """(overdue, fresh) order ids in a migrated database."""
    _district(build_services(database, settings))
    overdue = _in_progress_orders(database, settings, REGISTERED, OVERDUE_ORDERS)
    fresh = _in_progress_orders(database, settings, RECENT, 2)
    return overdue, fresh


def test_concurrent_sweeps_record_exactly_one_urge_notice_per_overdue_order(
    database: Database, orders: tuple[list[int], list[int]]
) -> None:
    overdue, fresh = orders
    sweepers = 4
    engines = [Database(database.url) for _ in range(sweepers)]  # as if four worker processes
    barrier = threading.Barrier(sweepers)
    reports: list[SweepReport | None] = [None] * sweepers
    errors: list[BaseException] = []

    def sweep(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            reports[i] = DeadlineSweep(engines[i], batch=5).run(TEST_SYSTEM, SWEPT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(sweepers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for engine in engines:
        engine.dispose()

    assert not errors, errors
    done = [r for r in reports if r is not None]
    assert len(done) == sweepers
    assert _notices_per_order(database) == dict.fromkeys(overdue, 1)
    assert sum(r.notices for r in done) == OVERDUE_ORDERS
    assert sum(r.overdue for r in done) == OVERDUE_ORDERS
    assert not set(fresh) & set(_notices_per_order(database))

    again = DeadlineSweep(database).run(TEST_SYSTEM, SWEPT)
    assert (again.overdue, again.notices) == (0, 0)
    assert _notices_per_order(database) == dict.fromkeys(overdue, 1)


def test_sweep_once_logs_what_it_did(
    database: Database,
    settings: Settings,
    orders: tuple[list[int], list[int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = build_services(database, settings, clock=_clock(SWEPT))
    with caplog.at_level("INFO", logger="zhiyun.worker"):
        report = sweep_once(services)
    assert report is not None and report.notices == OVERDUE_ORDERS
    assert f"{OVERDUE_ORDERS} urge notices" in caplog.text


def test_sweep_once_logs_a_failure_and_returns_none(
    sqlite_database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    services = build_services(sqlite_database, settings)

    def broken(now: datetime | None = None) -> SweepReport:
        raise RuntimeError("database went away")

    services.sweep.run = broken  # type: ignore[method-assign]
    with caplog.at_level("ERROR", logger="zhiyun.worker"):
        assert sweep_once(services) is None
    assert "deadline sweep failed" in caplog.text


def test_the_sweep_job_runs_one_instance_at_a_time_and_coalesces(
    sqlite_database: Database, settings: Settings
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    add_jobs(scheduler, build_services(sqlite_database, settings), 30)
    job = scheduler.get_job("deadline-sweep")
    assert job is not None
    assert job.max_instances == 1
    assert job.coalesce is True
    assert job.trigger.interval.total_seconds() == 30


def test_background_sweep_runs_at_once_and_shuts_down(sqlite_database: Database, settings: Settings) -> None:
    services = build_services(sqlite_database, settings)
    calls = threading.Event()
    original = services.sweep.run

    def run(now: datetime | None = None) -> SweepReport:
        calls.set()
        return original(now)

    services.sweep.run = run  # type: ignore[method-assign]
    scheduler = start_background_jobs(services, 3600)
    try:
        assert calls.wait(10), "the first sweep should run as soon as the scheduler starts"
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running


# --------------------------------------------------------------------------- the worker process


def _start_worker(db_value: str, cwd: Path) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ZHIYUN_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhiyun.cli.main", "worker", "--interval", "1", "--db", db_value],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def _wait_for(
    lines: queue.Queue[str], text: str, seen: list[str], times: int = 1, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while sum(text in line for line in seen) < times:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{text!r} not seen {times}x; output:\n{''.join(seen)}")
        try:
            seen.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue


@pytest.mark.slow
def test_two_worker_processes_notify_once_and_stop_cleanly_on_sigterm_and_sigint(
    database: Database, orders: tuple[list[int], list[int]], tmp_path: Path
) -> None:
    overdue, fresh = orders
    db_value = database.url.replace("sqlite:///", "") if database.is_sqlite else database.url
    workers = [_start_worker(db_value, tmp_path) for _ in range(2)]
    outputs: list[list[str]] = [[], []]
    try:
        for (_proc, lines), seen in zip(workers, outputs, strict=True):
            _wait_for(lines, "deadline sweep:", seen, times=2)
    finally:
        for (proc, _lines), stop_signal in zip(workers, (signal.SIGTERM, signal.SIGINT), strict=True):
            if proc.poll() is None:
                proc.send_signal(stop_signal)
    for (proc, lines), seen in zip(workers, outputs, strict=True):
        assert proc.wait(timeout=30) == 0, "".join(seen)
        _wait_for(lines, "worker stopped", seen)
        assert "Traceback" not in "".join(seen)
    assert any("SIGTERM" in line for line in outputs[0])
    assert any("SIGINT" in line for line in outputs[1])
    # the real clock is past the deadlines of June and July 2026: every order is overdue
    assert _notices_per_order(database) == dict.fromkeys(overdue + fresh, 1)
    with database.reading() as session:
        overdue_marked = session.scalar(
            select(func.count()).select_from(WorkOrderRow).where(WorkOrderRow.reply_alert == "overdue")
        )
    assert overdue_marked == OVERDUE_ORDERS + 2


def test_the_worker_also_rebuilds_the_rollup_prunes_old_dedupe_weights_and_fills_in_search_words(
    sqlite_database: Database, settings: Settings
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    services = build_services(sqlite_database, settings)
    scheduler = BackgroundScheduler(timezone=UTC)
    add_jobs(scheduler, services, 30)
    prune, backfill = scheduler.get_job("dedupe-signature-prune"), scheduler.get_job("search-text-backfill")
    rollup = scheduler.get_job("dashboard-rollup")
    assert prune is not None and backfill is not None and rollup is not None
    assert rollup.trigger.interval.total_seconds() == 300
    assert prune.trigger.interval.total_seconds() == 3600
    assert backfill.trigger.interval.total_seconds() == 60
    assert prune.max_instances == backfill.max_instances == 1
    assert {job.id for job in scheduler.get_jobs()} == {job.id for job in scheduled_jobs()}

    actors = _district(services)
    new = NewOrder(title="路灯不亮", content="夏北路路灯坏了").validated()
    with services.db.transaction() as session:  # stored without words, as imported history is
        services.orders.register_in(session, actors["district"], new, datetime.now(UTC))
    assert prune_once(services) == 0
    assert backfill_once(services) == 1
    assert backfill_once(services) == 0
    assert rollup_once(services) is True
