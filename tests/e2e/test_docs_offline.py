"""The API documentation works on an intranet with no internet: every asset is served locally."""

from __future__ import annotations

import re

from tests.e2e.harness import Api


def test_docs_page_loads_swagger_ui_from_this_server_not_a_cdn(api: Api) -> None:
    client = api.anonymous()
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, "the docs page references its script and stylesheet"
    for url in assets:
        assert url.startswith("/"), f"{url} would be fetched from outside the intranet"
        assert client.get(url).status_code == 200, url


def test_root_leads_to_the_api_documentation(api: Api) -> None:
    response = api.anonymous().get("/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/docs"
