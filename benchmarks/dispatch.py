"""Automatic dispatch in the demo district: how many simulated orders route themselves, and at what cost.

Builds the demo in a throwaway SQLite file (300 seeded orders, the default taxonomy, the
demo responsibility list, a first model trained from the seeded closed orders), then
posts `--orders` simulated requests through the real intake endpoint (in process), twice:
once with automatic dispatch on, once with it off (same requests, a fresh copy of the
database), and moves the orders along like the demo's users would.

    python benchmarks/dispatch.py                 # 150 orders
    python benchmarks/dispatch.py --orders 400 --seed 3

Progress goes to stderr; the last line on stdout is one JSON object with `auto_rate` (the
share of classified orders dispatched without a person), `auto_rate_excluding_duplicates`,
`decisions` (count per decision), `feedback` (corrections recorded while the simulated
dispatchers moved the orders on), `intake_ms_p50`/`intake_ms_p99` with automatic dispatch
and `intake_ms_p50_off` without it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient` is deprecated")

from fastapi.testclient import TestClient  # noqa: E402

from zhiyun.api.app import create_app  # noqa: E402
from zhiyun.bootstrap import Services, build_services  # noqa: E402
from zhiyun.catalog.tables import DispatchFeedbackRow, DispatchSuggestionRow  # noqa: E402
from zhiyun.classifier.report import dispatch_report  # noqa: E402
from zhiyun.config import Settings  # noqa: E402
from zhiyun.demo.cli import prepare_demo  # noqa: E402
from zhiyun.demo.dispatch_setup import ensure_dispatch  # noqa: E402
from zhiyun.demo.simulator import ChannelPoster, TrafficSimulator  # noqa: E402
from zhiyun.store.db import Database  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class TimedPoster(ChannelPoster):
    """Posts like the demo and keeps the time of each intake request."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)
        self.ms: list[float] = []

    def __call__(self, channel: str, payload: Any, key: str) -> tuple[int, dict[str, Any]]:
        started = time.perf_counter()
        result = super().__call__(channel, payload, key)
        self.ms.append((time.perf_counter() - started) * 1000)
        return result


def run(path: Path, orders: int, seed: int, *, auto: bool, moves: int) -> tuple[Services, TimedPoster]:
    settings = Settings(auto_dispatch=auto, attachment_dir=path.parent / "attachments")
    services = build_services(Database(f"sqlite:///{path}"), settings)
    models = getattr(services, "models", None)
    if models is not None:
        services.auto_dispatch.model_source = models.active
    client = TestClient(create_app(services))
    poster = TimedPoster(client)
    # the simulated dispatchers handle every order they post (none left to people), as before
    simulator = TrafficSimulator(services, poster=poster, seed=seed, people_share=0, people_duplicate_share=0)
    simulator.issue_keys()
    for i in range(orders):
        simulator.arrive()
        if (i + 1) % 50 == 0:
            log(f"  {i + 1}/{orders} orders posted")
    for _ in range(moves):
        simulator.advance_one()
    return services, poster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--moves", type=int, default=300, help="simulated user moves after the arrivals")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "demo.db"
        started = time.perf_counter()
        services = build_services(Database(f"sqlite:///{base}"), Settings(attachment_dir=Path(tmp) / "att"))
        prepare_demo(services, progress=False)
        setup = ensure_dispatch(services)
        services.close()
        log(f"demo ready in {time.perf_counter() - started:.0f} s: {setup.summary()}")
        off_path = Path(tmp) / "off.db"
        shutil.copy(base, off_path)

        log("automatic dispatch on")
        on, poster_on = run(base, args.orders, args.seed, auto=True, moves=args.moves)
        with on.db.reading() as session:
            decisions = dict(
                session.execute(
                    select(DispatchSuggestionRow.decision, func.count())
                    .where(
                        DispatchSuggestionRow.model_version.is_not(None)
                        | (DispatchSuggestionRow.decision != "no_model")
                    )
                    .group_by(DispatchSuggestionRow.decision)
                ).all()
            )
            feedback = Counter(
                dict(
                    session.execute(
                        select(DispatchFeedbackRow.kind, func.count()).group_by(DispatchFeedbackRow.kind)
                    ).all()
                )
            )
        report = dispatch_report(on.db)
        on.close()

        log("automatic dispatch off")
        off, poster_off = run(off_path, args.orders, args.seed, auto=False, moves=0)
        off.close()

    classified = sum(decisions.values())
    auto = decisions.get("auto_dispatched", 0)
    duplicates = decisions.get("possible_duplicate", 0)
    result = {
        "orders": args.orders,
        "classified": classified,
        "auto_dispatched": auto,
        "auto_rate": round(auto / classified, 4) if classified else 0.0,
        "auto_rate_excluding_duplicates": round(auto / (classified - duplicates), 4)
        if classified > duplicates
        else 0.0,
        "decisions": decisions,
        "accuracy_so_far": report.total.accuracy,
        "feedback": dict(feedback),
        "intake_ms_p50": round(statistics.median(poster_on.ms), 2),
        "intake_ms_p99": round(statistics.quantiles(poster_on.ms, n=100)[98], 2)
        if len(poster_on.ms) > 1
        else None,
        "intake_ms_p50_off": round(statistics.median(poster_off.ms), 2),
        "database": "sqlite",
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
