"""The hot-issue method on small made-up sets of messages (no real data)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from zhiyun.hotspots.method import HotIssueIndex, HotIssueSettings, Message, detect
from zhiyun.hotspots.places import extract_places
from zhiyun.kernel.text import Segmenter, normalize

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)

NOISE = [
    "{p}旁边的搅拌站夜间施工噪音扰民",
    "{p}附近搅拌站晚上噪音太大，影响休息",
    "投诉{p}边上的搅拌站噪音扰民，半夜还在作业",
    "{p}业主反映搅拌站噪音扰民问题",
    "{p}搅拌站夜里噪音扰民严重，孩子睡不着",
]
UNRELATED = [
    "咨询新生儿医保办理需要哪些材料",
    "公交车站的站牌字迹看不清",
    "公园里的健身器材坏了没人修",
    "希望延长图书馆周末开放时间",
    "菜市场门口的下水道堵塞发臭",
]


def noise_messages(place: str, start: int, caller_prefix: str, at: datetime = T0) -> list[Message]:
    return [
        Message(
            key=f"{caller_prefix}{start + i}",
            title=text.format(p=place),
            text=f"我住在{place}，{text.format(p=place)}，已经持续一个多月了。",
            at=at + timedelta(days=i),
            caller=f"{caller_prefix}-user-{i}",
            votes=i,
        )
        for i, text in enumerate(NOISE)
    ]


def unrelated_messages() -> list[Message]:
    return [
        Message(key=f"u{i}", title=t, text=t, at=T0 + timedelta(days=i), caller=f"u-{i}")
        for i, t in enumerate(UNRELATED)
    ]


def test_the_same_matter_at_the_same_place_is_one_hot_issue() -> None:
    issues = detect(noise_messages("翠湖花园", 0, "a"), HotIssueSettings(window_days=None))
    assert len(issues) == 1
    assert set(issues[0].members) == {f"a{i}" for i in range(5)}
    assert issues[0].place == "翠湖花园"
    assert "搅拌站" in issues[0].title and issues[0].title.startswith("翠湖花园")


def test_the_same_matter_at_two_estates_is_two_hot_issues() -> None:
    messages = noise_messages("翠湖花园", 0, "a") + noise_messages("金桂苑", 0, "b")
    issues = detect(messages, HotIssueSettings(window_days=None))
    assert len(issues) == 2
    assert {frozenset(i.members) for i in issues} == {
        frozenset(f"a{i}" for i in range(5)),
        frozenset(f"b{i}" for i in range(5)),
    }
    assert {i.place for i in issues} == {"翠湖花园", "金桂苑"}


def test_one_caller_repeating_is_counted_once() -> None:
    repeats = [
        Message(
            key=f"r{i}",
            title=NOISE[i % len(NOISE)].format(p="翠湖花园"),
            text="搅拌站噪音扰民，再次反映",
            at=T0 + timedelta(days=i),
            caller="same-caller",
        )
        for i in range(6)
    ]
    index = HotIssueIndex(HotIssueSettings(window_days=None))
    for m in repeats:
        index.add(m)
    assert len(set(index.groups())) == 1  # they are one group …
    assert index.issues() == []  # … but one person's series counts once: not a hot issue
    others = noise_messages("翠湖花园", 0, "a", at=T0 + timedelta(days=7))
    for m in others:
        index.add(m)
    (issue,) = index.issues()
    assert len(issue.members) == 11
    assert issue.counted == 6  # five other callers plus the repeating one once


def test_unrelated_singletons_do_not_form_a_hot_issue() -> None:
    assert detect(unrelated_messages(), HotIssueSettings(window_days=None)) == []


def test_incremental_adds_give_the_same_groups_as_detect() -> None:
    messages = noise_messages("翠湖花园", 0, "a") + noise_messages("金桂苑", 0, "b") + unrelated_messages()
    settings = HotIssueSettings(window_days=None)
    rebuilt = detect(messages, settings)
    index = HotIssueIndex(settings)
    ordered = sorted(messages, key=lambda m: (m.at, m.key))
    for m in ordered:
        index.add(m)
    assert [(i.id, i.members, i.hot_index) for i in index.issues()] == [
        (i.id, i.members, i.hot_index) for i in rebuilt
    ]
    shuffled = list(messages)
    random.Random(7).shuffle(shuffled)
    assert [i.members for i in detect(shuffled, settings)] == [i.members for i in rebuilt]


def test_messages_leave_the_index_when_they_expire() -> None:
    settings = HotIssueSettings(window_days=30)
    index = HotIssueIndex(settings)
    for m in noise_messages("翠湖花园", 0, "a"):
        index.add(m)
    assert len(index.issues(now=T0 + timedelta(days=10))) == 1
    assert index.expire(T0 + timedelta(days=60)) == 5
    assert len(index) == 0 and index.issues(now=T0 + timedelta(days=60)) == []


def test_a_gazetteer_name_and_the_platforms_places_count_as_places() -> None:
    settings = HotIssueSettings(window_days=None)
    index = HotIssueIndex(settings, gazetteer=["夏北"])
    for m in noise_messages("夏北", 0, "a"):
        index.add(m)
    (issue,) = index.issues()
    assert issue.place == "夏北"
    known = [
        Message(
            f"k{i}", "搅拌站噪音扰民", "晚上搅拌站噪音很大", T0 + timedelta(hours=i), f"k-{i}", places=(grid,)
        )
        for i, grid in enumerate(["第3网格", "第3网格", "第3网格", "第9网格", "第9网格", "第9网格"])
    ]
    groups = {frozenset(i.members) for i in detect(known, settings)}
    assert groups == {frozenset({"k0", "k1", "k2"}), frozenset({"k3", "k4", "k5"})}


def test_traditional_chinese_messages_join_the_simplified_ones() -> None:
    messages = noise_messages("翠湖花园", 0, "a")
    messages.append(Message("t1", "翠湖花園攪拌站噪音擾民", "翠湖花園旁邊攪拌站夜間噪音擾民", T0, "t-user"))
    (issue,) = detect(messages, HotIssueSettings(window_days=None))
    assert "t1" in issue.members


def test_places_are_names_before_a_place_suffix_not_common_words() -> None:
    seg = Segmenter()

    def places(text: str) -> set[str]:
        tagged = seg.tag(normalize(text))
        return {p.name for p in extract_places(tagged, [], stop_words=seg.stop_words, is_word=seg.has_word)}

    assert "翠湖花园" in places("我是翠湖花园小区的业主")
    assert "青松中学" in places("青松中学门口摆摊")
    assert "青枫西路" in places("青枫西路的路灯不亮")
    assert "瑞和路" in places("瑞和路垃圾站臭气熏天")  # 和 inside a name
    assert "新城学校" not in places("翠湖新城学校门口拥堵")  # a kind of place, not a name
    assert places("物业公司不作为，公园也没人管，县城太乱") == set()
    assert not any("政府" in p for p in places("希望市政府和地方政府重视"))


def test_the_issue_is_named_by_the_whole_place_not_a_shorter_part_of_it() -> None:
    # every mention of 翠溪国际城 is also one of 国际城: the title still names the whole estate
    issues = detect(noise_messages("翠溪国际城", 0, "a"), HotIssueSettings(window_days=None))
    assert [i.place for i in issues] == ["翠溪国际城"]


def test_a_removed_message_leaves_its_issue_and_a_readded_key_is_replaced() -> None:
    index = HotIssueIndex(HotIssueSettings(window_days=None))
    messages = noise_messages("翠湖花园", 0, "a")
    for m in messages:
        index.add(m)
    assert index.remove("a0") and not index.remove("a0")
    (issue,) = index.issues()
    assert "a0" not in issue.members and len(issue.members) == 4
    index.add(messages[1])  # the same key again: replaced, not doubled
    (issue,) = index.issues()
    assert len(issue.members) == 4 and len(index) == 4
