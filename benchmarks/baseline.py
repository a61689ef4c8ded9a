"""What this machine gives a bare PostgreSQL and a bare Python loop right now: the yardstick
the intake and import figures are read against.

The issue's targets are stated beside two bare figures for the machine they run on: a bare
COPY into a table like the orders' at about 70,000 rows/s, and 2,000–3,500 single-row inserts
per second. A shared VM's speed drifts (by ±25% within minutes on the 2-vCPU machine the
targets were set on), so run this just before or after `benchmarks/intake.py` or
`benchmarks/import.py` and report both.

    python benchmarks/baseline.py                      # 1,000,000 rows COPY, 3,000 inserts
    python benchmarks/baseline.py --rows 200000 --inserts 1000 --transitions 1000

It measures, on a throwaway database next to ZHIYUN_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test):
- `copy_rows_per_s`: COPY FROM STDIN of generated order-like rows (number, channel, external
  id, Chinese title and content, phone, address, coordinates, status, two times) into a table
  with only its primary key; the text is built before the clock starts;
- `copy_indexed_rows_per_s`: the same into the table with six secondary indexes an order
  table needs (number, channel + external id, phone, time, status, archive time);
- `single_inserts_per_s`: one connection, one INSERT per transaction (each commit waits for
  the WAL flush), as an unbatched integration would write;
- `concurrent_inserts_per_s`: the same from 16 connections at once (commits share flushes);
- `update_audit_tx_per_s`: one connection, one transaction per step of an order's life cycle:
  a version-checked UPDATE of one indexed order row and one INSERT of its audit row (JSON
  details), then COMMIT: the bare floor under `benchmarks/workflow.py`'s transitions/s;
- `python_loop_s`: seconds for ten million additions in a plain Python loop, a CPU-speed proxy
  (lower is faster).

The last line on stdout is one JSON object: {"benchmark": "baseline", ...}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.support import log, run_threads, throwaway_postgres

TABLE = """
CREATE TABLE bare_order (
    id bigint PRIMARY KEY,
    number varchar(32) NOT NULL,
    channel varchar(32) NOT NULL,
    external_id varchar(128),
    title varchar(300) NOT NULL,
    content text NOT NULL,
    citizen_phone varchar(32),
    address varchar(500),
    latitude double precision,
    longitude double precision,
    status varchar(20) NOT NULL,
    registered_at timestamptz NOT NULL,
    closed_at timestamptz
)
"""
COLUMNS = (
    "id, number, channel, external_id, title, content, citizen_phone, address, latitude, longitude, "
    "status, registered_at, closed_at"
)
MATTERS = ("路灯不亮", "井盖松动", "噪音扰民", "垃圾未清运", "道路积水", "占道经营", "违章停车", "树木倒伏")
PLACES = ("夏北路", "平南路", "南海大道", "桂澜路", "灯湖东路", "海八路")
# The secondary indexes an order table needs for its own look-ups (number, idempotency key,
# caller, time order, status, archive time), for the "indexed" COPY.
ORDER_INDEXES = (
    "CREATE UNIQUE INDEX ON bare_order (number)",
    "CREATE UNIQUE INDEX ON bare_order (channel, external_id)",
    "CREATE INDEX ON bare_order (citizen_phone)",
    "CREATE INDEX ON bare_order (registered_at, id)",
    "CREATE INDEX ON bare_order (status)",
    "CREATE INDEX ON bare_order (closed_at)",
)
CONCURRENT_CLIENTS = 16
# An audit table like the orders' trail, for the bare "UPDATE + audit INSERT" transaction.
AUDIT_TABLE = """
CREATE TABLE bare_audit (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES bare_order (id),
    action varchar(32) NOT NULL,
    from_status varchar(20),
    to_status varchar(20) NOT NULL,
    actor_name varchar(100) NOT NULL,
    note text NOT NULL,
    details json NOT NULL,
    created_at timestamp NOT NULL
)
"""
UPDATE_ORDERS = 2_000  # the orders the transactions step through, one step each in turn
AUDIT_INDEX = "CREATE INDEX ON bare_audit (order_id, id)"
BARE_UPDATE = (
    "UPDATE bare_order SET status = %s, version = version + 1, closed_at = %s "
    "WHERE id = %s AND version = %s RETURNING version"
)
BARE_AUDIT = (
    "INSERT INTO bare_audit (order_id, action, from_status, to_status, actor_name, note, details, "
    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
STEP_STATUSES = ("dispatched", "in_progress", "replied", "awaiting_callback", "closed", "pending_dispatch")


def python_loop_seconds(n: int = 10_000_000) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - started


def order_rows(count: int, *, seed: int = 20261127) -> list[tuple[object, ...]]:
    rng = random.Random(seed)
    start = datetime(2024, 11, 1, tzinfo=UTC)
    rows: list[tuple[object, ...]] = []
    for i in range(1, count + 1):
        matter, place = rng.choice(MATTERS), rng.choice(PLACES)
        at = start + timedelta(seconds=rng.randrange(0, 730 * 86400))
        rows.append(
            (
                i,
                f"NH{at:%Y%m%d}{i:07d}",
                "12345",
                f"C-{i:09d}",
                f"{place}{matter}",
                f"{place}{rng.randrange(1, 300)}号附近{matter}已经好几天了，影响居民出行和休息，请相关部门尽快处理。",
                f"138{rng.randrange(10**8):08d}",
                f"桂城街道{place}{rng.randrange(1, 300)}号",
                round(23.0 + rng.random() * 0.1, 6),
                round(113.1 + rng.random() * 0.1, 6),
                "closed",
                at,
                at + timedelta(days=rng.randrange(1, 15)),
            )
        )
    return rows


def copy_text(rows: list[tuple[object, ...]]) -> list[bytes]:
    """COPY's text format in chunks of about 1 MB."""
    chunks: list[bytes] = []
    lines: list[str] = []
    size = 0
    for row in rows:
        line = "\t".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in row) + "\n"
        lines.append(line)
        size += len(line)
        if size > 1 << 20:
            chunks.append("".join(lines).encode("utf-8"))
            lines, size = [], 0
    if lines:
        chunks.append("".join(lines).encode("utf-8"))
    return chunks


