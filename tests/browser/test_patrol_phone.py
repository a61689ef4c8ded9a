"""The grid worker's patrol page (巡查, /grid/patrol) on a 390×844 phone in Chromium, against the
real patrol API: today's merged visits, a checklist filled offline with a photo, queued, and
synced exactly once when the network returns; the tasks from the cache on an offline reload; a
hazard shown as the worker answers; a submission the server refuses (422) kept to be fixed; a
conflict listed, not lost.

The world: 平南社区's first grid (GC-PN 001) with three shops, a grid worker `pn_walker` posted
to it, three monthly grid items for shops (so each shop is due for three: one visit with three
checklists), and the month planned by the patrol service's planner. The objects of the 网格对象
map test (test_grid_objects_map.py) are seeded first and left as they are.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.browser.conftest import LiveServer
from tests.browser.test_grid_objects_map import _seed as seed_grid_objects
from tests.browser.test_xss import WATCH
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.domain.access import Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.grid_items import Period, item_from_json
from zhiyun.grid.items_service import GridItemService
from zhiyun.grid.objects_service import ManagedObjectService, ObjectQuery
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.patrol_tables import PatrolPhotoRow, PatrolTaskRow, PatrolVisitRow
from zhiyun.grid.workers import GridWorkerService, NewPost

Shot = Callable[[Any, str], Path]

WORKER = "pn_walker"
GRID = "440605001002001"  # 平南社区's north-west grid
SHOPS = {
    "A": "巡查一号店",
    "B": "巡查二号店",
    "C": '<img src=x onerror="window.__xss=1">巡查三号店',  # text, never markup
}
ITEMS = [
    {
        "code": "PT-XF",
        "name": "消防安全检查",
        "department": "区消防救援大队",
        "object_kinds": ["shop"],
        "frequency": "monthly",
        "legal_basis": "《消防法》第十六条",
        "questions": [
            {
                "id": "q1",
                "text": "灭火器是否在有效期内",
                "type": "yes_no",
                "required": True,
                "photo": "hazard",
                "hazards": [{"level": "general", "answers": ["no"]}],
            },
            {
                "id": "q2",
                "text": "疏散通道宽度",
                "type": "number",
                "required": True,
                "unit": "米",
                "min": 0,
                "max": 20,
                "hazards": [{"level": "major", "below": 1}],
            },
        ],
    },
    {
        "code": "PT-RQ",
        "name": "燃气安全检查",
        "department": "区住建局",
        "object_kinds": ["shop"],
        "frequency": "monthly",
        "questions": [
            {
                "id": "q1",
                "text": "燃气软管状况",
                "type": "single_choice",
                "required": True,
                "options": ["完好", "老化", "破损"],
                "hazards": [
                    {"level": "general", "answers": ["老化"]},
                    {"level": "major", "answers": ["破损"]},
                ],
            }
        ],
    },
    {
        "code": "PT-SX",
        "name": "三小场所巡查",
        "department": "桂城街道",
        "object_kinds": ["shop"],
        "frequency": "monthly",
        "questions": [
            {"id": "q1", "text": "门头照片", "type": "photo", "required": True, "photo": "always"},
            {"id": "q2", "text": "其他情况", "type": "text", "required": False},
        ],
    },
]


def _today() -> date:
    return datetime.now(LOCAL_TZ).date()


@pytest.fixture(scope="module")
def world(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The shops, the worker, the items and the month's plan (once per server); the shops' task
    ids by key, the worker's user id."""
    services = live.services
    tmp = tmp_path_factory.mktemp("patrol")
    seed_grid_objects(live, tmp)  # the map test's objects and grids first, as that test expects them
    objects = services.get(ManagedObjectService)
    if not objects.search(TEST_ADMIN, ObjectQuery(text="巡查一号店"), limit=1).items:
        path = tmp / "shops.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["编号", "类型", "名称", "地址", "经度", "纬度", "风险等级"])
            writer.writerow(["PT-A", "三小场所", SHOPS["A"], "平南路 11 号", "113.122", "23.012", "中"])
            writer.writerow(["PT-B", "三小场所", SHOPS["B"], "平南路 13 号", "113.124", "23.018", "低"])
            writer.writerow(["PT-C", "三小场所", SHOPS["C"], "平南路 15 号", "113.127", "23.013", "高"])
        assert objects.import_file(TEST_ADMIN, path).imported == 3
        user = services.accounts.add_user(
            TEST_ADMIN,
            username=WORKER,
            password=PASSWORD,
            role=Role.GRID_WORKER,
            unit_code="GC-PN",
            display_name="巡查员小林",
        )
        live.district.actors[WORKER] = user.actor()
        services.get(GridWorkerService).add_posts(
            TEST_ADMIN, [NewPost(WORKER, "GC-PN", WorkerKind.FULL_TIME, GRID)]
        )
        items = services.get(GridItemService)
        for data in ITEMS:
            items.create(TEST_ADMIN, item_from_json(data))
        today = _today()
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        services.get(PatrolService).plan(TEST_ADMIN, Period(start, end))
        worker_id = live.district.actors[WORKER].user_id
        with services.db.transaction() as session:  # each shop's visit due today (the plan spreads them)
            session.execute(
                update(PatrolTaskRow)
                .where(PatrolTaskRow.worker_id == worker_id, PatrolTaskRow.day > today)
                .values(day=today)
            )
    worker_id = live.district.actors[WORKER].user_id
    with services.db.reading() as session:
        rows = session.execute(
            select(ManagedObjectRow.source_key, PatrolTaskRow.id, PatrolTaskRow.items)
            .join(PatrolTaskRow, PatrolTaskRow.object_id == ManagedObjectRow.id)
            .where(PatrolTaskRow.worker_id == worker_id)
        ).all()
    tasks = {key.removeprefix("PT-"): task_id for key, task_id, _ in rows}
    assert set(tasks) == {"A", "B", "C"}, rows
    assert all(len(items) == 3 for _, _, items in rows), "each shop: one visit with three checklists"
    return {"tasks": tasks, "worker_id": worker_id}


