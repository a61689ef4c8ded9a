"""`zhiyun model report` shows the active model's calibration and the dispatch policy;
`zhiyun model target ACCURACY` sets the target accuracy (a temporary SQLite file)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.support import TEST_ADMIN, synthetic_messages
from typer.testing import CliRunner, Result

from zhiyun.bootstrap import build_services
from zhiyun.classifier.calibration import BINS, Calibration
from zhiyun.classifier.model import TrainingData
from zhiyun.classifier.tables import ClassifierModelRow
from zhiyun.cli.main import app
from zhiyun.config import Settings
from zhiyun.store.db import Database

runner = CliRunner()


def _graded_calibration() -> dict[str, object]:
    """Right 99 in 100 at 0.99, 93 in 100 at 0.75, 30 in 100 at 0.55."""
    confidences = [0.99] * 100 + [0.75] * 100 + [0.55] * 100
    correct = [i < 99 for i in range(100)] + [i < 93 for i in range(100)] + [i < 30 for i in range(100)]
    return Calibration.measure(confidences, correct).to_dict()


@pytest.fixture
def db_path(sqlite_database: Database) -> str:
    return sqlite_database.url.removeprefix("sqlite:///")


def _with_model(database: Database, calibration: dict[str, object] | None) -> None:
    services = build_services(database, Settings())
    rows = synthetic_messages(12, 3)
    data = TrainingData(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    version = services.models.train(TEST_ADMIN, data, source="test", folds=3, activate=True).version
    with database.transaction() as session:
        row = session.scalars(select(ClassifierModelRow).where(ClassifierModelRow.version == version)).one()
        kept = {k: v for k, v in row.evaluation.items() if k != "calibration"}
        row.evaluation = kept if calibration is None else {**kept, "calibration": calibration}


def _zhiyun(db_path: str, *args: str) -> Result:
    return runner.invoke(app, ["model", *args, "--db", db_path])


def test_the_report_shows_the_calibration_and_the_threshold_of_the_target(
    sqlite_database: Database, db_path: str
) -> None:
    _with_model(sqlite_database, _graded_calibration())
    shown = _zhiyun(db_path, "report")
    assert shown.exit_code == 0, shown.output
    assert "期望校准误差（ECE）" in shown.stdout and "可靠性图（留出样本 300 条）" in shown.stdout
    assert "0.9–1.0    100 条" in shown.stdout
    assert "目标准确率 95.0%（默认值）" in shown.stdout
    assert "目标准确率 95.0%：阈值 56%，预计自动派单 66.7%，预计准确率 96.0%" in shown.stdout
    assert "目标准确率 98.0%：阈值 76%，预计自动派单 33.3%，预计准确率 99.0%" in shown.stdout

    report = json.loads(_zhiyun(db_path, "report", "--json").stdout)
    assert report["model"]["version"] == 1 and report["model"]["classes"] == 5
    assert report["calibration"]["messages"] == 300 and len(report["calibration"]["diagram"]) == BINS
    assert report["calibration"]["ece"] == pytest.approx(
        Calibration.from_dict(_graded_calibration()).ece, abs=1e-4
    )
    policy = report["dispatch_policy"]
    assert (policy["target"], policy["threshold"], policy["calibrated"], policy["automatic"]) == (
        0.95,
        0.56,
        True,
        True,
    )
    assert policy["expected_share"] == pytest.approx(0.6667) and policy["expected_accuracy"] == 0.96
    assert [(t["target"], t["threshold"]) for t in policy["targets"]] == [
        (0.9, 0.56),
        (0.95, 0.56),
        (0.98, 0.76),
    ]
    assert report["total"]["orders"] == 0  # the rest of the report is still there


def test_model_target_sets_the_target_accuracy_and_says_what_it_gives(
    sqlite_database: Database, db_path: str
) -> None:
    _with_model(sqlite_database, _graded_calibration())
    result = _zhiyun(db_path, "target", "98%")
    assert result.exit_code == 0, result.output
    assert "已将自动派单的目标准确率设为 98.0%" in result.stdout
    assert "阈值 76%，预计自动派单 33.3%，预计准确率 99.0%" in result.stdout
    policy = json.loads(_zhiyun(db_path, "report", "--json").stdout)["dispatch_policy"]
    assert policy["target"] == 0.98 and policy["threshold"] == 0.76 and policy["set_by"].startswith("命令行:")

    unreachable = _zhiyun(db_path, "target", "0.999")
    assert unreachable.exit_code == 0 and "任何阈值都达不到，不自动派单" in unreachable.stdout
    policy = json.loads(_zhiyun(db_path, "report", "--json").stdout)["dispatch_policy"]
    assert policy["threshold"] is None and policy["automatic"] is False

    refused = _zhiyun(db_path, "target", "1.2")
    assert refused.exit_code == 1 and "目标准确率须在 50%–99.9% 之间" in refused.stderr
    assert json.loads(_zhiyun(db_path, "report", "--json").stdout)["dispatch_policy"]["target"] == 0.999


def test_the_report_of_a_model_without_calibration_names_the_fixed_threshold(
    sqlite_database: Database, db_path: str
) -> None:
    _with_model(sqlite_database, None)
    shown = _zhiyun(db_path, "report")
    assert "该模型没有置信度校准数据" in shown.stdout and "使用固定阈值 60%" in shown.stdout
    report = json.loads(_zhiyun(db_path, "report", "--json").stdout)
    assert report["calibration"] is None
    policy = report["dispatch_policy"]
    assert (policy["threshold"], policy["calibrated"], policy["targets"]) == (0.6, False, [])


def test_without_a_model_the_report_says_nothing_is_automatic(db_path: str) -> None:
    shown = _zhiyun(db_path, "report")
    assert shown.exit_code == 0, shown.output
    assert "尚未启用分类模型" in shown.stdout
    report = json.loads(_zhiyun(db_path, "report", "--json").stdout)
    assert report["model"] is None and report["calibration"] is None
    assert report["dispatch_policy"]["threshold"] is None and report["dispatch_policy"]["automatic"] is False
