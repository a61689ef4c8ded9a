"""Normalization of what channels send: text, phone numbers, coordinates, times, grid cells."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.geo import (
    CELL_DEG,
    cell_bounds,
    gcj02_to_wgs84,
    geo_cell,
    haversine_m,
    neighbour_cells,
    out_of_china,
    validate_coordinates,
    wgs84_to_gcj02,
)
from zhiyun.kernel.normalize import normalize_phone, normalize_text, to_halfwidth, to_local, to_utc

# --------------------------------------------------------------------------- text


def test_full_width_letters_digits_and_symbols_become_ascii() -> None:
    assert normalize_text("ＡＢＣ１２３＃４５６－７８９＠ｍａｉｌ．ｃｏｍ") == "ABC123#456-789@mail.com"


def test_chinese_punctuation_is_kept_as_typed() -> None:
    text = "桂城街道（夏北社区）路灯坏了，晚上很黑！怎么办？时间：晚上；地点。《通知》、“引号”……"
    assert normalize_text(text) == text


def test_circled_numbers_units_and_ellipsis_are_not_folded() -> None:
    # NFKC would turn ① into 1, ㎡ into m2 and …… into ......: not safe for Chinese text.
    assert normalize_text("①路面破损②约50㎡……") == "①路面破损②约50㎡……"


def test_half_width_katakana_punctuation_becomes_full_width_cjk_punctuation() -> None:
    assert normalize_text("好｡｢是｣､") == "好。「是」、"


def test_whitespace_runs_including_ideographic_space_collapse_to_one_space() -> None:
    assert normalize_text("  路灯\u3000\u3000坏了 \t  很久\u00a0了  ") == "路灯 坏了 很久 了"


def test_control_and_invisible_characters_are_dropped_but_newlines_kept() -> None:
    assert normalize_text("第一行\x07\u200b\ufeff\u202e\r\n第二行\x00") == "第一行\n第二行"


def test_blank_lines_collapse_to_one_and_lines_are_trimmed() -> None:
    assert normalize_text("  一 \r\n\r\n\r\n\r\n  二  \n") == "一\n\n二"


def test_single_line_fields_turn_line_breaks_into_spaces() -> None:
    assert (
        normalize_text("佛山市南海区\n桂城街道\u2028夏北社区", multiline=False)
        == "佛山市南海区 桂城街道 夏北社区"
    )


def test_empty_and_none_text_give_empty_string() -> None:
    assert normalize_text(None) == ""
    assert normalize_text(" \u3000\t\n ") == ""


def test_to_halfwidth_folds_chinese_punctuation_too() -> None:
    assert to_halfwidth("（０７５７）８６２８１２３４，") == "(0757)86281234,"


@given(st.text(max_size=200))
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("(138)12345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-13812345678", "13812345678"),
        ("＋８６　１３８１２３４５６７８", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("0757-86281234", "0757-86281234"),
        ("075786281234", "0757-86281234"),
        ("0757 8628 1234", "0757-86281234"),
        ("(0757)86281234", "0757-86281234"),
        ("（０７５７）８６２８１２３４", "0757-86281234"),
        ("+86 757 86281234", "0757-86281234"),
        ("+86 (0757) 8628-1234", "0757-86281234"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("020 88886666", "020-88886666"),
        ("0769-2345678", "0769-2345678"),
        ("12345", "12345"),
        ("12315", "12315"),
        ("95588", "95588"),
    ],
)
def test_phone_numbers_of_every_shape_normalize(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_empty_phone_is_none(raw: str | None) -> None:
    assert normalize_phone(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # 12x is not a mobile prefix
        "86281234",  # a local number without its area code
        "0757-1234",  # too short
        "0757-012345678",  # local part starting with 0
        "010-12345678",  # local part starting with 1
        "0157-86281234",  # no area code starts 01x except 010
        "+1 415 555 1234",  # not China
        "abc",
        "138-1234-567x",
        "13812345678转8001",
        "110",
        "13812345678/13912345678",
    ],
)
def test_invalid_phone_numbers_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        normalize_phone(raw)
    assert exc.value.message == "电话号码格式不正确"
    assert exc.value.details["field"] == "citizen_phone"


def test_local_number_takes_the_default_area_code_when_given() -> None:
    assert normalize_phone("8628 1234", default_area_code="0757") == "0757-86281234"


def test_phone_error_names_the_field_it_was_asked_for() -> None:
    with pytest.raises(ValidationFailed) as exc:
        normalize_phone("12", field="phone")
    assert exc.value.details["field"] == "phone"


# --------------------------------------------------------------------------- coordinates

# Reference values of the GCJ-02 algorithm as published with eviltransform (Shanghai, Shenzhen, Beijing).
GCJ_REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), GCJ_REFERENCE)
def test_wgs84_to_gcj02_matches_reference_values(
    w_lat: float, w_lon: float, g_lat: float, g_lon: float
) -> None:
    lat, lon = wgs84_to_gcj02(w_lat, w_lon)
    assert lat == pytest.approx(g_lat, abs=1e-9)
    assert lon == pytest.approx(g_lon, abs=1e-9)


def test_tiananmen_moves_a_few_hundred_metres_in_gcj02() -> None:
    lat, lon = wgs84_to_gcj02(39.9087, 116.3975)
    assert lat == pytest.approx(39.910103, abs=1e-5)
    assert lon == pytest.approx(116.403744, abs=1e-5)
    assert 400 < haversine_m(39.9087, 116.3975, lat, lon) < 700


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), GCJ_REFERENCE)
def test_gcj02_to_wgs84_inverts_reference_values(
    w_lat: float, w_lon: float, g_lat: float, g_lon: float
) -> None:
    lat, lon = gcj02_to_wgs84(g_lat, g_lon)
    assert lat == pytest.approx(w_lat, abs=1e-7)
    assert lon == pytest.approx(w_lon, abs=1e-7)


@settings(max_examples=300)
@given(st.floats(min_value=18.0, max_value=53.0), st.floats(min_value=74.0, max_value=134.0))
def test_gcj02_round_trip_is_within_a_millionth_of_a_degree(lat: float, lon: float) -> None:
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert abs(back[0] - lat) < 1e-6
    assert abs(back[1] - lon) < 1e-6


def test_points_outside_china_have_no_offset() -> None:
    assert out_of_china(51.5, -0.12)
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert gcj02_to_wgs84(-33.86, 151.2) == (-33.86, 151.2)
    assert not out_of_china(23.03, 113.15)


def test_valid_coordinates_come_back_as_floats() -> None:
    assert validate_coordinates("23.03", 113.15) == (23.03, 113.15)
    assert validate_coordinates("２３.０３", "１１３.１５") == (23.03, 113.15)


@pytest.mark.parametrize(
    ("lat", "lon", "field", "words"),
    [
        (math.nan, 113.1, "latitude", "有效"),
        (23.0, math.inf, "longitude", "有效"),
        (None, 113.1, "latitude", "数字"),
        ("abc", 113.1, "latitude", "数字"),
        (True, 113.1, "latitude", "数字"),
        (91.0, 113.1, "latitude", "超出范围"),
        (113.1, 23.0, "latitude", "填反"),
        (23.0, 181.0, "longitude", "超出范围"),
        (0.0, 0.0, "location", "(0, 0)"),
        (51.5, -0.12, "location", "不在中国境内"),
        (-33.86, 151.2, "location", "不在中国境内"),
    ],
)
def test_impossible_coordinates_are_refused_with_a_clear_message(
    lat: object, lon: object, field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_coordinates(lat, lon)
    assert exc.value.details["field"] == field
    assert words in exc.value.message


def test_points_abroad_pass_when_china_only_is_off() -> None:
    assert validate_coordinates(51.5, -0.12, china_only=False) == (51.5, -0.12)


def test_haversine_distance_of_known_points() -> None:
    assert haversine_m(23.0, 113.0, 23.0, 113.0) == 0
    # one degree of latitude is ~111.2 km on the mean sphere
    assert haversine_m(23.0, 113.0, 24.0, 113.0) == pytest.approx(111_195, rel=1e-3)
    # Guangzhou to Foshan centre: ~ 18 km
    assert 15_000 < haversine_m(23.1291, 113.2644, 23.0215, 113.1214) < 20_000


# --------------------------------------------------------------------------- grid cells


def test_geo_cell_is_the_same_for_nearby_points_in_one_cell_and_differs_across_cells() -> None:
    assert geo_cell(23.0301, 113.1501) == geo_cell(23.0302, 113.1502)
    assert geo_cell(23.0301, 113.1501) != geo_cell(23.0301 + CELL_DEG, 113.1501)
    assert geo_cell(23.0301, 113.1501) != geo_cell(23.0301, 113.1501 + CELL_DEG)


def test_cell_bounds_hold_the_point() -> None:
    lat, lon = 23.0312, 113.1527
    min_lat, min_lon, max_lat, max_lon = cell_bounds(geo_cell(lat, lon))
    assert min_lat <= lat < max_lat and min_lon <= lon < max_lon
    assert max_lat - min_lat == pytest.approx(CELL_DEG)


def test_geo_cell_handles_the_edges_of_the_world() -> None:
    for lat, lon in [(90.0, 180.0), (-90.0, -180.0), (0.0, 179.9999), (89.99, -179.99)]:
        cell = geo_cell(lat, lon)
        assert isinstance(cell, int) and cell >= 0


def test_neighbour_cells_of_300_m_in_foshan_are_a_few_cells_including_its_own() -> None:
    cells = neighbour_cells(23.0312, 113.1527, 300)
    assert geo_cell(23.0312, 113.1527) in cells
    assert 4 <= len(cells) <= 9
    assert len(set(cells)) == len(cells)


def _destination(lat: float, lon: float, bearing: float, distance: float) -> tuple[float, float]:
    r = 6_371_008.8
    p1, l1, d = math.radians(lat), math.radians(lon), distance / r
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180


@settings(max_examples=400)
@given(
    st.floats(min_value=-80, max_value=80),
    st.floats(min_value=-180, max_value=180, exclude_max=True),
    st.floats(min_value=0, max_value=2000),
    st.floats(min_value=0, max_value=2 * math.pi),
    st.floats(min_value=0, max_value=1),
)
def test_every_point_within_the_radius_lies_in_a_neighbour_cell(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    other = _destination(lat, lon, bearing, radius * fraction)
    assert haversine_m(lat, lon, *other) <= radius + 1e-6
    assert geo_cell(*other) in neighbour_cells(lat, lon, radius)


# --------------------------------------------------------------------------- times

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXPECTED = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-26 10:30:00",
        "2026-11-26 10:30",
        "2026-11-26T10:30:00",
        "2026-11-26T02:30:00Z",
        "2026-11-26T10:30:00+08:00",
        "2026-11-26T03:30:00+01:00",
        "2026/11/26 10:30:00",
        "2026.11.26 10:30",
        "２０２６－１１－２６　１０：３０：００",
        "2026年11月26日 10:30",
        "2026年11月26日10时30分",
        "20261126103000",
        "202611261030",
        datetime(2026, 11, 26, 10, 30),  # naive = Shanghai
        datetime(2026, 11, 26, 10, 30, tzinfo=SHANGHAI),
        datetime(2026, 11, 26, 2, 30, tzinfo=UTC),
        datetime(2026, 11, 25, 21, 30, tzinfo=timezone(timedelta(hours=-5))),
        1795660200,
        1795660200.0,
        1795660200000,
        "1795660200",
        "1795660200000",
    ],
)
def test_times_of_every_shape_become_aware_utc(value: object) -> None:
    result = to_utc(value)
    assert result == EXPECTED
    assert result.tzinfo is UTC


def test_naive_times_are_shanghai_time_unless_told_otherwise() -> None:
    assert to_utc("2026-11-26 10:30:00") == datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
    assert to_utc("2026-11-26 10:30:00", "UTC") == datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
    assert to_utc("2026-11-26 10:30:00", ZoneInfo("Europe/Paris")) == datetime(
        2026, 11, 26, 9, 30, tzinfo=UTC
    )


def test_dates_are_local_midnight() -> None:
    assert to_utc(date(2026, 11, 26)) == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert to_utc("2026-11-26") == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert to_utc("20261126") == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_milliseconds_keep_their_fraction() -> None:
    assert to_utc(1795660200123) == EXPECTED + timedelta(milliseconds=123)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "2026-13-01 10:00",
        "2026-02-30",
        "10:30",
        True,
        [2026],
        {"t": 1},
        math.nan,
        10**20,
    ],
)
def test_unreadable_times_are_refused(value: object) -> None:
    with pytest.raises(ValidationFailed) as exc:
        to_utc(value)
    assert exc.value.details["field"] == "reported_at"


def test_times_outside_1970_to_2099_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="合理范围"):
        to_utc("2150-01-01 00:00:00")
    with pytest.raises(ValidationFailed):
        to_utc(-100_000_000_000)


def test_time_error_names_the_field_it_was_asked_for() -> None:
    with pytest.raises(ValidationFailed) as exc:
        to_utc("nope", field="publish_time")
    assert exc.value.details["field"] == "publish_time"


def test_stored_utc_times_are_shown_in_shanghai() -> None:
    shown = to_local(EXPECTED)
    assert (shown.hour, shown.minute, shown.utcoffset()) == (10, 30, timedelta(hours=8))
