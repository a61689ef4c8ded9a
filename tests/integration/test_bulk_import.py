"""Bulk import of historical orders (`zhiyun import orders`) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from tests.support import (
    ONLY_POSTGRESQL,
    SMALL_DISTRICT,
    TEST_ADMIN,
    XB_BOX,
    District,
    add_boundaries,
    build_small_district,
    centre,
    grid_file,
    quadrants,
)
from typer.testing import CliRunner

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Role
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Dispatch
from zhiyun.importer.cli import import_app
from zhiyun.importer.mapping import ImportMapping
from zhiyun.importer.pipeline import BulkImporter
from zhiyun.importer.report import ImportReport
from zhiyun.importer.staged_row import STAGED_COLUMNS
from zhiyun.importer.writers import bulk_writer
from zhiyun.importer.writers.batch import GENERATED_NUMBER_TAKEN, NUMBER_TAKEN, BatchResult
from zhiyun.importer.writers.postgres import PostgresBulkWriter
from zhiyun.importer.writers.sqlite import SqliteBulkWriter
from zhiyun.orders.repo import state_of
from zhiyun.orders.search_backfill import SearchTextBackfill
from zhiyun.orders.service import NewOrder
from zhiyun.store.db import Database
from zhiyun.store.tables import (
    OrderNumberCounterRow,
    OrgUnitRow,
    TransitionRow,
    WorkOrderRow,
    WorkOrderUnitRow,
)

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

HEADER = [
    "工单编号",
    "标题",
    "诉求内容",
    "类型",
    "状态",
    "来电人",
    "电话",
    "纬度",
    "经度",
    "登记时间",
    "办结时间",
    "满意度",
    "承办单位",
    "办理结果",
]
GOOD_1 = [
    "12345-0001",
    "小区门口垃圾堆积",
    "夏北小区门口垃圾三天没人清理",
    "投诉",
    "已归档",
    "张三",
    "138 0013 8000",
    "23.03",
    "113.15",
    "2024-03-05 09:12",
    "2024-03-06 10:00",
    "满意",
    "夏北社区",
    "已清理",
]
GOOD_2 = [
    "12345-0002",
    "咨询医保缴费",
    "",
    "咨询",
    "已归档",
    "",
    "0757-86281234",
    "",
    "",
    "2024/03/05 18:00",
    "",
    "",
    "GC",
    "",
]
GOOD_3 = [
    "12345-0003",
    "路口积水",
    "下雨后积水严重",
    "求助",
    "待分拨",
    "",
    "",
    "",
    "",
    "2024-03-07T08:00:00+08:00",
    "",
    "",
    "",
    "",
]
NO_TITLE = [
    "12345-0004",
    "",
    "没有标题",
    "求助",
    "已归档",
    "",
    "",
    "",
    "",
    "2024-03-05 10:00",
    "",
    "",
    "",
    "",
]
BAD_PHONE = [
    "12345-0005",
    "噪音扰民",
    "夜间施工",
    "投诉",
    "已归档",
    "",
    "12-34",
    "",
    "",
    "2024-03-05 11:00",
    "",
    "",
    "",
    "",
]
BAD_POINT = [
    "12345-0006",
    "路灯不亮",
    "路灯坏了",
    "求助",
    "已归档",
    "",
    "",
    "0",
    "0",
    "2024-03-05 12:00",
    "",
    "",
    "",
    "",
]
BAD_STATUS = [
    "12345-0007",
    "井盖缺失",
    "井盖丢了",
    "求助",
    "处理中",
    "",
    "",
    "",
    "",
    "2024-03-05 12:00",
    "",
    "",
    "",
    "",
]
BAD_DATE = [
    "12345-0008",
    "违章停车",
    "乱停车",
    "举报",
    "已归档",
    "",
    "",
    "",
    "",
    "2024-13-45 12:00",
    "",
    "",
    "",
    "",
]
ROWS = [GOOD_1, GOOD_2, GOOD_3, NO_TITLE, BAD_PHONE, BAD_POINT, BAD_STATUS, BAD_DATE]

MAPPING: dict[str, Any] = {
    "columns": {
        "external_id": "工单编号",
        "title": "标题",
        "content": "诉求内容",
        "order_type": "类型",
        "status": "状态",
        "citizen_name": "来电人",
        "citizen_phone": "电话",
        "latitude": "纬度",
        "longitude": "经度",
        "registered_at": "登记时间",
        "replied_at": "办结时间",
        "satisfaction": "满意度",
        "responsible_unit": "承办单位",
        "result": "办理结果",
    },
    "constants": {"channel": "12345"},
}


@pytest.fixture
def district(services: Services) -> District:
    """The small district with its users (for tests that act as someone)."""
    return build_small_district(services)


@pytest.fixture
def units(services: Services) -> dict[str, int]:
    """The small district's units only (no users: much quicker), by code."""
    services.org.import_records(TEST_ADMIN, SMALL_DISTRICT)
    with services.db.reading() as session:
        return {code: uid for code, uid in session.execute(select(OrgUnitRow.code, OrgUnitRow.id))}


