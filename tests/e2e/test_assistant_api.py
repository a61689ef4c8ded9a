"""小南 over HTTP on SQLite and PostgreSQL: a citizen asks without logging in, rates the answer and is
handed over into an order; the conversations and the report are for admins, leaders and inspectors
only (401 without a login, 403 for others); a hostile question is shown as text on the staff page;
a body past the limit is refused before it is read."""

from __future__ import annotations

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import API, Api
from tests.support import TEST_ADMIN
from zhiyun.domain.knowledge import ItemInput
from zhiyun.knowledge.service import KnowledgeService

URL = f"{API}/assistant"
HOSTILE = '<script>alert("xn")</script><img src=x onerror=alert(1)>'


def _publish(api: Api) -> None:
    api.services.taxonomy.ensure_default(TEST_ADMIN)
    kb = api.services.get(KnowledgeService)
    admin, inspector = api.district.actors["admin"], api.district.actors["inspector"]
    item = kb.create(
        admin,
        ItemInput(
            title="结婚登记预约",
            answer="到婚姻登记处办理结婚登记，需带户口本、身份证。",
            department="区民政局",
            source="https://example.gov.cn/marry",
            questions=("怎么领结婚证",),
        ),
    )
    kb.act(inspector, item.id, "review")
    kb.act(inspector, item.id, "publish")


def test_a_citizen_asks_rates_and_is_handed_over_without_a_login(api: Api) -> None:
    _publish(api)
    citizen = api.anonymous()
    asked = citizen.post(f"{URL}/ask", json={"question": "怎么领结婚证？"})
    assert asked.status_code == 200, asked.text
    reply = asked.json()
    assert reply["kind"] == "answer" and reply["item"]["department"] == "区民政局"
    assert reply["item"]["source"] == "https://example.gov.cn/marry" and len(reply["conversation_id"]) >= 30
    rated = citizen.post(
        f"{URL}/feedback",
        json={"conversation_id": reply["conversation_id"], "turn_id": reply["turn_id"], "helpful": True},
    )
    assert rated.status_code == 200, rated.text
    lost = citizen.post(
        f"{URL}/ask", json={"question": "养狗要办证吗", "conversation_id": reply["conversation_id"]}
    )
    assert lost.json()["kind"] == "handover" and lost.json()["reason"] == "unanswered"
    bad = citizen.post(
        f"{URL}/handover",
        json={"conversation_id": reply["conversation_id"], "name": "", "phone": "1", "description": ""},
    )
    assert bad.status_code == 422 and set(bad.json()["fields"]) >= {"name", "phone", "description"}
    done = citizen.post(
        f"{URL}/handover",
        json={
            "conversation_id": reply["conversation_id"],
            "name": "李女士",
            "phone": "13922223333",
            "description": "养狗要办证吗",
            "address": "桂城街道海八路 1 号",
        },
    )
    assert done.status_code == 201, done.text
    number = done.json()["order_number"]
    order = api.as_("admin").get(f"{API}/orders/{number}")
    assert order.status_code == 200 and order.json()["channel"] == "web"


def test_the_conversations_are_for_admins_leaders_and_inspectors_only(api: Api) -> None:
    api.anonymous().post(f"{URL}/ask", json={"question": HOSTILE + "公积金怎么提取"})
    assert api.anonymous().get(f"{URL}/conversations").status_code == 401
    for username in ("town", "agent", "xiabei"):
        assert api.as_(username).get(f"{URL}/conversations").status_code == 403
        assert api.as_(username).get(f"{URL}/report").status_code == 403
    listed = api.as_("inspector").get(f"{URL}/conversations").json()
    assert len(listed) == 1 and listed[0]["outcome"] == "handover"
    one = api.as_("leader").get(f"{URL}/conversations/{listed[0]['id']}").json()
    assert one["turns"][0]["text"].startswith(HOSTILE)
    report = api.as_("admin").get(f"{URL}/report", params={"days": 7}).json()
    assert report["questions"] == 1 and report["handovers"] == {"unanswered": 1}


def test_a_hostile_question_is_text_on_the_staff_page(console: Api) -> None:
    console.anonymous().post(f"{URL}/ask", json={"question": HOSTILE + "公积金怎么提取"})
    inspector = page_login(console, "inspector")
    listed = inspector.get("/assistant")
    assert listed.status_code == 200 and "小南对话" in listed.text
    conversation_id = listed.text.split('data-conversation="')[1].split('"')[0]
    page = inspector.get(f"/assistant/conversations/{conversation_id}")
    assert page.status_code == 200
    assert HOSTILE not in page.text and "&lt;script&gt;alert(" in page.text
    assert page_login(console, "town").get("/assistant").status_code == 403


def test_a_question_past_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    citizen = api.anonymous()
    assert citizen.post(f"{URL}/ask", json={"question": "问" * 501}).status_code == 422
    huge = citizen.post(
        f"{URL}/ask",
        content=b'{"question": "' + b"a" * 20_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
