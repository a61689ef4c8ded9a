"""How fast the knowledge base answers a question: `KnowledgeSearch.ask` over 50,000 published items,
on one core.

The items are made from the shipped service guide (2,262 services) by variation: each service
again for other places and other kinds of the same matter (「佛山市」「线上办理」「变更」 …), with its
answer's lines in another order — words like the guide's, 50,000 items in all. They are written
straight into a throwaway SQLite database (one row per item and one history row, as an import
leaves them), so that each question pays what it pays in the server: the version-stamp query,
then the search of the in-process index (built once, before the clock starts; its build time is
printed). The questions are the shipped evaluation set's (tuning and locked halves), asked in
turn, `--questions` in all; the process is pinned to one CPU.

    python benchmarks/assistant.py                     # 50,000 items, 2,000 questions
    python benchmarks/assistant.py --items 10000 --questions 500

Then the same questions through 小南 (`AssistantService.ask`: the decision, and the conversation
and its turns written to the database, a new conversation every five questions):
`assistant_p50_ms`, `assistant_p99_ms`.

The last line on stdout is one JSON object: {"p50_ms", "p99_ms", "questions_per_s", …}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from zhiyun.assistant.retrieval import KnowledgeRetrieval
from zhiyun.assistant.service import AssistantService
from zhiyun.bootstrap import build_services
from zhiyun.domain.access import Actor
from zhiyun.knowledge.evaluation import questions_of, shipped_set
from zhiyun.knowledge.guide import guide_records
from zhiyun.knowledge.search import KnowledgeSearch
from zhiyun.knowledge.tables import KnowledgeItemRow, KnowledgeItemStepRow
from zhiyun.store.base import table_of
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

PLACES = (
    "",
    "广州市",
    "佛山市",
    "南海区",
    "桂城街道",
    "大沥镇",
    "深圳市",
    "珠海市",
    "东莞市",
    "中山市",
    "江门市",
)
KINDS = (
    "",
    "（线上办理）",
    "（窗口办理）",
    "（变更）",
    "（补办）",
    "（延续）",
    "（注销）",
    "（个人）",
    "（企业）",
)


def one_core() -> str:
    """Pin the process to one CPU (where the system allows it) and say which."""
    if hasattr(os, "sched_setaffinity"):
        cpu = sorted(os.sched_getaffinity(0))[0]
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    return "not pinned"


def synthesize(n: int, seed: int = 7) -> list[dict[str, object]]:
    """`n` item rows from the guide: the services themselves first, then variations."""
    rng = random.Random(seed)
    guide = [r.data for r in guide_records()]
    rows: list[dict[str, object]] = []
    now = datetime.now(UTC)
    k = 0
    while len(rows) < n:
        for data in guide:
            if len(rows) >= n:
                break
            lines = data.answer.splitlines()
            if k:
                rng.shuffle(lines)
            place = PLACES[k % len(PLACES)]
            kind = KINDS[(k // len(PLACES)) % len(KINDS)]
            rows.append(
                {
                    "title": f"{place}{data.title}{kind}"[:200],
                    "answer": "\n".join(lines) or data.title,
                    "questions": [],
                    "category": data.category,
                    "department": data.department,
                    "source": data.source,
                    "policy_ref": data.policy_ref,
                    "status": "published",
                    "origin": "guide",
                    "origin_ref": f"bench-{len(rows)}",
                    "created_at": now,
                    "created_by": "基准",
                    "updated_at": now,
                    "updated_by": "基准",
                    "published_at": now,
                    "version": 1,
                }
            )
        k += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--questions", type=int, default=2_000)
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    cpu = one_core()
    questions = [
        q.text
        for name in ("tune.csv", "locked.csv")
        for q in questions_of(shipped_set(name), "question", "expected_id")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'kb.db'}")
        upgrade(db)
        started = time.perf_counter()
        rows = synthesize(args.items)
        with db.transaction() as session:
            session.execute(insert(table_of(KnowledgeItemRow)), rows)
            session.execute(
                insert(table_of(KnowledgeItemStepRow)),
                [
                    {
                        "item_id": 1,
                        "action": "publish",
                        "from_status": "reviewed",
                        "to_status": "published",
                        "actor_name": "基准",
                        "actor_role": "admin",
                        "note": "",
                        "details": {},
                        "created_at": datetime.now(UTC),
                    }
                ],
            )
        print(f"stored {len(rows)} items in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        search = KnowledgeSearch(db)
        started = time.perf_counter()
        search.ask("预热")  # builds the index before the clock starts
        build_s = time.perf_counter() - started
        print(f"index of {args.items} items built in {build_s:.1f} s", file=sys.stderr)
        latencies: list[float] = []
        answered = 0
        begin = time.perf_counter()
        for n in range(args.questions):
            t0 = time.perf_counter()
            answer = search.ask(questions[n % len(questions)])
            latencies.append((time.perf_counter() - t0) * 1000)
            answered += answer.answerable
        total = time.perf_counter() - begin
        # 小南 end to end: the same questions through AssistantService.ask — the decision, and the
        # conversation and its turns written (a new conversation every five questions)
        services = build_services(db)
        assistant = AssistantService(db, services.reference, KnowledgeRetrieval(search), services.intake)
        citizen = Actor.citizen(None)
        conversation: str | None = None
        turns: list[float] = []
        for n in range(args.questions):
            t0 = time.perf_counter()
            reply = assistant.ask(citizen, questions[n % len(questions)], conversation)
            turns.append((time.perf_counter() - t0) * 1000)
            conversation = None if n % 5 == 4 else reply.token
        db.dispose()
    latencies.sort()
    turns.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * len(latencies)) - 1)]
    turn_p99 = turns[min(len(turns) - 1, round(0.99 * len(turns)) - 1)]
    result = {
        "benchmark": "assistant",
        "items": args.items,
        "questions": args.questions,
        "answered_share": round(answered / args.questions, 3),
        "index_build_s": round(build_s, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, {cpu}",
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(p99, 2),
        "questions_per_s": round(args.questions / total, 1),
        "assistant_p50_ms": round(statistics.median(turns), 2),  # 小南's ask, conversation stored
        "assistant_p99_ms": round(turn_p99, 2),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
