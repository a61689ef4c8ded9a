"""`zhiyun grid ledger` on a temporary SQLite file, through typer's CliRunner: the village's
ledger written as XLSX and reported; a request naming two scopes, or a bad date, refused with a
reason and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.ledger_support import patrol_december
from tests.patrol_support import seed_patrol_world
from typer.testing import CliRunner, Result

from zhiyun.bootstrap import build_services
from zhiyun.cli.main import app
from zhiyun.config import Settings
from zhiyun.grid.ledger_xlsx import COVER

runner = CliRunner()


def zhiyun(db: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "--db", str(db)])


@pytest.fixture
def patrolled_db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert zhiyun(path, "db", "upgrade").exit_code == 0
    services = build_services(str(path), Settings(attachment_dir=tmp_path / "attachments"))
    try:
        patrol_december(seed_patrol_world(services, tmp_path))
    finally:
        services.close()
    return path


def test_grid_ledger_writes_the_villages_ledger_as_xlsx_and_reports_its_totals(
    patrolled_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "夏北.xlsx"
    args = ("grid", "ledger", "--village", "GC-XB", "--from", "2026-12-01", "--to", "2026-12-31")
    result = zhiyun(patrolled_db, *args, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "夏北社区 网格巡查电子台账 2026年12月" in result.stdout and "发现隐患 1 处" in result.stdout
    book = load_workbook(out)
    assert book.sheetnames[0] == COVER and any(n.startswith("XF-001") for n in book.sheetnames)


def test_grid_ledger_refuses_two_scopes_and_a_bad_date_without_a_traceback(
    patrolled_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.xlsx"
    two = zhiyun(
        patrolled_db,
        "grid",
        "ledger",
        "--village",
        "GC-XB",
        "--item",
        "XF-001",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-31",
        "--out",
        str(out),
    )
    assert two.exit_code == 1 and "只能一项" in two.output and "Traceback" not in two.output
    bad = zhiyun(
        patrolled_db,
        "grid",
        "ledger",
        "--village",
        "GC-XB",
        "--from",
        "2026-12",
        "--to",
        "2026-12-31",
        "--out",
        str(out),
    )
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    assert not out.exists()
