"""Helpers of the HTTP end-to-end tests: the app with one client per actor, and shortcuts."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

# Starlette 1.x prefers httpx2 for its TestClient; httpx works the same for these tests.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient` is deprecated")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from tests.support import PASSWORD, TEST_ADMIN, District  # noqa: E402
from zhiyun.bootstrap import Services  # noqa: E402
from zhiyun.store.tables import AttachmentRow, TransitionRow, WorkOrderRow  # noqa: E402

API = "/api/v1"
ATTACHMENT_LIMIT = 64 * 1024
# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


_APPS: dict[tuple[Any, ...], FastAPI] = {}


def app_for(services: Services, factory: Callable[[Services], FastAPI]) -> FastAPI:
    """`factory(services)`, built once per test process and handed to each test with its own
    services: building the app's routes takes about half a second, and everything in it reads
    its services from `app.state.services` (what the app is built from besides them — the
    edge's limits — keys the cache). The intake lane is turned back on for each test."""
    settings = services.settings
    key = (factory.__module__, factory.__qualname__, settings.attachment_max_bytes, settings.map_tile_url)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = factory(services)
    app.state.services = services
    if hasattr(app, "intake_lane"):
        app.intake_lane = True
    return app


@dataclass
class Api:
    """The app over a small district, with one HTTP client per actor."""

    services: Services
    district: District
    app: FastAPI
    clients: list[TestClient] = field(default_factory=list)

    def anonymous(self, **kwargs: Any) -> TestClient:
        client = TestClient(self.app, **kwargs)
        self.clients.append(client)
        return client

    def as_(self, username: str, **kwargs: Any) -> TestClient:
        """A client acting as `username` with an API token (no password hashing)."""
        user_id = self.district.actors[username].user_id
        assert user_id is not None
        token = self.services.accounts.issue_token(TEST_ADMIN, user_id, f"e2e {username}").secret
        client = self.anonymous(**kwargs)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    def login(self, username: str) -> TestClient:
        """A client that logged in through POST /auth/login (session cookie)."""
        client = self.anonymous()
        response = client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return client

    def unit(self, code: str) -> int:
        return self.district.units[code]

    def stored(self) -> tuple[int, int, int]:
        """How many orders, audit entries and attachments the database holds."""
        with self.services.db.reading() as session:
            return (
                session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0,
                session.scalar(select(func.count()).select_from(TransitionRow)) or 0,
                session.scalar(select(func.count()).select_from(AttachmentRow)) or 0,
            )


def register(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"title": "路灯不亮", "content": "夏北路 3 号路灯不亮，晚上很黑", **fields}
    response = client.post(f"{API}/orders", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def act(client: TestClient, key: int | str, action: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/orders/{key}/{action}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def order_at_village(api: Api, village: str = "GC-XB", handler: str = "xiabei") -> dict[str, Any]:
    """An order registered at the district, dispatched to 桂城 and on to `village`, signed there."""
    district, town = api.as_("district"), api.as_("town")
    order = register(district, citizen_phone="13812345678", citizen_name="张三")
    act(district, order["id"], "dispatch", target_unit_code="GC")
    act(town, order["id"], "sign")
    act(town, order["id"], "dispatch", target_unit_code=village)
    return act(api.as_(handler), order["id"], "sign")
