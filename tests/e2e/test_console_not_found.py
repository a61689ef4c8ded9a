"""A mistyped console address answers the console's own Chinese 404 page; the API keeps its
JSON errors and Open311 its specification's."""

from __future__ import annotations

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import Api


def test_a_mistyped_console_address_shows_the_chinese_not_found_page(console: Api) -> None:
    client = page_login(console, "xiabei")
    for path in ("/workbenchh", "/orders/NH000000000000/nope", "/admin/users/extra/deep"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "页面不存在" in response.text and "Not Found" not in response.text, path
        assert 'href="/workbench"' in response.text, path  # the signed-in user's menu is there
    anonymous = console.anonymous().get("/no-such-page")
    assert anonymous.status_code == 404 and "页面不存在" in anonymous.text
    assert 'class="mainnav"' not in anonymous.text  # no menu for nobody


def test_the_api_and_open311_keep_their_own_not_found(console: Api) -> None:
    client = page_login(console, "xiabei")
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json() == {"error": "not_found", "message": "接口不存在"}
    assert (
        console.anonymous()
        .get("/api/v1/orders/1/nope/deeper")
        .headers["content-type"]
        .startswith("application/json")
    )
    spec = console.anonymous().get("/open311/v2/reports.json")
    assert spec.status_code == 404 and isinstance(spec.json(), list) and spec.json()[0]["code"] == 404
