"""Times as real exports write them (zhiyun.importer.times), without I/O.

The strings marked "TipDM" are copied literally from the 2020 TipDM challenge files
(../shared/data/teddy2020_sample/附件2.xlsx, 附件4.xlsx and teddy2020_hotspot/*.xlsx, columns
留言时间 and 答复时间); those marked "广东政务服务" from ../shared/data/gd_service_guide (policy
texts). Only the strings are copied, not the files. The other forms are not in those files
and are written here as the systems named in each test write them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from zhiyun.importer.times import from_excel_serial, parse_time, parse_time_text

CST = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------- the TipDM forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/11/28 9:08:38", datetime(2019, 11, 28, 9, 8, 38)),  # TipDM 附件2 留言时间: the example
        ("2019/4/25 9:32:09", datetime(2019, 4, 25, 9, 32, 9)),  # TipDM 附件4 留言时间
        ("2019/5/9 9:49:10", datetime(2019, 5, 9, 9, 49, 10)),  # TipDM 附件4 答复时间
        ("2018/12/21 9:25:42", datetime(2018, 12, 21, 9, 25, 42)),  # TipDM 附件4 答复时间
        ("2018/12/6 8:34:31", datetime(2018, 12, 6, 8, 34, 31)),  # TipDM 附件4 留言时间
        ("2018/8/7 0:04:51", datetime(2018, 8, 7, 0, 4, 51)),  # TipDM replies 留言时间, after midnight
    ],
)
def test_a_one_digit_hour_with_seconds_after_a_slashed_date_is_read(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/4/24 16:03:40", datetime(2019, 4, 24, 16, 3, 40)),  # TipDM 附件4: Y/M/DD
        ("2019/5/9 10:02:08", datetime(2019, 5, 9, 10, 2, 8)),  # TipDM 附件4: Y/M/D
        ("2019/11/28 15:41:22", datetime(2019, 11, 28, 15, 41, 22)),  # TipDM 附件4: Y/MM/DD
        ("2019/12/2 19:34:28", datetime(2019, 12, 2, 19, 34, 28)),  # TipDM 附件4: Y/MM/D
    ],
)
def test_one_or_two_digit_months_and_days_with_a_two_digit_hour_are_read(
    text: str, expected: datetime
) -> None:
    assert parse_time(text) == expected


def test_a_slashed_date_without_a_time_is_midnight() -> None:
    assert parse_time("2018/4/24") == datetime(2018, 4, 24)  # TipDM replies 答复时间


def test_datetime_cells_from_openpyxl_are_taken_as_they_are() -> None:
    # TipDM 附件3 留言时间 and the votes file's date-only cells, as openpyxl gives them
    assert parse_time(datetime(2017, 6, 8, 17, 31, 20)) == datetime(2017, 6, 8, 17, 31, 20)
    assert parse_time(datetime(2019, 8, 1, 0, 0)) == datetime(2019, 8, 1)
    assert parse_time(date(2019, 8, 1)) == datetime(2019, 8, 1)
    aware = datetime(2019, 8, 1, 1, 0, tzinfo=UTC)
    assert parse_time(aware) is aware


# --------------------------------------------------------------------------- other common forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-28 09:08", datetime(2019, 11, 28, 9, 8)),
        ("2019-11-28 09:08:38", datetime(2019, 11, 28, 9, 8, 38)),
        ("2019-11-28 09:08:38.123456", datetime(2019, 11, 28, 9, 8, 38, 123456)),
        ("2019-11-28 9:08:38", datetime(2019, 11, 28, 9, 8, 38)),
        ("2019-1-8 9:08", datetime(2019, 1, 8, 9, 8)),
        ("2019.11.28 9:08", datetime(2019, 11, 28, 9, 8)),
        ("2019-11-28", datetime(2019, 11, 28)),
    ],
)
def test_dashed_and_dotted_dates_with_or_without_seconds_and_fractions_are_read(
    text: str, expected: datetime
) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年5月31日", datetime(2019, 5, 31)),  # 广东政务服务 policy text
        ("2019年1月1日", datetime(2019, 1, 1)),  # 广东政务服务 policy text
        ("2019年11月28日 9时8分", datetime(2019, 11, 28, 9, 8)),
        ("2019年11月28日 9时8分38秒", datetime(2019, 11, 28, 9, 8, 38)),
        ("2019年11月28日 09:08", datetime(2019, 11, 28, 9, 8)),
        ("2019年11月28日 09:08:38", datetime(2019, 11, 28, 9, 8, 38)),
        ("2019年11月28日9点08分", datetime(2019, 11, 28, 9, 8)),
    ],
)
def test_chinese_dates_with_hours_and_minutes_in_characters_or_with_colons_are_read(
    text: str, expected: datetime
) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/11/28 下午 3:41:22", datetime(2019, 11, 28, 15, 41, 22)),
        ("2019/11/28 上午 9:08", datetime(2019, 11, 28, 9, 8)),
        ("2019/11/28 上午 12:05", datetime(2019, 11, 28, 0, 5)),
        ("2019/11/28 3:41:22 PM", datetime(2019, 11, 28, 15, 41, 22)),
        ("2019年11月28日 下午3:41", datetime(2019, 11, 28, 15, 41)),
    ],
)
def test_a_twelve_hour_clock_with_morning_or_afternoon_is_read(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-28T09:08:38+08:00", datetime(2019, 11, 28, 9, 8, 38, tzinfo=CST)),
        ("2019-11-28T01:08:38Z", datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC)),
        ("2019-11-28 09:08:38 +0800", datetime(2019, 11, 28, 9, 8, 38, tzinfo=CST)),
        ("2019/11/28 9:08:38+08", datetime(2019, 11, 28, 9, 8, 38, tzinfo=CST)),
    ],
)
def test_iso_8601_with_t_and_an_offset_keeps_its_offset(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


def test_full_width_digits_colons_and_spaces_around_are_normalised() -> None:
    assert parse_time(" ２０１９／１１／２８\u3000９：０８：３８ ") == datetime(2019, 11, 28, 9, 8, 38)
    assert parse_time("\t2019年11月28日  9时8分 \n") == datetime(2019, 11, 28, 9, 8)


def test_compact_digits_are_read_as_a_date_and_time() -> None:
    assert parse_time("20191128") == datetime(2019, 11, 28)
    assert parse_time("201911280908") == datetime(2019, 11, 28, 9, 8)
    assert parse_time("20191128090838") == datetime(2019, 11, 28, 9, 8, 38)
    assert parse_time(20191128) == datetime(2019, 11, 28)  # typed into a number cell


def test_excel_serial_numbers_are_days_since_1899_12_30_and_large_numbers_epoch_time() -> None:
    # 2019-11-28 09:08:38 is Excel day 43797 and 0.380995… of a day
    assert parse_time(43797.38099537037) == datetime(2019, 11, 28, 9, 8, 38)
    assert parse_time("43797.38099537037") == datetime(2019, 11, 28, 9, 8, 38)
    assert parse_time(43797) == datetime(2019, 11, 28)
    assert from_excel_serial(42335, date_1904=True) == datetime(2019, 11, 28)  # the 1904 date system
    assert parse_time(1574903318) == datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC)  # epoch seconds
    assert parse_time("1574903318000") == datetime(2019, 11, 28, 1, 8, 38, tzinfo=UTC)  # milliseconds


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2019/13/40", "无法识别的时间：2019/13/40（日期或钟点不存在）"),
        ("2019/2/29 9:08", "日期或钟点不存在"),
        ("2019/11/28 25:00", "日期或钟点不存在"),
        ("2019/11/28 9:60:00", "日期或钟点不存在"),
        ("2019/11/28 13:00 PM", "1—12"),
        ("去年春天", "无法识别的时间：去年春天（可用"),
        ("2019/11-28", "无法识别的时间"),
        ("28/11/2019 9:08", "无法识别的时间"),
        ("9999-12-31T23:59:59-23:59", "±18"),
        ("1e400", "无法识别的时间"),
        ("nan", "无法识别的时间"),
        (float("inf"), "无法识别的时间"),
        ("", "时间不能为空"),
        (True, "时间格式不正确"),
        (None, "时间格式不正确"),
    ],
)
def test_garbage_and_impossible_dates_are_refused_with_the_reason(value: object, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_time(value)
    assert reason in str(raised.value)


def test_the_text_in_a_refusal_is_cut_to_forty_characters() -> None:
    with pytest.raises(ValueError) as raised:
        parse_time_text("x" * 500)
    assert "x" * 40 in str(raised.value) and "x" * 41 not in str(raised.value)
