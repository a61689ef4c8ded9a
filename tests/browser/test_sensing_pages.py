"""The 感知事件 pages in Chromium: a town's staff open the list from the menu, see their events (a
hostile device name as text), open one and see its alarms, evidence image, check and order; and
感知统计 shows the funnel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.sensing_figures_support import SensingWorld, seed_sensing_world
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.sensing.alarm_tables import EventRow
from zhiyun.sensing.device_tables import DeviceRow

Shot = Callable[[Any, str], Path]
HOSTILE = "<img src=x onerror=alert(1)>夏北路口"


def _seed(live: LiveServer) -> tuple[int, str]:
    """An ordered event of a camera with a hostile name in 夏北 (once per session): its id and
    its order's number."""
    world: SensingWorld = seed_sensing_world(live.services, district=live.district)
    with live.services.db.reading() as session:
        device = session.scalar(select(DeviceRow.id).where(DeviceRow.code == "BR-CAM-1"))
        if device is not None:
            event = session.scalar(select(EventRow).where(EventRow.device_id == device))
            assert event is not None and event.order_id is not None
            return event.id, world.services.orders.get(
                live.district.actors["district"], event.order_id
            ).summary.number
    now = datetime.now(LOCAL_TZ).replace(microsecond=0)
    d = world.device("BR-CAM-1", HOSTILE)
    order = world.order()
    e = world.event(
        d, "CAM-04", status="ordered", at=now - timedelta(hours=2), count=3, order=order, evidence=True
    )
    world.check(e, "confirmed", at=now - timedelta(hours=2), note="现场确有占道经营")
    return e, order[1]


def test_a_towns_staff_open_their_events_and_one_events_page(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    event_id, number = _seed(live)
    login(page, "town")
    page.get_by_role("link", name="感知事件").click()
    page.wait_for_url("**/sensing/events")
    row = page.locator(f"tr[data-event='{event_id}']")
    assert row.count() == 1
    assert HOSTILE in row.inner_text()  # the name as text, never markup
    assert page.locator("img[src='x']").count() == 0
    assert row.get_by_role("link", name=number).get_attribute("href") == f"/orders/{number}"
    shot(page, "sensing-events")
    row.get_by_role("link", name="占道经营").click()
    page.wait_for_url(f"**/sensing/events/{event_id}")
    assert "占道经营" in page.locator("h1").inner_text()
    assert page.get_by_test_id("event-status").inner_text() == "已立案"
    assert HOSTILE in page.get_by_test_id("event-device").inner_text()
    evidence = page.locator("img.evidence")
    assert (evidence.get_attribute("src") or "").startswith("/api/v1/sensing/evidence/")
    assert "现场确有占道经营" in page.get_by_test_id("event-check").inner_text()
    assert page.get_by_test_id("event-alarms").locator("tbody tr").count() == 3
    assert page.get_by_test_id("event-order").get_by_role("link", name=number).count() == 1
    shot(page, "sensing-event")
    page.get_by_role("link", name="感知统计").first.click()
    page.wait_for_url("**/sensing/figures")
    assert int(page.locator("[data-figure='events']").inner_text()) >= 1
    shot(page, "sensing-figures")
