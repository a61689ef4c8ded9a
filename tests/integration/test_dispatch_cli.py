"""`zhiyun taxonomy …` and `zhiyun rules …` on a temporary SQLite file: round trips and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zhiyun.cli.main import app

runner = CliRunner()

UNITS_CSV = "code,name,kind,parent_code,aliases\nNH,南海区,district,,\nGC,桂城街道,town,NH,\nGC-CG,桂城街道城管办,office,GC,\n"
TAXONOMY_CSV = "code,name,parent_code,keywords\nCG,城市管理,,\nCG01,市容环境,CG,垃圾|清运\n"


def zhiyun(db: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "--db", str(db)])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert zhiyun(path, "db", "upgrade").exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    assert zhiyun(path, "org", "import", str(units)).exit_code == 0
    return path


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_taxonomy_and_rules_import_list_export_and_history(db: Path, tmp_path: Path) -> None:
    imported = zhiyun(db, "taxonomy", "import", write(tmp_path, "t.csv", TAXONOMY_CSV))
    assert imported.exit_code == 0 and "新增(created) 2" in imported.output
    assert "市容环境" in zhiyun(db, "taxonomy", "list").output
    rules = zhiyun(db, "rules", "import", write(tmp_path, "r.csv", "category_code,unit_code\nCG01,GC-CG\n"))
    assert rules.exit_code == 0 and "新增(created) 1" in rules.output
    exported = zhiyun(db, "rules", "export")
    assert exported.exit_code == 0 and exported.output.startswith("id,category_code,area_code,unit_code")
    again = zhiyun(db, "rules", "import", write(tmp_path, "again.csv", exported.output))
    assert "未变(unchanged) 1" in again.output
    history = zhiyun(db, "rules", "history")
    assert history.exit_code == 0 and "import" in history.output and "命令行" in history.output
    assert "桂城街道城管办" in zhiyun(db, "rules", "list").output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name,parent_code\nA,甲,Z\n", "上级分类 Z 不存在"),
        ("code,name,parent_code\nA,甲,B\nB,乙,A\n", "成环"),
        ("", "分类文件为空"),
    ],
)
def test_a_bad_taxonomy_file_is_refused_with_a_message_and_exit_1(
    db: Path, tmp_path: Path, text: str, message: str
) -> None:
    result = zhiyun(db, "taxonomy", "import", write(tmp_path, "bad.csv", text))
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_a_rule_naming_an_unknown_unit_or_category_is_refused(db: Path, tmp_path: Path) -> None:
    zhiyun(db, "taxonomy", "import", write(tmp_path, "t.csv", TAXONOMY_CSV))
    result = zhiyun(db, "rules", "import", write(tmp_path, "r.csv", "category_code,unit_code\nZZ,NOPE\n"))
    assert result.exit_code == 1
    assert "责任单位编码 NOPE 不存在" in result.output and "分类编码 ZZ 不存在" in result.output
    assert "权责清单为空" in zhiyun(db, "rules", "list").output
