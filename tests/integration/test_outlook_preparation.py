"""A season (季节提示) names the knowledge base's published items about its category, to be checked
before the month comes; a category the knowledge base knows nothing of names none (SQLite and
PostgreSQL)."""

from __future__ import annotations

from tests.support import build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.knowledge import ItemInput
from zhiyun.knowledge.search import KnowledgeSearch
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.outlook.preparation import knowledge_for_seasons
from zhiyun.outlook.service import SeasonView


def _season(code: str, name: str) -> SeasonView:
    return SeasonView(code, name, 4, 4.4, 3, 120, f"每年 4 月 {name} ↑ 4.4×", 0)


def test_a_season_names_the_published_items_of_its_category(services: Services) -> None:
    district = build_small_district(services)
    kb = services.get(KnowledgeService)
    item = kb.create(
        district.actors["admin"],
        ItemInput(
            title="义务教育入学招生报名", answer="每年 4 月网上报名……", questions=("小学入学招生怎么报名",)
        ),
    )
    kb.act(district.actors["inspector"], item.id, "review")
    draft = kb.create(district.actors["admin"], ItemInput(title="入学招生政策解读（草稿）", answer="……"))
    found = knowledge_for_seasons(
        services.get(KnowledgeSearch), [_season("JY01", "入学招生"), _season("QT", "无人机航拍备案")]
    )
    assert found["JY01"] == [] and found["QT"] == []  # nothing published yet
    kb.act(district.actors["inspector"], item.id, "publish")
    found = knowledge_for_seasons(services.get(KnowledgeSearch), [_season("JY01", "入学招生")])
    assert [h.item_id for h in found["JY01"]] == [item.id] and draft.id != item.id
