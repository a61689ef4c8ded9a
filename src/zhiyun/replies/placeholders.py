"""Placeholders of quick replies (常用语): `{市民称呼}`, `{工单编号}`, `{今天}` … filled from the
order being worked on. Pure: the standard library only, no I/O.

A snippet's text is plain text and so is what `fill` returns — it goes into a textarea as
text, never into markup. A placeholder is a name in braces, ASCII `{…}` or full-width `｛…｝`
(what a Chinese input method types). A placeholder that is unknown, or known but without a
value here (no order at hand, an order not yet dispatched has no 承办单位), is left exactly
as written, so that the person inserting it sees what is still to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

# name → what it becomes (the help text of the console's pages and of the API)
PLACEHOLDERS: dict[str, str] = {
    "市民称呼": "诉求人的称呼，如“陈先生”“李女士”；只有姓名时为“张先生/女士”，没有姓名时为“市民”",
    "工单编号": "工单编号，如 NH202612080001",
    "工单标题": "工单标题",
    "诉求地址": "工单登记的地址",
    "受理日期": "工单受理的日期，如 2026年12月8日",
    "办理期限": "办理期限的日期",
    "承办单位": "工单的承办单位（与工单页面所示相同）",
    "当前单位": "工单当前所在的单位",
    "今天": "今天的日期，如 2026年12月8日",
    "本单位": "您所在的单位",
    "我的姓名": "您的姓名",
}
ORDER_PLACEHOLDERS = frozenset(
    {"市民称呼", "工单编号", "工单标题", "诉求地址", "受理日期", "办理期限", "承办单位", "当前单位"}
)

# {name} or ｛name｝: a name is 1–20 characters without braces or white space
_PLACEHOLDER = re.compile(r"\{([^{}｛｝\s]{1,20})\}|｛([^{}｛｝\s]{1,20})｝")
# how a caller may already be addressed: kept as the channel or the agent wrote it
_TITLES = ("先生", "女士", "小姐", "阿姨", "叔叔", "老师", "师傅", "同学", "大爷", "大妈", "伯", "姐", "哥")
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")
# family names of two characters (欧阳娜娜 is 欧阳先生/女士, not 欧先生/女士)
_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "独孤",
        "南宫",
        "西门",
    ]
)


@dataclass(frozen=True)
class OrderFacts:
    """What the placeholders read from an order, as its reader may see it (masked where the
    reader sees it masked)."""

    number: str
    title: str
    citizen_name: str | None = None
    address: str | None = None
    registered_on: date | None = None
    due_on: date | None = None
    responsible_unit: str | None = None
    current_unit: str | None = None


@dataclass(frozen=True)
class Filled:
    """A snippet's text with its placeholders filled, and the placeholders left as written."""

    text: str
    unfilled: tuple[str, ...]


def date_text(day: date) -> str:
    """2026年12月8日."""
    return f"{day.year}年{day.month}月{day.day}日"


def citizen_title(name: str | None) -> str:
    """How a reply addresses the citizen: "陈先生" as written, "张先生/女士" for a full (or masked)
    name, "市民" without a name."""
    name = (name or "").strip()
    if not name:
        return "市民"
    if name.endswith(_TITLES):
        return name
    masked = len(name) >= 2 and "\u4e00" <= name[0] <= "\u9fff" and set(name[1:]) == {"*"}
    if masked:  # masked for the reader: the family name alone
        return f"{name[0]}先生/女士"
    if _CJK_NAME.match(name):
        surname = name[:2] if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else name[0]
        return f"{surname}先生/女士"
    return name


def values_for(
    today: date, *, order: OrderFacts | None = None, my_unit: str | None = None, my_name: str | None = None
) -> dict[str, str]:
    """The value of every placeholder that has one here."""
    values: dict[str, str] = {"今天": date_text(today)}
    if my_unit:
        values["本单位"] = my_unit
    if my_name:
        values["我的姓名"] = my_name
    if order is None:
        return values
    values["市民称呼"] = citizen_title(order.citizen_name)
    values["工单编号"] = order.number
    values["工单标题"] = order.title
    optional = {
        "诉求地址": order.address,
        "受理日期": date_text(order.registered_on) if order.registered_on else None,
        "办理期限": date_text(order.due_on) if order.due_on else None,
        "承办单位": order.responsible_unit,
        "当前单位": order.current_unit,
    }
    values.update({name: value for name, value in optional.items() if value})
    return values


def placeholders_in(text: str) -> list[str]:
    """The placeholder names `text` uses, in order of first use."""
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1) or match.group(2)
        if name not in found:
            found.append(name)
    return found


def fill(text: str, values: Mapping[str, str]) -> Filled:
    """`text` with every placeholder that has a value replaced by it (as plain text, once: a
    value that itself looks like a placeholder is not filled again); the others as written."""
    unfilled: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        value = values.get(name)
        if value is None:
            if name not in unfilled:
                unfilled.append(name)
            return match.group(0)
        return value

    return Filled(_PLACEHOLDER.sub(replace, text), tuple(unfilled))
