"""Signing in and out of the console, the header, and CSRF protection of its forms."""

from __future__ import annotations

from tests.e2e.console_harness import console_fixture, csrf_of, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api


def test_page_without_session_redirects_to_login_with_next(console: Api) -> None:
    client = console.anonymous(follow_redirects=False)
    response = client.get("/workbench?queue=overdue")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fworkbench%3Fqueue%3Doverdue"


def test_root_goes_to_login_when_signed_out_and_to_workbench_when_signed_in(console: Api) -> None:
    anonymous = console.anonymous(follow_redirects=False)
    assert anonymous.get("/").headers["location"] == "/login"
    client = page_login(console, "town")
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/workbench"


def test_login_shows_user_unit_role_and_the_menu_the_policies_allow(console: Api) -> None:
    client = page_login(console, "xiabei")
    page = client.get("/workbench")
    assert page.status_code == 200
    header = page.text.split('data-testid="whoami"', 1)[1].split("</div>", 1)[0]
    assert "xiabei" in header
    assert "夏北社区" in header
    assert "承办人" in header
    assert 'href="/workbench"' in page.text
    # the menu offers what the policies let the user open: no dashboard, no admin pages
    assert 'href="/dashboard"' not in page.text and 'href="/admin"' not in page.text
    town = page_login(console, "town").get("/workbench").text
    assert 'href="/dashboard"' in town and 'href="/admin"' not in town
    admin = page_login(console, "admin").get("/workbench").text
    assert 'href="/dashboard"' in admin and 'href="/admin"' in admin


def test_wrong_password_is_refused_in_chinese_and_opens_no_session(console: Api) -> None:
    client = console.anonymous()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "town", "password": "wrong-password", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert client.get("/workbench", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(console: Api) -> None:
    client = console.anonymous()
    client.get("/login")
    response = client.post("/login", data={"username": "town", "password": "test-password-1"})
    assert response.status_code == 403
    assert "表单校验失败" in response.text
    assert client.get("/workbench", follow_redirects=False).status_code == 303


def test_login_never_redirects_off_site(console: Api) -> None:
    client = console.anonymous(follow_redirects=False)
    page = client.get("/login?next=//evil.example/x")
    response = client.post(
        "/login",
        data={
            "username": "town",
            "password": "test-password-1",
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/workbench"


def test_logout_ends_the_session(console: Api) -> None:
    client = page_login(console, "town")
    cookie = client.cookies.get("zhiyun_session")
    response = post_form(client, "/logout", follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert client.get("/workbench", follow_redirects=False).status_code == 303
    # the old cookie is dead on the server too, not only deleted in this browser
    other = console.anonymous(follow_redirects=False)
    other.cookies.set("zhiyun_session", cookie or "")
    assert other.get("/workbench").status_code == 303


def test_api_still_serves_docs_and_json_beside_the_console(console: Api) -> None:
    client = console.anonymous()
    assert client.get("/docs").status_code == 200
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get("/healthz").json()["status"] == "ok"
