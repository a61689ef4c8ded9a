"""The grid items catalogue (入格事项) over the real services and storage, on SQLite and
PostgreSQL: versions, the default catalogue, import and export, and who may change it."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from tests.support import TEST_ADMIN, footprint

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.grid_items import (
    Answer,
    AnswerType,
    GridItem,
    HazardLevel,
    Period,
    PhotoRule,
    Question,
    answer_problems,
    due_in,
    hazards,
    item_problems,
)
from zhiyun.grid import items_files
from zhiyun.grid.items_service import GridItemService, default_catalogue

HANDLER = Actor(user_id=7, role=Role.HANDLER, unit_id=None, name="承办人")
GRID_WORKER = Actor(user_id=8, role=Role.GRID_WORKER, unit_id=None, name="网格员")
LEADER = Actor(user_id=9, role=Role.LEADER, unit_id=None, name="领导")


def _items(services: Services) -> GridItemService:
    return services.get(GridItemService)


def _shop_fire() -> GridItem:
    return next(i for i in default_catalogue() if i.code == "XF-001")


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "入格事项"
    sheet.append([label for _, label in items_files.COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(code: str, qid: str, question: str, kind: str, **cells: object) -> list[object]:
    values: dict[str, object] = {
        "code": code,
        "name": "测试事项",
        "department": "区应急管理局",
        "object_kinds": "企业",
        "frequency": "每月",
        "question_id": qid,
        "question": question,
        "type": kind,
    } | cells
    return [values.get(key, "") for key, _ in items_files.COLUMNS]


# --------------------------------------------------------------------------- the default catalogue


def test_the_shipped_catalogue_has_ten_sound_items_of_four_to_eight_questions() -> None:
    catalogue = default_catalogue()
    assert 8 <= len(catalogue) <= 12
    assert len({i.code for i in catalogue}) == len(catalogue)
    for item in catalogue:
        assert item_problems(item) == [], item.code
        assert 4 <= len(item.questions) <= 8, item.code
        assert item.legal_basis and item.department
    kinds = {k for i in catalogue for k in i.object_kinds}
    assert kinds == set(ObjectKind)
    docs = (Path(__file__).parents[2] / "docs" / "grid-items.md").read_text(encoding="utf-8")
    for item in catalogue:  # the docs' table of the default catalogue is current
        assert f"| {item.code} | {item.name} " in docs and item.frequency_label in docs, item.code


def test_ensure_default_installs_the_catalogue_once_and_never_overwrites(services: Services) -> None:
    items = _items(services)
    first = items.ensure_default(TEST_ADMIN)
    assert len(first.created) == len(default_catalogue()) and not first.unchanged
    listed = items.items()
    assert [v.code for v in listed] == sorted(i.code for i in default_catalogue())
    assert all(v.version == 1 and v.active for v in listed)
    assert items.versions("XF-001")[0].published_by == TEST_ADMIN.name

    again = items.ensure_default(TEST_ADMIN)
    assert again.created == [] and len(again.unchanged) == len(first.created)
    assert items.items() == listed

    # an item changed by the district stays as it was changed
    changed = replace(items.get("HW-001").item, name="门前三包检查")
    items.publish(TEST_ADMIN, changed)
    items.ensure_default(TEST_ADMIN)
    assert items.get("HW-001").item.name == "门前三包检查"
    assert items.get("HW-001").version == 2


# --------------------------------------------------------------------------- versions


def test_publishing_a_new_version_keeps_the_old_one_readable(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    v1 = items.get("XF-001")
    gas = Question("gas", "是否使用燃气", AnswerType.YES_NO)
    published = items.publish(
        TEST_ADMIN, replace(v1.item, questions=(*v1.item.questions, gas)), note="增加燃气问题"
    )
    assert published.changed and published.current.version == 2 and published.current.is_current

    current, old = items.get("xf-001"), items.get("XF-001", version=1)
    assert current.version == 2 and [q.id for q in current.item.questions][-1] == "gas"
    assert old.version == 1 and not old.is_current and old.item == v1.item
    history = items.versions("XF-001")
    assert [(h.version, h.note) for h in history] == [(2, "增加燃气问题"), (1, "默认入格事项")]
    # a visit that answered version 1 is still checked against version 1's checklist
    answers = {
        "exits": "是",
        "extinguishers": 2,
        "ebike": "否",
        "lodging": "无人住宿",
        "wiring": "否",
        "site_photo": Answer(None, ("photo-1",)),
    }
    assert answer_problems(old.item, answers) == []
    assert [p.question_id for p in answer_problems(current.item, answers)] == ["gas"]
    with pytest.raises(NotFound, match="没有第 3 版"):
        items.get("XF-001", version=3)


def test_publishing_an_unchanged_definition_makes_no_version(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    same = items.publish(TEST_ADMIN, items.get("BJ-001").item)
    assert not same.changed and same.current.version == 1
    assert len(items.versions("BJ-001")) == 1


def test_a_question_id_keeps_its_answer_type_across_versions(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    v1 = items.get("HW-001").item
    first = replace(v1.questions[0], type=AnswerType.TEXT, hazards=(), photo=PhotoRule.NONE)
    retyped = replace(v1, questions=(first, *v1.questions[1:]))
    with pytest.raises(ValidationFailed, match="不能改为文字题"):
        items.publish(TEST_ADMIN, retyped)
    assert items.get("HW-001").version == 1


def test_a_new_item_is_created_at_version_one_and_its_code_is_unique(services: Services) -> None:
    items = _items(services)
    made = items.create(TEST_ADMIN, replace(_shop_fire(), code="XF-099"))
    assert (made.code, made.version, made.active) == ("XF-099", 1, True)
    with pytest.raises(Conflict):
        items.create(TEST_ADMIN, replace(_shop_fire(), code="XF-099"))
    with pytest.raises(NotFound):
        items.publish(TEST_ADMIN, replace(_shop_fire(), code="XF-098"))


def test_a_switched_off_item_leaves_the_active_list_and_keeps_its_versions(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    off = items.set_active(TEST_ADMIN, "SF-001", False)
    assert not off.active and off.version == 1
    assert "SF-001" not in [v.code for v in items.items(active_only=True)]
    assert "SF-001" in [v.code for v in items.items()]
    assert items.set_active(TEST_ADMIN, "SF-001", True).active


def test_two_publishers_at_once_get_consecutive_versions(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    base = items.get("WJ-001").item
    errors: list[BaseException] = []

    def publish(name: str) -> None:
        try:
            items.publish(TEST_ADMIN, replace(base, name=name))
        except BaseException as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(f"违法建设巡查{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [h.version for h in items.versions("WJ-001")] == [5, 4, 3, 2, 1]


# --------------------------------------------------------------------------- the planner's question


def test_a_planner_finds_the_items_due_for_a_restaurant_in_a_month(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    december = Period.month(2026, 12)
    due = {
        v.code: len(due_in(v.item, ObjectKind.SHOP, RiskLevel.HIGH, december, tags=["餐饮"]))
        for v in items.items(active_only=True)
    }
    assert {code: n for code, n in due.items() if n} == {"XF-001": 3, "RQ-001": 3, "HW-001": 5}
    gas = items.get("RQ-001").item
    found = hazards(gas, {"pipe": "是", "alarm": "否", "underground_lpg": "否"})
    assert [(h.question_id, h.level) for h in found] == [
        ("alarm", HazardLevel.GENERAL),
        ("pipe", HazardLevel.MAJOR),
    ]


# --------------------------------------------------------------------------- import and export


def test_the_export_imports_again_unchanged_in_both_formats(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    before = items.items()
    for name, data in (("items.json", items.export_json().encode()), ("items.xlsx", items.export_xlsx())):
        report = items.import_file(TEST_ADMIN, name, data)
        assert not report.refused, report.rejects
        assert report.created == [] and report.published == []
        assert sorted(report.unchanged) == [v.code for v in before]
    assert items.items() == before


def test_import_creates_new_items_and_publishes_changed_ones(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    document = json.loads(items.export_json())
    by_code = {i["code"]: i for i in document["items"]}
    by_code["HW-001"]["frequency"] = "every 10 days"
    new = json.loads(json.dumps(by_code["XF-001"])) | {"code": "XF-010", "name": "小作坊消防检查"}
    document["items"] = [by_code["HW-001"], by_code["BJ-001"], new]
    data = json.dumps(document, ensure_ascii=False).encode()

    trial = items.import_file(TEST_ADMIN, "items.json", data, dry_run=True)
    assert (trial.created, trial.published, trial.unchanged) == (["XF-010"], [("HW-001", 2)], ["BJ-001"])
    assert "试导入" in trial.summary() and not trial.written
    assert items.get("HW-001").version == 1
    with pytest.raises(NotFound):
        items.get("XF-010")

    done = items.import_file(TEST_ADMIN, "items.json", data)
    assert done.written and done.summary() == "已新增 1 个，已发布新版本 1 个，未变 1 个"
    assert items.get("HW-001").item.frequency_label == "每10天"
    assert items.get("HW-001", version=1).item.frequency_label == "每周"
    assert items.get("XF-010").item.name == "小作坊消防检查"
    assert items.versions("HW-001")[0].note == "导入"


def test_an_xlsx_import_refuses_bad_rows_with_reasons_and_writes_nothing(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    before = footprint(services)
    data = _xlsx(
        [
            _row("AJ-100", "exits", "安全出口是否畅通", "是/否", hazards="一般:否"),
            _row("AJ-100", "count", "灭火器数量", "数值", unit="具", min=0, hazards="重大:<1"),
            _row("AJ-100", "kind", "存放方式", "单选", options="规范|不规范", hazards="重大:混放"),
            _row("AJ-101", "q1", "有无特种设备", "猜谜"),
            _row("AJ-102", "q1", "人均面积", "数值", name="另一个名称", min="很多"),
            _row("AJ-102", "q2", "是否登记", "是/否", name="不一样的名称"),
            _row("AJ-103", "q1", "是否畅通", "是/否", frequency="偶尔"),
            _row("", "", "", ""),  # an empty row is passed over
        ]
    )
    report = items.import_file(TEST_ADMIN, "catalogue.xlsx", data)
    assert report.refused and report.summary() == f"文件有 {len(report.rejects)} 处错误，未导入任何内容"
    reasons = {(r.row, r.column): r.reason for r in report.rejects}
    assert "隐患答案「混放」不是该题的可选答案" in reasons[(4, "")]
    assert reasons[(5, "答案类型")].startswith("答案类型「猜谜」不存在")
    assert reasons[(6, "最小值")] == "最小值「很多」不是数值"
    assert reasons[(7, "事项名称")] == "与该事项第 6 行的值不一致"
    assert "频次「偶尔」无法识别" in reasons[(8, "")]
    assert footprint(services) == before


def test_a_json_import_names_the_item_and_the_reason_and_writes_nothing(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    document = json.loads(items.export_json())
    good = document["items"][0]
    retyped = json.loads(json.dumps(document["items"][1]))
    retyped["questions"][0]["type"] = "text"
    retyped["questions"][0].pop("hazards", None)
    retyped["questions"][0].pop("photo", None)
    retyped["questions"][0].pop("options", None)
    broken = {
        "code": "ZZ-001",
        "name": "",
        "department": "x",
        "object_kinds": ["castle"],
        "frequency": "monthly",
    }
    document["items"] = [good, retyped, broken, dict(good)]
    before = footprint(services)
    report = items.import_file(TEST_ADMIN, "items.json", json.dumps(document, ensure_ascii=False).encode())
    assert report.refused and report.row_unit == "项"
    reasons = [(r.row, r.code, r.reason) for r in report.rejects]
    assert any(row == 2 and "不能改为文字题" in reason for row, _, reason in reasons)
    assert any(
        row == 3 and code == "ZZ-001" and "对象类型「castle」不存在" in reason
        for row, code, reason in reasons
    )
    assert any(row == 4 and reason == f"事项编码 {good['code']} 与第 1 项重复" for row, _, reason in reasons)
    assert footprint(services) == before


def test_a_file_that_is_no_catalogue_is_refused_with_one_reason(services: Services) -> None:
    items = _items(services)
    for name, data, reason in (
        ("x.json", b"{not json", "不是有效的 JSON 文件"),
        ("x.json", b'{"format": "other", "items": []}', "format 应为"),
        ("x.xlsx", b"PK\x03\x04 broken", "无法读取 Excel 文件"),
        ("x.txt", b"hello", "无法判断文件格式"),
        ("x.json", b"", "文件为空"),
        ("x.xlsx", _xlsx([]), "文件中没有入格事项"),
        ("x.json", b'{"items": []}', "文件中没有入格事项"),
    ):
        with pytest.raises(ValidationFailed, match=reason):
            items.import_file(TEST_ADMIN, name, data)


def test_the_xlsx_export_has_one_row_per_question_and_runs_no_formula(services: Services) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    v1 = items.get("WJ-001").item
    items.publish(TEST_ADMIN, replace(v1, legal_basis='=HYPERLINK("http://x")'))
    book = load_workbook(io.BytesIO(items.export_xlsx()))
    sheet = book["入格事项"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == sum(len(v.item.questions) for v in items.items())
    header = [c.value for c in sheet[1]]
    legal = header.index("法律依据")
    injected = [r[legal] for r in rows if r[0].value == "WJ-001"]
    assert {c.value for c in injected} == {'=HYPERLINK("http://x")'}
    assert {c.data_type for c in injected} == {"s"}
    assert "说明" in book.sheetnames


# --------------------------------------------------------------------------- who may change it


@pytest.mark.parametrize("who", [HANDLER, GRID_WORKER, LEADER, Actor.system("定时任务"), Actor.citizen(3)])
def test_no_one_but_an_admin_changes_the_catalogue(services: Services, who: Actor) -> None:
    items = _items(services)
    items.ensure_default(TEST_ADMIN)
    before = footprint(services)
    current = items.get("XF-001").item
    attempts = (
        lambda: items.publish(who, replace(current, name="改名")),
        lambda: items.create(who, replace(current, code="XF-050")),
        lambda: items.set_active(who, "XF-001", False),
        lambda: items.import_file(who, "x.json", items.export_json().encode()),
        lambda: items.ensure_default(who),
    )
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="仅系统管理员可以维护入格事项"):
            attempt()
    assert footprint(services) == before
    # reading stays open: the planner and the patrol pages read the checklists
    assert items.get("XF-001").version == 1
