"""Password hashes use the site's argon2 costs, and a hash made with other costs is renewed at login."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import ONLY_SQLITE, PASSWORD, build_small_district

from zhiyun.accounts.service import AccountService
from zhiyun.bootstrap import Services
from zhiyun.config import Settings
from zhiyun.store.tables import UserRow


def _hash_of(services: Services, username: str) -> str:
    with services.db.reading() as session:
        return str(session.scalar(select(UserRow.password_hash).where(UserRow.username == username)))


@ONLY_SQLITE
def test_a_password_is_hashed_with_the_configured_argon2_costs(services: Services) -> None:
    build_small_district(services)  # the test suite's costs: t=1, m=8 KiB, p=1
    assert "$argon2id$" in _hash_of(services, "town")
    assert "m=8,t=1,p=1" in _hash_of(services, "town")


@ONLY_SQLITE
def test_a_hash_with_older_costs_is_renewed_at_the_next_successful_login(services: Services) -> None:
    build_small_district(services)
    stronger = AccountService(
        services.db, Settings(password_time_cost=2, password_memory_kib=16, password_parallelism=1)
    )

    stronger.authenticate("town", PASSWORD)

    assert "m=16,t=2,p=1" in _hash_of(services, "town")
    assert stronger.authenticate("town", PASSWORD).username == "town"
