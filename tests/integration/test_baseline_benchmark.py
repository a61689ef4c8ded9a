"""benchmarks/baseline.py measures a bare PostgreSQL on a throwaway database and says so in JSON."""

from __future__ import annotations

import json

import pytest
from benchmarks import baseline
from tests.conftest import PG_ADMIN_URL


def test_the_baseline_copies_and_inserts_every_row_and_reports_each_rate(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHIYUN_BENCH_PG_URL", PG_ADMIN_URL)
    monkeypatch.setattr(baseline, "python_loop_seconds", lambda: 0.25)  # the real loop takes 0.2–0.8 s
    assert baseline.main(["--rows", "5000", "--inserts", "64", "--transitions", "50"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["benchmark"] == "baseline" and report["rows"] == 5000 and report["inserts"] == 64
    assert report["transitions"] == 50
    for key in (
        "copy_rows_per_s",
        "copy_indexed_rows_per_s",
        "single_inserts_per_s",
        "concurrent_inserts_per_s",
        "update_audit_tx_per_s",
    ):
        assert report[key] > 0, key


def test_copy_text_keeps_every_row_in_chunks_of_whole_lines() -> None:
    rows = baseline.order_rows(20_000)
    chunks = baseline.copy_text(rows)
    assert len(chunks) > 1 and all(chunk.endswith(b"\n") for chunk in chunks)
    lines = b"".join(chunks).decode("utf-8").splitlines()
    assert len(lines) == len(rows)
    assert all(line.count("\t") == len(rows[0]) - 1 for line in lines)


def test_too_few_inserts_for_the_concurrent_clients_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        baseline.main(["--inserts", "3"])
    assert exit_.value.code == 2 and "--inserts" in capsys.readouterr().err
