"""The console's menu per role: every entry a role sees opens for it, and every page it may
open that has a menu entry is in its menu (one test per staff role of the small district,
plus a grid worker)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import Api
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.domain.access import Role

NAV = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')
ADMIN_LINK = re.compile(r'<nav class="subnav"[^>]*>(.*?)</nav>', re.S)

# Every page of the menu, and whether each role may open it (what the policies say).
PAGES = (
    "/orders/new",
    "/workbench",
    "/map",
    "/dashboard",
    "/reports",
    "/grid/objects",
    "/grid/patrol",
    "/grid/ledger",
    "/grid/patrol-figures",
    "/sensing/events",
    "/sensing/figures",
    "/outlook",
    "/hotspots",
    "/assistant",
    "/replies",
    "/knowledge",
    "/admin",
)
EVERYONE = {"/workbench", "/map", "/replies", "/knowledge"}  # quick replies: everyone keeps their own;
# the knowledge base: every staff user reads the published items
OBJECTS = "/grid/objects"  # 网格对象: grid workers, village and town staff, dispatchers, admins
PATROL = "/grid/patrol"  # 巡查: grid workers only
# 电子台账 and 巡查统计: the objects' readers and the district's readers (inspectors, leaders)
PATROLS = {"/grid/ledger", "/grid/patrol-figures"}
# 感知事件 and 感知统计: every staff member but grid workers (each sees their unit's villages)
SENSING = {"/sensing/events", "/sensing/figures"}
# 预警: dispatchers, leaders, inspectors and admins (each sees the warnings of their towns)
OUTLOOK = "/outlook"
ASSISTANT = "/assistant"  # 小南对话: admins, leaders, inspectors (citizens' words)
ROLES = {
    "admin": EVERYONE
    | {"/orders/new", "/dashboard", OBJECTS, "/admin", OUTLOOK, "/reports", "/hotspots", ASSISTANT}
    | PATROLS
    | SENSING,
    "district": EVERYONE
    | {"/orders/new", "/dashboard", OBJECTS, OUTLOOK, "/reports", "/hotspots"}
    | PATROLS
    | SENSING,
    "town": EVERYONE
    | {"/orders/new", "/dashboard", OBJECTS, OUTLOOK, "/reports", "/hotspots"}
    | PATROLS
    | SENSING,
    "zjj": EVERYONE
    | {"/orders/new", "/dashboard", OBJECTS, OUTLOOK, "/reports", "/hotspots"}
    | PATROLS
    | SENSING,  # a department's dispatcher (sees none)
    "agent": EVERYONE | {"/orders/new"} | SENSING,  # a hotline agent: the seat, no dashboard
    "xiabei": EVERYONE | {OBJECTS} | PATROLS | SENSING,  # a village handler
    "grid": EVERYONE | {OBJECTS, PATROL} | PATROLS,  # a grid worker
    "inspector": EVERYONE | {"/dashboard", OUTLOOK, "/reports", "/hotspots", ASSISTANT} | PATROLS | SENSING,
    "leader": EVERYONE | {"/dashboard", OUTLOOK, "/reports", "/hotspots", ASSISTANT} | PATROLS | SENSING,
}


def _menu(html: str) -> dict[str, str]:
    found = NAV.search(html)
    assert found, "the page has no menu"
    return {href: label.strip() for href, label in LINK.findall(found.group(1))}


@pytest.mark.parametrize("username", sorted(ROLES))
def test_each_role_sees_exactly_the_pages_it_may_open(console: Api, username: str) -> None:
    if username == "grid":
        console.services.accounts.add_user(
            TEST_ADMIN,
            username="grid",
            password=PASSWORD,
            role=Role.GRID_WORKER,
            unit_code="GC-XB",
            display_name="网格员",
        )
    client = page_login(console, username)
    menu = _menu(client.get("/workbench").text)
    assert set(menu) == ROLES[username], menu
    for path in PAGES:
        response = client.get(path)
        opens = response.status_code == 200
        assert opens == (path in ROLES[username]), (path, response.status_code)
        if opens:  # the menu is the same on every page the role opens
            assert set(_menu(response.text)) == ROLES[username], path
    queues = re.findall(r'data-queue="(\w+)"', client.get("/workbench").text)
    assert queues
    for queue in queues:  # every queue the workbench offers opens without an error
        response = client.get(f"/workbench?queue={queue}")
        assert response.status_code == 200 and 'class="alert error"' not in response.text, queue
    if "/admin" in menu:  # every admin section in the admin menu opens too
        sections = LINK.findall(ADMIN_LINK.search(client.get("/admin").text).group(1))  # type: ignore[union-attr]
        assert sections
        for href, label in sections:
            assert client.get(href).status_code == 200, label
