"""The API app for benchmarks/intake.py, built by each uvicorn worker process.

    ZHIYUN_DATABASE_URL=postgresql://… uvicorn intake_app:create_app --factory --workers 2 \
        --app-dir benchmarks

`zhiyun serve` runs one process; the benchmark needs several workers, so uvicorn calls this
factory in each of them. Settings for the run, from the environment:

- ZHIYUN_BENCH_POOL_SIZE: the connection pool of a worker (default: the Database default);
- ZHIYUN_BENCH_THREADS: how many requests a worker runs at once in its thread pool (the
  intake route is a plain `def`, run in AnyIO's worker threads; default 40). CPU-bound
  Python threads only contend for the GIL, so a couple per process serve more per second.

Before the app is handed to uvicorn, the worker loads what every intake needs once per
process (the segmenter's dictionary, the boundary locator, the reference data): a
production deployment pays that at start-up too, not on the first citizen's request.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from zhiyun.api.app import create_app as build_app
from zhiyun.bootstrap import build_services
from zhiyun.config import Settings, database_url
from zhiyun.kernel.text import default_segmenter
from zhiyun.orders.service import reference_snapshot
from zhiyun.store.db import Database


def create_app() -> FastAPI:
    url = database_url(os.environ["ZHIYUN_DATABASE_URL"])
    pool = os.environ.get("ZHIYUN_BENCH_POOL_SIZE")
    db = Database(url, pool_size=int(pool)) if pool else Database(url)
    services = build_services(db, Settings())
    default_segmenter().tokens("预热分词词典")
    services.geo.locator()
    reference_snapshot(services.orders)
    app = build_app(services)
    threads = os.environ.get("ZHIYUN_BENCH_THREADS")
    if threads:
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = int(threads)
            async with inner(application) as state:
                yield state

        app.router.lifespan_context = lifespan
    return app