@pytest.fixture
def phone(browser: Any, live: LiveServer, world: dict[str, Any]) -> Iterator[Any]:
    """A phone-sized context where the worker is signed in, the position allowed and known."""
    context = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 23.0121, "longitude": 113.1221, "accuracy": 8},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def _open(context: Any, login: Callable[..., None]) -> Any:
    page = context.new_page()
    login(page, WORKER)
    page.goto("/grid/patrol")
    page.wait_for_selector("#patrol[data-offline-ready='1']")  # the service worker holds the shell
    page.wait_for_selector("#task-list li[data-task]")
    return page


def _jpeg(page: Any, width: int = 2400, height: int = 1800) -> bytes:
    """A JPEG made by the browser's canvas (a camera photo's size)."""
    data_url = page.evaluate(
        """([w, h]) => {
            const c = document.createElement("canvas"); c.width = w; c.height = h;
            const g = c.getContext("2d"); g.fillStyle = "#3a7"; g.fillRect(0, 0, w, h);
            g.fillStyle = "#fff"; g.fillRect(w / 4, h / 4, w / 2, h / 2);
            return c.toDataURL("image/jpeg", 0.9);
        }""",
        [width, height],
    )
    return base64.b64decode(data_url.split(",", 1)[1])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + length
    raise AssertionError("no frame in the JPEG")


def _visits(live: LiveServer, **where: Any) -> list[dict[str, Any]]:
    """The stored visits (as plain dicts) whose columns have the values `where` gives."""
    with live.services.db.reading() as session:
        query = select(PatrolVisitRow)
        for name, value in where.items():
            query = query.where(getattr(PatrolVisitRow, name) == value)
        return [
            {c.name: getattr(row, c.name) for c in PatrolVisitRow.__table__.columns}
            for row in session.scalars(query)
        ]


def _question(page: Any, item: str, question: str) -> Any:
    return page.locator(f'.question[data-item="{item}"][data-question="{question}"]')


