"""Finding 2 of the security probe: an order's text is inert wherever the console shows it.

Orders are registered with the probe's payloads in their title, content and address. A
dispatcher and an admin then open every page that shows them — the workbench and its
search, the order page, the map (hovering the point, whose tooltip ran the script before),
the dashboard — and nothing may run: no dialog, no `window.__xss`, no element with an event
handler created from the text, no Content-Security-Policy violation reported.

Each page is checked twice: as served (with the Content-Security-Policy) and with the
browser told to ignore the policy (`bypass_csp`), so that escaping alone is shown to be
enough and the policy is the second wall, not the only one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer

PAYLOADS = (
    '"><img src=x onerror="window.__xss=1;alert(1)">',
    "<img src=x onerror=window.__xss=1>",
    "<svg/onload=window.__xss=1>",
    "<script>window.__xss=1</script>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "javascript:window.__xss=1",
    "{{7*7}}<b>粗体</b>",
)
MARK = "XSS探测"

# Runs before any page script: records CSP violations and makes alert() detectable.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
window.alert = function () { window.__xss = 1; };
"""


@pytest.fixture(scope="module")
def payload_orders(live: LiveServer) -> list[str]:
    """One order per payload, located (for the map), with the payload in every text field."""
    numbers = []
    for i, payload in enumerate(PAYLOADS):
        numbers.append(
            live.register(
                "town",
                title=f"{MARK}{i} {payload}",
                content=f"{payload} 内容 " + " ".join(PAYLOADS),
                address=f"夏北路{i}号 {payload}",
                latitude=23.03 + i * 0.002,
                longitude=113.14 + i * 0.002,
            )
        )
    return numbers


@pytest.fixture(params=[False, True], ids=["with CSP", "escaping alone"])
def guarded_page(request: pytest.FixtureRequest, browser: Any, live: LiveServer) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        bypass_csp=request.param,
    )
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def _assert_inert(page: Any, where: str) -> None:
    state = page.evaluate(
        """() => ({
            xss: window.__xss || (window.parent && window.parent.__xss) || 0,
            handlers: Array.from(document.querySelectorAll("*")).filter(el =>
                Array.from(el.attributes).some(a => a.name.startsWith("on"))).map(el => el.outerHTML.slice(0, 80)),
            injected: Array.from(document.querySelectorAll("img[src='x'], svg[onload], iframe[srcdoc]"))
                .map(el => el.outerHTML.slice(0, 80)),
            scripts: Array.from(document.scripts).filter(s => s.textContent.includes("__xss")).length,
            violations: window.__violations || [],
        })"""
    )
    assert state["xss"] == 0, (where, "a payload ran")
    assert page.dialogs == [], (where, page.dialogs)
    assert state["handlers"] == [], (where, state["handlers"])
    assert state["injected"] == [], (where, state["injected"])
    assert state["scripts"] == 0, (where, "a payload became a script element")
    assert state["violations"] == [], (where, state["violations"])


@pytest.mark.parametrize("username", ["town", "admin"])
def test_payloads_in_orders_are_inert_on_every_page(
    guarded_page: Any, live: LiveServer, login: Callable[..., None], payload_orders: list[str], username: str
) -> None:
    page = guarded_page
    login(page, username)
    visits = [
        "/workbench",
        "/workbench?queue=all",
        f"/workbench?q={MARK}",
        *[f"/orders/{n}" for n in payload_orders[:2]],  # every payload is in each one's content
        "/dashboard",
    ]
    for url in visits:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        _assert_inert(page, url)
    # the order page shows the payload as text
    page.goto(f"/orders/{payload_orders[0]}")
    assert PAYLOADS[0] in page.locator("h1").inner_text()


def test_the_map_tooltip_shows_a_payload_as_text(
    guarded_page: Any, live: LiveServer, login: Callable[..., None], payload_orders: list[str]
) -> None:
    page = guarded_page
    login(page, "town")
    page.goto(f"/map?q={MARK}")
    page.wait_for_selector("#map-count:has-text('共')")  # no wait_for_function: the CSP forbids eval
    points = page.locator("path.order-point")
    points.first.wait_for()
    count = points.count()
    assert count >= 3
    for i in range(count):
        points.nth(i).hover(force=True)
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.first.wait_for()
        assert tooltip.locator("img, svg, script, iframe, b").count() == 0
        _assert_inert(page, f"map point {i}")
    texts = " ".join(page.locator(".leaflet-tooltip").all_inner_texts())
    assert MARK in texts
    _assert_inert(page, "/map")


def test_the_dashboard_with_payload_orders_draws_and_stays_inert(
    guarded_page: Any, live: LiveServer, login: Callable[..., None], payload_orders: list[str]
) -> None:
    page = guarded_page
    login(page, "admin")
    page.goto("/dashboard")
    page.wait_for_selector("body[data-dashboard-ready='true']")
    for chart in page.locator("[id^='chart-']").all():
        box = chart.bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    _assert_inert(page, "/dashboard")


def test_the_api_documentation_works_under_the_content_security_policy(
    browser: Any, live: LiveServer
) -> None:
    context = browser.new_context(base_url=live.url, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    try:
        page.goto("/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        assert "智运" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.evaluate("window.__violations") == []
    finally:
        context.close()
