"""Grid governance at the seed's scale (issue 17): import 2,030,000 generated objects into
PostgreSQL, plan a month of merged patrols for 4,823 grid workers over them, and sync 1,000
queued patrol visits with photos through the HTTP API of the real server.

The stage is the demo district's org tree, unit boundaries and 1,049 grids (demo/district.py,
demo/boundaries.py, demo/grids.py). The objects file is generated first into a temporary
directory by the demo's own generator (demo/objects.py: buildings, rental houses, shops,
enterprises and facilities with component ids, spread evenly over the grids; 5% of the
points in GCJ-02, 2% placed by grid code instead of a point, one row in 1,000 broken on
purpose); generating it is not timed. The import then runs through the same use case as the
CLI (`ManagedObjectService.import_file`), timed from opening the file to the last commit
(the search index's pending entries merged included): `objects_per_s`.

The plan: the demo's 4,823 grid workers are posted and the default grid items installed, then
the month is planned through the use case `zhiyun grid plan` calls (read the objects, items,
visit history and posts; plan; write the tasks), timed to the commit: `plan_s`.

The sync: `--phones` grid workers' phones come back online at once, each with `--per-phone`
queued visits (every checklist of the task answered, one photo of `--photo-kb` KB each), and
send them as the phone page does: one multipart POST after another, each phone in order, all
phones at once, to the real server (uvicorn, two worker processes) with each worker's API
token. The latency of each submission as the phone sees it gives `sync_p99_ms`; then the last
two of each queue are sent again (a retry after a lost answer) and must answer 200 with nothing
stored twice. The default, 5 phones × 200 visits, is a village's workers syncing together; the
server, PostgreSQL and the client share the machine's cores, so more phones at once mostly
queue (the figures for 1 and 10 phones are in the closing note of issue 17).

    python benchmarks/grid.py                         # the whole run, throwaway PostgreSQL
    python benchmarks/grid.py --objects 200000
    python benchmarks/grid.py --db postgresql+psycopg://…/zhiyun   # a database you name
    python benchmarks/grid.py --db … --skip-import --skip-plan --phones 10 --per-phone 100
    python benchmarks/grid.py --profile              # cProfile of the import, top functions on stderr

Without --db it creates a fresh PostgreSQL database next to ZHIYUN_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test), migrates it, loads the stage and drops it at the
end. Progress goes to stderr; the last line on stdout is one JSON object ending with
`objects_per_s`, `plan_s` and `sync_p99_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.intake import percentile, server
from benchmarks.support import admin_url, log, throwaway_postgres

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import database_url
from zhiyun.demo.boundaries import ensure_boundaries
from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.demo.district import units as demo_units
from zhiyun.demo.grids import ensure_grid_items, ensure_grid_workers, ensure_grids
from zhiyun.demo.objects import write_objects_csv
from zhiyun.demo.patrols import clear_answers
from zhiyun.domain.grid_items import Period
from zhiyun.grid.items_service import GridItemService
from zhiyun.grid.objects_import import DEFAULT_BATCH, DEFAULT_PG_WRITERS, ObjectImportProgress
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.patrol_tables import PatrolTaskRow, PatrolVisitRow
from zhiyun.store.migrate import upgrade
from zhiyun.store.tables import OrgUnitRow

SEED_OBJECTS = 2_030_000  # the seed's "more than 2,030,000 managed objects"


def prepare(services: Services) -> None:
    """Migrate, and load the demo district's units, boundaries and grids where absent."""
    upgrade(services.db)
    with services.db.reading() as session:
        has_org = session.scalar(select(func.count()).select_from(OrgUnitRow)) or 0
    if not has_org:
        services.org.import_records(DEMO_ADMIN, demo_units())
    ensure_boundaries(services)
    report = ensure_grids(services)
    log(f"stage: {report.total} grids in {report.villages} villages")


