"""`zhiyun dedupe evaluate FILE`: precision and recall on labelled pairs, JSON lines or CSV.

The command is tested on the `dedupe_app` sub-app itself (the lead wires it into `zhiyun`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from zhiyun.dedupe.cli import dedupe_app

runner = CliRunner()

HOTLINE = {
    "title": "夏北路12号门口占道经营",
    "content": "市民来电反映：夏北路12号门口每天晚上有流动摊贩占道经营烧烤，油烟很大，行人只能走机动车道。",
    "category": "城市管理",
    "lat": 23.04,
    "lon": 113.15,
    "phone": "13800000001",
    "registered_at": "2026-11-26T10:00:00+08:00",
}
GRID = {
    "title": "夏北路烧烤摊占道经营",
    "content": "网格员巡查发现：夏北路12号门口有流动摊贩占道经营，烧烤油烟大，行人被迫走机动车道。",
    "lat": 23.0403,
    "lon": 113.15,
    "phone": "13900000002",
    "registered_at": "2026-11-26 14:00:00",
}
MANHOLE = {
    "title": "夏北路12号旁井盖丢失",
    "content": "夏北路12号旁边人行道上的井盖不见了，晚上很危险。",
    "lat": 23.0401,
    "lon": 113.15,
    "registered_at": "2026-11-26T12:00:00+08:00",
}


def far(side: dict[str, Any]) -> dict[str, Any]:
    return {**side, "lat": 23.06, "phone": "13700000003"}


PAIRS: list[dict[str, Any]] = [
    {"a": HOTLINE, "b": GRID, "duplicate": True, "kind": "second_channel"},
    {"a": HOTLINE, "b": far(HOTLINE), "duplicate": False, "kind": "same_words_far"},
    {"a": HOTLINE, "b": MANHOLE, "duplicate": False, "kind": "near_other_matter"},
    {"a": GRID, "b": {"title": "占道", "content": "有人摆摊"}, "duplicate": True},
]


def evaluate(path: Path, *args: str) -> Result:
    return runner.invoke(dedupe_app, ["evaluate", str(path), *args])


def last_json(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout.strip().splitlines()[-1])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def test_evaluate_prints_precision_recall_and_f1_and_a_json_line_last(tmp_path: Path) -> None:
    result = evaluate(write_jsonl(tmp_path / "pairs.jsonl", PAIRS))
    assert result.exit_code == 0, result.output
    out = last_json(result)
    assert out["pairs"] == 4 and out["positives"] == 2
    assert out["precision"] == 1.0 and out["recall"] == 0.5
    assert out["f1"] == pytest.approx(0.6667, abs=1e-4)
    assert set(out["merge_or_flag"]) == {"precision", "recall", "f1"}
    assert out["policy"] == {"high": 0.5, "low": 0.3, "radius_m": 300.0, "window_days": 7.0}
    assert "precision" in result.stdout and "merge" in result.stdout
    assert "same_words_far" in result.stdout  # the breakdown by kind


def test_thresholds_and_the_policy_come_from_the_options(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", PAIRS)
    strict = last_json(evaluate(path, "--high", "1", "--low", "1"))
    assert strict["precision"] == 0.0 and strict["recall"] == 0.0
    wide = last_json(evaluate(path, "--radius-m", "5000", "--window-days", "30", "--high", "0.2"))
    assert wide["policy"] == {"high": 0.2, "low": 0.2, "radius_m": 5000.0, "window_days": 30.0}
    assert wide["recall"] >= 0.5


def test_a_csv_file_with_flattened_fields_gives_the_same_figures(tmp_path: Path) -> None:
    fields = ["title", "content", "category", "lat", "lon", "phone", "registered_at"]
    path = tmp_path / "pairs.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([f"{s}_{k}" for s in ("a", "b") for k in fields] + ["duplicate"])
        for p in PAIRS:
            row = [p[s].get(k, "") for s in ("a", "b") for k in fields]
            writer.writerow([*row, "是" if p["duplicate"] else "false"])
    from_csv = evaluate(path)
    assert from_csv.exit_code == 0, from_csv.output
    from_json = last_json(evaluate(write_jsonl(tmp_path / "pairs.jsonl", PAIRS)))
    assert last_json(from_csv) == from_json


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a": {"title": "x"}, "b": {"title": "y"}, "duplicate": true}\nnot json\n', "第 2 行"),
        ('{"a": {"title": "x"}, "b": {"title": "y"}}\n', "duplicate"),
        ('{"a": {"title": "x"}, "b": {"title": "y"}, "duplicate": "maybe"}\n', "duplicate"),
        ('{"a": {"title": "x"}, "duplicate": true}\n', "缺少 b"),
        ('{"a": {"title": ""}, "b": {"title": "y"}, "duplicate": true}\n', "不能都为空"),
        ('{"a": {"title": "x", "lat": 23}, "b": {"title": "y"}, "duplicate": true}\n', "同时提供"),
        ('{"a": {"title": "x", "lat": "北纬", "lon": 1}, "b": {"title": "y"}, "duplicate": true}\n', "数字"),
        ('{"a": {"title": "x", "registered_at": "昨天"}, "b": {"title": "y"}, "duplicate": true}\n', "时间"),
        ("[1, 2]\n", "JSON 对象"),
        ("\n\n", "没有任何标注样本"),
    ],
)
def test_a_bad_jsonl_file_is_refused_with_a_message_and_exit_1(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = evaluate(path)
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert message in result.stderr


def test_a_csv_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("title,content\n路灯,不亮\n", encoding="utf-8")
    result = evaluate(path)
    assert result.exit_code == 1
    assert "缺少列" in result.stderr and "a_title" in result.stderr


def test_a_missing_file_a_directory_and_a_binary_file_are_refused(tmp_path: Path) -> None:
    for path, message in (
        (tmp_path / "nope.jsonl", "文件不存在"),
        (tmp_path, "目录"),
    ):
        result = evaluate(path)
        assert result.exit_code == 1 and message in result.stderr
        no_traceback(result)
    binary = tmp_path / "pairs.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage\x81")
    result = evaluate(binary)
    assert result.exit_code == 1 and "UTF-8" in result.stderr


def test_inconsistent_thresholds_are_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", PAIRS)
    result = evaluate(path, "--high", "0.2", "--low", "0.6")
    assert result.exit_code == 1
    assert "阈值" in result.stderr
    no_traceback(result)
