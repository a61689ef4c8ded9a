"""benchmarks/segmentation.py segments every message and reports the rate as its last JSON line."""

from __future__ import annotations

import json

import pytest
from benchmarks import segmentation


def test_the_segmentation_benchmark_reports_messages_per_second(capsys: pytest.CaptureFixture[str]) -> None:
    assert segmentation.main(["--messages", "50", "--rounds", "1"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["benchmark"] == "segmentation" and report["messages"] == 50
    assert report["messages_per_s"] > 0
