"""`zhiyun dashboard refresh` on a temporary SQLite file, through typer's CliRunner."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from zhiyun.analytics import rollup
from zhiyun.cli.main import app
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

runner = CliRunner()


def test_refresh_rebuilds_the_day_rollup_up_to_yesterday(tmp_path: Path) -> None:
    path = tmp_path / "z.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)

    result = runner.invoke(app, ["dashboard", "refresh", "--db", str(path)])

    assert result.exit_code == 0, result.output
    assert "已重建驾驶舱汇总" in result.output
    with db.reading() as session:
        state = rollup.state(session)
    db.dispose()
    assert state is not None
    assert state.last_day - state.first_day == timedelta(days=rollup.ROLLUP_DAYS - 1)


def test_refresh_of_a_missing_database_file_fails_in_chinese(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dashboard", "refresh", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert "数据库文件不存在" in result.output
