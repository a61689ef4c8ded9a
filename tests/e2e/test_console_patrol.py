"""The console's 巡查 page (/grid/patrol) over HTTP: only grid workers open it (the others get the
console's 403 page, no session the login page), its menu entry is theirs alone, its service
worker is served to anyone with the scope it needs — and what the page shows comes from the
patrol API through the worker's own session: their tasks only, never another worker's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import Api
from tests.patrol_support import JPEG, seed_patrol_world
from tests.support import TEST_SYSTEM
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.grid_items import Period
from zhiyun.grid.patrol_service import PatrolService

TODAY = "/api/v1/grid/patrol/today"


@pytest.fixture
def planned(console: Api, tmp_path: Path) -> Api:
    """The patrol world (gc_grid in 夏北's grid 001, pn_grid in 平南's), its month planned."""
    world = seed_patrol_world(console.services, tmp_path, district_built=True)
    console.district.actors["gc_grid"] = world.worker
    console.district.actors["pn_grid"] = world.other
    today = datetime.now(LOCAL_TZ).date()
    console.services.get(PatrolService).plan(TEST_SYSTEM, Period.month(today.year, today.month))
    return console


def _month_end() -> str:
    today = datetime.now(LOCAL_TZ).date()
    month = Period.month(today.year, today.month)
    return (month.end - timedelta(days=1)).isoformat()


def test_a_grid_worker_opens_the_patrol_page_from_the_menu(planned: Api) -> None:
    page = page_login(planned, "gc_grid").get("/grid/patrol")
    assert page.status_code == 200
    assert 'href="/grid/patrol" aria-current="page"' in page.text  # its menu entry
    assert 'id="patrol"' in page.text and "/static/js/patrol.js" in page.text
    assert 'data-sw="/grid/patrol/sw.js"' in page.text and 'data-scope="/grid/patrol"' in page.text
    user_id = planned.district.actors["gc_grid"].user_id
    assert f'data-worker="{user_id}"' in page.text
    assert "<script>" not in page.text  # no inline script: the page is drawn by patrol.js


@pytest.mark.parametrize("username", ["xiabei", "town", "admin", "leader", "agent"])
def test_everyone_else_gets_the_403_page_and_no_menu_entry(planned: Api, username: str) -> None:
    client = page_login(planned, username)
    page = client.get("/grid/patrol")
    assert page.status_code == 403
    assert "巡查页面仅供网格员使用" in page.text
    assert 'href="/grid/patrol"' not in client.get("/workbench").text


def test_without_a_session_the_page_asks_to_sign_in(planned: Api) -> None:
    response = planned.anonymous().get("/grid/patrol", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/login?next=%2Fgrid%2Fpatrol")


def test_the_service_worker_is_served_with_its_scope_and_the_shell(planned: Api) -> None:
    response = planned.anonymous().get("/grid/patrol/sw.js")  # no session needed: it holds no data
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/grid/patrol"
    body = response.text
    assert "__VERSION__" not in body and "__SHELL__" not in body
    for asset in ('"/grid/patrol"', "/static/js/patrol.js", "/static/vendor/leaflet/leaflet.js"):
        assert asset in body
    assert "/api/v1/grid/patrol/today" in body


def test_the_page_shows_the_workers_own_tasks_only(planned: Api) -> None:
    """The page's data is the patrol API's answer to the worker's own session (the cookie the
    console login set): gc_grid's day holds 夏北's objects, pn_grid's 平南's, never the other's."""
    day = _month_end()  # the month's last day lists every task of the month not yet visited
    seen: dict[str, set[str]] = {}
    for username in ("gc_grid", "pn_grid"):
        client = page_login(planned, username)
        assert client.get("/grid/patrol").status_code == 200
        answer = client.get(TODAY, params={"day": day})
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        assert data["worker"]["id"] == planned.district.actors[username].user_id
        seen[username] = {t["object"]["name"] for t in data["tasks"]}
    assert "陈记粉面店" in seen["gc_grid"] and "平南士多" not in seen["gc_grid"]
    assert seen["pn_grid"] == {"平南士多"}


def test_a_handler_gets_no_tasks_through_the_pages_session(planned: Api) -> None:
    client = page_login(planned, "xiabei")
    answer = client.get(TODAY)
    assert answer.status_code == 403
    assert "陈记粉面店" not in answer.text


def test_a_visit_with_many_photos_passes_the_edge(planned: Api) -> None:
    """A visit's body is its photos: 20 photos of 60 KB (1.2 MB, past the API's default 1 MB;
    the tests' attachment limit is 64 KB a file) are taken, not refused 413 at the edge."""
    client = page_login(planned, "gc_grid")
    client.get("/grid/patrol")
    photo = JPEG[:-2] + b"\x00" * (60 * 1024) + JPEG[-2:]
    ids = [f"p{n}" for n in range(20)]
    visit = {
        "submission_id": "edge-test-report-1",
        "visited_at": datetime.now(LOCAL_TZ).isoformat(),
        "report": {"description": "夏北路 3 号井盖缺失", "photos": ids},
    }
    answer = client.post(
        "/api/v1/grid/patrol/visits",
        data={"visit": json.dumps(visit)},
        files=[("photos", (f"{p}.jpg", photo, "image/jpeg")) for p in ids],
        headers={"X-CSRF-Token": client.cookies.get("zhiyun_csrf") or ""},
    )
    assert answer.status_code == 201, answer.text
