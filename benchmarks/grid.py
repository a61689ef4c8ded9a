"""Grid governance at the seed's scale (issue 17). The managed-objects part: import 2,030,000
generated objects into PostgreSQL, as `zhiyun grid-objects import` does.

The stage is the demo district's org tree, unit boundaries and 1,049 grids (demo/district.py,
demo/boundaries.py, demo/grids.py). The objects file is generated first into a temporary
directory by the demo's own generator (demo/objects.py: buildings, rental houses, shops,
enterprises and facilities with component ids, spread evenly over the grids; 5% of the
points in GCJ-02, 2% placed by grid code instead of a point, one row in 1,000 broken on
purpose); generating it is not timed. The import then runs through the same use case as the
CLI (`ManagedObjectService.import_file`), timed from opening the file to the last commit
(the search index's pending entries merged included).

    python benchmarks/grid.py                         # 2,030,000 objects, throwaway PostgreSQL
    python benchmarks/grid.py --objects 200000
    python benchmarks/grid.py --db postgresql+psycopg://…/zhiyun   # a database you name
    python benchmarks/grid.py --profile              # cProfile of the import, top functions on stderr

Without --db it creates a fresh PostgreSQL database next to ZHIYUN_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test), migrates it, loads the stage and drops it at the
end. Progress goes to stderr; the last line on stdout is one JSON object with
`objects_per_s` (the planning and sync figures of issue 17 are added by their parts).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.support import admin_url, log, throwaway_postgres

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import database_url
from zhiyun.demo.boundaries import ensure_boundaries
from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.demo.district import units as demo_units
from zhiyun.demo.grids import ensure_grids
from zhiyun.demo.objects import write_objects_csv
from zhiyun.grid.objects_import import DEFAULT_BATCH, DEFAULT_PG_WRITERS, ObjectImportProgress
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.objects_tables import ManagedObjectRow
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


def run(url: str, count: int, batch: int, writers: int | None, profile: bool) -> dict[str, object]:
    services = build_services(url)
    try:
        prepare(services)
        figures = import_objects(services, count, batch, writers, profile)
        return {
            "benchmark": "grid",
            "database": services.db.dialect,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            **figures,
        }
    finally:
        services.close()


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
    args = parser.parse_args(argv)
    if args.objects < 1 or args.batch < 1:
        parser.error("--objects and --batch must be positive")
    if args.db:
        report = run(database_url(args.db), args.objects, args.batch, args.writers, args.profile)
    else:
        with throwaway_postgres(admin_url()) as url:
            report = run(url, args.objects, args.batch, args.writers, args.profile)
    # objects_per_s last among the figures; plan_s and sync_p99_ms come with their parts
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
