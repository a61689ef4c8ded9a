"""benchmarks/dedupe_pairs.py builds the labelled pairs from ../shared/data (read there, never copied).

Without the shared data the builder says so and exits with 1; with it, the pairs it writes
are read by `zhiyun dedupe evaluate`, and the figures on the held-out half stay where
docs/dedupe.md reports them (a guard against regressions of the scorer).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhiyun.dedupe.cli import dedupe_app

REPO = Path(__file__).resolve().parents[2]
BUILDER = REPO / "benchmarks" / "dedupe_pairs.py"
SHARED = REPO.parent / "shared" / "data"


def build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILDER), *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_without_the_shared_data_the_builder_says_so_and_exits_1(tmp_path: Path) -> None:
    done = build(str(tmp_path / "out"), "--data", str(tmp_path / "no-data"))
    assert done.returncode == 1
    assert "missing" in done.stderr and "no-data" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared data not found at {SHARED}")
def test_the_labelled_set_is_built_and_the_scorer_holds_its_figures_on_the_test_half(tmp_path: Path) -> None:
    done = build(str(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["pairs"] == summary["tune"] + summary["test"] > 5_000
    records = [json.loads(line) for line in (tmp_path / "dedupe_pairs.jsonl").read_text().splitlines()]
    kinds = Counter((r["kind"], r["duplicate"]) for r in records)
    for kind, label in [
        ("second_channel", True),
        ("same_caller_repeat", True),
        ("natural_repost", True),
        ("hotspot_same_matter", True),
        ("same_class_nearby", False),
        ("similar_text_nearby", False),
        ("same_words_far", False),
        ("same_caller_other_matter", False),
        ("hotspot_same_place_other_matter", False),
        ("sf311_nearby", False),
    ]:
        assert kinds[(kind, label)] > 0, kind

    result = CliRunner().invoke(dedupe_app, ["evaluate", str(tmp_path / "dedupe_pairs_test.jsonl")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["precision"] >= 0.98
    assert figures["recall"] >= 0.85
    assert figures["merge_or_flag"]["recall"] >= 0.93
