"""The console's quick replies (常用语): 我的常用语 at /replies, 系统管理 → 常用语 for admins, and the
note fields that offer them."""

from __future__ import annotations

import re

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api, order_at_village
from zhiyun.replies.service import QuickReplyService


def _messages(html: str) -> list[str]:
    return re.findall(r'role="(?:status|alert)"[^>]*>([^<]*)<', html)


def test_a_user_keeps_their_own_quick_replies(console: Api) -> None:
    client = page_login(console, "xiabei")
    page = client.get("/replies")
    assert page.status_code == 200 and "我的常用语" in page.text
    added = post_form(
        client, "/replies", {"op": "add", "title": "现场", "text": "已到现场\n正在处理", "active": "yes"}
    )
    assert added.status_code == 200 and "已添加常用语" in _messages(added.text)  # after the redirect
    mine = console.services.get(QuickReplyService).personal(console.district.actors["xiabei"])
    assert [(r.title, r.text, r.active) for r in mine] == [("现场", "已到现场\n正在处理", True)]
    assert "/现场" in added.text
    saved = post_form(
        client,
        "/replies",
        {"op": "update", "id": str(mine[0].id), "title": "现场", "text": "改了", "sort_order": "2"},
    )
    assert "已保存常用语" in _messages(saved.text)
    changed = console.services.get(QuickReplyService).personal(console.district.actors["xiabei"])[0]
    assert (changed.text, changed.sort_order, changed.active) == ("改了", 2, False)
    refused = post_form(client, "/replies", {"op": "add", "title": "现场", "text": "重名"})
    assert refused.status_code == 409 and "这套常用语里已有关键词“现场”" in _messages(refused.text)
    # another user's id: as if there were none
    other = page_login(console, "pingnan")
    other.get("/replies")
    gone = post_form(other, "/replies", {"op": "delete", "id": str(mine[0].id)})
    assert gone.status_code == 404 and "常用语不存在" in _messages(gone.text)
    deleted = post_form(client, "/replies", {"op": "delete", "id": str(mine[0].id)})
    assert "已删除常用语" in _messages(deleted.text)
    assert console.services.get(QuickReplyService).personal(console.district.actors["xiabei"]) == []


def test_admins_keep_the_units_sets_in_the_admin_area(console: Api) -> None:
    admin = page_login(console, "admin")
    page = admin.get("/admin/quick-replies")
    assert page.status_code == 200 and "新增单位常用语" in page.text
    added = post_form(
        admin,
        "/admin/quick-replies",
        {
            "op": "add",
            "unit_id": str(console.unit("GC-XB")),
            "title": "签收",
            "text": "{本单位}已签收",
            "active": "yes",
        },
    )
    assert "已添加常用语“签收”" in _messages(added.text)
    assert f'data-unit="{console.unit("GC-XB")}"' in added.text
    # the village's handler uses it; they do not open the admin section
    handler = page_login(console, "xiabei")
    assert "/签收" in handler.get("/replies").text
    assert handler.get("/admin/quick-replies").status_code == 403
    handler.get("/replies")
    refused = post_form(handler, "/admin/quick-replies", {"op": "add", "unit_id": str(console.unit("GC-XB"))})
    assert refused.status_code == 403


def test_every_note_field_of_the_console_offers_quick_replies(console: Api) -> None:
    order = order_at_village(console)
    handler = page_login(console, "xiabei")
    page = handler.get(f"/orders/{order['number']}")
    assert page.status_code == 200
    assert '<script src="/static/js/quick-replies.js"></script>' in page.text
    notes = re.findall(r"<textarea[^>]*>", page.text)
    assert notes and all(f'data-quick-replies="{order["number"]}"' in t for t in notes)
    dispatcher = page_login(console, "town")
    workbench = dispatcher.get("/workbench")
    assert re.search(r'<input id="bulk-note"[^>]*data-quick-replies=""', workbench.text)
    js = handler.get("/static/js/quick-replies.js")
    assert js.status_code == 200 and "innerHTML" not in js.text
