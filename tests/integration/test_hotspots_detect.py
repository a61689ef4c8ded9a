"""`zhiyun hotspots detect` on small made-up CSV and XLSX files, and on the real file when present."""

from __future__ import annotations

import csv
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from zhiyun.hotspots.cli import hotspots_app
from zhiyun.hotspots.files import Columns, read_messages
from zhiyun.hotspots.method import HotIssueSettings, detect

REAL_FILE = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "teddy2020_hotspot"
    / ("messages_with_votes_4326.xlsx")
)
HEADER = ["编号", "用户", "主题", "时间", "详情", "点赞", "反对"]
T0 = datetime(2026, 4, 1, 9, 30)


def made_up_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    matters = [
        ("翠湖花园", "搅拌站夜间施工噪音扰民"),
        ("金桂苑", "地下车库捆绑销售车位"),
    ]
    n = 0
    for place, matter in matters:
        for i in range(4):
            n += 1
            when = T0 + timedelta(days=i, hours=n)
            rows.append(
                [
                    f"M{n:03d}",
                    f"user{n}",
                    f"{place}{matter}",
                    when,
                    f"我是{place}业主，{matter}，请处理。",
                    i,
                    0,
                ]
            )
    for i, text in enumerate(["咨询医保报销流程", "公交站牌看不清", "图书馆周末开放时间"]):
        n += 1
        rows.append([f"M{n:03d}", f"user{n}", text, T0 + timedelta(days=i), text, 0, 1])
    return rows


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([r.strftime("%Y/%m/%d %H:%M:%S") if isinstance(r, datetime) else r for r in row])
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


ARGS = [
    "detect",
    "--id-col", "编号",
    "--text-col", "主题",
    "--text-col", "详情",
    "--time-col", "时间",
    "--votes-col", "点赞",
    "--votes-col", "反对",
    "--user-col", "用户",
    "--top", "5",
]  # fmt: skip


def last_json(output: str) -> dict[str, list[dict[str, object]]]:
    line = output.strip().splitlines()[-1]
    parsed: dict[str, list[dict[str, object]]] = json.loads(line)
    return parsed


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_detect_prints_the_ranked_issues_and_last_one_json_line(writer: object, tmp_path: Path) -> None:
    path = writer(tmp_path / ("m.csv" if writer is write_csv else "m.xlsx"), made_up_rows())  # type: ignore[operator]
    result = CliRunner().invoke(hotspots_app, [*ARGS[:1], "--data", str(path), *ARGS[1:]])
    assert result.exit_code == 0, result.output
    issues = last_json(result.stdout)["hot_issues"]
    assert [i["rank"] for i in issues] == [1, 2]
    assert {frozenset(i["members"]) for i in issues} == {  # type: ignore[arg-type]
        frozenset({"M001", "M002", "M003", "M004"}),
        frozenset({"M005", "M006", "M007", "M008"}),
    }
    assert {i["place"] for i in issues} == {"翠湖花园", "金桂苑"}
    assert all(set(i) == {"rank", "title", "place", "hot_index", "time_range", "members"} for i in issues)
    assert "热点问题" in result.stdout


def test_a_gbk_csv_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", made_up_rows(), encoding="gb18030")
    result = CliRunner().invoke(hotspots_app, [*ARGS[:1], "--data", str(path), *ARGS[1:]])
    assert result.exit_code == 0, result.output
    assert len(last_json(result.stdout)["hot_issues"]) == 2


def test_a_missing_column_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", made_up_rows())
    args = [a if a != "详情" else "正文" for a in ARGS]
    result = CliRunner().invoke(hotspots_app, [*args[:1], "--data", str(path), *args[1:]])
    assert result.exit_code != 0
    assert "「正文」" in result.output and "没有列" in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_and_a_bad_time_are_clear_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(hotspots_app, [*ARGS[:1], "--data", str(tmp_path / "none.csv"), *ARGS[1:]])
    assert result.exit_code != 0 and "文件不存在" in result.output
    rows = made_up_rows()
    rows[2][3] = "下周二"
    path = write_csv(tmp_path / "bad.csv", rows)
    result = CliRunner().invoke(hotspots_app, [*ARGS[:1], "--data", str(path), *ARGS[1:]])
    assert result.exit_code != 0
    assert "第 4 行「时间」" in result.output


def test_one_digit_hours_and_slashes_are_read_as_beijing_time(tmp_path: Path) -> None:
    rows = made_up_rows()
    rows[0][3] = "2019-12-23 8:50:24"
    rows[1][3] = "2019/2/8 11:25:05"
    messages = read_messages(
        write_csv(tmp_path / "t.csv", rows), Columns("编号", ("主题", "详情"), "时间", ("点赞",), "用户")
    )
    assert messages[0].at.isoformat() == "2019-12-23T00:50:24+00:00"
    assert messages[1].at.isoformat() == "2019-02-08T03:25:05+00:00"


@pytest.mark.skipif(not REAL_FILE.exists(), reason=f"the real messages file is absent ({REAL_FILE})")
def test_detect_on_the_real_messages_file_gives_ranked_issues_of_its_messages() -> None:
    columns = Columns("留言编号", ("留言主题", "留言详情"), "留言时间", ("点赞数", "反对数"), "留言用户")
    messages = read_messages(REAL_FILE, columns)
    started = time.perf_counter()
    issues = detect(messages, HotIssueSettings(window_days=None), top=20)
    elapsed = time.perf_counter() - started
    assert elapsed < 180  # generous: ~10 s on the 2-core development machine
    assert len(issues) >= 10
    keys = {m.key for m in messages}
    seen: set[str] = set()
    for rank, issue in enumerate(issues, start=1):
        assert issue.rank == rank
        assert len(issue.members) >= 3 and set(issue.members) <= keys
        assert not seen & set(issue.members)  # a message is in one issue only
        seen |= set(issue.members)
        assert issue.title
    assert [i.hot_index for i in issues] == sorted((i.hot_index for i in issues), reverse=True)


def test_a_settings_file_changes_the_published_weights_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", made_up_rows())
    plain = CliRunner().invoke(hotspots_app, [*ARGS[:1], "--data", str(path), *ARGS[1:]])
    volume_only = tmp_path / "volume.json"
    volume_only.write_text(
        json.dumps({"hot": {"rate_weight": 0, "callers_weight": 0, "votes_weight": 0, "signals_weight": 0}}),
        encoding="utf-8",
    )
    weighted = CliRunner().invoke(
        hotspots_app, [*ARGS[:1], "--data", str(path), "--settings", str(volume_only), *ARGS[1:]]
    )
    assert weighted.exit_code == 0, weighted.output
    # four counted messages and nothing else: 100 × 4 / (4 + 10)
    assert [i["hot_index"] for i in last_json(weighted.stdout)["hot_issues"]] == [28.57, 28.57]
    assert last_json(plain.stdout)["hot_issues"][0]["hot_index"] != 28.57

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hot": {"loudness_weight": 1}}), encoding="utf-8")
    refused = CliRunner().invoke(
        hotspots_app, [*ARGS[:1], "--data", str(path), "--settings", str(bad), *ARGS[1:]]
    )
    assert refused.exit_code != 0
    assert "hot.loudness_weight" in refused.output and "参数文件" in refused.output
