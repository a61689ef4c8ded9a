"""benchmarks/workflow.py and its yardstick run end to end (they broke once without anyone noticing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks import baseline, workflow
from tests.conftest import PG_ADMIN_URL


def test_the_workflow_benchmark_takes_each_order_through_its_life_cycle_and_reports_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert workflow.main(["--orders", "4", "--concurrency", "2", "--db", str(tmp_path / "bench.db")]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["benchmark"] == "workflow" and report["database"] == "sqlite"
    assert report["transitions"] == 4 * workflow.STEPS_PER_ORDER and report["transitions_per_s"] > 0


def test_the_yardsticks_measure_a_bare_postgresql(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIYUN_BENCH_PG_URL", PG_ADMIN_URL)
    assert baseline.yardstick("update_audit", transitions=30)["update_audit_tx_per_s"] > 0
    assert baseline.yardstick("copy_indexed", rows=500)["copy_indexed_rows_per_s"] > 0
    with pytest.raises(ValueError):
        baseline.yardstick("nothing")
