"""The console's lists at 1,000,000 orders on PostgreSQL: queue counts, keyset pages, search.

    .venv/bin/python benchmarks/console.py [--orders 1000000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Creates a throwaway database next to the given server, migrates it, loads the demo district
and N orders in one INSERT … SELECT (segmented search text, three units on each route,
deadlines, 20% still open), then times WorklistService — the code the workbench runs — for a
town dispatcher, a village handler and a leader: every queue count, the first page, a page
10,000 rows deep by its keyset cursor, the deadline sort and a Chinese search. Each timing
is the best of 3. Progress goes to stderr; the last line of stdout is JSON with
`max_page_ms` (pages and searches), `max_counts_all_queues_ms` (all of a user's queue
counts, capped at 1,000 each) and every timing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import text

from zhiyun.bootstrap import build_services
from zhiyun.demo.district import ensure_district
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.org import UnitKind
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

TITLES = [
    "路灯不亮",
    "井盖缺失",
    "噪音扰民",
    "垃圾清运不及时",
    "占道经营",
    "违章搭建",
    "房东不退押金",
    "停水没有通知",
]
WORDS = [
    "路灯 不亮 晚上",
    "井盖 缺失 安全",
    "噪音 扰民 夜间",
    "垃圾 清运 及时",
    "占道 经营 摊档",
    "违章 搭建 举报",
    "房东 押金",
    "停水 通知",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def best_of(fn: Callable[[], Any], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return round(best, 1)


LOAD_SQL = """
INSERT INTO work_order (
  id, number, channel, title, content, order_type, urgency, confidential, status, chain,
  registered_unit_id, current_unit_id, responsible_unit_id, town_unit_id, village_unit_id,
  registered_at, sign_due_at, sign_warn_at, sign_limit_unit, sign_budget_seconds,
  reply_due_at, reply_warn_at, reply_limit_unit, reply_budget_seconds,
  sign_provisional, reply_provisional, sign_alert, reply_alert, extension_count, reopen_count,
  rework_count, return_count, callback_attempts, urge_count, supervised, has_instruction, version,
  created_at, updated_at, location_source, possible_duplicate, search_text, latitude, longitude,
  category_code, first_dispatched_at
)
SELECT
  g.i, 'NH' || lpad(g.i::text, 10, '0'),
  (ARRAY['12345','grid','110','district_mayor','opinion'])[1 + g.i % 5],
  (CAST(:titles AS text[]))[1 + g.i % 8], (CAST(:titles AS text[]))[1 + g.i % 8] || '，请尽快处理',
  (ARRAY['help','complaint','consult','report','suggestion','praise'])[1 + g.i % 6],
  CASE WHEN g.i % 10 = 0 THEN 'urgent' ELSE 'normal' END, false,
  CASE WHEN g.i % 5 <> 0 THEN 'closed'
       ELSE (ARRAY['pending_dispatch','dispatched','in_progress','replied','awaiting_callback'])[1 + (g.i / 5) % 5] END,
  json_build_array(CAST(:root AS int), p.town, p.village),
  CAST(:root AS int), CASE WHEN g.i % 5 = 0 AND (g.i / 5) % 5 = 0 THEN p.town ELSE p.village END, p.town, p.town, p.village,
  r.at, r.at + interval '1 day', r.at + interval '20 hours', 'workdays', 86400,
  r.at + interval '10 days', r.at + interval '8 days', 'workdays', 864000,
  false, false, '', '', 0, 0, 0, 0, 0, 0, g.i % 97 = 0, g.i % 211 = 0, 1,
  r.at, r.at, 'boundary', g.i % 53 = 0, (CAST(:words AS text[]))[1 + g.i % 8],
  23.0 + (g.i % 1000) / 10000.0, 113.1 + (g.i % 997) / 10000.0,
  'CG0' || (1 + g.i % 9)::text, r.at
