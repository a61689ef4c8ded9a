"""Security regression tests: the HTTP app over the small district, on SQLite and PostgreSQL.

The fixtures reuse the end-to-end harness (tests/e2e): `api` is the REST API, `console`
the served app (API and console). Every service runs on `clock`, a clock the test moves by
hand, so that locks and expiries can be waited out instantly. Password hashing is cheap
here and counts its checks (`hasher.checks`), so that a test can tell whether a password
was checked at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.e2e.console_harness import console_fixture  # noqa: F401
from tests.e2e.harness import ATTACHMENT_LIMIT, Api, app_for
from tests.support import build_small_district
from zhiyun.api.app import create_app
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.store.db import Database


@dataclass
class FakeClock:
    """A clock that stands still until the test moves it."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CountingHasher(PasswordHasher):
    """Cheap argon2 parameters (the hashes verify the same way) that count password checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checks += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(attachment_dir=tmp_path / "attachments", attachment_max_bytes=ATTACHMENT_LIMIT)


@pytest.fixture
def services(database: Database, settings: Settings, clock: FakeClock, hasher: CountingHasher) -> Services:
    services = build_services(database, settings, clock=clock)
    services.accounts.hasher = hasher  # counts password checks (the unknown-user path's too)
    return services


@pytest.fixture
def api(services: Services) -> Iterator[Api]:
    harness = Api(services, build_small_district(services), app_for(services, create_app))
    try:
        yield harness
    finally:
        for client in harness.clients:
            client.close()
