"""The grid worker's 核实 tab on the patrol page (/grid/patrol) on a 390×844 phone in Chromium,
against the real API: a camera's 垃圾满溢 event raised for the worker of its grid shows with its
evidence image, device, address, point and due time; the worker confirms it with a note and a
camera photo, the answer waits in the page's queue and syncs once, and the event becomes a work
order with the photo and the evidence attached. The device's hostile name is text, never markup.

The world: 夏北社区's grids (the 网格对象 map test's), the default taxonomy and scene catalogue, a
grid worker `xb_verifier` posted to 夏北's grid 001, and a camera there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.test_grid_objects_map import _seed as seed_grids
from tests.browser.test_xss import WATCH
from tests.sensing_support import PNG, SensingWorld, add_device, add_event
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.domain.access import Role
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.sensing_alarms import EventStatus
from zhiyun.geo.tables import GridRow
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.sensing.alarm_tables import VerificationRow
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.store.tables import AttachmentRow, WorkOrderRow

Shot = Callable[[Any, str], Path]

WORKER = "xb_verifier"
GRID = "440605001001001"  # 夏北社区's north-west grid
HOSTILE = '<img src=x onerror="window.__xss=1">路口摄像机'


@pytest.fixture(scope="module")
def world(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> SensingWorld:
    services = live.services
    seed_grids(live, tmp_path_factory.mktemp("sensing"))
    # the shared server may hold another module's scenes already: install what is missing
    services.taxonomy.ensure_default(TEST_ADMIN)
    services.get(SceneCatalogue).ensure_default(TEST_ADMIN)
    if WORKER not in live.district.actors:
        user = services.accounts.add_user(
            TEST_ADMIN,
            username=WORKER,
            password=PASSWORD,
            role=Role.GRID_WORKER,
            unit_code="GC-XB",
            display_name="核实员小陈",
        )
        live.district.actors[WORKER] = user.actor()
        services.get(GridWorkerService).add_posts(
            TEST_ADMIN, [NewPost(WORKER, "GC-XB", WorkerKind.FULL_TIME, GRID)]
        )
    with services.db.reading() as session:
        grids = dict(session.execute(select(GridRow.code, GridRow.id)).all())
    actor = live.district.actors[WORKER]
    return SensingWorld(services, live.district, actor, actor, actor, live.district.actors["town"], grids)


@pytest.fixture
def phone(browser: Any, live: LiveServer) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 23.015, "longitude": 113.105, "accuracy": 8},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH)
    try:
        yield context
    finally:
        context.close()


def _until(page: Any, condition: Callable[[], bool], seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out")


def _jpeg(page: Any) -> bytes:
    import base64

    data_url = page.evaluate(
        """() => {
            const c = document.createElement("canvas"); c.width = 1200; c.height = 900;
            const g = c.getContext("2d"); g.fillStyle = "#6a4"; g.fillRect(0, 0, 1200, 900);
            return c.toDataURL("image/jpeg", 0.9);
        }"""
    )
    return base64.b64decode(data_url.split(",", 1)[1])


def test_a_grid_worker_confirms_a_camera_alarm_with_a_photo_and_it_becomes_an_order(
    phone: Any, world: SensingWorld, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    device = add_device(world, f"CAM-BT-{datetime.now(UTC):%H%M%S%f}", name=HOSTILE)
    event = world.raise_event(add_event(world, device, images=(("现场截图.png", PNG),)))
    with live.services.db.reading() as session:
        task_id = session.scalar(select(VerificationRow.id).where(VerificationRow.event_id == event.id))
    page = phone.new_page()
    login(page, WORKER)
    page.goto("/grid/patrol")
    page.wait_for_selector("#patrol[data-verify='ready']")
    tab = page.locator("#verify-tab")
    assert tab.is_visible() and page.locator("#verify-count").inner_text() == "1"
    tab.click()
    card = page.locator(f"#verify-list li[data-verification='{task_id}']")
    card.wait_for()
    assert "垃圾满溢" in card.inner_text() and HOSTILE in card.inner_text()  # the name as text
    assert card.locator("img").count() == 1
    _until(page, lambda: page.evaluate("document.querySelector('.verify-thumb').naturalWidth") > 0)
    assert "核实时限" in card.inner_text()
    shot(page, "sensing-verify-list")
    card.locator("a").click()
    form = page.locator(f"form.answer-form[data-verification='{task_id}']")
    form.wait_for()
    assert page.locator(".verify-facts").get_by_text(HOSTILE).count() == 1
    page.wait_for_selector(".verify-map[data-points='1']")
    page.locator("#answer-note").fill("垃圾溢出桶外，气味大")
    page.locator("#answer-photos").set_input_files(
        files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(page)}]
    )
    page.locator("[data-thumbs=answer] .thumb-box img").wait_for()
    shot(page, "sensing-verify-answer")
    page.get_by_role("button", name="属实", exact=True).click()
    page.wait_for_url("**/grid/patrol#/verify")
    _until(
        page,
        lambda: live.services.get(SceneCatalogue) is not None and _event_status(live, event.id) == "ordered",
    )
    _until(page, lambda: page.locator(f"#verify-list li[data-verification='{task_id}']").count() == 0)
    assert page.locator("#verify-list").get_by_text("没有待核实的告警").count() == 1
    with live.services.db.reading() as session:
        order_id = session.scalar(select(WorkOrderRow.id).where(WorkOrderRow.external_id == f"EV{event.id}"))
        assert order_id is not None
        names = sorted(
            session.scalars(select(AttachmentRow.filename).where(AttachmentRow.order_id == order_id))
        )
        content = session.scalar(select(WorkOrderRow.content).where(WorkOrderRow.id == order_id))
    assert len(names) == 2 and "现场截图.png" in names  # the evidence and the worker's photo
    assert content is not None and "核实：垃圾溢出桶外，气味大" in content
    page.goto("/grid/patrol#/queue")
    sent = page.locator("#queue-sent li[data-state='sent']").filter(has_text="核实：垃圾满溢（属实）")
    sent.wait_for()
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__violations") == []


def test_an_answer_given_offline_waits_on_the_phone_and_syncs_when_the_network_returns(
    phone: Any, world: SensingWorld, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    device = add_device(world, f"CAM-BT-{datetime.now(UTC):%H%M%S%f}", name="夏北路口摄像机")
    event = world.raise_event(add_event(world, device, images=(("画面.png", PNG),)))
    with live.services.db.reading() as session:
        task_id = session.scalar(select(VerificationRow.id).where(VerificationRow.event_id == event.id))
    page = phone.new_page()
    login(page, WORKER)
    page.goto("/grid/patrol#/verify")
    page.wait_for_selector("#patrol[data-offline-ready='1']")
    page.wait_for_selector(f"#verify-list li[data-verification='{task_id}']")
    page.wait_for_selector("#patrol[data-evidence-kept='1']")  # its evidence image kept for offline use
    phone.set_offline(True)
    page.reload()  # the shell and the list from the service worker's cache
    page.wait_for_selector("#patrol[data-verify='offline']")
    assert page.locator("#verify-note").inner_text() == "离线数据"
    _until(page, lambda: page.evaluate("document.querySelector('.verify-thumb').naturalWidth") > 0)
    page.locator(f"#verify-list li[data-verification='{task_id}'] a").click()
    page.get_by_role("button", name="已消失", exact=True).click()
    page.wait_for_selector("#patrol[data-queued='1']")
    card = page.locator(f"#verify-list li[data-verification='{task_id}']")
    assert card.locator(".badge.st-queued").inner_text() == "待同步"
    shot(page, "sensing-verify-offline")
    assert _event_status(live, event.id) == EventStatus.VERIFYING.value  # nothing reached the server
    phone.set_offline(False)  # the `online` event starts a sync
    page.wait_for_selector("#patrol[data-queued='0']")
    _until(page, lambda: _event_status(live, event.id) == EventStatus.GONE.value)
    _until(page, lambda: page.locator(f"#verify-list li[data-verification='{task_id}']").count() == 0)


def _event_status(live: LiveServer, event_id: int) -> str:
    from zhiyun.sensing.alarm_tables import EventRow

    with live.services.db.reading() as session:
        row = session.get(EventRow, event_id)
        return row.status if row is not None else EventStatus.WATCHING.value