def measure_copy(conninfo: str, chunks: list[bytes], rows: int, *, indexed: bool = False) -> float:
    """COPY into an empty bare_order: with its primary key only, or with ORDER_INDEXES too."""
    import psycopg

    with psycopg.connect(conninfo) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_order")
        conn.execute(TABLE)
        for statement in ORDER_INDEXES if indexed else ():
            conn.execute(statement)
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY bare_order ({COLUMNS}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        stored = conn.execute("SELECT count(*) FROM bare_order").fetchone()
        if stored is None or stored[0] != rows:
            raise RuntimeError(f"COPY stored {stored} rows of {rows}")
        conn.execute("TRUNCATE bare_order")
        conn.commit()
    return rows / seconds


def measure_inserts(conninfo: str, rows: list[tuple[object, ...]], clients: int) -> float:
    """Rows split over `clients` connections, one INSERT per autocommitted transaction each."""
    import psycopg

    sql = f"INSERT INTO bare_order ({COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"
    connections = [psycopg.connect(conninfo, autocommit=True) for _ in range(clients)]
    failures: list[BaseException] = []

    def write(conn: psycopg.Connection, share: list[tuple[object, ...]]) -> None:
        try:
            for row in share:
                conn.execute(sql, row, prepare=True)
        except BaseException as exc:  # re-raised after the join
            failures.append(exc)

    try:
        threads = [
            threading.Thread(target=write, args=(conn, rows[i::clients]))
            for i, conn in enumerate(connections)
        ]
        seconds = run_threads(threads)
        if failures:
            raise failures[0]
        stored = connections[0].execute("SELECT count(*) FROM bare_order").fetchone()
        if stored is None or stored[0] != len(rows):
            raise RuntimeError(f"the inserts stored {stored} rows of {len(rows)}")
        connections[0].execute("TRUNCATE bare_order")
    finally:
        for conn in connections:
            conn.close()
    return len(rows) / seconds


def measure_update_audit(conninfo: str, rows: list[tuple[object, ...]], transitions: int) -> float:
    """One connection: `transitions` transactions of one version-checked UPDATE of an order
    (indexed as in `copy_indexed`) and one audit INSERT each, over the orders `rows`."""
    import psycopg

    with psycopg.connect(conninfo) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_audit")
        conn.execute("DROP TABLE IF EXISTS bare_order")
        conn.execute(TABLE)
        conn.execute("ALTER TABLE bare_order ADD COLUMN version integer NOT NULL DEFAULT 1")
        for statement in ORDER_INDEXES:
            conn.execute(statement)
        conn.execute(AUDIT_TABLE)
        conn.execute(AUDIT_INDEX)
        with conn.cursor().copy(f"COPY bare_order ({COLUMNS}) FROM STDIN") as copy:
            for chunk in copy_text(rows):
                copy.write(chunk)
        conn.execute("ANALYZE bare_order")
        conn.commit()
        versions = dict.fromkeys(range(1, len(rows) + 1), 1)
        at = datetime(2026, 12, 1, tzinfo=UTC)
        started = time.perf_counter()
        for step in range(transitions):
            order_id = step % len(rows) + 1
            version = versions[order_id]
            status = STEP_STATUSES[step % len(STEP_STATUSES)]
            updated = conn.execute(BARE_UPDATE, (status, at, order_id, version), prepare=True).fetchone()
            if updated is None:
                raise RuntimeError(f"order {order_id} was not at version {version}")
            versions[order_id] = updated[0]
            conn.execute(
                BARE_AUDIT,
                (order_id, "step", "in_progress", status, "基准", "", '{"on_time": true}', at),
                prepare=True,
            )
            conn.commit()
        seconds = time.perf_counter() - started
        stored = conn.execute("SELECT count(*) FROM bare_audit").fetchone()
        if stored is None or stored[0] != transitions:
            raise RuntimeError(f"the transactions stored {stored} audit rows of {transitions}")
        conn.execute("DROP TABLE bare_audit")
        conn.execute("TRUNCATE bare_order")
        conn.execute("ALTER TABLE bare_order DROP COLUMN version")
        conn.commit()
    return transitions / seconds


def yardstick(kind: str, *, rows: int = 1_000_000, transitions: int = 3_000) -> dict[str, float]:
    """One bare figure on a throwaway database, for a benchmark to report beside its own (its
    `--baseline` option): "update_audit" (the floor under workflow.py's transitions) or
    "copy_indexed" (the floor under import.py's orders)."""
    with throwaway_postgres() as url:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        if kind == "update_audit":
            rate = measure_update_audit(conninfo, order_rows(UPDATE_ORDERS), transitions)
            log(f"bare UPDATE + audit INSERT per transaction, 1 connection: {rate:,.0f}/s")
            return {"update_audit_tx_per_s": round(rate)}
        if kind == "copy_indexed":
            rate = measure_copy(conninfo, copy_text(order_rows(rows)), rows, indexed=True)
            log(f"bare COPY with {len(ORDER_INDEXES)} secondary indexes: {rate:,.0f} rows/s")
            return {"copy_indexed_rows_per_s": round(rate)}
    raise ValueError(kind)


def run(rows: int, inserts: int, transitions: int = 3_000) -> dict[str, object]:
    loop_s = python_loop_seconds()
    log(f"python loop: {loop_s:.3f} s for 10M additions")
    generated = order_rows(max(rows, inserts, UPDATE_ORDERS))
    chunks = copy_text(generated[:rows])
    with throwaway_postgres() as url:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        copy_rate = measure_copy(conninfo, chunks, rows)
        log(f"COPY, primary key only: {rows:,} rows at {copy_rate:,.0f} rows/s")
        indexed_rate = measure_copy(conninfo, chunks, rows, indexed=True)
        log(f"COPY, with {len(ORDER_INDEXES)} secondary indexes: {indexed_rate:,.0f} rows/s")
        single = measure_inserts(conninfo, generated[:inserts], 1)
        log(f"single-row inserts, 1 connection: {single:,.0f}/s")
        concurrent = measure_inserts(conninfo, generated[:inserts], CONCURRENT_CLIENTS)
        log(f"single-row inserts, {CONCURRENT_CLIENTS} connections: {concurrent:,.0f}/s")
        update_audit = measure_update_audit(conninfo, generated[:UPDATE_ORDERS], transitions)
        log(f"UPDATE + audit INSERT per transaction, 1 connection: {update_audit:,.0f}/s")
    return {
        "benchmark": "baseline",
        "copy_rows_per_s": round(copy_rate),
        "copy_indexed_rows_per_s": round(indexed_rate),
        "single_inserts_per_s": round(single),
        "concurrent_inserts_per_s": round(concurrent),
        "concurrent_clients": CONCURRENT_CLIENTS,
        "update_audit_tx_per_s": round(update_audit),
        "python_loop_s": round(loop_s, 3),
        "rows": rows,
        "inserts": inserts,
        "transitions": transitions,
        "database": "postgresql",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to COPY (default 1,000,000)")
    parser.add_argument("--inserts", type=int, default=3_000, help="single-row inserts (default 3,000)")
    parser.add_argument(
        "--transitions",
        type=int,
        default=3_000,
        help="UPDATE + audit INSERT transactions (default 3,000)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.inserts < CONCURRENT_CLIENTS or args.transitions < 1:
        parser.error(f"--rows and --transitions must be positive and --inserts at least {CONCURRENT_CLIENTS}")
    print(json.dumps(run(args.rows, args.inserts, args.transitions), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