def import_objects(
    services: Services, count: int, batch: int, writers: int | None, profile: bool
) -> dict[str, object]:
    objects = services.get(ManagedObjectService)
    with tempfile.TemporaryDirectory(prefix="zhiyun-grid-bench-") as tmp:
        path = Path(tmp) / "objects.csv"
        log(f"generating {count:,} objects into {path} …")
        started = time.perf_counter()
        write_objects_csv(path, count, gcj_share=0.05, code_share=0.02, broken_every=1000)
        log(f"generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
        with services.db.reading() as session:
            before = session.scalar(select(func.count()).select_from(ManagedObjectRow)) or 0
        last = [0.0]

        def progress(state: ObjectImportProgress) -> None:
            now = time.perf_counter()
            if now - last[0] >= 5:
                last[0] = now
                share = f"{100 * state.position / state.size:.0f}%" if state.size else ""
                log(
                    f"  {share:>4} read {state.read:,}, imported {state.imported:,}, "
                    f"already {state.already_imported:,}, rejected {state.rejected:,}"
                )

        log(f"importing (batches of {batch:,}) …")
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        report = objects.import_file(
            DEMO_ADMIN,
            path,
            batch_size=batch,
            rejects_path=Path(tmp) / "rejects.csv",
            progress=progress,
            writers=writers,
        )
        if profiler is not None:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            log(out.getvalue())
    with services.db.reading() as session:
        stored = (session.scalar(select(func.count()).select_from(ManagedObjectRow)) or 0) - before
    log(
        f"imported {report.imported:,} objects in {report.seconds:.1f} s ({report.objects_per_s:,.0f} objects/s); "
        f"already stored {report.already_imported:,}; rejected {report.rejected:,}; "
        f"by point {report.by_point:,}, by code {report.by_code:,}, outside grids {report.outside_grids:,}; "
        f"{stored:,} new rows in managed_object"
    )
    if report.imported + report.rejected + report.already_imported != count or stored != report.imported:
        raise SystemExit(f"counts do not add up: {report}")
    return {
        "objects": report.imported,
        "rejected": report.rejected,
        "import_seconds": round(report.seconds, 2),
        "batch": batch,
        "writers": writers or DEFAULT_PG_WRITERS,
        "objects_per_s": round(report.objects_per_s, 1),
    }


def plan_patrols(services: Services, month: Period) -> dict[str, object]:
    """The demo district's grid workers and the default grid items, then the month planned
    through the use case `zhiyun grid plan` calls: read, plan and write the tasks (COPY), timed
    to the commit."""
    workers = ensure_grid_workers(services)
    ensure_grid_items(services)
    log(f"grid workers: {workers.users_created:,} accounts, {workers.posts_created:,} posts created")
    log(f"planning {month.start:%Y-%m} …")
    report = services.get(PatrolService).plan(DEMO_ADMIN, month)
    p = report.plan
    log(
        f"planned {p.tasks_made:,} tasks for {report.workers:,} workers over {p.objects:,} objects in "
        f"{report.total_s:.1f} s (read {report.load_s:.1f}, plan {report.plan_s:.1f}, write {report.save_s:.1f}); "
        f"one visit per item would need {p.per_item_tasks:,}: {p.tasks_saved:,} saved ({p.share_saved:.1%})"
    )
    return {
        "plan_month": f"{month.start:%Y-%m}",
        "plan_workers": report.workers,
        "tasks_made": p.tasks_made,
        "per_item_tasks": p.per_item_tasks,
        "tasks_saved": p.tasks_saved,
        "share_saved": round(p.share_saved, 4),
        "plan_read_s": round(report.load_s, 2),
        "plan_compute_s": round(report.plan_s, 2),
        "plan_write_s": round(report.save_s, 2),
        "plan_s": round(report.total_s, 2),
    }


def recorded_plan(services: Services, month: Period) -> dict[str, object]:
    """The figures of the month's plan as recorded when it was made (`--skip-plan`: syncing
    again over a plan already there)."""
    record = services.get(PatrolService).plan_recorded(month)
    if record is None:
        raise SystemExit(f"--skip-plan: {month.start:%Y-%m} has no plan in this database")
    seconds = record["seconds"]
    log(
        f"the plan of {month.start:%Y-%m} as recorded: {record['tasks_made']:,} tasks in {seconds['total']} s"
    )
    return {
        "plan_month": record["month"],
        "plan_workers": record["workers"],
        "tasks_made": record["tasks_made"],
        "per_item_tasks": record["per_item_tasks"],
        "tasks_saved": record["tasks_saved"],
        "share_saved": record["share_saved"],
        "plan_read_s": seconds["load"],
        "plan_compute_s": seconds["plan"],
        "plan_write_s": seconds["save"],
        "plan_s": seconds["total"],
    }


def _queues(
    services: Services, month: Period, phones: int, per_phone: int
) -> list[tuple[str, list[dict[str, Any]]]]:
    """`phones` workers with `per_phone` tasks each, from the month's first working days: each
    worker's API token and the visits their phone queued (answers all clear, one photo each)."""
    with services.db.reading() as session:
        rows = session.execute(
            select(PatrolTaskRow.worker_id, PatrolTaskRow.id, PatrolTaskRow.object_id, PatrolTaskRow.items)
            .where(
                PatrolTaskRow.period == f"{month.start:%Y-%m}",
                PatrolTaskRow.worker_id.is_not(None),
                PatrolTaskRow.visited_on.is_(None),
            )
            .order_by(PatrolTaskRow.worker_id, PatrolTaskRow.day, PatrolTaskRow.id)
        ).all()
    by_worker: dict[int, list[Any]] = {}
    for worker_id, task_id, object_id, items in rows:
        tasks = by_worker.setdefault(worker_id, [])
        if len(tasks) < per_phone:
            tasks.append((task_id, object_id, items))
    chosen = [w for w, tasks in by_worker.items() if len(tasks) == per_phone][:phones]
    if len(chosen) < phones:
        raise SystemExit(f"only {len(chosen)} workers have {per_phone} tasks this month")
    catalogue = services.get(GridItemService)
    checklists: dict[tuple[str, int], Any] = {}
    queues = []
    visited_at = datetime.now(UTC).isoformat()
    for worker_id in chosen:
        token = services.accounts.issue_token(DEMO_ADMIN, worker_id, "benchmark phone").secret
        visits = []
        for task_id, _object_id, items in by_worker[worker_id]:
            answers = {}
            for code, version in items:
                key = (str(code), int(version))
                if key not in checklists:
                    checklists[key] = catalogue.get(*key).item
                answers[key[0]] = {"version": key[1], "answers": clear_answers(checklists[key], "cam-1")}
            first = next(iter(answers.values()))["answers"]
            question = next(iter(first))
            if "cam-1" not in first[question]["photos"]:
                first[question]["photos"] = ["cam-1", *first[question]["photos"]]
            visits.append(
                {
                    "submission_id": str(uuid.uuid4()),
                    "task_id": task_id,
                    "visited_at": visited_at,
                    "lat": 23.03,
                    "lon": 113.14,
                    "accuracy_m": 15,
                    "answers": answers,
                }
            )
        queues.append((token, visits))
    return queues


def _photo(size: int) -> bytes:
    """A JPEG-sized photo: a JPEG header, then noise (what a phone's 1600-pixel photo weighs)."""
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + os.urandom(size)
        + b"\xff\xd9"
    )


