"""Sensing's events and figures through the served app: GET /api/v1/sensing/figures, the console's
感知事件 list and event page, 感知统计 and the leader dashboard's panel — each reader kept to their
villages (another town's event 404, another town's figures 404), grid workers refused, and a
hostile device name shown as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import API, Api
from tests.sensing_figures_support import SensingWorld, seed_sensing_world
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.domain.access import Role
from zhiyun.domain.calendar import LOCAL_TZ

HOSTILE = '<script>alert("感知")</script>夏北路口'


@dataclass
class Seen:
    world: SensingWorld
    events: dict[str, int]
    order: tuple[int, str]


@pytest.fixture
def seen(console: Api) -> Seen:
    """Two events in 夏北 (one confirmed and ordered, with an evidence image; one false alarm) from
    a camera with a hostile name, and one in 大沥's 盐步, all of the last hours; a grid worker."""
    w = seed_sensing_world(console.services, district=console.district)
    now = datetime.now(LOCAL_TZ).replace(microsecond=0)
    d1 = w.device("XB-CAM-1", HOSTILE)
    d4 = w.device("YB-CAM-1", "盐步桥", village="DL-YB", grid=None)
    order = w.order()
    e1 = w.event(d1, "CAM-04", status="ordered", at=now - timedelta(hours=3), order=order, evidence=True)
    w.check(e1, "confirmed", at=now - timedelta(hours=3), note="<b>属实</b>")
    e2 = w.event(d1, "CAM-07", status="false_alarm", at=now - timedelta(hours=2))
    w.check(e2, "false_alarm", at=now - timedelta(hours=2))
    e7 = w.event(d4, "CAM-07", status="verifying", at=now - timedelta(hours=1), village="DL-YB", grid=None)
    worker = console.services.accounts.add_user(
        TEST_ADMIN, username="xb_grid", password=PASSWORD, role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    console.district.actors["xb_grid"] = worker.actor()
    return Seen(w, {"e1": e1, "e2": e2, "e7": e7}, order)


def _stages(body: dict[str, object]) -> dict[str, int]:
    return {s["key"]: s["count"] for s in body["funnel"]}  # type: ignore[index, attr-defined]


def test_the_figures_api_gives_each_reader_their_part(console: Api, seen: Seen) -> None:
    leader = console.as_("leader").get(f"{API}/sensing/figures")
    assert leader.status_code == 200, leader.text
    body = leader.json()
    assert _stages(body)["events"] == 3 and _stages(body)["orders"] == 1
    assert {s["key"] for s in body["scenes"]} == {"CAM-04", "CAM-07"}
    assert body["precision_floor"] == 0.6 and body["min_labels"] == 20
    town = console.as_("town").get(f"{API}/sensing/figures").json()
    assert town["scope_name"] == "桂城街道" and _stages(town)["events"] == 2
    assert console.as_("town").get(f"{API}/sensing/figures", params={"town": "DL"}).status_code == 404
    narrowed = console.as_("leader").get(f"{API}/sensing/figures", params={"town": "大沥镇"}).json()
    assert _stages(narrowed)["events"] == 1
    refused = console.as_("xb_grid").get(f"{API}/sensing/figures")
    assert refused.status_code == 403 and "网格员" in refused.json()["message"]
    assert console.anonymous().get(f"{API}/sensing/figures").status_code == 401
    bad = console.as_("leader").get(
        f"{API}/sensing/figures", params={"from": "2026-12-10", "to": "2026-12-01"}
    )
    assert bad.status_code == 422
    assert console.as_("leader").get(f"{API}/sensing/figures", params={"from": "nonsense"}).status_code == 422


def test_the_event_list_shows_the_readers_events_with_their_order_and_a_hostile_name_as_text(
    console: Api, seen: Seen
) -> None:
    client = page_login(console, "town")
    page = client.get("/sensing/events")
    assert page.status_code == 200
    assert (
        'href="/sensing/events" aria-current="page"' in page.text and 'href="/sensing/figures"' in page.text
    )
    assert f'href="/sensing/events/{seen.events["e1"]}"' in page.text
    assert f'href="/orders/{seen.order[1]}"' in page.text
    assert "盐步桥" not in page.text  # another town's device
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    false = client.get("/sensing/events", params={"status": "false_alarm"})
    assert (
        f'data-event="{seen.events["e2"]}"' in false.text
        and f'data-event="{seen.events["e1"]}"' not in false.text
    )
    other = client.get("/sensing/events", params={"device": "YB-CAM-1"})
    assert other.status_code == 404 and "盐步桥" not in other.text
    assert client.get("/sensing/events", params={"status": "nonsense"}).status_code == 422
    assert client.get("/sensing/events", params={"from": "2026-99-01"}).status_code == 422


def test_the_event_page_shows_alarms_evidence_check_and_order_and_another_towns_event_is_404(
    console: Api, seen: Seen
) -> None:
    client = page_login(console, "xiabei")
    page = client.get(f"/sensing/events/{seen.events['e1']}")
    assert page.status_code == 200
    assert '<img class="evidence" src="/api/v1/sensing/evidence/' in page.text
    assert "属实" in page.text and "&lt;b&gt;属实&lt;/b&gt;" in page.text  # the worker's note, as text
    assert f'href="/orders/{seen.order[1]}"' in page.text
    assert "新建事件" in page.text and "归并到事件" in page.text  # its alarms
    assert "<script>alert" not in page.text
    hidden = page_login(console, "town2").get(f"/sensing/events/{seen.events['e1']}")
    assert hidden.status_code == 404 and "不存在或您无权查看" in hidden.text and "夏北路口" not in hidden.text
    assert client.get(f"/sensing/events/{seen.events['e7']}").status_code == 404  # 盐步's, to 夏北's staff
    assert client.get("/sensing/events/abc").status_code == 404
    assert client.get("/sensing/events/99999999").status_code == 404


def test_grid_workers_do_not_get_the_sensing_pages(console: Api, seen: Seen) -> None:
    client = page_login(console, "xb_grid")
    for path in ("/sensing/events", f"/sensing/events/{seen.events['e1']}", "/sensing/figures"):
        assert client.get(path).status_code == 403
    menu = client.get("/grid/patrol")
    assert 'href="/sensing/events"' not in menu.text


def test_the_figures_page_and_the_dashboard_panel_show_the_funnel_and_precision(
    console: Api, seen: Seen
) -> None:
    client = page_login(console, "leader")
    page = client.get("/sensing/figures")
    assert page.status_code == 200
    assert 'data-figure="events">3<' in page.text and "各场景准确率" in page.text and "误报热点" in page.text
    assert "需厂商整改（0）" in page.text and "<script>alert" not in page.text
    narrowed = client.get("/sensing/figures", params={"town": "DL"})
    assert narrowed.status_code == 200 and 'data-figure="events">1<' in narrowed.text
    assert (
        client.get("/sensing/figures", params={"from": "2026-12-10", "to": "2026-12-01"}).status_code == 422
    )
    assert page_login(console, "town").get("/sensing/figures", params={"town": "DL"}).status_code == 404
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200 and 'data-panel="sensing"' in dashboard.text
    assert "核实准确率" in dashboard.text and 'href="/sensing/figures"' in dashboard.text