FROM generate_series(1, :n) AS g(i)
CROSS JOIN LATERAL (SELECT now() - (g.i * interval '47 seconds') AS at) r
CROSS JOIN LATERAL (
  SELECT (CAST(:towns AS int[]))[1 + g.i % cardinality(CAST(:towns AS int[]))] AS town,
         (CAST(:villages AS int[]))[1 + g.i % cardinality(CAST(:villages AS int[]))] AS village
) p
"""


def load(db: Database, n: int, root: int, pairs: list[tuple[int, int]]) -> None:
    towns = [t for t, _ in pairs]
    villages = [v for _, v in pairs]
    with db.engine.begin() as conn:
        conn.execute(
            text(LOAD_SQL),
            {"titles": TITLES, "words": WORDS, "root": root, "towns": towns, "villages": villages, "n": n},
        )
        log("orders inserted; routes…")
        conn.execute(
            text(
                "INSERT INTO work_order_unit (order_id, unit_id) "
                "SELECT id, registered_unit_id FROM work_order UNION ALL "
                "SELECT id, town_unit_id FROM work_order UNION ALL "
                "SELECT id, village_unit_id FROM work_order"
            )
        )
        conn.execute(text("SELECT setval(pg_get_serial_sequence('work_order', 'id'), :n)"), {"n": n})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE work_order"))
        conn.execute(text("VACUUM ANALYZE work_order_unit"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    name = f"zhiyun_console_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    db = Database(f"{base}/{name}")
    try:
        upgrade(db)
        services = build_services(db)
        ensure_district(services)
        from zhiyun.orders.service import reference_snapshot

        tree = reference_snapshot(services.orders).org
        pairs = [
            (tree.get(v.parent_id).id, v.id)  # type: ignore[arg-type]
            for v in tree.units.values()
            if v.kind is UnitKind.VILLAGE and v.parent_id is not None
        ]
        log(f"loading {args.orders:,} orders over {len(pairs)} villages…")
        start = time.perf_counter()
        load(db, args.orders, tree.root().id, pairs)
        log(f"loaded in {time.perf_counter() - start:.0f} s")

        users = {u.username: u for u in services.accounts.list_users()}
        actors = {
            "town_dispatcher": users["gc_dispatcher"].actor(),
            "village_handler": users["gc_xb_handler"].actor(),
            "leader": users["leader"].actor(),
        }
        w = services.worklists
        timings: dict[str, float] = {}
        counts: dict[str, float] = {}
        for who, actor in actors.items():
            # every queue's count, as the workbench shows them (one query each)
            counts[f"{who}.counts_all_queues"] = best_of(lambda actor=actor: w.counts(actor))
            first = w.page(actor, OrderQuery(queue="all"), limit=50)
            timings[f"{who}.page1"] = best_of(
                lambda actor=actor: w.page(actor, OrderQuery(queue="all"), limit=50)
            )
            # a cursor 10,000 rows deep, found by walking with big pages
            cursor = first.next_cursor
            for _ in range(20):
                if cursor is None:
                    break
                cursor = w.page(actor, OrderQuery(queue="all"), cursor=cursor, limit=500).next_cursor
            if cursor is not None:
                timings[f"{who}.page_10000_deep"] = best_of(
                    lambda actor=actor, cursor=cursor: w.page(
                        actor, OrderQuery(queue="all"), cursor=cursor, limit=50
                    )
                )
            timings[f"{who}.deadline_sort"] = best_of(
                lambda actor=actor: w.page(actor, OrderQuery(queue="all", sort="deadline"), limit=50)
            )
            timings[f"{who}.search_路灯"] = best_of(
                lambda actor=actor: w.page(actor, OrderQuery(queue="all", text="路灯"), limit=50)
            )
            timings[f"{who}.overdue_queue_page"] = best_of(
                lambda actor=actor: w.page(actor, OrderQuery(queue="overdue"), limit=50)
            )
            log(f"{who}: done")
        plan = w.explain(actors["town_dispatcher"], OrderQuery(queue="all", text="路灯"))
        log("plan of the town dispatcher's search:\n" + plan)
        for key, value in {**timings, **counts}.items():
            log(f"  {key}: {value} ms")
        result = {
            "orders": args.orders,
            "max_page_ms": max(timings.values()),
            "max_counts_all_queues_ms": max(counts.values()),
            "timings_ms": timings,
            "counts_ms": counts,
        }
        services.close()
    finally:
        db.dispose()
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
