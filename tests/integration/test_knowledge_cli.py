"""`zhiyun knowledge …` and `zhiyun assistant evaluate` on a temporary SQLite file through typer's
CliRunner: a FAQ sheet imported (CSV and XLSX, columns mapped), asked, and an evaluation whose last
line is one JSON object computed from the files given."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from zhiyun.cli.main import app
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

runner = CliRunner()
FAQ = [
    (
        "F1",
        "路灯不亮找谁报修",
        "拨打12345或在小程序报修，三个工作日内修复。",
        "路灯坏了|晚上路灯黑了",
        "区城管局",
    ),
    ("F2", "垃圾清运时间", "每天早上七点和晚上七点各清运一次。", "垃圾什么时候收", "区环卫所"),
    ("F3", "犬只登记", "携带犬只免疫证明到派出所办理养犬登记。", "养狗要办证吗", "区公安分局"),
]


def _database(tmp_path: Path) -> Path:
    path = tmp_path / "z.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


def _csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_faq_sheet_is_imported_and_answers_after_publication(tmp_path: Path) -> None:
    db = _database(tmp_path)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "问题", "答案", "相似问法", "部门"])
    for row in FAQ:
        sheet.append(list(row))
    book.save(tmp_path / "faq.xlsx")
    args = ["--title-col", "问题", "--answer-col", "答案", "--question-col", "相似问法", "--dept-col", "部门"]
    drafts = runner.invoke(
        app,
        [
            "knowledge",
            "import",
            "--db",
            str(db),
            "--data",
            str(tmp_path / "faq.xlsx"),
            *args,
            "--id-col",
            "编号",
        ],
    )
    assert drafts.exit_code == 0, drafts.output
    assert "新增 3 条" in drafts.output and "发布 0 条" in drafts.output
    asked = runner.invoke(app, ["knowledge", "ask", "路燈壞了", "--db", str(db)])
    assert asked.exit_code == 0 and "转人工" in asked.output  # drafts are not answered
    published = runner.invoke(
        app,
        [
            "knowledge",
            "import",
            "--db",
            str(db),
            "--data",
            str(tmp_path / "faq.xlsx"),
            *args,
            "--id-col",
            "编号",
            "--publish",
        ],
    )
    assert published.exit_code == 0 and "未变 3 条" in published.output  # the same records: unchanged
    sheet_csv = _csv(tmp_path / "more.csv", ["问题", "答案"], [("井盖丢了怎么办", "请拨打12345报告位置。")])
    more = runner.invoke(
        app,
        [
            "knowledge",
            "import",
            "--db",
            str(db),
            "--data",
            str(sheet_csv),
            "--title-col",
            "问题",
            "--answer-col",
            "答案",
            "--publish",
        ],
    )
    assert more.exit_code == 0 and "新增 1 条" in more.output and "发布 1 条" in more.output
    found = runner.invoke(app, ["knowledge", "ask", "井蓋丟了", "--db", str(db)])
    assert found.exit_code == 0 and "井盖丢了怎么办" in found.output and "回答" in found.output
    wrong = runner.invoke(
        app,
        [
            "knowledge",
            "import",
            "--db",
            str(db),
            "--data",
            str(sheet_csv),
            "--title-col",
            "标题",
            "--answer-col",
            "答案",
        ],
    )
    assert wrong.exit_code == 1 and "标题列「标题」不存在" in wrong.output


def test_evaluate_prints_the_figures_and_one_json_line(tmp_path: Path) -> None:
    kb = _csv(tmp_path / "kb.csv", ["id", "title", "text", "dept"], [(i, t, a, d) for i, t, a, _, d in FAQ])
    questions = _csv(
        tmp_path / "q.csv",
        ["q", "expected"],
        [
            ("晚上路燈壞了找誰", "F1"),  # first
            ("垃圾几点来收", "F2"),
            ("养狗要不要登记", "F3"),
            ("明天会下雨吗", ""),  # out of scope
        ],
    )
    args = ["assistant", "evaluate", "--kb", str(kb), "--kb-id-col", "id", "--kb-title-col", "title"]
    args += ["--kb-text-col", "text", "--kb-dept-col", "dept", "--questions", str(questions)]
    result = runner.invoke(app, [*args, "--question-col", "q", "--expect-col", "expected", "--choose"])
    assert result.exit_code == 0, result.output
    last = json.loads(
        result.stdout.strip().splitlines()[-1]
    )  # stdout: a stale log handler may write to stderr
    assert set(last) == {"top1", "top3", "mrr", "handover_accuracy"}
    assert last == {"top1": 1.0, "top3": 1.0, "mrr": 1.0, "handover_accuracy": 1.0}
    assert "判断最准的阈值" in result.output
    missing = runner.invoke(app, [*args, "--question-col", "问题", "--expect-col", "expected"])
    assert missing.exit_code == 1 and "问题列「问题」不存在" in missing.output
