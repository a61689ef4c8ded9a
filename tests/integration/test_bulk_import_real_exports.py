"""Bulk import of real Chinese exports: the time forms they write, and where the rejects go.

The TipDM test reads the 2020 TipDM challenge files from ../shared/data (relative to the
repository root) and is skipped, saying so, when that folder is missing: the files have no
license and are not shipped. The CSV test uses time strings copied from those files.
"""

from __future__ import annotations

import csv
import json
import stat
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.support import SMALL_DISTRICT, TEST_ADMIN
from typer.testing import CliRunner

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.importer.cli import import_app
from zhiyun.importer.mapping import ImportMapping
from zhiyun.importer.pipeline import BulkImporter
from zhiyun.importer.report import ImportReport, writable_folder
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TIPDM_FILES = {
    "teddy2020_sample/附件2.xlsx": 495,
    "teddy2020_hotspot/messages_with_votes_4326.xlsx": 4326,
    "teddy2020_hotspot/messages_with_replies_2816.xlsx": 2816,
}
# What docs/import.md shows for a message board export (留言) with or without replies.
TIPDM_MAPPING: dict[str, Any] = {
    "columns": {
        "external_id": "留言编号",
        "title": "留言主题",
        "content": "留言详情",
        "registered_at": "留言时间",
    },
    "constants": {"channel": "online_opinion"},
}
TIPDM_REPLIES = {"replied_at": "答复时间", "result": "答复意见"}

HEADER = ["编号", "标题", "登记时间", "办结时间"]
# (registered_at as written, the same instant in UTC); the first eight are copied from the TipDM files
FORMS: list[tuple[str, datetime]] = [
    ("2019/11/28 9:08:38", datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC)),
    ("2019/4/25 9:32:09", datetime(2019, 4, 25, 1, 32, 9, tzinfo=UTC)),
    ("2018/12/6 8:34:31", datetime(2018, 12, 6, 0, 34, 31, tzinfo=UTC)),
    ("2018/8/7 0:04:51", datetime(2018, 8, 6, 16, 4, 51, tzinfo=UTC)),
    ("2019/4/24 16:03:40", datetime(2019, 4, 24, 8, 3, 40, tzinfo=UTC)),
    ("2019/5/9 10:02:08", datetime(2019, 5, 9, 2, 2, 8, tzinfo=UTC)),
    ("2019/12/2 19:34:28", datetime(2019, 12, 2, 11, 34, 28, tzinfo=UTC)),
    ("2018/4/24", datetime(2018, 4, 23, 16, 0, tzinfo=UTC)),
    ("2019年11月28日 9时8分", datetime(2019, 11, 28, 1, 8, tzinfo=UTC)),
    ("2019年11月28日 9时8分38秒", datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC)),
    ("2019年11月28日 09:08", datetime(2019, 11, 28, 1, 8, tzinfo=UTC)),
    ("2019-11-28 09:08:38.250000", datetime(2019, 11, 28, 1, 8, 38, 250000, tzinfo=UTC)),
    ("2019-11-28T09:08:38-05:00", datetime(2019, 11, 28, 14, 8, 38, tzinfo=UTC)),
    (" ２０１９／１１／２８　９：０８ ", datetime(2019, 11, 28, 1, 8, tzinfo=UTC)),
    ("43797.38099537037", datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC)),
]


@pytest.fixture
def units(services: Services) -> None:
    services.org.import_records(TEST_ADMIN, SMALL_DISTRICT)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


MAPPING: dict[str, Any] = {
    "columns": {
        "external_id": "编号",
        "title": "标题",
        "registered_at": "登记时间",
        "replied_at": "办结时间",
    },
    "constants": {"channel": "12345"},
}


def run(database: Database, path: Path, mapping: dict[str, Any] = MAPPING, **kwargs: Any) -> ImportReport:
    return BulkImporter(database, clock=lambda: NOW).run(path, ImportMapping.from_dict(mapping), **kwargs)


def stored_times(database: Database) -> dict[str, tuple[datetime, datetime | None]]:
    with database.reading() as session:
        rows = session.execute(
            select(WorkOrderRow.external_id, WorkOrderRow.registered_at, WorkOrderRow.replied_at)
        )
        return {e: (r, p) for e, r, p in rows}


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- time forms


def test_a_csv_with_the_time_forms_of_real_exports_imports_every_row_at_the_right_instant(
    services: Services, units: None, tmp_path: Path
) -> None:
    rows = [[f"t-{i}", "路灯不亮", text, text] for i, (text, _) in enumerate(FORMS)]
    rows.append(["bad-1", "日期不存在", "2019/13/40 9:08", ""])
    rows.append(["bad-2", "不是时间", "去年春天", ""])

    report = run(services.db, write_csv(tmp_path / "export.csv", rows))

    assert (report.read, report.imported, report.rejected) == (len(FORMS) + 2, len(FORMS), 2)
    stored = stored_times(services.db)
    for i, (text, expected) in enumerate(FORMS):
        assert stored[f"t-{i}"] == (expected, expected), text
    assert report.rejects_path is not None
    rejected = {r["编号"]: r for r in read_rejects(report.rejects_path)}
    assert rejected["bad-1"]["字段"] == "registered_at"
    assert "无法识别的时间：2019/13/40 9:08（日期或钟点不存在）" in rejected["bad-1"]["原因"]
    assert "无法识别的时间：去年春天" in rejected["bad-2"]["原因"]


