"""Admin pages: only admins get in; users, channel keys shown once, time limits, calendar, org units."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from tests.support import PASSWORD
from zhiyun.accounts import pages as account_pages
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.intake.channels import CHANNEL_SPECS


def _messages(html: str) -> list[str]:
    return re.findall(r'role="(?:status|alert)">([^<]*)<', html)


def test_admin_pages_are_for_admins_only(console: Api) -> None:
    page = page_login(console, "town").get("/admin/users")
    assert page.status_code == 403
    assert "仅系统管理员可以访问管理页面" in page.text
    admin = page_login(console, "admin")
    for section in ("users", "units", "channels", "time-limits", "calendar", "taxonomy", "responsibility"):
        assert admin.get(f"/admin/{section}").status_code == 200, section


def test_admin_forms_refuse_whoever_the_policies_refuse_and_change_nothing(console: Api) -> None:
    before = console.stored(), len(console.services.accounts.list_users())
    for username in ("town", "xiabei", "leader", "inspector"):
        client = page_login(console, username)
        client.get("/workbench")  # the CSRF cookie
        for section, form in (
            ("users", {"op": "add", "username": "lc", "password": "lc-password-1", "role": "admin"}),
            ("users", {"op": "password", "username": "admin", "password": "taken-over-1"}),
            (
                "units",
                {"op": "save", "code": "GC-NEW", "name": "新社区", "kind": "village", "parent_code": "GC"},
            ),
            ("channels", {"op": "key", "code": "12345"}),
            ("time-limits", {"order_type": "help", "urgency": "normal", "sign_amount": "1"}),
            ("calendar", {"op": "confirm", "year": "2027"}),
        ):
            refused = post_form(client, f"/admin/{section}", form)
            assert refused.status_code == 403, (username, section)
            assert "仅系统管理员可以访问管理页面" in refused.text  # the policy's refusal, not CSRF's
    assert (console.stored(), len(console.services.accounts.list_users())) == before
    assert console.services.accounts.authenticate("admin", PASSWORD).username == "admin"


def test_an_admin_may_not_disable_themself(console: Api) -> None:
    admin = page_login(console, "admin")
    admin.get("/admin/users")
    refused = post_form(admin, "/admin/users", {"op": "disable", "username": "admin"})
    assert refused.status_code == 422
    assert "不能停用自己的账号" in _messages(refused.text)
    assert console.services.accounts.user_by_name("admin").active


def test_admin_adds_a_user_who_can_then_sign_in(console: Api) -> None:
    admin = page_login(console, "admin")
    admin.get("/admin/users")
    refused = post_form(
        admin, "/admin/users", {"op": "add", "username": "lc", "password": "short", "role": "handler"}
    )
    assert refused.status_code == 422
    assert "密码至少 8 位" in _messages(refused.text)
    added = post_form(
        admin,
        "/admin/users",
        {"op": "add", "username": "lc", "password": "lc-password-1", "role": "handler", "unit_code": "GC-PN"},
    )
    assert "已添加用户 lc" in _messages(added.text)
    page = page_login(console, "lc", "lc-password-1").get("/workbench")
    assert "平南社区" in page.text


def test_the_user_list_is_searched_by_name_role_and_unit_and_capped(
    console: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = page_login(console, "admin")
    everyone = admin.get("/admin/users").text
    total = len(re.findall(r'<tr data-user="', everyone))
    assert total > 3

    found = admin.get("/admin/users", params={"q": "adm"}).text
    assert re.findall(r'<tr data-user="([^"]+)"', found) == ["admin"]
    assert 'value="adm"' in found

    handlers = admin.get("/admin/users", params={"role": "handler"}).text
    assert re.findall(r'<tr data-user="', handlers) and "管理员</td>" not in handlers
    nobody = admin.get("/admin/users", params={"unit": "NO-SUCH"}).text
    assert not re.findall(r'<tr data-user="', nobody)

    monkeypatch.setattr(account_pages, "USERS_SHOWN", 2)
    capped = admin.get("/admin/users").text
    assert len(re.findall(r'<tr data-user="', capped)) == 2
    assert f"只显示前 2 人，共 {total} 人符合条件" in capped
    hostile = admin.get("/admin/users", params={"q": "<script>x"}).text
    assert "<script>x" not in hostile


def test_a_new_channel_key_is_shown_once_and_works_and_the_list_shows_the_delivery(console: Api) -> None:
    admin = page_login(console, "admin")
    admin.get("/admin/channels")
    page = post_form(admin, "/admin/channels", {"op": "key", "code": "12345"})
    key = re.findall(r'class="secret">([^<]+)<', page.text)[0]
    assert key.startswith("zyk_")
    assert key not in admin.get("/admin/channels").text  # never shown again
    assert console.services.channels.get("12345").active_keys == 1
    channel = console.anonymous()
    channel.headers["X-Channel-Key"] = key
    posted = channel.post("/api/v1/intake/12345", json=CHANNEL_SPECS["12345"].example)
    assert posted.status_code == 201, posted.text
    listing = admin.get("/admin/channels").text
    hotline = listing.split('data-channel="12345"', 1)[1].split("</tr>", 1)[0]
    now = datetime.now(LOCAL_TZ)
    shown = re.search(r'data-testid="last-received">([^<]+)<', hotline)
    assert shown is not None and shown.group(1).startswith(f"{now:%Y-%m-%d}")  # local time
    assert re.search(r'data-testid="received-in-window">1<', hotline)
    police = listing.split('data-channel="police_110"', 1)[1].split("</tr>", 1)[0]
    assert "从未来件" in police


def test_time_limit_and_calendar_changes_are_saved(console: Api) -> None:
    admin = page_login(console, "admin")
    admin.get("/admin/time-limits")
    page = post_form(
        admin,
        "/admin/time-limits",
        {
            "order_type": "consult",
            "urgency": "normal",
            "sign_amount": "2",
            "sign_unit": "workdays",
            "reply_amount": "3",
            "reply_unit": "workdays",
        },
    )
    assert "已更新「咨询·一般」的时限" in _messages(page.text)
    limits = {(t.order_type, t.urgency): t for t in console.services.policy.time_limits()}
    assert limits[("consult", "normal")].reply.amount == 3
    bad = post_form(admin, "/admin/calendar", {"op": "set", "day": "2027-02-30", "kind": "workday"})
    assert "日期格式须为 YYYY-MM-DD" in _messages(bad.text)
    post_form(admin, "/admin/calendar", {"op": "set", "day": "2027-02-07", "kind": "workday", "note": "调休"})
    assert [o.day.isoformat() for o in console.services.policy.overrides()] == ["2027-02-07"]


def test_org_unit_is_added_under_its_parent(console: Api) -> None:
    admin = page_login(console, "admin")
    admin.get("/admin/units")
    page = post_form(
        admin,
        "/admin/units",
        {"op": "save", "code": "GC-NEW", "name": "新社区", "kind": "village", "parent_code": "GC"},
    )
    assert "新增 1 个" in _messages(page.text)[0]
    assert {r.code: r.parent_code for r in console.services.org.records()}["GC-NEW"] == "GC"
