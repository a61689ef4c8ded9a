"""The placeholders of quick replies (常用语): filled from the order, unknown ones left as written,
plain text in and out."""

from __future__ import annotations

from datetime import date

import pytest

from zhiyun.replies.placeholders import (
    ORDER_PLACEHOLDERS,
    PLACEHOLDERS,
    OrderFacts,
    citizen_title,
    date_text,
    fill,
    placeholders_in,
    values_for,
)

TODAY = date(2026, 12, 8)
ORDER = OrderFacts(
    number="NH202612080001",
    title="夏北路路灯不亮",
    citizen_name="陈先生",
    address="桂城街道夏北路 3 号",
    registered_on=date(2026, 12, 7),
    due_on=date(2026, 12, 21),
    responsible_unit="夏北社区",
    current_unit="夏北社区",
)


def test_every_placeholder_of_an_order_is_filled_from_it() -> None:
    values = values_for(TODAY, order=ORDER, my_unit="桂城街道", my_name="李明")
    text = (
        "{市民称呼}您好！您于{受理日期}反映的“{工单标题}”（工单编号 {工单编号}，地址：{诉求地址}）"
        "已由{承办单位}办理，办理期限{办理期限}，今天是{今天}。{本单位} {我的姓名}"
    )
    filled = fill(text, values)
    assert filled.text == (
        "陈先生您好！您于2026年12月7日反映的“夏北路路灯不亮”（工单编号 NH202612080001，地址：桂城街道夏北路 3 号）"
        "已由夏北社区办理，办理期限2026年12月21日，今天是2026年12月8日。桂城街道 李明"
    )
    assert filled.unfilled == ()
    assert set(values) == set(PLACEHOLDERS)


def test_unknown_placeholders_are_left_visibly_as_written() -> None:
    filled = fill("请{联系人}于{今天}前回复，{ 今天 }不是占位符，{}也不是", values_for(TODAY))
    assert filled.text == "请{联系人}于2026年12月8日前回复，{ 今天 }不是占位符，{}也不是"
    assert filled.unfilled == ("联系人",)


def test_without_an_order_its_placeholders_stay_for_the_writer_to_fill() -> None:
    values = values_for(TODAY, my_unit="夏北社区")
    assert not ORDER_PLACEHOLDERS & set(values)
    filled = fill("{市民称呼}您好，工单{工单编号}已办结（{本单位}，{今天}）", values)
    assert filled.text == "{市民称呼}您好，工单{工单编号}已办结（夏北社区，2026年12月8日）"
    assert filled.unfilled == ("市民称呼", "工单编号")


def test_a_known_placeholder_without_a_value_on_this_order_stays_too() -> None:
    fresh = OrderFacts(number="NH202612080002", title="咨询")  # not dispatched, no deadline yet
    filled = fill("由{承办单位}在{办理期限}前答复{市民称呼}", values_for(TODAY, order=fresh))
    assert filled.text == "由{承办单位}在{办理期限}前答复市民"
    assert filled.unfilled == ("承办单位", "办理期限")


def test_full_width_braces_of_a_chinese_input_method_work_the_same() -> None:
    filled = fill("｛市民称呼｝您好，工单｛工单编号｝｛未知｝", values_for(TODAY, order=ORDER))
    assert filled.text == "陈先生您好，工单NH202612080001｛未知｝"
    assert filled.unfilled == ("未知",)


def test_values_are_inserted_once_and_as_plain_text() -> None:
    tricky = OrderFacts(number="NH1", title="<script>alert(1)</script>{工单编号}", citizen_name="{今天}")
    filled = fill("{工单标题}|{市民称呼}", values_for(TODAY, order=tricky))
    # markup stays text (the page inserts it as text); a value is never filled again
    assert filled.text == "<script>alert(1)</script>{工单编号}|{今天}"
    assert filled.unfilled == ()


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("陈先生", "陈先生"),
        ("李女士", "李女士"),
        ("黄伯", "黄伯"),
        ("张三", "张先生/女士"),
        ("欧阳娜娜", "欧阳先生/女士"),
        ("欧阳", "欧先生/女士"),
        ("陈**", "陈先生/女士"),  # a name masked for the reader: never more than the family name
        ("张*", "张先生/女士"),
        ("", "市民"),
        (None, "市民"),
        ("  ", "市民"),
        ("Mr. Lee", "Mr. Lee"),
    ],
)
def test_how_the_citizen_is_addressed(name: str | None, title: str) -> None:
    assert citizen_title(name) == title


def test_dates_placeholders_and_their_names() -> None:
    assert date_text(date(2027, 1, 5)) == "2027年1月5日"
    assert placeholders_in("{今天}{工单编号}{今天}｛本单位｝{ x }") == ["今天", "工单编号", "本单位"]
    assert set(PLACEHOLDERS) > ORDER_PLACEHOLDERS
    assert all(PLACEHOLDERS.values())
