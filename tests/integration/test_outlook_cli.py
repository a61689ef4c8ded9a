"""`zhiyun outlook …` on a temporary SQLite file, through typer's CliRunner: detection, the backtest
on the database's history (its last line one JSON object) and the refusal of an empty history."""

from __future__ import annotations

import json
from pathlib import Path

from tests.outlook_support import seed_history
from tests.support import build_small_district
from typer.testing import CliRunner

from zhiyun.bootstrap import build_services
from zhiyun.cli.main import app
from zhiyun.config import Settings
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

runner = CliRunner()


def _database(tmp_path: Path, *, history: bool) -> Path:
    path = tmp_path / "z.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=tmp_path / "files"))
    if history:
        seed_history(services, build_small_district(services))
    services.close()
    return path


def test_detect_raises_the_surge_and_a_second_run_nothing(tmp_path: Path) -> None:
    path = _database(tmp_path, history=True)
    first = runner.invoke(app, ["outlook", "detect", "--db", str(path)])
    assert first.exit_code == 0, first.output
    assert "新预警 0 条" not in first.output
    again = runner.invoke(app, ["outlook", "detect", "--db", str(path)])
    assert again.exit_code == 0 and "新预警 0 条" in again.output


def test_the_backtest_replays_the_databases_history_and_ends_with_json(tmp_path: Path) -> None:
    path = _database(tmp_path, history=True)
    result = runner.invoke(
        app, ["outlook", "backtest", "--db", str(path), "--days", "60", "--surges", "2", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["source"] == "database" and report["series"] == 2 and report["surges"] == 2
    assert report["recall"] == 1.0  # four more orders a day over a steady one or two: found within days
    assert report["delay_max_days"] is not None and report["delay_max_days"] <= 4


def test_a_backtest_without_history_fails_in_chinese(tmp_path: Path) -> None:
    path = _database(tmp_path, history=False)
    result = runner.invoke(app, ["outlook", "backtest", "--db", str(path)])
    assert result.exit_code == 1
    assert "没有可回放的工单" in result.output
