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


def test_min_per_class_leaves_small_classes_out_and_names_them(tmp_path: Path) -> None:
    rows = messages()
    rows.append(["x", "市民表扬", "表扬网格员热心服务", "表扬", "praise"])

    result = evaluate(write_csv(tmp_path / "small.csv", rows), "--min-per-class", "3")

    assert result.exit_code == 0, result.output
    assert "「表扬」1 条" in result.stderr and "不参与评估" in result.stderr
    summary = last_json(result)
    assert summary["dropped_classes"] == {"表扬": 1}
    assert summary["messages"] == 50 and summary["classes"] == 5


def test_test_data_trains_on_one_file_and_scores_the_other(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", messages(10, seed=5))
    test = write_csv(tmp_path / "test.csv", messages(6, seed=11))

    result = evaluate(train, "--test-data", str(test), "--baseline")

    assert result.exit_code == 0, result.output
    summary = last_json(result)
    assert summary["mode"] == "holdout" and summary["messages"] == 30
    assert summary["test_data"] == "test.csv" and summary["folds"] == 0
    assert isinstance(summary["macro_f1"], float) and summary["macro_f1"] > 0.7
    assert isinstance(summary["baseline_macro_f1"], float)
    assert isinstance(summary["ece"], float)
    assert "基线" in result.stdout


def test_a_test_class_the_training_file_lacks_is_scored_as_wrong_and_said(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", messages(10, seed=5))
    rows = [*messages(4, seed=11), ["x", "市民表扬", "表扬网格员热心服务", "表扬", "praise"]]
    test = write_csv(tmp_path / "test.csv", rows)

    result = evaluate(train, "--test-data", str(test))

    assert result.exit_code == 0, result.output
    assert "训练数据没有的类别" in result.stderr and "表扬" in result.stderr
    assert last_json(result)["messages"] == 21


def test_predictions_are_written_one_row_per_message_with_confidence_and_truth(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "m.csv", messages())
    out = tmp_path / "predictions.csv"

    result = evaluate(data, "--predictions", str(out), "--id-col", "编号")

    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 50
    assert {r["编号"] for r in rows} == {str(i) for i in range(50)}
    assert all(0.0 < float(r["置信度"]) <= 1.0 for r in rows)
    assert {r["折"] for r in rows} == {"1", "2", "3"}
    assert sum(r["是否正确"] == "是" for r in rows) == round(float(str(last_json(result)["accuracy"])) * 50)
    first = rows[0]
    assert first["真实类别"] and first["预测类别"] and first["标题"]


def test_predictions_into_a_missing_directory_are_refused_before_any_work(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "m.csv", messages())

    result = evaluate(data, "--predictions", str(tmp_path / "no" / "such" / "p.csv"))

    assert result.exit_code == 1
    assert "无法写入预测文件" in result.stderr


def test_the_learning_curve_trains_on_growing_parts_of_the_data_and_scores_the_test_file(
    tmp_path: Path,
) -> None:
    train = write_csv(tmp_path / "train.csv", messages(30, seed=5))
    test = write_csv(tmp_path / "test.csv", messages(4, seed=11))

    result = evaluate(train, "--test-data", str(test), "--learning-curve")

    assert result.exit_code == 0, result.output
    curve = last_json(result)["learning_curve"]
    assert isinstance(curve, list)
    assert [p["messages"] for p in curve] == [100, 150]
    assert "学习曲线" in result.stdout


def test_a_learning_curve_without_a_test_file_is_refused(tmp_path: Path) -> None:
    result = evaluate(write_csv(tmp_path / "m.csv", messages()), "--learning-curve")

    assert result.exit_code == 2
    assert "--test-data" in result.stderr


def test_a_missing_test_file_is_refused(tmp_path: Path) -> None:
    result = evaluate(write_csv(tmp_path / "m.csv", messages()), "--test-data", str(tmp_path / "none.csv"))

    assert result.exit_code == 1
    assert "测试文件不存在" in result.stderr


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
