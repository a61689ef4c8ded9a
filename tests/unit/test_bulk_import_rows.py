"""Bulk import without I/O: the mapping's checks and the validation of one row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.importer.mapping import FIELDS, ImportMapping, MappingError
from zhiyun.importer.staged_row import COL
from zhiyun.importer.validate import RowErrors, RowValidator, clean_block, clean_line, clean_phone
from zhiyun.kernel.geo import gcj02_to_wgs84
from zhiyun.kernel.normalize import normalize_phone, normalize_text

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

ORG = OrgTree.of(
    [
        Unit(1, "NH", "南海区", UnitKind.DISTRICT, None, ("南海",)),
        Unit(2, "GC", "桂城街道", UnitKind.TOWN, 1, ("桂城",)),
        Unit(3, "GC-XB", "夏北社区", UnitKind.VILLAGE, 2, ("夏北",)),
        Unit(4, "GC-CG", "城管办", UnitKind.OFFICE, 2),
        Unit(5, "DL", "大沥镇", UnitKind.TOWN, 1),
        Unit(6, "DL-CG", "城管办", UnitKind.OFFICE, 5),
    ]
)

BASE_COLUMNS = {
    "external_id": "id",
    "title": "title",
    "registered_at": "time",
}


def mapping(**overrides: Any) -> ImportMapping:
    data: dict[str, Any] = {"columns": dict(BASE_COLUMNS), "constants": {"channel": "12345"}}
    for key, value in overrides.items():
        if key in ("columns", "constants", "value_maps") and isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    return ImportMapping.from_dict(data)


def validate(spec: ImportMapping, **cells: Any) -> list[Any] | RowErrors:
    fields = tuple(f for f in FIELDS if f in spec.columns)
    validator = RowValidator(spec, fields, ORG, now=NOW)
    values = tuple(cells.get(f, "") for f in fields)
    return validator.validate(2, values, lambda: "\x1f".join(str(v) for v in values))


def ok(spec: ImportMapping, **cells: Any) -> dict[str, Any]:
    row = validate(spec, **cells)
    assert not isinstance(row, RowErrors), row
    return dict(zip(COL, row, strict=True))


def errors(spec: ImportMapping, **cells: Any) -> dict[str, str]:
    row = validate(spec, **cells)
    assert isinstance(row, RowErrors), row
    return dict(row)


GOOD = {"external_id": "A-1", "title": "垃圾堆积", "registered_at": "2024-03-05 09:12:00"}


# --------------------------------------------------------------------------- the mapping


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"columns": {"title": "t"}}, "registered_at"),
        ({"columns": {**BASE_COLUMNS, "colour": "c"}}, "未知字段 colour"),
        ({"columns": BASE_COLUMNS, "colums": {}}, "未知的键 colums"),
        ({"columns": BASE_COLUMNS, "constants": {"number": "1"}}, "number 不能是常量"),
        ({"columns": {**BASE_COLUMNS, "latitude": "lat"}}, "latitude 与 longitude 必须同时映射"),
        (
            {"columns": BASE_COLUMNS, "value_maps": {"order_type": {"投诉": "complain"}}},
            "「投诉」→「complain」",
        ),
        ({"columns": BASE_COLUMNS, "constants": {"status": "进行中"}}, "constants.status"),
        ({"columns": BASE_COLUMNS, "timezone": "Mars/Olympus"}, "未知的时区"),
        ({"columns": BASE_COLUMNS, "coord_system": "bd09"}, "coord_system"),
        ({"columns": BASE_COLUMNS, "format": "xls"}, "format"),
        ({"columns": BASE_COLUMNS, "encoding": "klingon"}, "未知的编码"),
        ({"columns": {"title": ""}}, "columns.title 必须是非空字符串"),
        ([], "必须是一个 JSON 对象"),
    ],
)
def test_a_mapping_with_a_mistake_is_refused_with_every_problem_named(data: Any, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        ImportMapping.from_dict(data)
    assert message in caught.value.message


def test_a_mapping_lists_all_its_problems_at_once() -> None:
    with pytest.raises(MappingError) as caught:
        ImportMapping.from_dict({"columns": {"colour": "c"}, "constants": {"external_id": "x"}})
    problems = caught.value.details["problems"]
    assert isinstance(problems, list) and len(problems) >= 3


def test_the_channel_comes_from_a_column_a_constant_or_the_command_line() -> None:
    bare = ImportMapping.from_dict({"columns": BASE_COLUMNS})
    with pytest.raises(MappingError, match="缺少渠道"):
        bare.require_channel()
    bare.with_channel("grid").require_channel()
    assert bare.with_channel("grid").constants["channel"] == "grid"
    ImportMapping.from_dict({"columns": {**BASE_COLUMNS, "channel": "src"}}).require_channel()


def test_constant_units_must_exist() -> None:
    spec = mapping(constants={"registered_unit": "不存在的中心"})
    with pytest.raises(MappingError, match="registered_unit"):
        RowValidator(spec, ("external_id", "title", "registered_at"), ORG, now=NOW)


# --------------------------------------------------------------------------- one row


def test_a_plain_row_gets_the_defaults_of_a_finished_historical_order() -> None:
    row = ok(mapping(), **GOOD)
    assert (row["channel"], row["external_id"], row["title"], row["content"]) == (
        "12345",
        "A-1",
        "垃圾堆积",
        "垃圾堆积",
    )
    assert (row["order_type"], row["urgency"], row["status"]) == ("help", "normal", "closed")
    assert row["registered_at"] == datetime(2024, 3, 5, 1, 12, tzinfo=UTC)
    assert row["closed_at"] == row["registered_at"]
    assert row["day"] == "20240305" and row["number"] is None
    assert (row["registered_unit_id"], row["responsible_unit_id"]) == (1, None)


def test_times_in_other_shapes_and_zones_are_read_as_local_unless_they_say_otherwise() -> None:
    spec = mapping(columns={"replied_at": "done"})
    row = ok(spec, **{**GOOD, "registered_at": "2024/3/5 23:30", "replied_at": "2024-03-06T00:10:00Z"})
    assert row["registered_at"] == datetime(2024, 3, 5, 15, 30, tzinfo=UTC)
    assert row["replied_at"] == datetime(2024, 3, 6, 0, 10, tzinfo=UTC)
    assert row["day"] == "20240305"
    late = ok(spec, **{**GOOD, "registered_at": "2024-03-05T20:00:00-05:00"})  # 09:00 on the 6th in Foshan
    assert late["day"] == "20240306"
    spreadsheet = ok(spec, **{**GOOD, "registered_at": datetime(2024, 3, 5, 9, 12)})
    assert spreadsheet["registered_at"] == datetime(2024, 3, 5, 1, 12, tzinfo=UTC)
    other_zone = ok(mapping(timezone="UTC"), **GOOD)
    assert other_zone["registered_at"] == datetime(2024, 3, 5, 9, 12, tzinfo=UTC)
    assert other_zone["day"] == "20240305"


@pytest.mark.parametrize(
    ("cells", "field", "message"),
    [
        ({"title": ""}, "title", "标题不能为空"),
        ({"title": "长" * 301}, "title", "标题超过"),
        ({"registered_at": ""}, "registered_at", "登记时间不能为空"),
        ({"registered_at": "去年春天"}, "registered_at", "无法识别的时间"),
        ({"registered_at": "2030-01-01 00:00"}, "registered_at", "晚于当前时间"),
        ({"registered_at": "1960-01-01 00:00"}, "registered_at", "1970"),
        ({"external_id": ""}, "external_id", "外部编号为空"),
        ({"external_id": "x" * 129}, "external_id", "128"),
    ],
)
def test_a_bad_value_is_refused_with_its_field_and_reason(
    cells: dict[str, str], field: str, message: str
) -> None:
    problems = errors(mapping(), **{**GOOD, **cells})
    assert message in problems[field]


def test_every_problem_of_a_row_is_reported_not_just_the_first() -> None:
    spec = mapping(
        columns={"citizen_phone": "phone", "status": "status", "latitude": "lat", "longitude": "lon"}
    )
    problems = errors(
        spec,
        external_id="A",
        title="",
        registered_at="bad",
        citizen_phone="12",
        status="处理中",
        latitude="91",
        longitude="113",
    )
    assert set(problems) == {"title", "registered_at", "citizen_phone", "status", "latitude"}
    assert "经纬度是否填反" not in problems["latitude"]


def test_phones_are_normalized_and_bad_ones_refused() -> None:
    spec = mapping(columns={"citizen_phone": "phone"})
    assert ok(spec, **GOOD, citizen_phone="+86 138-1234-5678")["citizen_phone"] == "13812345678"
    assert ok(spec, **GOOD, citizen_phone="(0757)86281234")["citizen_phone"] == "0757-86281234"
    assert ok(spec, **GOOD, citizen_phone="12345")["citizen_phone"] == "12345"
    assert ok(spec, **GOOD, citizen_phone="")["citizen_phone"] is None
    assert "电话号码格式不正确" in errors(spec, **GOOD, citizen_phone="1381234")["citizen_phone"]


def test_coordinates_are_checked_converted_from_gcj02_and_given_a_cell() -> None:
    spec = mapping(columns={"latitude": "lat", "longitude": "lon"}, coord_system="gcj02")
    row = ok(spec, **GOOD, latitude="23.030000", longitude="113.150000")
    expected = gcj02_to_wgs84(23.03, 113.15)
    assert (row["latitude"], row["longitude"]) == pytest.approx(expected)
    assert row["geo_cell"] is not None
    assert "(0, 0)" in errors(spec, **GOOD, latitude="0", longitude="0")["location"]
    assert "中国境内" in errors(spec, **GOOD, latitude="48.85", longitude="2.35")["location"]
    assert "同时提供" in errors(spec, **GOOD, latitude="23.03", longitude="")["location"]
    assert "数字" in errors(spec, **GOOD, latitude="北纬23度", longitude="113.15")["latitude"]
    full_width = ok(spec, **GOOD, latitude="２３.０３", longitude="１１３.１５")
    assert full_width["latitude"] == pytest.approx(expected[0])


def test_a_coord_system_column_overrides_the_mapping_default() -> None:
    spec = mapping(columns={"latitude": "lat", "longitude": "lon", "coord_system": "datum"})
    wgs = ok(spec, **GOOD, latitude="23.03", longitude="113.15", coord_system="GPS")
    gcj = ok(spec, **GOOD, latitude="23.03", longitude="113.15", coord_system="高德")
    assert wgs["latitude"] == 23.03
    assert gcj["latitude"] == pytest.approx(gcj02_to_wgs84(23.03, 113.15)[0])


def test_choices_take_chinese_labels_value_maps_and_any_case() -> None:
    spec = mapping(
        columns={"order_type": "type", "urgency": "urgency", "status": "status", "satisfaction": "sat"},
        value_maps={"order_type": {"12345投诉": "complaint"}, "satisfaction": {"★★★": "basically_satisfied"}},
    )
    row = ok(spec, **GOOD, order_type="12345投诉", urgency="紧急", status="CANCELLED", satisfaction="★★★")
    assert (row["order_type"], row["urgency"], row["status"], row["satisfaction"]) == (
        "complaint",
        "urgent",
        "cancelled",
        "basically_satisfied",
    )
    assert (
        ok(spec, **GOOD, order_type="咨询", status="已归档", satisfaction="不满意")["satisfaction"]
        == "unsatisfied"
    )
    assert "value_maps.order_type" in errors(spec, **GOOD, order_type="吐槽")["order_type"]


def test_only_finished_or_undispatched_orders_are_imported() -> None:
    spec = mapping(columns={"status": "status", "responsible_unit": "unit", "replied_at": "done"})
    assert "只支持" in errors(spec, **GOOD, status="in_progress")["status"]
    assert "只支持" in errors(spec, **GOOD, status="已合并")["status"]
    pending = ok(spec, **GOOD, status="待分拨")
    assert pending["status"] == "pending_dispatch" and pending["closed_at"] is None
    assert "承办单位" in errors(spec, **GOOD, status="待分拨", responsible_unit="GC")["responsible_unit"]
    assert "办结" in errors(spec, **GOOD, status="待分拨", replied_at="2024-03-06 10:00")["status"]
    assert "早于登记时间" in errors(spec, **GOOD, replied_at="2024-03-01 10:00")["replied_at"]


def test_units_are_found_by_code_name_or_alias_and_ambiguous_names_are_refused() -> None:
    spec = mapping(columns={"responsible_unit": "unit", "registered_unit": "center"})
    assert ok(spec, **GOOD, responsible_unit="GC-XB")["responsible_unit_id"] == 3
    assert ok(spec, **GOOD, responsible_unit="夏北社区")["responsible_unit_id"] == 3
    assert ok(spec, **GOOD, responsible_unit="夏北")["responsible_unit_id"] == 3
    assert "改用单位编码" in errors(spec, **GOOD, responsible_unit="城管办")["responsible_unit"]
    assert "未知的单位" in errors(spec, **GOOD, responsible_unit="火星办")["responsible_unit"]
    at_town = ok(spec, **GOOD, registered_unit="桂城", responsible_unit="GC")
    assert (at_town["registered_unit_id"], at_town["responsible_unit_id"]) == (
        2,
        None,
    )  # stayed at the center


def test_without_an_external_id_column_the_id_is_a_stable_hash_of_the_row() -> None:
    spec = ImportMapping.from_dict(
        {"columns": {"title": "t", "registered_at": "r"}, "constants": {"channel": "c"}}
    )
    first = ok(spec, title="甲", registered_at="2024-03-05 09:00")
    again = ok(spec, title="甲", registered_at="2024-03-05 09:00")
    other = ok(spec, title="乙", registered_at="2024-03-05 09:00")
    assert first["external_id"] == again["external_id"] != other["external_id"]
    assert first["external_id"].startswith("h:") and len(first["external_id"]) == 34


def test_value_maps_of_free_fields_translate_before_checks() -> None:
    spec = mapping(columns={"channel": "src"}, value_maps={"channel": {"市长热线": "12345"}})
    assert ok(spec, **GOOD, channel="市长热线")["channel"] == "12345"
    assert ok(spec, **GOOD, channel="")["channel"] == "12345"  # the constant fills an empty cell
    assert "无效" in errors(spec, **GOOD, channel="一个 很长的 渠道")["channel"]


# --------------------------------------------------------------------------- shortcuts equal the full rules


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_the_clean_text_shortcut_gives_what_normalize_text_gives(text: str) -> None:
    assert clean_line(text) == normalize_text(text, multiline=False)
    assert clean_block(text) == normalize_text(text)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True) | st.text(alphabet="0123456789+-() ", max_size=16))
def test_the_mobile_shortcut_gives_what_normalize_phone_gives(phone: str) -> None:
    try:
        expected: str | Exception | None = normalize_phone(phone)
    except Exception as exc:
        expected = exc
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)):
            clean_phone(phone)
    else:
        assert clean_phone(phone) == expected
