"""The demo's knowledge base: the shipped service guide imported and published once, answering at once."""

from __future__ import annotations

from pathlib import Path

from tests.support import TEST_ADMIN

from zhiyun.assistant.service import AssistantService
from zhiyun.bootstrap import build_services
from zhiyun.config import Settings
from zhiyun.demo.district import ensure_district
from zhiyun.demo.knowledge import ensure_knowledge
from zhiyun.domain.access import Actor
from zhiyun.domain.assistant import HandoverForm
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


def test_in_the_demo_小南_answers_a_guide_question_with_its_source_and_hands_over_what_it_cannot(
    sqlite_database: Database, tmp_path: Path
) -> None:
    services = build_services(sqlite_database, Settings(attachment_dir=tmp_path / "att"))
    ensure_district(services)
    services.taxonomy.ensure_default(TEST_ADMIN)
    ensure_knowledge(services)
    citizen = Actor.citizen(None)
    assistant = services.get(AssistantService)
    answered = assistant.ask(citizen, "结婚登记需要预约吗？")
    assert answered.kind == "answer" and answered.item is not None
    assert answered.item.department == "广东省民政厅" and answered.item.source.startswith("http")
    lost = assistant.ask(citizen, "我家楼下的路灯坏了一个星期了")
    assert lost.kind == "handover" and lost.reason == "complaint"
    done = assistant.handover(
        citizen,
        lost.token,
        HandoverForm("周先生", "13700001111", "楼下路灯坏了一个星期", address="桂城街道夏北社区"),
    )
    assert done.number
    services.close()
