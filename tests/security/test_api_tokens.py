"""API tokens (security probe F6): they expire, die with a password reset or a disabled account,
and their owner and admins can list and revoke them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from tests.e2e.console_harness import page_login, post_form
from tests.e2e.harness import API, Api
from tests.security.conftest import FakeClock
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.bootstrap import Services

SECRET_FIELDS = {"token", "access_token", "token_hash", "digest", "secret"}


def issue(client: Any, name: str = "网格平台", **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/auth/tokens", json={"name": name, **body})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(api: Api, token: str) -> Any:
    return api.anonymous(headers={"Authorization": f"Bearer {token}"})


def me_status(api: Api, token: str) -> int:
    """The status of GET /auth/me with the bearer token: 200 while it works, 401 after."""
    return int(bearer(api, token).get(f"{API}/auth/me").status_code)


def test_a_token_issued_without_days_expires_after_ninety_days(api: Api, clock: FakeClock) -> None:
    issued = issue(api.login("town"))
    expires = datetime.fromisoformat(issued["expires_at"])
    assert expires == clock.now + timedelta(days=90)
    integration = bearer(api, issued["token"])
    clock.advance(days=89, hours=23)
    assert integration.get(f"{API}/auth/me").status_code == 200
    clock.advance(hours=1)
    assert integration.get(f"{API}/auth/me").status_code == 401


def test_days_beyond_the_longest_lifetime_is_a_422_with_a_message(api: Api) -> None:
    town = api.login("town")
    refused = town.post(f"{API}/auth/tokens", json={"name": "x", "days": 366})
    assert refused.status_code == 422
    assert refused.json()["error"] == "validation_failed"
    assert refused.json()["message"] == "令牌有效天数须为 1–365 天"
    assert "days" in refused.json()["fields"]
    assert issue(town, days=365)["expires_at"] is not None
    by_password = api.anonymous().post(
        f"{API}/auth/token", json={"username": "town", "password": PASSWORD, "days": 400}
    )
    assert by_password.status_code == 422


def test_auth_token_still_expires_after_the_session_lifetime_by_default(api: Api, clock: FakeClock) -> None:
    response = api.anonymous().post(f"{API}/auth/token", json={"username": "town", "password": PASSWORD})
    assert datetime.fromisoformat(response.json()["expires_at"]) == clock.now + timedelta(days=7)


def test_a_password_reset_revokes_every_token_and_session(api: Api, services: Services) -> None:
    session = api.login("town")
    tokens = [issue(session, f"t{i}")["token"] for i in range(2)]
    from_login = api.anonymous().post(f"{API}/auth/token", json={"username": "town", "password": PASSWORD})
    tokens.append(from_login.json()["token"])

    services.accounts.set_password(TEST_ADMIN, "town", "a-new-password-2")

    assert session.get(f"{API}/auth/me").status_code == 401
    for token in tokens:
        assert me_status(api, token) == 401
    assert api.as_("xiabei").get(f"{API}/auth/me").status_code == 200  # nobody else's


def test_disabling_a_user_revokes_every_token_and_session_for_good(api: Api, services: Services) -> None:
    session = api.login("town")
    token = issue(session)["token"]

    services.accounts.set_active(TEST_ADMIN, "town", False)
    services.accounts.set_active(TEST_ADMIN, "town", True)

    assert session.get(f"{API}/auth/me").status_code == 401
    assert me_status(api, token) == 401


def test_a_user_lists_and_revokes_their_own_token(api: Api, clock: FakeClock) -> None:
    town = api.login("town")
    kept, dropped = issue(town, "保留"), issue(town, "作废", days=30)
    listed = town.get(f"{API}/auth/tokens")
    assert listed.status_code == 200
    rows = {row["name"]: row for row in listed.json()}
    assert set(rows) == {"保留", "作废"}
    row = rows["作废"]
    assert set(row) == {"id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"}
    assert not SECRET_FIELDS & set(row)
    assert dropped["token"].startswith(row["prefix"]) and dropped["token"] not in listed.text

    assert town.delete(f"{API}/auth/tokens/{row['id']}").status_code == 204
    assert me_status(api, dropped["token"]) == 401
    assert me_status(api, kept["token"]) == 200
    assert [r["name"] for r in town.get(f"{API}/auth/tokens").json()] == ["保留"]
    everything = {r["name"]: r for r in town.get(f"{API}/auth/tokens?all=true").json()}
    assert everything["作废"]["revoked_at"] is not None
    assert town.delete(f"{API}/auth/tokens/{row['id']}").status_code == 204  # again: no change


def test_another_users_token_id_answers_404_and_the_token_keeps_working(api: Api) -> None:
    victim = issue(api.login("xiabei"), "夏北对接")
    victim_id = api.login("xiabei").get(f"{API}/auth/tokens").json()[0]["id"]
    town = api.login("town")
    refused = town.delete(f"{API}/auth/tokens/{victim_id}")
    assert refused.status_code == 404
    assert refused.json() == {"error": "not_found", "message": "令牌不存在"}
    assert town.delete(f"{API}/auth/tokens/{victim_id + 1000}").json() == refused.json()
    assert me_status(api, victim["token"]) == 200


def test_token_and_user_ids_beyond_int32_are_a_422_not_a_500(api: Api) -> None:
    town, admin = api.login("town"), api.as_("admin")
    for client, url in (
        (town, f"{API}/auth/tokens/99999999999999999999"),
        (town, f"{API}/auth/tokens/2147483648"),
        (town, f"{API}/auth/tokens/0"),
        (admin, f"{API}/users/2147483648/tokens/1"),
        (admin, f"{API}/users/1/tokens/99999999999999999999"),
    ):
        assert client.delete(url).status_code == 422, url
    assert admin.get(f"{API}/users/99999999999999999999/tokens").status_code == 422
    assert api.anonymous().delete(f"{API}/auth/tokens/99999999999999999999").status_code == 401


def test_an_admin_lists_and_revokes_a_users_tokens(api: Api) -> None:
    xiabei = api.login("xiabei")
    token = issue(xiabei, "夏北对接")["token"]
    user_id = api.district.actors["xiabei"].user_id
    admin = api.as_("admin")
    listed = admin.get(f"{API}/users/{user_id}/tokens")
    assert listed.status_code == 200
    (row,) = [r for r in listed.json() if r["name"] == "夏北对接"]
    assert token not in listed.text

    assert api.as_("town").get(f"{API}/users/{user_id}/tokens").status_code == 403
    assert api.as_("town").delete(f"{API}/users/{user_id}/tokens/{row['id']}").status_code == 403
    town_id = api.district.actors["town"].user_id
    assert admin.delete(f"{API}/users/{town_id}/tokens/{row['id']}").status_code == 404
    assert admin.get(f"{API}/users/999999/tokens").status_code == 404

    assert admin.delete(f"{API}/users/{user_id}/tokens/{row['id']}").status_code == 204
    assert me_status(api, token) == 401


def test_the_last_use_of_a_token_is_recorded_at_most_once_a_minute(api: Api, clock: FakeClock) -> None:
    town = api.login("town")
    token = issue(town)["token"]

    def last_used() -> str | None:
        (row,) = [r for r in town.get(f"{API}/auth/tokens").json() if r["name"] == "网格平台"]
        return row["last_used_at"]

    assert last_used() is None
    integration = bearer(api, token)
    integration.get(f"{API}/auth/me")
    first = last_used()
    assert first is not None and datetime.fromisoformat(first) == clock.now
    clock.advance(seconds=30)
    integration.get(f"{API}/auth/me")
    assert last_used() == first
    clock.advance(seconds=31)
    integration.get(f"{API}/auth/me")
    assert datetime.fromisoformat(last_used() or "") == clock.now


def test_the_admin_page_shows_a_live_token_and_revokes_it_with_the_csrf_form(console: Api) -> None:
    xiabei = console.login("xiabei")
    token = issue(xiabei, "夏北<对接>")
    token_id = xiabei.get(f"{API}/auth/tokens").json()[0]["id"]
    admin = page_login(console, "admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200
    card = page.text.split('data-testid="api-tokens"', 1)[1].split("</section>", 1)[0]
    row = card.split(f'data-token="{token_id}"', 1)[1].split("</tr>", 1)[0]
    assert "xiabei" in row and "夏北&lt;对接&gt;" in row and token["token"][:10] in row
    assert token["token"] not in page.text
    assert "<script" not in card and not re.search(r"\son\w+=", card)  # nothing a strict CSP would block

    forged = admin.post(
        "/admin/users", data={"op": "revoke_token", "username": "xiabei", "token_id": token_id}
    )
    assert forged.status_code == 403
    assert me_status(console, token["token"]) == 200

    done = post_form(
        admin, "/admin/users", {"op": "revoke_token", "username": "xiabei", "token_id": token_id}
    )
    assert done.status_code == 200
    assert "已吊销 xiabei 的令牌「夏北&lt;对接&gt;」" in done.text
    assert f'data-token="{token_id}"' not in done.text
    assert me_status(console, token["token"]) == 401
    wrong_owner = post_form(
        admin, "/admin/users", {"op": "revoke_token", "username": "town", "token_id": token_id}
    )
    assert wrong_owner.status_code == 404 and "令牌不存在" in wrong_owner.text


def test_a_password_reset_on_the_admin_page_says_tokens_are_revoked(console: Api) -> None:
    token = issue(console.login("xiabei"))["token"]
    admin = page_login(console, "admin")
    admin.get("/admin/users")
    done = post_form(
        admin, "/admin/users", {"op": "password", "username": "xiabei", "password": "new-password-9"}
    )
    assert "其登录会话和 API 令牌已失效" in done.text
    assert me_status(console, token) == 401
