"""`zhiyun model …` on files the tests write: evaluate's JSON, bad input, train/list/activate/rollback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.support import SYNTHETIC_KEYWORDS, synthetic_messages
from typer.testing import CliRunner, Result

from zhiyun.cli.main import app
from zhiyun.store.db import Database

runner = CliRunner()
HEADER = ["编号", "主题", "详情", "分类", "类型"]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def messages(per_class: int = 10, seed: int = 5) -> list[list[str]]:
    return [
        [str(i), t, c, label, kind]
        for i, (t, c, label, kind) in enumerate(synthetic_messages(per_class, seed))
    ]


def evaluate(path: Path, *extra: str, folds: str = "3") -> Result:
    args = [
        "evaluate",
        "--data",
        str(path),
        "--text-col",
        "主题",
        "--text-col",
        "详情",
        "--label-col",
        "分类",
    ]
    return runner.invoke(app, ["model", *args, "--folds", folds, *extra])


def last_json(result: Result) -> dict[str, object]:
    line = result.stdout.strip().splitlines()[-1]
    data = json.loads(line)
    assert isinstance(data, dict)
    return data


def test_evaluate_prints_per_class_figures_and_json_as_the_last_line(tmp_path: Path) -> None:
    result = evaluate(write_csv(tmp_path / "m.csv", messages()), "--seed", "3")

    assert result.exit_code == 0, result.output
    summary = last_json(result)
    assert isinstance(summary["macro_f1"], float) and summary["macro_f1"] > 0.8
    assert isinstance(summary["accuracy"], float) and summary["accuracy"] > 0.8
    assert summary["messages"] == 50 and summary["folds"] == 3 and summary["seed"] == 3
    assert "精确率" in result.stdout and "混淆矩阵" in result.stdout
    assert "劳动和社会保障" in result.stdout


def test_evaluate_reads_gb18030_csv_and_xlsx_alike(tmp_path: Path) -> None:
    from openpyxl import Workbook

    rows = messages()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(tmp_path / "m.xlsx")

    from_gb = evaluate(write_csv(tmp_path / "gb.csv", rows, encoding="gb18030"))
    from_xlsx = evaluate(tmp_path / "m.xlsx")

    assert from_gb.exit_code == 0 and from_xlsx.exit_code == 0, from_gb.output + from_xlsx.output
    assert last_json(from_gb)["macro_f1"] == last_json(from_xlsx)["macro_f1"]


def test_evaluate_takes_a_keyword_table(tmp_path: Path) -> None:
    keywords = tmp_path / "keywords.csv"
    with keywords.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["类别", "关键词"])
        for label, words in SYNTHETIC_KEYWORDS.items():
            writer.writerow([label, "、".join(words)])

    result = evaluate(write_csv(tmp_path / "m.csv", messages()), "--keywords", str(keywords))

    assert result.exit_code == 0, result.output
    assert last_json(result)["keywords"] is True


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")

    result = evaluate(empty)

    assert result.exit_code == 1
    assert "文件为空" in result.stderr
    assert "Traceback" not in result.output


def test_a_file_with_only_a_header_is_refused(tmp_path: Path) -> None:
    result = evaluate(write_csv(tmp_path / "h.csv", []))

    assert result.exit_code == 1
    assert "没有带标签的数据行" in result.stderr


def test_an_unknown_column_is_named_with_the_columns_that_exist(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", messages())

    result = runner.invoke(
        app,
        [
            "model",
            "evaluate",
            "--data",
            str(path),
            "--text-col",
            "标题",
            "--label-col",
            "分类",
            "--folds",
            "3",
        ],
    )

    assert result.exit_code == 1
    assert "没有列「标题」" in result.stderr
    assert "主题" in result.stderr and "详情" in result.stderr


def test_a_single_class_is_refused(tmp_path: Path) -> None:
    rows = [row for row in messages() if row[3] == "交通运输"]

    result = evaluate(write_csv(tmp_path / "one.csv", rows))

    assert result.exit_code == 1
    assert "只有一类「交通运输」" in result.stderr


def test_a_class_with_fewer_messages_than_folds_is_refused(tmp_path: Path) -> None:
    rows = messages()
    rows.append(["x", "市民表扬", "表扬网格员热心服务", "表扬", "praise"])

    result = evaluate(write_csv(tmp_path / "small.csv", rows))

    assert result.exit_code == 1
    assert "「表扬」1 条" in result.stderr


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    result = evaluate(tmp_path / "nothing.csv")

    assert result.exit_code == 1
    assert "文件不存在" in result.stderr


@pytest.fixture
def db_path(sqlite_database: Database) -> str:
    url = sqlite_database.url
    return url.removeprefix("sqlite:///")


def test_train_list_activate_and_rollback_from_the_command_line(tmp_path: Path, db_path: str) -> None:
    path = write_csv(tmp_path / "m.csv", messages())
    train = ["train", "--data", str(path), "--text-col", "主题", "--text-col", "详情", "--label-col", "分类"]

    first = runner.invoke(app, ["model", *train, "--type-col", "类型", "--folds", "3", "--db", db_path])
    second = runner.invoke(app, ["model", *train, "--folds", "3", "--db", db_path])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert last_json(first)["version"] == 1 and last_json(first)["active"] is True
    assert last_json(second)["version"] == 2 and last_json(second)["active"] is False

    listed = runner.invoke(app, ["model", "list", "--db", db_path])
    assert listed.exit_code == 0, listed.output
    assert "启用中" in listed.stdout and "file:m" in listed.stdout

    activated = runner.invoke(app, ["model", "activate", "2", "--db", db_path])
    assert activated.exit_code == 0, activated.output
    assert "已启用模型版本 2" in activated.stdout

    rolled = runner.invoke(app, ["model", "rollback", "--db", db_path])
    assert rolled.exit_code == 0, rolled.output
    assert "2 → 1" in rolled.stdout

    again = runner.invoke(app, ["model", "rollback", "--db", db_path])
    assert again.exit_code == 1
    assert "无法回退" in again.stderr


def test_activating_a_version_that_does_not_exist_fails(db_path: str) -> None:
    result = runner.invoke(app, ["model", "activate", "7", "--db", db_path])

    assert result.exit_code == 1
    assert "模型版本 7 不存在" in result.stderr


def test_training_from_a_database_without_closed_orders_fails(db_path: str) -> None:
    result = runner.invoke(app, ["model", "train", "--db", db_path])

    assert result.exit_code == 1
    assert "没有已归档" in result.stderr
