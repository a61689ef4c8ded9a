"""The demo's knowledge base: the shipped service guide imported and published once, answering at once."""

from __future__ import annotations

from pathlib import Path

from zhiyun.bootstrap import build_services
from zhiyun.config import Settings
from zhiyun.demo.district import ensure_district
from zhiyun.demo.knowledge import ensure_knowledge
from zhiyun.knowledge.search import KnowledgeSearch
from zhiyun.store.db import Database


def test_the_demo_publishes_the_service_guide_once_and_answers_from_it(
    sqlite_database: Database, tmp_path: Path
) -> None:
    services = build_services(sqlite_database, Settings(attachment_dir=tmp_path / "att"))
    ensure_district(services)
    assert ensure_knowledge(services) == 2262
    assert ensure_knowledge(services) == 0  # already there
    answer = services.get(KnowledgeSearch).ask("結婚登記要預約嗎")
    assert answer.answerable and answer.hits[0].title == "结婚登记预约"
    assert answer.hits[0].department == "广东省民政厅" and answer.hits[0].source.startswith("http")
    assert not services.get(KnowledgeSearch).ask("我家楼下的路灯坏了一个星期了").answerable
    services.close()