def test_number_cells_in_a_spreadsheets_time_columns_are_excel_dates(
    services: Services, units: None, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["x-1", "井盖缺失", 43797.38099537037, "2019/12/2 19:34:28"])  # a cell without a date format
    sheet.append(
        ["x-2", "积水", datetime(2019, 11, 28, 9, 8, 38), 20191129]
    )  # compact digits in a number cell
    sheet.append(["x-3", "噪音", 4e9, None])  # epoch seconds in the year 2096, after "now"
    path = tmp_path / "export.xlsx"
    book.save(path)

    report = run(services.db, path)

    assert (report.imported, report.rejected) == (2, 1)
    stored = stored_times(services.db)
    assert stored["x-1"] == (
        datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC),
        datetime(2019, 12, 2, 11, 34, 28, tzinfo=UTC),
    )
    assert stored["x-2"] == (
        datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC),
        datetime(2019, 11, 28, 16, 0, tzinfo=UTC),
    )
    assert [e.field for e in report.examples] == ["registered_at"]
    assert "晚于当前时间" in report.examples[0].message


# --------------------------------------------------------------------------- where the rejects go


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A data folder that nobody may write to (mode r-xr-xr-x), holding an export with a bad row."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(
        folder / "export.csv",
        [["r-1", "路灯不亮", "2019/11/28 9:08:38", ""], ["r-2", "", "2019/11/28 9:08", ""]],
    )
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def test_a_folder_without_write_permission_counts_as_read_only_even_for_root(read_only_folder: Path) -> None:
    assert not writable_folder(read_only_folder)
    assert writable_folder(read_only_folder.parent)
    assert not writable_folder(read_only_folder / "export.csv")  # not a folder
    assert not writable_folder(read_only_folder / "missing")


def test_without_rejects_option_a_read_only_input_folder_sends_the_rejects_to_the_working_directory(
    services: Services, units: None, read_only_folder: Path, elsewhere: Path
) -> None:
    mapping = elsewhere / "mapping.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    url = services.db.engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(
        import_app, ["orders", str(read_only_folder / "export.csv"), "--mapping", str(mapping), "--db", url]
    )

    assert result.exit_code == 0, result.output
    out = result.stdout.replace("\n", "")
    assert "新导入 1" in out and "拒绝 1" in out
    assert f"输入文件所在的目录不可写（{read_only_folder}），拒绝文件改为写入当前目录" in out
    assert f"已写入：{elsewhere / 'export.rejects.csv'}" in out
    assert [r["编号"] for r in read_rejects(elsewhere / "export.rejects.csv")] == ["r-2"]
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["export.csv"]


def test_a_rejects_file_that_cannot_be_created_next_to_the_input_goes_to_the_working_directory(
    services: Services, units: None, tmp_path: Path, elsewhere: Path
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = write_csv(folder / "export.csv", [["r-1", "", "2019/11/28 9:08", ""]])
    (folder / "export.rejects.csv").mkdir()  # opening the default place fails, also for root

    report = run(services.db, path)

    assert report.rejects_path == elsewhere / "export.rejects.csv"
    assert report.rejects_moved_from == folder / "export.rejects.csv"
    assert [r["编号"] for r in read_rejects(report.rejects_path)] == ["r-1"]


def test_the_rejects_option_is_used_as_given_and_a_writable_input_folder_keeps_them_beside_it(
    services: Services, units: None, tmp_path: Path, elsewhere: Path
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = write_csv(folder / "export.csv", [["r-1", "", "2019/11/28 9:08", ""]])

    beside = run(services.db, path)
    chosen = run(services.db, path, rejects_path=tmp_path / "mine.csv")

    assert (beside.rejects_path, beside.rejects_moved_from) == (folder / "export.rejects.csv", None)
    assert (chosen.rejects_path, chosen.rejects_moved_from) == (tmp_path / "mine.csv", None)
    assert not (elsewhere / "export.rejects.csv").exists()


# --------------------------------------------------------------------------- the TipDM files


@pytest.mark.skipif(
    not all((SHARED_DATA / name).is_file() for name in TIPDM_FILES),
    reason=f"the TipDM files are not in {SHARED_DATA} (they are not shipped with the project)",
)
def test_the_tipdm_message_exports_lose_no_row_to_time_parsing(
    sqlite_database: Database, tmp_path: Path
) -> None:
    build_services(sqlite_database, Settings(attachment_dir=tmp_path / "a")).org.import_records(
        TEST_ADMIN, SMALL_DISTRICT
    )
    counts: dict[str, tuple[int, int, int, int]] = {}
    lost_to_times: Counter[str] = Counter()
    for name, rows in TIPDM_FILES.items():
        mapping = json.loads(json.dumps(TIPDM_MAPPING))
        if "replies" in name:
            mapping["columns"].update(TIPDM_REPLIES)
        rejects = tmp_path / f"{Path(name).stem}.rejects.csv"  # never into the shared data folder

        report = run(sqlite_database, SHARED_DATA / name, mapping, rejects_path=rejects)

        counts[name] = (report.read, report.imported, report.already_imported, report.rejected)
        assert report.read == rows, name
        if report.rejected:
            for row in read_rejects(rejects):
                if "时间" in row["原因"]:
                    lost_to_times[name] += 1
    print(f"TipDM (read, imported, repeated, rejected): {counts}; lost to times: {dict(lost_to_times)}")
    assert not lost_to_times
    # nothing refused at all; a row of 附件2 repeats an earlier one and counts as already imported
    assert all(
        imported + repeated == read and rejected == 0
        for read, imported, repeated, rejected in counts.values()
    )
