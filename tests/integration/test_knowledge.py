"""The knowledge base over the real services and storage, on SQLite and PostgreSQL: an item's life
cycle and what is answered (draft → published → expired is not), its history, who may write and
review whose items, imports (the service guide, again), and drafts proposed from answered
consultation orders."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.support import TEST_ADMIN, District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import ActionNotAllowed, NotFound, PermissionDenied
from zhiyun.domain.knowledge import ItemInput
from zhiyun.domain.workorder import Close, OrderType, ResolveOnIntake
from zhiyun.knowledge.guide import guide_records
from zhiyun.knowledge.search import KnowledgeSearch
from zhiyun.knowledge.service import ImportRecord, KnowledgeService
from zhiyun.orders.service import NewOrder

MARRY = ItemInput(
    title="结婚登记预约",
    answer="到婚姻登记处办理结婚登记，需带户口本、身份证。",
    department="区民政局",
    source="https://example.gov.cn/marry",
    questions=("怎么领结婚证",),
)


@pytest.fixture
def district(services: Services) -> District:
    return build_small_district(services)


def _kb(services: Services) -> KnowledgeService:
    return services.get(KnowledgeService)


def _ask(services: Services, question: str, today: date | None = None) -> list[str]:
    return [h.title for h in services.get(KnowledgeSearch).ask(question, 3, today=today).hits]


def test_an_item_is_answered_once_published_and_no_longer_once_expired_or_withdrawn(
    services: Services, district: District
) -> None:
    kb, admin, inspector = _kb(services), district.actors["admin"], district.actors["inspector"]
    today = local_date(services.clock())
    item = kb.create(admin, MARRY)
    assert item.status == "draft" and not item.answerable
    assert _ask(services, "怎么领结婚证") == []  # a draft is never answered
    kb.act(inspector, item.id, "review")
    assert _ask(services, "怎么领结婚证") == []  # nor a reviewed one
    published = kb.act(inspector, item.id, "publish", "核对无误")
    assert published.status == "published" and published.answerable and published.published_at
    answer = services.get(KnowledgeSearch).ask("結婚證怎麼領")  # Traditional Chinese
    assert answer.answerable and answer.hits[0].item_id == item.id
    assert (answer.hits[0].source, answer.hits[0].department) == ("https://example.gov.cn/marry", "区民政局")

    # its validity ends yesterday: not answered, with no change made to it
    expired = kb.update(
        admin, item.id, ItemInput(**{**MARRY.__dict__, "valid_to": today - timedelta(days=1)})
    )
    assert expired.status == "draft"  # an edit is a draft again
    kb.act(inspector, item.id, "review")
    kb.act(inspector, item.id, "publish")
    assert not kb.get(admin, item.id).answerable
    assert _ask(services, "怎么领结婚证") == []
    assert _ask(services, "怎么领结婚证", today=today - timedelta(days=2)) == ["结婚登记预约"]

    kb.update(admin, item.id, MARRY)
    kb.act(inspector, item.id, "review")
    kb.act(inspector, item.id, "publish")
    assert _ask(services, "怎么领结婚证") == ["结婚登记预约"]
    kb.act(admin, item.id, "withdraw", "政策调整")
    assert _ask(services, "怎么领结婚证") == []
    with pytest.raises(ActionNotAllowed):
        kb.act(admin, item.id, "publish")  # withdrawn: back through a draft and a review

    history = kb.get(admin, item.id).history
    assert [s.action for s in history] == [
        "create",
        "review",
        "publish",
        "edit",
        "review",
        "publish",
        "edit",
        "review",
        "publish",
        "withdraw",
    ]
    assert history[3].changed == ("valid_to",) and history[3].actor_name == "admin"
    assert history[-1].note == "政策调整" and history[2].note == "核对无误"


def test_the_history_is_append_only(services: Services, district: District) -> None:
    item = _kb(services).create(district.actors["admin"], MARRY)
    for statement in ("UPDATE knowledge_item_step SET note = 'x'", "DELETE FROM knowledge_item_step"):
        with pytest.raises(DBAPIError), services.db.transaction() as session:
            session.execute(text(statement))
    assert len(_kb(services).get(district.actors["admin"], item.id).history) == 1


def test_another_unit_and_other_roles_are_refused(services: Services, district: District) -> None:
    kb, a = _kb(services), district.actors
    services.accounts.add_user(
        TEST_ADMIN, username="dl_admin", password="dl-admin-password-1", role="admin", unit_code="DL"
    )
    dl_admin = services.accounts.user_by_name("dl_admin")
    assert dl_admin is not None
    town_item = kb.create(a["admin"], MARRY, unit_id=district.units["GC"])
    with pytest.raises(PermissionDenied):
        kb.update(dl_admin.actor(), town_item.id, MARRY)  # another town's admin
    with pytest.raises(PermissionDenied):
        kb.create(dl_admin.actor(), MARRY, unit_id=district.units["GC"])
    with pytest.raises(PermissionDenied):
        kb.act(dl_admin.actor(), town_item.id, "review")
    with pytest.raises(PermissionDenied):
        kb.create(a["town"], MARRY)  # a dispatcher writes no items
    with pytest.raises(NotFound):
        kb.get(a["xiabei"], town_item.id)  # a draft: not there for a handler
    with pytest.raises(PermissionDenied):
        kb.propose_from_orders(a["xiabei"])
    assert kb.items(a["xiabei"]).total == 0
    kb.act(a["inspector"], town_item.id, "review")
    kb.act(a["inspector"], town_item.id, "publish")
    seen = kb.get(a["xiabei"], town_item.id)  # published: every staff user reads it
    assert seen.actions == () and seen.history == ()
    with pytest.raises(PermissionDenied):
        kb.act(a["xiabei"], town_item.id, "withdraw")
    assert kb.items(a["xiabei"]).total == 1


def _guide(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    folder = tmp_path / "guide"
    folder.mkdir(exist_ok=True)
    with gzip.open(folder / "policy.jsonl.gz", "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder


GUIDE_ROWS: list[dict[str, object]] = [
    {
        "TASK_CODE": "A1",
        "TASK_NAME": "结婚登记预约",
        "TASK_TYPE_TEXT": "公共服务",
        "DEPT_NAME": "广东省民政厅",
        "URL": "https://example.gov.cn/a1",
        "theme_category": ["婚姻登记"],
        "accept_standard": "内地居民结婚，男女双方应当共同到婚姻登记机关申请。",
        "material_intro": ["户口簿", "身份证"],
        "handle_location": "办理地点：区婚姻登记处",
        "handle_time": "1(工作日)",
        "consult_phone": "020-12345678",
    },
    {"TASK_CODE": "A2", "TASK_NAME": "残疾人证挂失补办", "DEPT_NAME": "残联", "handle_location": "区残联"},
]


def test_the_guide_is_imported_published_and_imported_again_only_where_it_changed(
    services: Services, district: District, tmp_path: Path
) -> None:
    kb, admin = _kb(services), district.actors["admin"]
    folder = _guide(tmp_path, GUIDE_ROWS)
    records = [ImportRecord(r.data, r.code) for r in guide_records(folder)]
    first = kb.import_items(admin, records, origin="guide", publish=True)
    assert (first.created, first.published, first.rejected) == (2, 2, [])
    answer = services.get(KnowledgeSearch).ask("去哪里预约结婚登记")
    assert answer.answerable and answer.hits[0].title == "结婚登记预约"
    best = answer.hits[0]
    assert "所需材料：户口簿；身份证" in best.answer and "办理地点：区婚姻登记处" in best.answer
    assert "办理时限：1个工作日" in best.answer and best.department == "广东省民政厅"

    again = kb.import_items(admin, records, origin="guide", publish=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed_rows = [{**GUIDE_ROWS[0], "consult_phone": "020-87654321"}, GUIDE_ROWS[1]]
    changed = [ImportRecord(r.data, r.code) for r in guide_records(_guide(tmp_path, changed_rows))]
    third = kb.import_items(admin, changed, origin="guide", publish=True)
    assert (third.created, third.updated, third.unchanged, third.published) == (0, 1, 1, 1)
    item = kb.get(admin, services.get(KnowledgeSearch).ask("结婚登记").hits[0].item_id)
    assert "020-87654321" in item.answer and item.status == "published"
    assert [s.action for s in item.history] == ["create", "review", "publish", "edit", "review", "publish"]
    with pytest.raises(PermissionDenied):
        kb.import_items(district.actors["inspector"], records, origin="guide")


def test_an_answered_consultation_is_proposed_once_as_a_draft(services: Services, district: District) -> None:
    a = district.actors
    order = services.orders.register(
        a["district"],
        NewOrder(
            title="医保断缴怎么补", content="我的医保断了两个月，怎么补缴？", order_type=OrderType.CONSULT
        ),
    ).order
    services.orders.act(
        a["district"], order.summary.id, ResolveOnIntake(note="可在粤省事或社保窗口申请补缴，需带身份证。")
    )

    services.orders.act(a["district"], order.summary.id, Close())
    complaint = services.orders.register(
        a["district"], NewOrder(title="噪音扰民", content="工地夜间施工", order_type=OrderType.COMPLAINT)
    ).order
    services.orders.act(a["district"], complaint.summary.id, ResolveOnIntake(note="已转告城管部门处理。"))
    services.orders.act(a["district"], complaint.summary.id, Close())

    kb = _kb(services)
    assert kb.propose_from_orders(a["town_agent"]) == []  # the district's order: not theirs to read
    made = kb.propose_from_orders(a["agent"])
    assert [(m.title, m.status, m.origin) for m in made] == [("医保断缴怎么补", "draft", "order")]
    assert made[0].answer == "可在粤省事或社保窗口申请补缴，需带身份证。"
    assert made[0].questions == ("我的医保断了两个月，怎么补缴？",)
    assert kb.propose_from_orders(a["agent"]) == []  # once only
    assert services.get(KnowledgeSearch).ask("医保断缴").hits == ()  # a draft, not answered


def test_a_large_index_answers_from_the_old_one_while_it_is_rebuilt(
    services: Services, district: District
) -> None:
    kb, admin = _kb(services), district.actors["admin"]
    search = KnowledgeSearch(services.db, background_from=1)  # "large" from one item on

    def publish(data: ItemInput) -> int:
        item = kb.create(admin, data)
        kb.act(admin, item.id, "review")
        kb.act(admin, item.id, "publish")
        return item.id

    first = publish(MARRY)
    assert [h.item_id for h in search.ask("结婚登记").hits] == [first]  # the first build: at once
    second = publish(ItemInput(title="离婚登记预约", answer="双方带身份证、结婚证到婚姻登记处。"))
    assert [h.item_id for h in search.ask("离婚登记").hits] == [first]  # the old index answers …
    search.wait_for_rebuild(30)
    assert search.ask("离婚登记").hits[0].item_id == second  # … until the new one is in


def test_items_that_score_alike_tie_for_a_clarifying_question(services: Services, district: District) -> None:
    kb, admin = _kb(services), district.actors["admin"]
    for title in ("残疾人证换领", "残疾人证迁出"):
        item = kb.create(admin, ItemInput(title=title, answer="到区残联办理。"))
        kb.act(admin, item.id, "review")
        kb.act(admin, item.id, "publish")
    vague = services.get(KnowledgeSearch).ask("残疾人证怎么办")
    assert vague.answerable and {h.title for h in vague.ties()} == {"残疾人证换领", "残疾人证迁出"}
    clear = services.get(KnowledgeSearch).ask("残疾人证要迁出")
    assert [h.title for h in clear.ties()] == ["残疾人证迁出"]
