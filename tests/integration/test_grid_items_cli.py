"""`zhiyun grid-items …` on a temporary SQLite file, through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from zhiyun.cli.main import app

runner = CliRunner()


def zhiyun(db: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "--db", str(db)])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert zhiyun(path, "db", "upgrade").exit_code == 0
    return path


@pytest.fixture
def catalogue(db: Path) -> Path:
    installed = zhiyun(db, "grid-items", "ensure-default")
    assert installed.exit_code == 0, installed.output
    return db


def test_ensure_default_installs_the_catalogue_and_running_it_again_changes_nothing(db: Path) -> None:
    empty = zhiyun(db, "grid-items", "list")
    assert empty.exit_code == 0 and "尚无入格事项" in empty.stdout
    first = zhiyun(db, "grid-items", "ensure-default")
    assert first.exit_code == 0 and "新增 10 个，已存在 0 个" in first.stdout
    again = zhiyun(db, "grid-items", "ensure-default")
    assert again.exit_code == 0 and "新增 0 个，已存在 10 个" in again.stdout
    listed = zhiyun(db, "grid-items", "list")
    assert listed.exit_code == 0
    for code in ("XF-001", "AJ-001", "CZ-001", "RQ-001", "WJ-001", "HW-001", "SF-001", "YL-001", "BJ-001"):
        assert code in listed.stdout


def test_show_prints_the_checklist_and_the_version_history(catalogue: Path) -> None:
    shown = zhiyun(catalogue, "grid-items", "show", "xf-001")
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "三小场所消防安全检查" in text and "第 1 版" in text and "当前版本" in text
    assert "区消防救援大队" in text and "命令行:" in text
    missing = zhiyun(catalogue, "grid-items", "show", "XF-404")
    assert missing.exit_code == 1 and "入格事项 XF-404 不存在" in missing.stderr
    no_version = zhiyun(catalogue, "grid-items", "show", "XF-001", "--version", "7")
    assert no_version.exit_code == 1 and "没有第 7 版" in no_version.stderr


def test_an_exported_file_edited_and_imported_publishes_a_version_and_the_old_one_stays(
    catalogue: Path, tmp_path: Path
) -> None:
    exported = zhiyun(catalogue, "grid-items", "export")
    assert exported.exit_code == 0
    document = json.loads(exported.stdout)
    assert document["format"] == "zhiyun.grid-items" and len(document["items"]) == 10
    hw = next(i for i in document["items"] if i["code"] == "HW-001")
    hw["name"] = "门前三包检查"
    path = tmp_path / "items.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    trial = zhiyun(catalogue, "grid-items", "import", str(path), "--dry-run")
    assert trial.exit_code == 0, trial.output
    assert "将发布 HW-001 第 2 版" in trial.stdout and "试导入" in trial.stdout
    assert "第 1 版" in zhiyun(catalogue, "grid-items", "show", "HW-001").stdout

    done = zhiyun(catalogue, "grid-items", "import", str(path))
    assert done.exit_code == 0 and "已新增 0 个，已发布新版本 1 个，未变 9 个" in done.stdout
    assert "门前三包检查" in zhiyun(catalogue, "grid-items", "show", "HW-001").stdout
    old = zhiyun(catalogue, "grid-items", "show", "HW-001", "--version", "1")
    assert "门前三包与环境卫生检查" in old.stdout and "当前为第 2 版" in old.stdout


def test_a_bad_file_is_refused_whole_with_every_row_and_its_reason(catalogue: Path, tmp_path: Path) -> None:
    document = json.loads(zhiyun(catalogue, "grid-items", "export").stdout)
    document["items"][0]["frequency"] = "偶尔"
    document["items"][1]["name"] = "改了名称也不导入"
    document["items"].append({"code": "bad code", "name": "x"})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    refused = zhiyun(catalogue, "grid-items", "import", str(path), "--rejects", str(rejects))
    assert refused.exit_code == 1
    assert "频次「偶尔」无法识别" in refused.stderr and "未导入任何内容" in refused.stderr
    lines = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "项号,事项编码,列,原因"
    assert any(line.startswith("1,") and "偶尔" in line for line in lines)
    assert any(line.startswith("11,") for line in lines)
    assert "第 1 版" in zhiyun(catalogue, "grid-items", "show", document["items"][1]["code"]).stdout


def test_the_xlsx_export_imports_again_unchanged(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "items.xlsx"
    exported = zhiyun(catalogue, "grid-items", "export", "--out", str(out))
    assert exported.exit_code == 0 and out.exists()
    sheet = load_workbook(out)["入格事项"]
    assert [c.value for c in sheet[1]][:3] == ["事项编码", "事项名称", "责任部门"]
    again = zhiyun(catalogue, "grid-items", "import", str(out))
    assert again.exit_code == 0 and "未变 10 个" in again.stdout
    no_file = zhiyun(catalogue, "grid-items", "export", "--format", "xlsx")
    assert no_file.exit_code == 1 and "--out" in no_file.stderr
    missing = zhiyun(catalogue, "grid-items", "import", str(tmp_path / "none.xlsx"))
    assert missing.exit_code == 1 and "文件不存在" in missing.stderr


def test_an_item_is_switched_off_and_on(catalogue: Path) -> None:
    off = zhiyun(catalogue, "grid-items", "deactivate", "SF-001")
    assert off.exit_code == 0 and "已停用 SF-001" in off.stdout
    assert "SF-001" not in zhiyun(catalogue, "grid-items", "list", "--active").stdout
    assert "停用" in zhiyun(catalogue, "grid-items", "show", "SF-001").stdout
    on = zhiyun(catalogue, "grid-items", "activate", "SF-001")
    assert on.exit_code == 0 and "SF-001" in zhiyun(catalogue, "grid-items", "list", "--active").stdout