def write_csv(
    path: Path, rows: list[list[str]], *, header: list[str] = HEADER, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def importer(database: Database, **kwargs: Any) -> BulkImporter:
    return BulkImporter(database, clock=lambda: NOW, **kwargs)


def run(database: Database, path: Path, mapping: dict[str, Any] = MAPPING, **kwargs: Any) -> ImportReport:
    return importer(database).run(path, ImportMapping.from_dict(mapping), **kwargs)


def orders(database: Database) -> dict[str, WorkOrderRow]:
    with database.reading() as session:
        rows = list(session.scalars(select(WorkOrderRow)))
        session.expunge_all()  # keep them loaded after the session ends
    return {r.external_id: r for r in rows}


def count(database: Database, table: Any) -> int:
    with database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- CSV with bad rows


def test_good_rows_are_imported_with_a_trail_and_bad_rows_are_reported_with_reasons(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "history.csv", ROWS)

    report = run(services.db, path)

    assert (report.read, report.imported, report.already_imported, report.rejected) == (8, 3, 0, 5)
    stored = orders(services.db)
    assert sorted(stored) == ["12345-0001", "12345-0002", "12345-0003"]
    first = stored["12345-0001"]
    assert first.number == "NH202403050001"
    assert first.channel == "12345"
    assert first.status == "closed"
    assert first.order_type == "complaint"
    assert first.citizen_phone == "13800138000"
    assert first.satisfaction == "satisfied"
    assert first.registered_at == datetime(2024, 3, 5, 1, 12, tzinfo=UTC)  # 09:12 in Shanghai
    assert first.closed_at == first.replied_at == datetime(2024, 3, 6, 2, 0, tzinfo=UTC)
    assert first.latitude == pytest.approx(23.03) and first.geo_cell is not None
    assert first.chain == [units["NH"], units["GC-XB"]]
    assert first.current_unit_id == first.responsible_unit_id == units["GC-XB"]
    second = stored["12345-0002"]
    assert second.number == "NH202403050002"
    assert second.content == "咨询医保缴费"  # no content: the title stands in
    assert second.citizen_phone == "0757-86281234"
    assert second.closed_at == second.registered_at  # closed without a time: closed when registered
    assert second.responsible_unit_id == units["GC"]
    third = stored["12345-0003"]
    assert third.status == "pending_dispatch" and third.closed_at is None
    assert third.chain == [units["NH"]] and third.responsible_unit_id is None
    assert third.number == "NH202403070001"

    with services.db.reading() as session:
        audit = {t.order_id: t for t in session.scalars(select(TransitionRow))}
        session.expunge_all()
        involved = {
            (o, u) for o, u in session.execute(select(WorkOrderUnitRow.order_id, WorkOrderUnitRow.unit_id))
        }
    assert len(audit) == 3
    trail = audit[first.id]
    assert (trail.action, trail.actor_name, trail.actor_user_id) == ("import", "历史数据导入", None)
    assert (trail.from_status, trail.to_status, trail.to_unit_id) == (None, "closed", units["GC-XB"])
    assert trail.details == {"file": "history.csv", "row": 2}
    assert audit[third.id].details == {"file": "history.csv", "row": 4}
    assert involved == {
        (first.id, units["NH"]),
        (first.id, units["GC-XB"]),
        (second.id, units["NH"]),
        (second.id, units["GC"]),
        (third.id, units["NH"]),
    }

    assert report.rejects_path == tmp_path / "history.rejects.csv"
    rejected = {r["行号"]: r for r in read_rejects(report.rejects_path)}
    assert sorted(rejected) == ["5", "6", "7", "8", "9"]
    assert rejected["5"]["字段"] == "title" and "标题不能为空" in rejected["5"]["原因"]
    assert rejected["6"]["字段"] == "citizen_phone" and "电话号码格式不正确" in rejected["6"]["原因"]
    assert rejected["7"]["字段"] == "location" and "(0, 0)" in rejected["7"]["原因"]
    assert rejected["8"]["字段"] == "status" and "处理中" in rejected["8"]["原因"]
    assert rejected["9"]["字段"] == "registered_at" and "无法识别的时间" in rejected["9"]["原因"]
    assert rejected["6"]["工单编号"] == "12345-0005" and rejected["6"]["电话"] == "12-34"  # the row as read
    assert report.rejected_by_field["title"] == 1
    assert [(e.rownum, e.field) for e in report.examples][:2] == [(5, "title"), (6, "citizen_phone")]


def test_imported_orders_are_read_through_the_services_and_scoped_by_their_units(
    services: Services, district: District, tmp_path: Path
) -> None:
    run(services.db, write_csv(tmp_path / "history.csv", ROWS))
    stored = orders(services.db)
    xiabei, town, yanbu = district.actors["xiabei"], district.actors["town"], district.actors["yanbu"]

    detail = services.orders.get(xiabei, stored["12345-0001"].number)
    assert detail.summary.status == "closed"
    assert [t.action for t in services.orders.transitions(xiabei, detail.summary.id)] == ["import"]
    # the town center sees what its own units handled, not what stayed at the district center
    assert services.worklists.count(town, OrderQuery()) == 2
    assert services.worklists.count(xiabei, OrderQuery()) == 1
    assert services.worklists.count(yanbu, OrderQuery()) == 0
    for row in stored.values():
        assert state_of(row).current_unit_id == row.current_unit_id

    # an order imported as not yet dispatched goes on through the ordinary workflow
    waiting = stored["12345-0003"]
    dispatched = services.orders.act(
        district.actors["district"], waiting.id, Dispatch(target_unit_id=district.units["GC"])
    )
    assert dispatched.summary.status == "dispatched"


def test_running_the_same_import_twice_imports_nothing_twice(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "history.csv", ROWS)
    run(services.db, path)
    with services.db.reading() as session:
        counters = {
            d: n for d, n in session.execute(select(OrderNumberCounterRow.day, OrderNumberCounterRow.last))
        }

    again = run(services.db, path)

    assert (again.imported, again.already_imported, again.rejected) == (0, 3, 5)
    assert count(services.db, WorkOrderRow) == 3
    assert count(services.db, TransitionRow) == 3
    assert count(services.db, WorkOrderUnitRow) == 5
    with services.db.reading() as session:  # no numbers are used up by rows already imported
        after = {
            d: n for d, n in session.execute(select(OrderNumberCounterRow.day, OrderNumberCounterRow.last))
        }
    assert after == counters


def test_a_run_cut_short_keeps_the_committed_batches_and_a_rerun_resumes(
    services: Services, units: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        [
            f"r-{i:03d}",
            f"第{i}件",
            "内容",
            "求助",
            "已归档",
            "",
            "",
            "",
            "",
            "2024-05-01 10:00",
            "",
            "",
            "",
            "",
        ]
        for i in range(10)
    ]
    path = write_csv(tmp_path / "history.csv", rows)
    writer_type = PostgresBulkWriter if services.db.dialect == "postgresql" else SqliteBulkWriter
    original = writer_type.write
    calls = {"n": 0}

    def failing_write(self: Any, batch: Any, source: str) -> BatchResult:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return original(self, batch, source)

    monkeypatch.setattr(writer_type, "write", failing_write)
    with pytest.raises(RuntimeError, match="power cut"):
        importer(services.db, writers=1).run(path, ImportMapping.from_dict(MAPPING), batch_size=3)
    assert count(services.db, WorkOrderRow) == 6  # two batches of three made it
    monkeypatch.setattr(writer_type, "write", original)

    report = importer(services.db).run(path, ImportMapping.from_dict(MAPPING), batch_size=3)

    assert (report.imported, report.already_imported) == (4, 6)
    assert count(services.db, WorkOrderRow) == count(services.db, TransitionRow) == 10
    numbers = sorted(r.number for r in orders(services.db).values())
    assert numbers[0] == "NH202405010001" and len(set(numbers)) == 10


def test_two_imports_of_the_same_file_at_once_store_each_order_once(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    rows = [
        [
            f"c-{i:03d}",
            f"第{i}件",
            "内容",
            "求助",
            "已归档",
            "",
            "",
            "",
            "",
            "2024-05-02 10:00",
            "",
            "",
            "",
            "",
        ]
        for i in range(60)
    ]
    path = write_csv(tmp_path / "history.csv", rows)
    reports: list[ImportReport] = []
    errors: list[BaseException] = []
    interval = sys.getswitchinterval()

    def go() -> None:
        try:
            reports.append(importer(services.db).run(path, ImportMapping.from_dict(MAPPING), batch_size=7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sys.getswitchinterval() == interval  # the imports' shorter GIL slices are undone
    assert sum(r.imported for r in reports) == 60
    assert sum(r.already_imported for r in reports) == 60
    assert count(services.db, WorkOrderRow) == count(services.db, TransitionRow) == 60
    assert len({r.number for r in orders(services.db).values()}) == 60


# --------------------------------------------------------------------------- numbers


# A file of a legacy system with its own order numbers (流水号) for some rows.
NUMBERED_HEADER = ["编号", "流水号", "标题", "登记时间"]
NUMBERED_MAPPING: dict[str, Any] = {
    "columns": {"external_id": "编号", "number": "流水号", "title": "标题", "registered_at": "登记时间"},
    "constants": {"channel": "legacy"},
}


def test_historical_numbers_are_kept_and_generated_numbers_follow_them(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    header, mapping = NUMBERED_HEADER, NUMBERED_MAPPING
    rows = [
        ["a", "NH202406010007", "有历史编号", "2024-06-01 09:00"],
        ["b", "", "没有编号", "2024-06-01 10:00"],
        ["c", "GD-2024-12345", "别的系统的编号", "2024-06-01 11:00"],
        ["d", "GD-2024-12345", "编号重复", "2024-06-01 12:00"],
    ]
    path = write_csv(tmp_path / "numbers.csv", rows, header=header)

    report = run(services.db, path, mapping)

    stored = orders(services.db)
    assert stored["a"].number == "NH202406010007"
    assert stored["b"].number == "NH202406010008"  # the counter moved past the historical number
    assert stored["c"].number == "GD-2024-12345"
    assert report.rejected == 1 and report.examples[0].rownum == 5
    assert "与第 4 行重复" in report.examples[0].message

    # a number already held by another order is refused, with its reason
    later = write_csv(
        tmp_path / "later.csv", [["e", "GD-2024-12345", "又一张", "2024-06-02 09:00"]], header=header
    )
    report = run(services.db, later, mapping)
    assert report.imported == 0 and report.examples[0].message == NUMBER_TAKEN


def test_a_generated_number_that_is_taken_is_refused_and_the_next_run_gives_another(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    header, mapping = NUMBERED_HEADER, NUMBERED_MAPPING
    run(
        services.db,
        write_csv(tmp_path / "a.csv", [["a", "NH202406030002", "历史", "2024-06-03 09:00"]], header=header),
        mapping,
    )
    with (
        services.db.transaction() as session
    ):  # a counter that fell behind (restored from an old backup, say)
        session.execute(
            update(OrderNumberCounterRow).where(OrderNumberCounterRow.day == "20240603").values(last=0)
        )
    rows = [["b", "", "一", "2024-06-03 10:00"], ["c", "", "二", "2024-06-03 11:00"]]
    path = write_csv(tmp_path / "b.csv", rows, header=header)

    report = run(services.db, path, mapping)

    assert report.imported == 1 and report.rejected == 1
    assert report.examples[0].message == GENERATED_NUMBER_TAKEN
    again = run(services.db, path, mapping)
    assert (again.imported, again.already_imported) == (1, 1)
    assert sorted(r.number for r in orders(services.db).values()) == [
        "NH202406030001",
        "NH202406030002",
        "NH202406030003",
    ]


def test_a_days_generated_numbers_follow_registration_time_and_grow_past_four_digits(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    header, mapping = NUMBERED_HEADER, NUMBERED_MAPPING
    rows = [  # in the file out of time order, a historical number of the same day among them
        ["late", "", "晚", "2024-06-04 18:00"],
        ["early", "", "早", "2024-06-04 08:00"],
        ["kept", "NH202406049998", "历史", "2024-06-04 12:00"],
        ["noon", "", "中", "2024-06-04 12:00"],
        ["next-day", "", "次日", "2024-06-05 09:00"],
    ]

    path = write_csv(tmp_path / "days.csv", rows, header=header)
    # one writer: two would reserve the two batches' ranges in either order
    report = importer(services.db, writers=1).run(path, ImportMapping.from_dict(mapping), batch_size=3)

    assert report.imported == 5
    numbers = {key: row.number for key, row in orders(services.db).items()}
    # the historical number moves the day's counter past it wherever it stands in the file
    # (here in the first batch of three); the others follow the clock, with a fifth digit at 10,000
    assert numbers["kept"] == "NH202406049998"
    assert [numbers[k] for k in ("early", "late")] == ["NH202406049999", "NH2024060410000"]
    assert numbers["noon"] == "NH2024060410001"  # second batch: after the first batch's range
    assert numbers["next-day"] == "NH202406050001"


def test_generated_numbers_continue_the_live_counter_of_the_day(
    services: Services, district: District, tmp_path: Path
) -> None:
    live = services.orders.register(district.actors["district"], NewOrder(title="今天的工单", content="内容"))
    today = live.order.summary.number[2:10]
    registered = datetime.strptime(today, "%Y%m%d").strftime("%Y-%m-%d 00:00:01")
    path = write_csv(
        tmp_path / "today.csv",
        [["t-1", "今天导入的历史工单", "", "", "", "", "", "", "", registered, "", "", "", ""]],
    )

    BulkImporter(services.db).run(path, ImportMapping.from_dict(MAPPING))

    assert orders(services.db)["t-1"].number == f"NH{today}0002"
    again = services.orders.register(district.actors["district"], NewOrder(title="又一张", content="内容"))
    assert again.order.summary.number == f"NH{today}0003"


# --------------------------------------------------------------------------- formats


def test_xlsx_files_are_read_with_dates_and_numbers_as_cells(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单"
    sheet.append(HEADER)
    sheet.append(
        [
            20240001,
            "小区漏水",
            "楼上漏水",
            "求助",
            "已归档",
            "李四",
            13800138001,
            23.05,
            113.16,
            datetime(2024, 3, 8, 9, 30),
            None,
            "基本满意",
            "GC-PN",
            "已修复",
        ]
    )
    sheet.append(
        [
            20240002,
            None,
            "没有标题",
            "求助",
            "已归档",
            None,
            None,
            None,
            None,
            datetime(2024, 3, 8, 10, 0),
            None,
            None,
            None,
            None,
        ]
    )
    sheet.append([None] * len(HEADER))  # trailing empty rows are ignored
    path = tmp_path / "history.xlsx"
    book.save(path)

    report = run(services.db, path, {**MAPPING, "sheet": "工单"})

    assert (report.read, report.imported, report.rejected) == (2, 1, 1)
    row = orders(services.db)["20240001"]
    assert row.citizen_phone == "13800138001"
    assert row.registered_at == datetime(2024, 3, 8, 1, 30, tzinfo=UTC)
    assert row.satisfaction == "basically_satisfied"
    assert row.responsible_unit_id == units["GC-PN"]
    assert read_rejects(tmp_path / "history.rejects.csv")[0]["行号"] == "3"


def test_json_lines_are_read_one_line_at_a_time_with_nested_fields(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    lines = [
        {
            "id": "j-1",
            "subject": "占道经营",
            "caller": {"name": "王五", "phone": "+86 139 1234 5678"},
            "time": "2024-04-01T10:00:00+08:00",
            "unit": "夏北社区",
        },
        {"id": "j-2", "subject": "", "caller": {}, "time": "2024-04-01T11:00:00+08:00"},
        "not an object",
    ]
    path = tmp_path / "history.jsonl"
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n\n{broken json\n"
    path.write_text(text, encoding="utf-8")
    mapping = {
        "columns": {
            "external_id": "id",
            "title": "subject",
            "citizen_name": "caller.name",
            "citizen_phone": "caller.phone",
            "registered_at": "time",
            "responsible_unit": "unit",
        },
        "constants": {"channel": "open311"},
    }

    report = run(services.db, path, mapping)

    assert (report.imported, report.rejected) == (1, 3)
    row = orders(services.db)["j-1"]
    assert (row.citizen_name, row.citizen_phone) == ("王五", "13912345678")
    assert row.responsible_unit_id == units["GC-XB"]  # by name
    rejected = read_rejects(tmp_path / "history.rejects.csv")
    assert [r["行号"] for r in rejected] == ["2", "3", "5"]
    assert rejected[2]["字段"] == "row" and "不是有效的 JSON" in rejected[2]["原因"]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_csv_in_gb18030_or_with_a_byte_order_mark_is_read_as_chinese(
    services: Services, units: dict[str, int], tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "history.csv", [GOOD_1, GOOD_2], encoding=encoding)

    report = run(services.db, path)

    assert report.imported == 2
    assert orders(services.db)["12345-0001"].title == "小区门口垃圾堆积"


def test_without_an_external_id_column_the_row_content_is_the_id(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    header = ["标题", "登记时间", "备注"]
    path = write_csv(
        tmp_path / "noid.csv",
        [["甲", "2024-07-01 10:00", "x"], ["乙", "2024-07-01 11:00", "y"]],
        header=header,
    )
    mapping = {"columns": {"title": "标题", "registered_at": "登记时间"}, "constants": {"channel": "legacy"}}

    first = run(services.db, path, mapping)
    again = run(services.db, path, mapping)

    assert (first.imported, again.imported, again.already_imported) == (2, 0, 2)
    ids = sorted(orders(services.db))
    assert all(i.startswith("h:") and len(i) == 34 for i in ids)


# --------------------------------------------------------------------------- mapping


def test_value_maps_constants_and_the_channel_option_apply(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    header = ["单号", "来源", "标题", "分类", "急", "状态", "时间", "评价", "办理部门", "受理中心"]
    rows = [
        ["v-1", "市长热线", "乱搭建", "投诉类", "加急", "完结", "2024-08-01 09:00", "五星", "城管", "GC"],
        ["v-2", "", "咨询入学", "问询", "", "作废", "2024-08-01 10:00", "", "", ""],
    ]
    path = write_csv(tmp_path / "mapped.csv", rows, header=header)
    mapping = {
        "columns": {
            "external_id": "单号",
            "channel": "来源",
            "title": "标题",
            "order_type": "分类",
            "urgency": "急",
            "status": "状态",
            "registered_at": "时间",
            "satisfaction": "评价",
            "responsible_unit": "办理部门",
            "registered_unit": "受理中心",
        },
        "constants": {"category_code": "城市管理"},
        "value_maps": {
            "channel": {"市长热线": "12345"},
            "order_type": {"投诉类": "complaint", "问询": "consult"},
            "status": {"完结": "closed"},
            "satisfaction": {"五星": "satisfied"},
            "responsible_unit": {"城管": "GC-CG"},
        },
    }

    report = run(services.db, path, mapping, channel="archive")

    assert report.imported == 2, report.examples
    stored = orders(services.db)
    first, second = stored["v-1"], stored["v-2"]
    assert (first.channel, first.order_type, first.urgency, first.status) == (
        "12345",
        "complaint",
        "urgent",
        "closed",
    )
    assert first.satisfaction == "satisfied" and first.category_code == "城市管理"
    assert first.chain == [units["GC"], units["GC-CG"]]
    assert (second.channel, second.order_type, second.status) == ("archive", "consult", "cancelled")
    assert second.chain == [units["NH"]]


def test_a_mapped_column_missing_from_the_file_is_a_clear_error(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "history.csv", ROWS)
    mapping = {**MAPPING, "columns": {**MAPPING["columns"], "title": "主题"}}

    with pytest.raises(ValidationFailed, match="「主题」"):
        run(services.db, path, mapping)
    assert count(services.db, WorkOrderRow) == 0


# --------------------------------------------------------------------------- CLI


def _cli_db(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def test_cli_imports_and_prints_a_summary_with_the_rejects_file(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "history.csv", ROWS)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**MAPPING, "constants": {}}, ensure_ascii=False), encoding="utf-8")
    rejects = tmp_path / "out" / "bad.csv"

    result = CliRunner().invoke(
        import_app,
        [
            "orders",
            str(path),
            "--mapping",
            str(mapping),
            "--db",
            _cli_db(services.db),
            "--channel",
            "12345",
            "--rejects",
            str(rejects),
            "--batch",
            "2",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "新导入 3" in result.stdout and "拒绝 5" in result.stdout
    assert str(rejects) in result.stdout.replace("\n", "")
    assert len(read_rejects(rejects)) == 5
    assert {r.channel for r in orders(services.db).values()} == {"12345"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "不是有效的 JSON"),
        ('{"columns": {"title": "标题"}}', "registered_at"),
        ('{"columns": {"title": "标题", "registered_at": "时间", "colour": "颜色"}}', "未知字段 colour"),
        (
            '{"columns": {"title": "标题", "registered_at": "时间"}, "value_maps": {"status": {"完结": "done"}}}',
            "「完结」→「done」",
        ),
        (
            '{"columns": {"title": "标题", "registered_at": "时间"}, "constants": {"external_id": "x"}}',
            "external_id 不能是常量",
        ),
        ('{"columns": {"title": "标题", "registered_at": "时间"}}', "缺少渠道"),
        ('["columns"]', "必须是一个 JSON 对象"),
    ],
)
def test_cli_refuses_a_bad_mapping_file_with_a_clear_message_and_exit_1(
    sqlite_database: Database, tmp_path: Path, content: str, message: str
) -> None:
    path = write_csv(tmp_path / "history.csv", ROWS)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(content, encoding="utf-8")

    result = CliRunner().invoke(
        import_app, ["orders", str(path), "--mapping", str(mapping), "--db", _cli_db(sqlite_database)]
    )

    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_refuses_a_missing_input_file_and_a_database_without_an_org(
    sqlite_database: Database, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    db = _cli_db(sqlite_database)

    missing = CliRunner().invoke(
        import_app, ["orders", str(tmp_path / "nope.csv"), "--mapping", str(mapping), "--db", db]
    )
    no_org = CliRunner().invoke(
        import_app,
        ["orders", str(write_csv(tmp_path / "h.csv", ROWS)), "--mapping", str(mapping), "--db", db],
    )

    assert missing.exit_code == 1 and "文件不存在" in missing.stderr
    assert no_org.exit_code == 1 and "zhiyun org import" in no_org.stderr


def test_roles_that_read_everything_see_imported_orders(
    services: Services, district: District, tmp_path: Path
) -> None:
    run(services.db, write_csv(tmp_path / "history.csv", ROWS))
    leader = district.actors["leader"]
    assert leader.role is Role.LEADER
    assert services.worklists.count(leader, OrderQuery(channel="12345")) == 3


def test_with_locate_each_order_gets_its_town_and_village_from_the_address(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    header = ["编号", "标题", "地址", "登记时间"]
    rows = [
        ["l-1", "井盖缺失", "桂城街道夏北社区海八路12号", "2024-09-01 10:00"],
        ["l-2", "噪音", "不知道在哪", "2024-09-01 11:00"],
    ]
    path = write_csv(tmp_path / "places.csv", rows, header=header)
    mapping = tmp_path / "mapping.json"
    columns = {"external_id": "编号", "title": "标题", "address": "地址", "registered_at": "登记时间"}
    mapping.write_text(json.dumps({"columns": columns, "constants": {"channel": "grid"}}), encoding="utf-8")

    result = CliRunner().invoke(
        import_app, ["orders", str(path), "--mapping", str(mapping), "--db", _cli_db(services.db), "--locate"]
    )

    assert result.exit_code == 0, result.output
    stored = orders(services.db)
    located, unknown = stored["l-1"], stored["l-2"]
    assert (located.town_unit_id, located.village_unit_id) == (units["GC"], units["GC-XB"])
    assert located.location_source == "address"
    assert (unknown.town_unit_id, unknown.village_unit_id, unknown.location_source) == (None, None, "")


def test_with_locate_an_order_with_a_point_in_a_grid_carries_its_grid(
    services: Services, district: District, tmp_path: Path
) -> None:
    add_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    lat, lon = centre(quadrants(XB_BOX)[0])
    header = ["编号", "标题", "经度", "纬度", "登记时间"]
    rows = [["g-1", "井盖缺失", str(lon), str(lat), "2024-09-01 10:00"]]
    path = write_csv(tmp_path / "points.csv", rows, header=header)
    mapping = tmp_path / "mapping.json"
    columns = {
        "external_id": "编号",
        "title": "标题",
        "longitude": "经度",
        "latitude": "纬度",
        "registered_at": "登记时间",
    }
    mapping.write_text(json.dumps({"columns": columns, "constants": {"channel": "grid"}}), encoding="utf-8")

    result = CliRunner().invoke(
        import_app, ["orders", str(path), "--mapping", str(mapping), "--db", _cli_db(services.db), "--locate"]
    )

    assert result.exit_code == 0, result.output
    located = orders(services.db)["g-1"]
    grids = {g.code: g.id for g in services.geo.grids()}
    assert located.village_unit_id == district.units["GC-XB"]
    assert located.grid_id == grids["440605001001001"]  # 夏北社区's north-west quarter


def test_a_rerun_without_rejections_removes_the_old_rejects_file(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "history.csv", [GOOD_1, NO_TITLE])
    first = run(services.db, path)
    assert first.rejects_path is not None and first.rejects_path.exists()
    write_csv(path, [GOOD_1, [*NO_TITLE[:1], "补上的标题", *NO_TITLE[2:]]])

    again = run(services.db, path)

    assert (again.imported, again.already_imported, again.rejected) == (1, 1, 0)
    assert again.rejects_path is None and not first.rejects_path.exists()


def test_a_file_that_turns_unreadable_half_way_keeps_the_batches_before_and_says_where(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    good = [
        [f"m-{i:04d}", "标题" * 20, "内容" * 60, "", "", "", "", "", "", "2024-10-01 10:00", "", "", "", ""]
        for i in range(200)
    ]
    write_csv(path, good)
    with path.open("ab") as f:  # a tail saved by another program, in GBK
        f.write("m-9999,乱码标题,内容,,,,,,,2024-10-01 10:00,,,,\r\n".encode("gb18030"))
    spec = ImportMapping.from_dict({**MAPPING, "encoding": "utf-8"})

    with pytest.raises(ValidationFailed, match="无法按 utf-8 解码") as caught:
        importer(services.db, writers=1).run(path, spec, batch_size=10)

    assert "第 " in caught.value.message
    stored = count(services.db, WorkOrderRow)
    assert 0 < stored < 201 and stored % 10 == 0


def search_texts(database: Database) -> dict[str, str | None]:
    with database.reading() as session:
        rows = session.execute(select(WorkOrderRow.external_id, WorkOrderRow.search_text)).all()
        return {str(external_id): text for external_id, text in rows}


def test_imported_orders_get_their_search_words_afterwards_in_batches_and_only_once(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    run(services.db, write_csv(tmp_path / "history.csv", ROWS))
    assert set(search_texts(services.db).values()) == {None}  # COPY speed: no segmenting at import
    backfill = SearchTextBackfill(services.db)
    assert backfill.pending() == 3

    assert backfill.run_batch(2) == 2
    assert backfill.pending() == 1
    assert backfill.run() == 1
    assert backfill.run() == 0  # nothing is segmented twice

    words = search_texts(services.db)
    assert "垃圾" in (words["12345-0001"] or "").split()
    assert "医保" in (words["12345-0002"] or "").split()
    assert all(w for w in words.values())


def test_the_backfill_command_fills_in_the_search_words_of_an_import(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    run(services.db, write_csv(tmp_path / "history.csv", ROWS))
    result = CliRunner().invoke(import_app, ["backfill-search", "--db", services.db.url, "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "已为 3 张工单补全检索词" in result.output
    assert None not in search_texts(services.db).values()


# --------------------------------------------------------------------------- PostgreSQL's foreign keys


def staged_row(external_id: str, registered_unit_id: int) -> list[Any]:
    """One validated row as the importer hands it to a writer (see store.STAGED_COLUMNS)."""
    values: dict[str, Any] = dict.fromkeys(STAGED_COLUMNS)
    values.update(
        rownum=1,
        day="20240501",
        channel="12345",
        external_id=external_id,
        title="路灯不亮",
        content="路灯坏了",
        order_type="help",
        urgency="normal",
        location_source="",
        confidential=False,
        status="closed",
        registered_unit_id=registered_unit_id,
        registered_at=datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
        closed_at=datetime(2024, 5, 3, 2, 0, tzinfo=UTC),
    )
    return [values[name] for name in STAGED_COLUMNS]


@ONLY_POSTGRESQL
def test_a_batch_that_names_a_missing_unit_is_refused_even_when_the_writer_checks_references_itself(
    services: Services, units: dict[str, int]
) -> None:
    import psycopg

    writer = bulk_writer(services.db, clock=lambda: NOW)
    try:
        assert (
            isinstance(writer, PostgresBulkWriter) and writer.checks_own_references
        )  # tests run as superuser
        good = writer.write([staged_row("fk-1", units["NH"])], "fk.csv")
        assert good.imported == 1
        with pytest.raises(psycopg.IntegrityError):  # the triggers stayed on for this batch
            writer.write([staged_row("fk-2", 999_999)], "fk.csv")
    finally:
        writer.close()
    assert set(orders(services.db)) == {"fk-1"}
    assert count(services.db, TransitionRow) == 1


@ONLY_POSTGRESQL
def test_a_role_that_may_not_switch_the_triggers_off_imports_with_them_on(
    services: Services, units: dict[str, int], tmp_path: Path
) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    role = f"zhiyun_importer_{tmp_path.name[-8:].replace('-', '_')}".lower()
    with services.db.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    limited = Database(make_url(services.db.url).set(username=role).render_as_string(hide_password=False))
    try:
        writer = bulk_writer(limited, clock=lambda: NOW)
        try:
            assert isinstance(writer, PostgresBulkWriter) and not writer.checks_own_references
            assert writer.write([staged_row("role-1", units["NH"])], "role.csv").imported == 1
        finally:
            writer.close()
    finally:
        limited.dispose()
        with services.db.engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
    assert set(orders(services.db)) == {"role-1"}
