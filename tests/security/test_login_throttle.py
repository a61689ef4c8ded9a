"""Brute-force protection of logins (security probe F5): the API and the console lock a run of
failures per account name and per client address, say when to try again, and stop checking
passwords while locked."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.console_harness import csrf_of
from tests.e2e.harness import API, Api
from tests.security.conftest import CountingHasher, FakeClock
from tests.support import PASSWORD
from zhiyun.accounts.client_address import resolve_client_address
from zhiyun.accounts.service import AccountService
from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.bootstrap import Services
from zhiyun.config import Settings
from zhiyun.domain.errors import TooManyAttempts
from zhiyun.store.tables import LoginThrottleRow

WRONG = "wrong-password"
LOGIN_ROUTES = [f"{API}/auth/token", f"{API}/auth/login"]


def attempt(client: Any, route: str, username: str, password: str) -> Any:
    return client.post(route, json={"username": username, "password": password})


def outcome(response: Any) -> tuple[int, dict[str, Any], str | None]:
    return response.status_code, response.json(), response.headers.get("retry-after")


@pytest.mark.parametrize("route", LOGIN_ROUTES)
def test_six_wrong_passwords_lock_the_account_and_the_right_one_works_once_the_lock_ends(
    api: Api, clock: FakeClock, route: str
) -> None:
    client = api.anonymous()
    for _ in range(5):
        assert attempt(client, route, "town", WRONG).status_code == 401
    sixth = attempt(client, route, "town", WRONG)
    assert sixth.status_code == 429
    seventh = attempt(client, route, "town", PASSWORD)  # the right password, while locked
    assert seventh.status_code == 429
    assert seventh.headers["retry-after"] == "60"
    body = seventh.json()
    assert body["error"] == "too_many_attempts" and body["retry_after"] == 60
    assert "登录失败次数过多" in body["message"] and "1 分钟后" in body["message"]

    clock.advance(seconds=30)
    assert attempt(client, route, "town", PASSWORD).headers["retry-after"] == "30"
    clock.advance(seconds=31)
    assert attempt(client, route, "town", PASSWORD).status_code == 200


def test_a_failure_after_a_lock_ends_locks_the_account_twice_as_long(api: Api, clock: FakeClock) -> None:
    client = api.anonymous()
    for _ in range(6):
        attempt(client, f"{API}/auth/token", "town", WRONG)
    clock.advance(minutes=1, seconds=1)
    again = attempt(client, f"{API}/auth/token", "town", WRONG)
    assert again.status_code == 429 and again.json()["retry_after"] == 120


def test_an_unknown_username_is_throttled_exactly_like_a_known_one(api: Api) -> None:
    known, unknown = [], []
    for username, seen in (("town", known), ("no-such-user", unknown)):
        client = api.anonymous()
        for _ in range(7):
            seen.append(outcome(attempt(client, f"{API}/auth/token", username, WRONG)))
    assert known == unknown
    assert [status for status, _, _ in known] == [401] * 5 + [429, 429]


def test_many_usernames_from_one_address_lock_the_address_but_not_other_addresses(api: Api) -> None:
    sprayer = api.anonymous(client=("203.0.113.7", 40000))
    for i in range(30):
        assert attempt(sprayer, f"{API}/auth/token", f"guess{i}", WRONG).status_code == 401
    locked = attempt(sprayer, f"{API}/auth/token", "guess30", WRONG)
    assert locked.status_code == 429
    assert locked.json()["retry_after"] == 15 * 60
    # even a real user with the right password is refused from that address …
    assert attempt(sprayer, f"{API}/auth/token", "town", PASSWORD).status_code == 429
    # … while the same user signs in from elsewhere
    elsewhere = api.anonymous(client=("198.51.100.2", 40000))
    assert attempt(elsewhere, f"{API}/auth/token", "town", PASSWORD).status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_address_lock(api: Api) -> None:
    client = api.anonymous(client=("203.0.113.7", 40000))
    statuses = [
        client.post(
            f"{API}/auth/token",
            json={"username": f"guess{i}", "password": WRONG},
            headers={"X-Forwarded-For": f"192.0.2.{i}"},
        ).status_code
        for i in range(31)
    ]
    assert statuses == [401] * 30 + [429]


def test_behind_a_trusted_proxy_each_forwarded_client_address_is_counted_on_its_own(
    api: Api, services: Services
) -> None:
    services.settings.trusted_proxies = ["10.0.0.0/8"]
    proxy = api.anonymous(client=("10.0.0.5", 40000))
    statuses = [
        proxy.post(
            f"{API}/auth/token",
            json={"username": f"guess{i}", "password": WRONG},
            headers={"X-Forwarded-For": f"192.0.2.{i}, 10.0.0.9"},
        ).status_code
        for i in range(40)
    ]
    assert statuses == [401] * 40  # 40 clients behind the proxy, one failure each
    with services.db.reading() as session:
        keys = set(session.scalars(select(LoginThrottleRow.key)))
    assert "address:192.0.2.39" in keys and not any(k.startswith("address:10.") for k in keys)


def test_x_forwarded_for_is_read_from_the_right_and_only_behind_a_trusted_proxy() -> None:
    assert resolve_client_address("10.0.0.5", ["198.51.100.9, 10.0.0.7"], ["10.0.0.0/8"]) == "198.51.100.9"
    # the right-most untrusted hop: what the client wrote left of it is not believed
    assert resolve_client_address("10.0.0.5", ["6.6.6.6, 198.51.100.9"], ["10.0.0.0/8"]) == "198.51.100.9"
    assert resolve_client_address("203.0.113.7", ["198.51.100.9"], ["10.0.0.0/8"]) == "203.0.113.7"
    assert resolve_client_address("10.0.0.5", ["not-an-address"], ["10.0.0.0/8"]) == "10.0.0.5"
    assert resolve_client_address("10.0.0.5", ["198.51.100.9"], []) == "10.0.0.5"


def test_a_success_forgets_the_account_failures_but_not_the_address_failures(
    api: Api, services: Services
) -> None:
    client = api.anonymous(client=("203.0.113.8", 40000))
    for _ in range(5):
        attempt(client, f"{API}/auth/token", "town", WRONG)
    assert attempt(client, f"{API}/auth/token", "town", PASSWORD).status_code == 200
    for _ in range(5):  # five more free failures: the account's count started again
        assert attempt(client, f"{API}/auth/token", "town", WRONG).status_code == 401
    with services.db.reading() as session:
        rows = {r.key: r.failures for r in session.scalars(select(LoginThrottleRow))}
    assert rows == {"account:town": 5, "address:203.0.113.8": 10}


def test_the_console_login_form_answers_429_in_chinese_when_locked(console: Api, clock: FakeClock) -> None:
    client = console.anonymous()
    token = csrf_of(client.get("/login").text)
    statuses = []
    for password in [WRONG] * 6 + [PASSWORD]:
        response = client.post(
            "/login",
            data={"username": "town", "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429, 429]
    assert response.headers["retry-after"] == "60"
    assert "登录失败次数过多，已暂时锁定，请 1 分钟后" in response.text
    assert 'value="town"' in response.text  # the form comes back filled in
    assert "zhiyun_session" not in client.cookies
    clock.advance(minutes=2)
    response = client.post(
        "/login", data={"username": "town", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303


def test_api_and_console_count_failures_of_one_account_together(console: Api) -> None:
    client = console.anonymous()
    for _ in range(6):
        attempt(client, f"{API}/auth/login", "town", WRONG)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "town", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429


def test_a_locked_attempt_does_not_check_the_password(api: Api, hasher: CountingHasher) -> None:
    client = api.anonymous()
    for _ in range(6):
        attempt(client, f"{API}/auth/token", "town", WRONG)
    checks = hasher.checks
    for _ in range(20):
        assert attempt(client, f"{API}/auth/token", "town", PASSWORD).status_code == 429
    assert hasher.checks == checks


def test_attempts_while_locked_do_not_lengthen_the_lock(api: Api, clock: FakeClock) -> None:
    client = api.anonymous()
    for _ in range(6):
        attempt(client, f"{API}/auth/token", "town", WRONG)
    for _ in range(10):
        clock.advance(seconds=5)
        attempt(client, f"{API}/auth/token", "town", WRONG)
    clock.advance(seconds=11)  # 61 s after the lock began
    assert attempt(client, f"{API}/auth/token", "town", PASSWORD).status_code == 200


def test_each_lockout_is_logged_with_address_and_account_but_never_the_password(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    client = api.anonymous(client=("203.0.113.9", 40000))
    with caplog.at_level(logging.WARNING, logger="zhiyun.security"):
        for _ in range(8):
            attempt(client, f"{API}/auth/token", "town", "secret-guess-77")
    locks = [r for r in caplog.records if r.name == "zhiyun.security"]
    assert len(locks) == 1  # the lock, not each refused attempt
    assert locks[0].levelno == logging.WARNING
    text = locks[0].getMessage()
    assert "'town'" in text and "203.0.113.9" in text
    assert "secret-guess-77" not in caplog.text


def test_password_checks_run_at_most_login_concurrency_at_once(
    services: Services, hasher: CountingHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(login_concurrency=2, login_account_free_failures=100, login_address_free_failures=100)
    accounts = AccountService(services.db, settings, hasher=hasher)
    running, peak, lock = 0, 0, threading.Lock()
    verify = hasher.verify

    def slow_verify(hash: str | bytes, password: str | bytes) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.05)
            return verify(hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(hasher, "verify", slow_verify)

    def guess(i: int) -> None:
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(f"user{i}", WRONG, client=f"198.51.100.{i}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hasher.checks == 8
    assert 1 <= peak <= 2


def test_a_login_that_waits_too_long_for_a_password_check_is_answered_429(services: Services) -> None:
    accounts = AccountService(services.db, Settings(login_concurrency=1, login_wait_seconds=0))
    assert accounts._password_checks.acquire()  # another check is running
    try:
        with pytest.raises(TooManyAttempts) as refused:
            accounts.authenticate("town", WRONG)
        assert refused.value.http_status == 429 and "登录请求过多" in refused.value.message
    finally:
        accounts._password_checks.release()


def test_a_username_no_user_can_have_is_counted_without_a_server_error(api: Api, services: Services) -> None:
    client = api.anonymous()
    for username in ("ad\x00min", "名字", "x" * 64):
        assert attempt(client, f"{API}/auth/token", username, WRONG).status_code in (401, 422), username
    for username in ("ad\x00min", "y" * 10_000):  # as the console's form could send them
        with pytest.raises(AuthenticationFailed):
            services.accounts.authenticate(username, WRONG, client="203.0.113.10")
    with services.db.reading() as session:
        keys = set(session.scalars(select(LoginThrottleRow.key)))
    assert "account:ad\\x00min" in keys and "account:" + "y" * 150 in keys
