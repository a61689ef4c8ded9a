"""Logging in: console sessions in a cookie, bearer tokens for integrations and scripts."""

from __future__ import annotations

from tests.e2e.harness import API, Api
from tests.support import PASSWORD


def test_login_sets_an_httponly_session_cookie_and_logout_ends_the_session(api: Api) -> None:
    client = api.anonymous()
    response = client.post(f"{API}/auth/login", json={"username": "town", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["role"] == "dispatcher" and response.json()["unit_name"] == "桂城街道"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("zhiyun_session=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    secret = client.cookies["zhiyun_session"]
    assert client.get(f"{API}/auth/me").json()["username"] == "town"

    assert client.post(f"{API}/auth/logout").status_code == 204
    assert client.get(f"{API}/auth/me").status_code == 401
    replayed = api.anonymous(cookies={"zhiyun_session": secret}).get(f"{API}/auth/me")
    assert replayed.status_code == 401


def test_a_wrong_password_answers_401_without_saying_which_part_was_wrong(api: Api) -> None:
    client = api.anonymous()
    wrong = client.post(f"{API}/auth/login", json={"username": "town", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "unauthenticated", "message": "用户名或密码错误"}
    assert "set-cookie" not in wrong.headers
    token = client.post(f"{API}/auth/token", data={"username": "town", "password": "nope-nope"})
    assert token.status_code == 401 and token.json()["message"] == "用户名或密码错误"


def test_one_call_to_auth_token_gives_a_bearer_token_from_a_form_or_json(api: Api) -> None:
    client = api.anonymous()
    by_form = client.post(
        f"{API}/auth/token", data={"grant_type": "password", "username": "zjj", "password": PASSWORD}
    )
    assert by_form.status_code == 200, by_form.text
    issued = by_form.json()
    assert issued["token_type"] == "bearer" and issued["access_token"] == issued["token"]
    assert issued["expires_at"] is not None and issued["user"]["username"] == "zjj"
    me = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert me.json()["username"] == "zjj"

    by_json = client.post(
        f"{API}/auth/token", json={"username": "zjj", "password": PASSWORD, "name": "12345 对接"}
    )
    assert by_json.status_code == 200 and by_json.json()["name"] == "12345 对接"
    missing = client.post(f"{API}/auth/token", json={"username": "zjj"})
    assert missing.status_code == 422 and "password" in missing.json()["fields"]


def test_a_logged_in_user_issues_a_named_api_token_that_is_shown_once(api: Api) -> None:
    town = api.login("town")
    response = town.post(f"{API}/auth/tokens", json={"name": "网格平台", "days": 30})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("zy_") and response.json()["name"] == "网格平台"
    integration = api.anonymous(headers={"Authorization": f"Bearer {token}"})
    assert integration.get(f"{API}/orders").status_code == 200
    assert api.anonymous().post(f"{API}/auth/tokens", json={"name": "x"}).status_code == 401
