"""The knowledge base (知识库) over HTTP — /api/v1/knowledge and the console's /knowledge pages — on
SQLite and PostgreSQL: an item written, reviewed, published, found and withdrawn; another unit's
admin and other roles refused; a hostile string shown as text."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import API, Api
from tests.support import TEST_ADMIN
from zhiyun.domain.access import Role

URL = f"{API}/knowledge"
HOSTILE = '<script>alert("kb")</script><img src=x onerror=alert(1)>'


def _item(client: Any, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"{URL}/items", json={"title": "结婚登记预约", "answer": "带户口本、身份证。", **body}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_item_is_written_reviewed_published_found_and_withdrawn(api: Api) -> None:
    admin, inspector, handler = api.as_("admin"), api.as_("inspector"), api.as_("xiabei")
    item = _item(admin, department="区民政局", source="https://example.gov.cn/a", questions=["怎么领结婚证"])
    assert item["status"] == "draft" and item["actions"] == ["edit", "review"]
    assert handler.get(f"{URL}/items/{item['id']}").status_code == 404  # a draft
    assert handler.get(f"{URL}/search", params={"q": "怎么领结婚证"}).json()["hits"] == []
    assert inspector.post(f"{URL}/items/{item['id']}/publish", json={}).status_code == 409  # not reviewed
    assert inspector.post(f"{URL}/items/{item['id']}/review", json={"note": "已核"}).status_code == 200
    published = inspector.post(f"{URL}/items/{item['id']}/publish", json={})
    assert published.status_code == 200 and published.json()["answerable"] is True

    found = handler.get(f"{URL}/search", params={"q": "結婚證怎麼領", "top": 3})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["answerable"] is True and body["threshold"] > 0
    hit = body["hits"][0]
    assert (hit["item_id"], hit["source"], hit["department"]) == (
        item["id"],
        "https://example.gov.cn/a",
        "区民政局",
    )
    assert 0 < hit["score"] <= 1 and hit["answerable"] is True
    assert handler.get(f"{URL}/search", params={"q": "明天会下雨吗"}).json()["answerable"] is False
    read = handler.get(f"{URL}/items/{item['id']}").json()
    assert read["history"] == [] and read["actions"] == []  # a reader sees no history

    stale = admin.put(f"{URL}/items/{item['id']}", json={"title": "结婚登记", "answer": "改", "version": 1})
    assert stale.status_code == 409  # someone changed it since version 1
    withdrawn = admin.post(f"{URL}/items/{item['id']}/withdraw", json={"note": "政策调整"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert handler.get(f"{URL}/search", params={"q": "怎么领结婚证"}).json()["hits"] == []
    history = admin.get(f"{URL}/items/{item['id']}").json()["history"]
    assert [(h["action"], h["actor_name"]) for h in history] == [
        ("create", "admin"),
        ("review", "inspector"),
        ("publish", "inspector"),
        ("withdraw", "admin"),
    ]


def test_another_units_admin_and_other_roles_are_refused_and_nothing_changes(api: Api) -> None:
    admin = api.as_("admin")
    item = _item(admin, unit_id=api.unit("GC"))
    dl = api.services.accounts.add_user(
        TEST_ADMIN, username="dl_admin", password="dl-admin-password-1", role=Role.ADMIN, unit_code="DL"
    )
    api.district.actors["dl_admin"] = dl.actor()
    before = api.stored()
    dl_admin = api.as_("dl_admin")
    assert dl_admin.put(f"{URL}/items/{item['id']}", json={"title": "改", "answer": "改"}).status_code == 403
    assert dl_admin.post(f"{URL}/items/{item['id']}/review", json={}).status_code == 403
    assert (
        dl_admin.post(
            f"{URL}/items", json={"title": "t", "answer": "a", "unit_id": api.unit("GC")}
        ).status_code
        == 403
    )
    assert api.as_("town").post(f"{URL}/items", json={"title": "t", "answer": "a"}).status_code == 403
    assert api.as_("xiabei").post(f"{URL}/proposals", json={}).status_code == 403
    assert api.as_("xiabei").post(f"{URL}/items/{item['id']}/review", json={}).status_code == 404  # a draft
    assert api.anonymous().get(f"{URL}/search", params={"q": "结婚"}).status_code == 401
    assert api.stored() == before
    assert admin.get(f"{URL}/items/{item['id']}").json()["version"] == 1


def _messages(html: str) -> list[str]:
    return re.findall(r'role="(?:status|alert)"[^>]*>([^<]*)<', html)


def test_the_console_keeps_an_item_and_shows_a_hostile_string_as_text(console: Api) -> None:
    admin = page_login(console, "admin")
    assert admin.get("/knowledge/new").status_code == 200
    created = post_form(
        admin,
        "/knowledge/new",
        {
            "title": f"路灯报修{HOSTILE}",
            "answer": f"拨打12345。{HOSTILE}",
            "questions": f"路灯坏了\n{HOSTILE}",
        },
    )
    assert created.status_code == 200 and "已新建知识点（草稿）" in _messages(created.text)
    assert "<script>alert" not in created.text and "&lt;script&gt;" in created.text
    item_id = int(re.search(r'action="/knowledge/(\d+)"', created.text).group(1))  # type: ignore[union-attr]
    inspector = page_login(console, "inspector")
    inspector.get(f"/knowledge/{item_id}")
    reviewed = post_form(inspector, f"/knowledge/{item_id}", {"op": "review", "note": HOSTILE})
    assert "已审核通过" in _messages(reviewed.text) and "<img src=x" not in reviewed.text
    published = post_form(inspector, f"/knowledge/{item_id}", {"op": "publish"})
    assert "已发布" in _messages(published.text) and "正在用于回答" in published.text

    handler = page_login(console, "xiabei")
    listing = handler.get("/knowledge", params={"ask": f"路灯坏了{HOSTILE}"})
    assert listing.status_code == 200 and "<script>alert" not in listing.text
    assert 'data-testid="ask-hits"' in listing.text and f"/knowledge/{item_id}" in listing.text
    assert 'data-testid="knowledge-new"' not in listing.text  # not a keeper
    handler.get(f"/knowledge/{item_id}")
    refused = post_form(handler, f"/knowledge/{item_id}", {"op": "withdraw"})
    assert refused.status_code == 403
    assert "已发布" in refused.text  # still published
    assert handler.get("/knowledge/99999999999999999999999").status_code == 404  # beyond any id
    menu = handler.get("/knowledge").text
    assert 'href="/knowledge"' in menu
