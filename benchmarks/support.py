"""Helpers shared by the benchmarks: progress on stderr and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from zhiyun.config import database_url

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def log(message: str) -> None:
    """Progress goes to stderr: stdout's last line is the benchmark's JSON result."""
    print(message, file=sys.stderr, flush=True)


def admin_url() -> str:
    """The server the throwaway databases are created on (ZHIYUN_BENCH_PG_URL)."""
    return os.environ.get("ZHIYUN_BENCH_PG_URL", DEFAULT_ADMIN_URL)


@contextmanager
def throwaway_postgres(admin: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database next to `admin` (a URL), dropped afterwards; yields its URL."""
    import psycopg

    admin = admin or admin_url()
    name = f"zhiyun_bench_{uuid.uuid4().hex[:10]}"
    conninfo = admin.replace("postgresql+psycopg://", "postgresql://")
    try:
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"PostgreSQL is unreachable at {admin} ({exc}); set ZHIYUN_BENCH_PG_URL or name one with --db"
        ) from exc
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"created throwaway database {name}")
    try:
        yield make_url(database_url(admin)).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped throwaway database {name}")


def run_threads(threads: list[threading.Thread]) -> float:
    """Start every thread, wait for all of them; the seconds from the first start to the last end."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
