"""The citizens' portal at the HTTP edge: public writes let through without a credential but
limited in size and guarded by the form's token; its pages carry the security headers and no
inline script; the guard's limit agrees with the portal's own."""

from __future__ import annotations

from tests.e2e.harness import Api
from tests.support import ONLY_SQLITE
from zhiyun.domain import portal as rules
from zhiyun.kernel import http_guard
from zhiyun.kernel.http_guard import default_policy

PAGES = ("/portal", "/portal/report", "/portal/track")


def test_the_guards_limit_for_a_report_holds_the_portals_photos_and_no_more_than_a_megabyte_besides() -> None:
    limit = default_policy().body_limit("/portal/report")
    assert rules.MAX_PHOTOS_BYTES < limit <= rules.MAX_PHOTOS_BYTES + http_guard.MB
    assert (
        default_policy().body_limit("/portal/track")
        == default_policy().body_limit("/portal/rate")
        == 16 * 1024
    )
    policy = default_policy()
    assert all(policy.open_writes.search(p) for p in ("/portal/report", "/portal/track", "/portal/rate"))
    # only those: the rest of the site still wants a credential before a body is read
    assert not any(policy.open_writes.search(p) for p in ("/portal/reportx", "/portal", "/portalx/track"))


@ONLY_SQLITE
def test_the_portals_pages_carry_the_security_headers_and_no_inline_script(console: Api) -> None:
    client = console.anonymous()
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["cache-control"] == "no-store"
        html = response.text
        for script in html.split("<script")[1:]:
            assert "src=" in script.split(">", 1)[0], (path, script[:80])
        assert " onchange=" not in html and " onclick=" not in html and " onload=" not in html


@ONLY_SQLITE
def test_an_anonymous_report_passes_the_credential_check_but_not_without_the_forms_token(
    console: Api,
) -> None:
    client = console.anonymous()
    refused = client.post("/portal/report", data={"content": "路灯不亮", "citizen_phone": "13812345678"})
    assert refused.status_code == 403  # the CSRF check, not the login page
    cross_site = console.anonymous()
    cross_site.cookies.set("zhiyun_csrf", "a-token-the-attacker-chose")
    forged = cross_site.post(
        "/portal/track", data={"number": "NH1", "digits": "0000", "csrf_token": "another"}
    )
    assert forged.status_code == 403
    assert console.stored() == (0, 0, 0)


@ONLY_SQLITE
def test_an_anonymous_oversized_look_up_is_refused_before_it_is_read(console: Api) -> None:
    response = console.anonymous().post(
        "/portal/track",
        content=b"number=" + b"9" * (32 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