async def _sync(
    base: str, queues: list[tuple[str, list[dict[str, Any]]]], photo: bytes
) -> tuple[list[float], Counter[int]]:
    """Every phone syncs its queue at once, each in order (as the phone page does when the
    network returns): one multipart POST per visit; the latency of each."""
    import httpx

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=len(queues), max_keepalive_connections=len(queues))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def phone(token: str, visits: list[dict[str, Any]]) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            for visit in visits:
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/grid/patrol/visits",
                    headers=headers,
                    data={"visit": json.dumps(visit, ensure_ascii=False)},
                    files=[("photos", ("cam-1.jpg", photo, "image/jpeg"))],
                )
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] += 1
                if response.status_code != 201:
                    log(f"  {response.status_code}: {response.text[:300]}")

        await asyncio.gather(*(phone(token, visits) for token, visits in queues))
    return latencies, statuses


def sync_visits(
    services: Services, url: str, month: Period, phones: int, per_phone: int, photo_kb: int, port: int
) -> dict[str, object]:
    """`phones` workers' phones come back online at once, each with `per_phone` queued visits
    (a photo of `photo_kb` KB each), and sync them through the HTTP API of the real server
    (uvicorn, two workers); p99 of a submission's latency as the phone sees it. Then every
    visit is sent again (a retry after a lost answer): each must answer 200 with nothing new."""
    import httpx

    queues = _queues(services, month, phones, per_phone)
    photo = _photo(photo_kb * 1024)
    with services.db.reading() as session:
        before = session.scalar(select(func.count()).select_from(PatrolVisitRow)) or 0
    with tempfile.TemporaryDirectory(prefix="zhiyun-grid-photos-") as photos:
        os.environ["ZHIYUN_ATTACHMENT_DIR"] = photos
        with server(url, 2, port, None, None) as (base, _pid):
            log(f"syncing {phones} phones × {per_phone} queued visits ({photo_kb} KB photo each) …")
            started = time.perf_counter()
            latencies, statuses = asyncio.run(_sync(base, queues, photo))
            seconds = time.perf_counter() - started
            retried: Counter[int] = Counter()
            with httpx.Client(base_url=base, timeout=120) as client:
                for token, visits in queues:
                    for visit in visits[-2:]:
                        response = client.post(
                            "/api/v1/grid/patrol/visits",
                            headers={"Authorization": f"Bearer {token}"},
                            data={"visit": json.dumps(visit, ensure_ascii=False)},
                            files=[("photos", ("cam-1.jpg", photo, "image/jpeg"))],
                        )
                        retried[response.status_code] += 1
    with services.db.reading() as session:
        stored = (session.scalar(select(func.count()).select_from(PatrolVisitRow)) or 0) - before
    latencies.sort()
    sent = phones * per_phone
    log(
        f"synced {sent:,} visits in {seconds:.1f} s: statuses {dict(statuses)}, retries {dict(retried)}, "
        f"{stored:,} visits stored; p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    if statuses != Counter({201: sent}) or retried != Counter({200: 2 * phones}) or stored != sent:
        raise SystemExit("the sync did not store every visit exactly once")
    return {
        "sync_visits": sent,
        "sync_phones": phones,
        "sync_photo_kb": photo_kb,
        "sync_seconds": round(seconds, 2),
        "sync_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "sync_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def run(args: argparse.Namespace, url: str) -> dict[str, object]:
    services = build_services(url)
    try:
        prepare(services)
        figures: dict[str, object] = {}
        if not args.skip_import:
            figures |= import_objects(services, args.objects, args.batch, args.writers, args.profile)
        month = _month(args.month)
        plan = recorded_plan(services, month) if args.skip_plan else plan_patrols(services, month)
        sync = sync_visits(services, url, month, args.phones, args.per_phone, args.photo_kb, args.port)
        objects_per_s = figures.pop("objects_per_s", None)
        return {
            "benchmark": "grid",
            "database": services.db.dialect,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            **figures,
            **{k: v for k, v in plan.items() if k != "plan_s"},
            **{k: v for k, v in sync.items() if k != "sync_p99_ms"},
            "objects_per_s": objects_per_s,
            "plan_s": plan["plan_s"],
            "sync_p99_ms": sync["sync_p99_ms"],
        }
    finally:
        services.close()


def _month(value: str | None) -> Period:
    if value is None:
        today = datetime.now(UTC).date()
        return Period.month(today.year, today.month)
    year, month = (int(p) for p in value.split("-"))
    return Period.month(year, month)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--objects", type=int, default=SEED_OBJECTS, help=f"objects in the file (default {SEED_OBJECTS:,})"
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help=f"rows per batch (default {DEFAULT_BATCH:,})"
    )
    parser.add_argument("--writers", type=int, help=f"writer connections (default {DEFAULT_PG_WRITERS})")
    parser.add_argument("--db", help="a PostgreSQL URL (default: a throwaway database)")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile summary of the import to stderr"
    )
    parser.add_argument(
        "--skip-import", action="store_true", help="plan and sync over the objects already in --db"
    )
    parser.add_argument("--month", help="the month to plan, YYYY-MM (default: this month)")
    parser.add_argument(
        "--skip-plan",
        action="store_true",
        help="sync over the month's plan already in --db (its recorded figures)",
    )
    parser.add_argument("--phones", type=int, default=5, help="phones syncing at once (default 5)")
    parser.add_argument(
        "--per-phone", type=int, default=200, help="visits queued on each phone (default 200)"
    )
    parser.add_argument(
        "--photo-kb", type=int, default=200, help="the photo of each visit, in KB (default 200)"
    )
    parser.add_argument("--port", type=int, default=8791, help="the benchmark server's port (default 8791)")
    args = parser.parse_args(argv)
    if args.objects < 1 or args.batch < 1 or args.phones < 1 or args.per_phone < 2:
        parser.error("--objects, --batch, --phones must be positive and --per-phone at least 2")
    if args.db:
        report = run(args, database_url(args.db))
    else:
        with throwaway_postgres(admin_url()) as url:
            report = run(args, url)
    # the last line: the three figures of issue 17 end the JSON object
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
