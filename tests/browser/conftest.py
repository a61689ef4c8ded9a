"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against a real server.

One uvicorn server per test session runs in a background thread on a free port, serving
the whole application (zhiyun.server.create_server_app: API and console) over a SQLite
database that holds the small district of tests/support.py. Nothing downloads a browser
(`playwright install` is never run): `scripts/test.sh` installs the Debian packages
chromium and chromium-driver when they are missing. With CI=true a missing browser fails
the run instead of skipping.

Fixtures for every browser test (the dashboard's too):
- `live` — the running server: `live.url`, `live.services`, `live.district` (unit ids and
  actors by username) and `live.register(...)` to create orders through the service;
- `browser` — the Chromium instance (session);
- `page` — a fresh browser context and page per test (Chinese locale, phone-or-desk size);
- `login(page, username)` — signs in through the login form, lands on the workbench;
- `shot(page, name)` — saves test-output/browser/<name>.png and returns its path.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import PASSWORD, District, build_small_district
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.orders.service import NewOrder
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-output" / "browser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """The application running in this process, and the data it was given."""

    url: str
    services: Services
    district: District

    def register(self, username: str = "town", **fields: Any) -> str:
        """Register an order as `username` through the workflow service; its number."""
        new = NewOrder(
            title=fields.pop("title", "路灯不亮"),
            content=fields.pop("content", "夏北路 3 号路灯不亮，晚上很黑，请尽快维修"),
            order_type=fields.pop("order_type", OrderType.HELP),
            urgency=fields.pop("urgency", Urgency.NORMAL),
            channel=fields.pop("channel", "12345"),
            citizen_name=fields.pop("citizen_name", "陈先生"),
            citizen_phone=fields.pop("citizen_phone", "13812345678"),
            address=fields.pop("address", "桂城街道夏北路 3 号"),
            latitude=fields.pop("latitude", 23.04),
            longitude=fields.pop("longitude", 113.15),
            **fields,
        )
        return self.services.orders.register(self.district.actors[username], new).order.summary.number


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from zhiyun.server import create_server_app

    base = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{base / 'zhiyun.db'}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=base / "attachments"))
    district = build_small_district(services)
    port = _free_port()
    config = uvicorn.Config(
        create_server_app(services), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="browser-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", services, district)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live: LiveServer) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def login(live: LiveServer) -> Callable[..., None]:
    def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/workbench**")

    return sign_in


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
