"""The HTTP API end to end: create_app(services) behind Starlette's TestClient, on SQLite and PostgreSQL.

Each test gets the small district of tests/support.py. Password hashing uses cheap argon2
parameters here (the hashes still verify the same way) so that creating ten users and
logging in stays fast; most actors authenticate with an API token issued by the service,
and the tests about logging in use the HTTP login routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import ATTACHMENT_LIMIT, Api, app_for
from tests.support import build_small_district
from zhiyun.api.app import create_app
from zhiyun.bootstrap import Services
from zhiyun.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(attachment_dir=tmp_path / "attachments", attachment_max_bytes=ATTACHMENT_LIMIT)


@pytest.fixture
def api(services: Services) -> Iterator[Api]:
    harness = Api(services, build_small_district(services), app_for(services, create_app))
    try:
        yield harness
    finally:
        for client in harness.clients:
            client.close()
