"""小南 over the real knowledge base and storage, on SQLite and PostgreSQL: an answer with its source
and department (Traditional Chinese too), one clarifying question on a tie, a hand-over that
registers one work order through the web channel with the transcript, danger told at once, the
citizen's thumbs, throttles, and the report staff read (others refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.support import TEST_ADMIN, District, build_small_district

from zhiyun.assistant.service import AssistantService
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor
from zhiyun.domain.assistant import HandoverForm
from zhiyun.domain.errors import NotFound, PermissionDenied, TooManyAttempts, ValidationFailed
from zhiyun.domain.knowledge import ItemInput
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.store.tables import NoticeRow, WorkOrderRow

ITEMS = [
    ItemInput(
        title="结婚登记预约",
        answer="到婚姻登记处办理结婚登记，需带户口本、身份证。",
        department="区民政局",
        source="https://example.gov.cn/marry",
        questions=("怎么领结婚证", "结婚证在哪里办"),
    ),
    ItemInput(
        title="居住证办理",
        answer="持身份证、居住证明到居住地派出所申领居住证。",
        department="市公安局",
        source="https://example.gov.cn/permit",
        questions=("居住证怎么申请",),
    ),
    ItemInput(
        title="离婚登记预约",
        answer="双方带户口本、身份证、结婚证到婚姻登记处预约离婚登记。",
        department="区民政局",
        source="https://example.gov.cn/divorce",
    ),
    ItemInput(
        title="补领离婚证预约",
        answer="离婚证遗失的，本人带身份证到原登记处预约补领。",
        department="区民政局",
        source="https://example.gov.cn/divorce-copy",
    ),
]
CITIZEN = Actor.citizen(None, "市民")
PERSON = HandoverForm(
    name="李女士", phone="13922223333", description="想咨询养犬登记", address="桂城街道海八路 1 号"
)


@pytest.fixture
def world(services: Services) -> District:
    services.taxonomy.ensure_default(TEST_ADMIN)
    district = build_small_district(services)
    kb = services.get(KnowledgeService)
    admin, inspector = district.actors["admin"], district.actors["inspector"]
    for data in ITEMS:
        item = kb.create(admin, data)
        kb.act(inspector, item.id, "review")
        kb.act(inspector, item.id, "publish")
    return district


def _assistant(services: Services) -> AssistantService:
    return services.get(AssistantService)


def test_a_question_from_the_guide_is_answered_with_its_source_and_department(
    services: Services, world: District
) -> None:
    reply = _assistant(services).ask(CITIZEN, "请问结婚证去哪里办理？", client="10.0.0.1")
    assert reply.kind == "answer" and reply.item is not None
    assert (reply.item.title, reply.item.source, reply.item.department) == (
        "结婚登记预约",
        "https://example.gov.cn/marry",
        "区民政局",
    )
    assert (
        reply.text == ITEMS[0].answer
        and reply.item.score >= services.get(AssistantService).retrieval.threshold
    )
    traditional = _assistant(services).ask(CITIZEN, "居住證怎麼申請", reply.token)
    assert (
        traditional.kind == "answer"
        and traditional.item is not None
        and traditional.item.title == "居住证办理"
    )
    _assistant(services).feedback(CITIZEN, reply.token, traditional.turn_id, up=True)
    seen = _assistant(services).conversation(
        world.actors["inspector"], _assistant(services).transcript(CITIZEN, reply.token).id
    )
    assert [t.role for t in seen.turns] == ["citizen", "assistant", "citizen", "assistant"]
    assert seen.outcome == "answered" and seen.answered == 2 and seen.turns[-1].feedback == 1


def test_a_tie_is_asked_about_once_and_the_citizens_choice_answered(
    services: Services, world: District
) -> None:
    assistant = _assistant(services)
    first = assistant.ask(CITIZEN, "离婚证预约")
    assert first.kind == "clarify", first  # 离婚登记预约 and 补领离婚证预约 score within 5 %
    assert "1. " in first.text and "2. " in first.text and len(first.more) == 2
    chosen = assistant.ask(CITIZEN, "2", first.token)
    assert (
        chosen.kind == "answer" and chosen.item is not None and chosen.item.item_id == first.more[1].item_id
    )


def test_what_it_cannot_answer_is_handed_over_into_one_order_with_the_transcript(
    services: Services, world: District
) -> None:
    assistant = _assistant(services)
    reply = assistant.ask(CITIZEN, "养狗需要办什么证")
    assert reply.kind == "handover" and reply.reason == "unanswered" and reply.reason_label == "无法回答"
    done = assistant.handover(CITIZEN, reply.token, PERSON)
    again = assistant.handover(CITIZEN, reply.token, PERSON)
    assert again.number == done.number  # one order per conversation
    with services.db.reading() as session:
        order = session.get(WorkOrderRow, done.order_id)
        assert order is not None and order.channel == "web" and order.citizen_phone == "13922223333"
        assert "小南对话记录" in order.content and "市民：养狗需要办什么证" in order.content
        assert "转人工原因：无法回答" in order.content
    view = assistant.transcript(CITIZEN, reply.token)
    assert (
        view.order_id == done.order_id and view.outcome == "handover" and view.turns[-1].kind == "registered"
    )


def test_a_complaint_or_a_request_for_a_person_is_handed_over(services: Services, world: District) -> None:
    assistant = _assistant(services)
    assert assistant.ask(CITIZEN, "我要投诉结婚登记处工作人员态度差").reason == "complaint"
    assert assistant.ask(CITIZEN, "转人工").reason == "asked_person"


def test_danger_shows_the_numbers_and_tells_the_district_center_at_once(
    services: Services, world: District
) -> None:
    reply = _assistant(services).ask(CITIZEN, "楼道里闻到很大的煤气味")
    assert reply.kind == "urgent" and reply.numbers == ("119",) and "请立即拨打 119" in reply.text
    with services.db.reading() as session:
        told = [
            (n.kind, n.unit_id, n.link)
            for n in session.scalars(select(NoticeRow).where(NoticeRow.kind == "assistant_urgent"))
        ]
        root = services.reference.get(session).org.root().id
    conversation = _assistant(services).transcript(CITIZEN, reply.token)
    assert told == [("assistant_urgent", root, f"/assistant/conversations/{conversation.id}")]
    assert conversation.outcome == "urgent"


def test_a_conversation_is_reached_only_by_its_token(services: Services, world: District) -> None:
    assistant = _assistant(services)
    mine = assistant.ask(CITIZEN, "怎么领结婚证")
    other = assistant.ask(CITIZEN, "居住证怎么申请")
    with pytest.raises(NotFound):
        assistant.feedback(CITIZEN, other.token, mine.turn_id, up=False)  # another conversation's answer
    with pytest.raises(NotFound):
        assistant.ask(CITIZEN, "你好", "x" * 30)
    with pytest.raises(NotFound):
        assistant.handover(CITIZEN, "not-a-token-at-all", PERSON)
    with pytest.raises(ValidationFailed):
        assistant.ask(CITIZEN, "  ")


def test_new_conversations_from_one_client_are_throttled(services: Services, world: District) -> None:
    assistant = AssistantService(
        services.db,
        services.reference,
        _assistant(services).retrieval,
        services.intake,
        clock=services.clock,
        per_hour=2,
    )
    assistant.ask(CITIZEN, "怎么领结婚证", client="10.9.9.9")
    token = assistant.ask(CITIZEN, "居住证怎么申请", client="10.9.9.9").token
    with pytest.raises(TooManyAttempts):
        assistant.ask(CITIZEN, "离婚怎么预约", client="10.9.9.9")
    assert assistant.ask(CITIZEN, "离婚怎么预约", token).token == token  # the conversation goes on
    assistant.ask(CITIZEN, "离婚怎么预约", client="10.9.9.10")  # another client


def test_the_report_counts_answers_handovers_thumbs_and_the_unanswered_topics(
    services: Services, world: District
) -> None:
    assistant = _assistant(services)
    answered = assistant.ask(CITIZEN, "怎么领结婚证")
    assistant.feedback(CITIZEN, answered.token, answered.turn_id, up=False)
    for words in ("养狗需要办什么证", "养狗登记在哪里", "公积金怎么提取"):
        assistant.ask(CITIZEN, words)
    assistant.handover(CITIZEN, assistant.ask(CITIZEN, "转人工").token, PERSON)
    now = services.clock()
    report = assistant.report(world.actors["leader"], now - timedelta(days=1), now + timedelta(minutes=1))
    assert report.conversations == 5 and report.questions == 5 and report.answered_questions == 1
    assert report.handovers == {"asked_person": 1, "unanswered": 3} and report.orders == 1
    assert (report.thumbs_up, report.thumbs_down) == (0, 1)
    topics = {topic: count for topic, count, _ in report.unanswered_topics}
    assert topics.get("养狗") == 2, report.unanswered_topics
    for who in ("town", "xiabei"):
        with pytest.raises(PermissionDenied):
            assistant.report(world.actors[who], now - timedelta(days=1), now)
        with pytest.raises(PermissionDenied):
            assistant.conversations(world.actors[who])


def test_staff_ask_the_knowledge_base_not_小南(services: Services, world: District) -> None:
    with pytest.raises(PermissionDenied):
        _assistant(services).ask(world.actors["agent"], "怎么领结婚证")