def _fill_clean(page: Any, photo: bytes) -> None:
    """Every question of the three checklists answered without a hazard, the photo taken."""
    _question(page, "PT-XF", "q1").get_by_role("radio", name="是", exact=True).check()
    _question(page, "PT-XF", "q2").locator("input").fill("1.5")
    _question(page, "PT-RQ", "q1").get_by_role("radio", name="完好", exact=True).check()
    _question(page, "PT-SX", "q1").locator("input[type=file]").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    _question(page, "PT-SX", "q1").locator(".thumb-box img").wait_for()


def _until(page: Any, condition: Callable[[], bool], seconds: float = 15) -> None:
    """Wait until `condition` holds (the page's Content-Security-Policy runs no wait_for_function)."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out")


def _queued(page: Any) -> str:
    return page.get_by_test_id("queue-count").inner_text()


def test_an_offline_visit_is_queued_and_synced_exactly_once(
    phone: Any, live: LiveServer, world: dict[str, Any], login: Callable[..., None], shot: Shot
) -> None:
    page = _open(phone, login)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the patrol page is {width}px wide on a 390px phone"
    task_id = world["tasks"]["A"]
    card = page.locator(f'#task-list li[data-task="{task_id}"]')
    text = card.inner_text()
    assert "检查 3 项：" in text and all(i["name"] in text for i in ITEMS)  # one visit, three checklists
    shot(page, "patrol-phone-list")
    card.locator("a").tap()
    page.wait_for_selector(f'form.visit-form[data-task="{task_id}"]')
    assert page.locator("fieldset.checklist").count() == 3
    page.wait_for_selector("[data-position]:has-text('已定位')")

    phone.set_offline(True)
    photo = _jpeg(page)
    _fill_clean(page, photo)
    shot(page, "patrol-phone-visit")
    page.get_by_role("button", name="提交巡查").tap()
    page.wait_for_selector("#view-list:not([hidden])")
    assert _queued(page) == "1"  # 待同步 1
    assert card.locator(".badge.st-queued").inner_text() == "待同步"
    record = page.evaluate("window.zhiyunPatrol.state.queue[0]")
    submission_id = record["submission_id"]
    assert record["visit"]["task_id"] == task_id and record["visit"]["lat"] == pytest.approx(23.0121)
    assert _visits(live, submission_id=submission_id) == []  # nothing reached the server

    # the network returns, but the first answer is lost on its way back: the phone sends again
    lost: list[int] = []

    def lose_first_answer(route: Any) -> None:
        if not lost:
            lost.append(route.fetch().status)  # the server took it
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.route("**/api/v1/grid/patrol/visits", lose_first_answer)
    phone.set_offline(False)  # the `online` event starts a sync
    _until(page, lambda: bool(lost) and page.get_attribute("#patrol", "data-sync") == "idle")
    assert lost == [201] and _queued(page) == "1"  # the server has it, the phone does not know
    page.get_by_role("button", name="同步").tap()
    page.wait_for_selector("#patrol[data-queued='0']")
    page.locator(f"#queue-sent li[data-submission='{submission_id}']").wait_for(state="attached")

    visits = _visits(live, submission_id=submission_id)
    assert len(visits) == 1, "a retry never makes two visits"
    visit = visits[0]
    assert visit["task_id"] == task_id and sorted(visit["satisfied"]) == ["PT-RQ", "PT-SX", "PT-XF"]
    assert visit["lat"] == pytest.approx(23.0121) and visit["lon"] == pytest.approx(113.1221)
    with live.services.db.reading() as session:
        photos = [
            (p.sha256, p.content_type)
            for p in session.scalars(select(PatrolPhotoRow).where(PatrolPhotoRow.visit_id == visit["id"]))
        ]
        assert (
            session.scalar(
                select(func.count())
                .select_from(PatrolVisitRow)
                .where(PatrolVisitRow.worker_id == world["worker_id"], PatrolVisitRow.task_id == task_id)
            )
            == 1
        )
    assert len(photos) == 1 and photos[0][1] == "image/jpeg"
    sha = photos[0][0]
    stored = (Path(live.services.settings.attachment_dir) / sha[:2] / sha).read_bytes()
    assert max(_jpeg_size(stored)) == 1600  # downscaled on the phone from 2400×1800
    receipt = page.request.get(f"/api/v1/grid/patrol/visits/{submission_id}")
    assert receipt.status == 200 and receipt.json()["task"]["status"] == "done_on_time"
    page.wait_for_selector(f'#task-list li[data-task="{task_id}"] .badge.st-done_on_time')
    page.locator("a[data-tab=queue]").tap()
    assert "已同步" in page.locator("#view-queue").inner_text()

    # without network, a reload still shows the day's tasks, from the cache
    page.locator("a[data-tab=list]").tap()
    phone.set_offline(True)
    page.reload()
    page.wait_for_selector(f'#task-list li[data-task="{task_id}"]')
    assert page.locator("#data-note").inner_text().startswith("离线数据，更新于")
    assert page.locator("#net-state").inner_text() == "离线"
    assert page.locator(f'#task-list li[data-task="{world["tasks"]["B"]}"]').count() == 1
    shot(page, "patrol-phone-offline")
    phone.set_offline(False)


def test_a_hazard_answer_is_shown_before_submitting_and_asks_for_its_photo(
    phone: Any, live: LiveServer, world: dict[str, Any], login: Callable[..., None]
) -> None:
    phone.add_init_script(WATCH)  # test_xss.py's watch: CSP violations and alert() recorded
    page = _open(phone, login)
    page.locator("a[data-tab=map]").tap()  # the day's tasks on the map: one point per shop
    page.wait_for_selector("#patrol-map[data-points='3']")
    assert page.evaluate("window.zhiyunPatrolMap.layer.getLayers().length") == 3
    page.locator("a[data-tab=list]").tap()
    task_id = world["tasks"]["C"]
    card = page.locator(f'#task-list li[data-task="{task_id}"]')
    assert SHOPS["C"] in card.inner_text()  # the name as text
    card.locator("a").tap()
    fire = _question(page, "PT-XF", "q1")
    assert fire.get_attribute("data-hazard") == ""
    fire.get_by_role("radio", name="否", exact=True).check()
    assert fire.get_attribute("data-hazard") == "general"
    assert "一般隐患" in fire.locator(".q-hazard").inner_text()
    width = _question(page, "PT-XF", "q2")
    width.locator("input").fill("0.6")
    assert width.get_attribute("data-hazard") == "major"
    width.locator("input").fill("2")
    assert width.get_attribute("data-hazard") == ""
    gas = _question(page, "PT-RQ", "q1")
    gas.get_by_role("radio", name="破损", exact=True).check()
    assert gas.get_attribute("data-hazard") == "major" and "重大隐患" in gas.inner_text()
    _question(page, "PT-SX", "q1").locator("input[type=file]").set_input_files(
        files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(page, 800, 600)}]
    )
    _question(page, "PT-SX", "q1").locator(".thumb-box img").wait_for()
    page.get_by_role("button", name="提交巡查").tap()
    assert "发现隐患，须拍照" in fire.locator(".problem").inner_text()  # the hazard rule's photo
    assert page.locator("#view-visit:not([hidden])").count() == 1 and _queued(page) == "0"
    assert page.evaluate("window.__xss") is None and page.evaluate("window.__violations") == []
    assert SHOPS["C"] in page.locator("#h-visit").inner_text()  # the visit's title: text too


def test_a_submission_the_server_refuses_is_kept_to_be_fixed(
    phone: Any, live: LiveServer, world: dict[str, Any], login: Callable[..., None]
) -> None:
    page = _open(phone, login)
    page.clock.set_fixed_time(datetime.now(LOCAL_TZ) + timedelta(hours=3))  # the phone's clock is wrong
    page.locator("a[data-tab=report]").tap()
    page.get_by_label("问题描述").fill("平南路 20 号门口井盖缺失")
    page.get_by_role("button", name="提交随手报").tap()
    page.wait_for_selector("#view-queue li[data-state='invalid']", state="attached")
    assert _queued(page) == "0" and "需修改 1" in page.locator("#queue-extra").inner_text()
    record = page.evaluate("window.zhiyunPatrol.state.queue[0]")
    assert record["state"] == "invalid" and any("请校准手机时间" in p for p in record["problems"])
    assert _visits(live, submission_id=record["submission_id"]) == []
    page.reload()  # still there after a reload: it lives in IndexedDB
    page.wait_for_selector("#queue-extra:has-text('需修改 1')")
    page.locator("a[data-tab=queue]").tap()
    invalid = page.locator("#queue-invalid li[data-state='invalid']")
    assert "请校准手机时间" in invalid.inner_text()

    page.clock.set_fixed_time(datetime.now(LOCAL_TZ))  # the clock set right, the report sent again
    invalid.get_by_role("link", name="修改").tap()
    _until(page, lambda: page.get_by_label("问题描述").input_value() == "平南路 20 号门口井盖缺失")
    page.get_by_role("button", name="提交随手报").tap()
    page.wait_for_selector(f"#queue-sent li[data-submission='{record['submission_id']}']", state="attached")
    assert page.locator("#queue-extra").inner_text() == ""
    assert len(_visits(live, submission_id=record["submission_id"])) == 1


def test_a_conflict_is_listed_with_its_message(
    phone: Any, live: LiveServer, world: dict[str, Any], login: Callable[..., None]
) -> None:
    page = _open(phone, login)
    task_id = world["tasks"]["B"]
    page.locator(f'#task-list li[data-task="{task_id}"] a').tap()
    page.wait_for_selector(f'form.visit-form[data-task="{task_id}"]')
    # meanwhile the visit is made from another phone of the worker's
    other = {
        "submission_id": "other-phone-visit-b",
        "task_id": task_id,
        "visited_at": datetime.now(LOCAL_TZ).isoformat(),
        "answers": {"PT-RQ": {"version": 1, "answers": {"q1": {"value": "完好"}}}},
    }
    answer = page.request.post(
        "/api/v1/grid/patrol/visits",
        multipart={"visit": json.dumps(other)},
        headers={"X-CSRF-Token": next(c["value"] for c in phone.cookies() if c["name"] == "zhiyun_csrf")},
    )
    assert answer.status in (200, 201), answer.text()
    _fill_clean(page, _jpeg(page, 640, 480))
    page.get_by_role("button", name="提交巡查").tap()
    page.wait_for_selector("#queue-extra:has-text('冲突 1')")
    page.locator("a[data-tab=queue]").tap()
    conflict = page.locator("#queue-conflict li[data-state='conflict']")
    assert "已于" in conflict.inner_text() and "完成" in conflict.inner_text()  # the server's message
    record = page.evaluate("window.zhiyunPatrol.state.queue.find(r => r.state === 'conflict')")
    assert len(_visits(live, submission_id=record["submission_id"])) == 1  # kept on the server too
    conflict.get_by_role("button", name="知道了").tap()
    _until(page, lambda: page.locator("#queue-extra").inner_text() == "")
    assert "冲突" in page.locator("#queue-sent").inner_text()


def test_a_logged_out_phone_keeps_its_queue_and_sends_it_after_signing_in(
    phone: Any, live: LiveServer, world: dict[str, Any], login: Callable[..., None]
) -> None:
    page = _open(phone, login)
    page.locator("a[data-tab=report]").tap()
    phone.set_offline(True)
    page.get_by_label("问题描述").fill("平南路 30 号路灯不亮")
    page.get_by_label("地址或位置说明").fill("平南路 30 号")
    page.get_by_role("button", name="提交随手报").tap()
    _until(page, lambda: _queued(page) == "1")
    submission_id = page.evaluate("window.zhiyunPatrol.state.queue[0].submission_id")
    phone.clear_cookies()  # the session ended while the phone was offline
    phone.set_offline(False)
    page.wait_for_selector("#sync-message:has-text('登录已过期')")
    assert _queued(page) == "1" and _visits(live, submission_id=submission_id) == []
    login(page, WORKER)
    page.goto("/grid/patrol")
    page.wait_for_selector("#patrol[data-queued='0']")
    page.locator("a[data-tab=queue]").tap()
    sent = page.locator(f"#queue-sent li[data-submission='{submission_id}']")
    assert "平南路 30 号路灯不亮" in sent.inner_text()
    assert len(_visits(live, submission_id=submission_id)) == 1
