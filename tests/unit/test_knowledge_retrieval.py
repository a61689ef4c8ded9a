"""Retrieval over a small knowledge base (knowledge/retrieval.py): words and synonyms, Traditional
Chinese read as Simplified, fields weighted, scores bounded, validity respected."""

from __future__ import annotations

from datetime import date

import pytest

from zhiyun.knowledge.retrieval import Analyzer, Document, RetrievalIndex, load_synonyms

DOCS = [
    Document("marry", "结婚登记预约", "婚姻登记处办理结婚登记，需带户口本、身份证。", department="民政局"),
    Document(
        "divorce", "离婚登记预约", "双方带身份证、结婚证到婚姻登记处办理离婚登记。", department="民政局"
    ),
    Document(
        "lamp", "路灯报修", "路灯不亮可拨打12345报修，城管部门三个工作日内修复。", questions=("路灯坏了找谁",)
    ),
    Document("stop", "公交站台损坏", "公交站台、候车亭损坏由交通部门维护。", department="交通局"),
    Document("permit", "临时占道许可", "占用道路摆放物品须先申请许可。材料：申请书、平面图。"),
    Document(
        "old",
        "旧版殡葬补贴",
        "已废止的殡葬补贴政策。",
        valid_from=date(2020, 1, 1),
        valid_to=date(2024, 12, 31),
    ),
    Document("new", "殡葬补贴", "现行殡葬补贴：户籍居民去世后家属可申领。", valid_from=date(2025, 1, 1)),
]


@pytest.fixture(scope="module")
def index() -> RetrievalIndex:
    return RetrievalIndex(DOCS, Analyzer(load_synonyms()))


def _first(index: RetrievalIndex, question: str, **kw: object) -> str:
    found = index.search(question, 3, **kw)  # type: ignore[arg-type]
    assert found, question
    return found[0][0].key


def test_a_colloquial_question_finds_its_item(index: RetrievalIndex) -> None:
    assert _first(index, "我想去领结婚证，要预约吗") == "marry"
    assert _first(index, "离婚要带什么") == "divorce"


def test_traditional_chinese_is_read_as_simplified(index: RetrievalIndex) -> None:
    assert _first(index, "結婚登記要帶什麼證件") == "marry"
    assert _first(index, "路燈壞了找誰") == "lamp"
    assert index.search("結婚登記", 1)[0][1] == pytest.approx(index.search("结婚登记", 1)[0][1])


def test_the_districts_synonyms_match_each_other(index: RetrievalIndex) -> None:
    assert _first(index, "路灯要维修") == "lamp"  # 维修 is read as 报修
    assert _first(index, "站亭被撞坏了") == "stop"  # 站亭 is read as 站台
    custom = RetrievalIndex(DOCS, Analyzer(load_synonyms("许可 批文")))
    assert _first(custom, "占道批文怎么办") == "permit"


def test_the_title_counts_more_than_the_answer() -> None:
    docs = [
        Document("in-answer", "材料清单", "办理临时占道许可需要的材料。"),
        Document("in-title", "临时占道许可", "请向城管部门申请。"),
    ]
    assert _first(RetrievalIndex(docs, Analyzer()), "临时占道许可") == "in-title"


def test_scores_lie_between_zero_and_one_and_an_unrelated_question_scores_low(index: RetrievalIndex) -> None:
    exact = index.search("结婚登记预约", 1)[0][1]
    assert 0.0 < exact <= 1.0
    unrelated = index.search("明天会下雨吗天气怎么样", 1)
    assert not unrelated or unrelated[0][1] < exact / 3
    assert index.search("吗 呢 怎么", 3) == []  # question words only


def test_an_item_outside_its_validity_is_never_returned(index: RetrievalIndex) -> None:
    keys = [d.key for d, _ in index.search("殡葬补贴", 5, today=date(2026, 12, 7))]
    assert "new" in keys and "old" not in keys
    keys = [d.key for d, _ in index.search("殡葬补贴", 5, today=date(2024, 6, 1))]
    assert "old" in keys and "new" not in keys


def test_an_empty_knowledge_base_answers_nothing() -> None:
    assert RetrievalIndex([], Analyzer()).search("结婚", 3) == []
