"""Findings 4, 7, 9 and 15 at the HTTP edge: bodies limited before they are read, credentials
before parsing, hostile but well-formed input answered 4xx, and the security headers.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tests.e2e.console_harness import page_login
from tests.e2e.harness import API, Api, act, register
from tests.support import ONLY_SQLITE
from zhiyun.kernel.http_guard import EdgePolicy, RequestGuard, content_security_policy

# -- finding 4: size and credentials before the body -------------------------------------------


class Asgi:
    """Calls an ASGI app with a body sent in chunks, counting how much of it the app read."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def post(
        self, path: str, headers: dict[str, str], chunks: int, chunk_size: int = 1024 * 1024
    ) -> tuple[int, int, bytes]:
        """(status, chunks the app asked for, body of the answer)."""
        asked = 0
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal asked
            asked += 1
            if asked > chunks:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": b"x" * chunk_size, "more_body": asked < chunks}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
            "state": {},
        }
        # a thread of its own: another test's browser may hold this thread's event loop
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.app(scope, receive, send))
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
        if failure:
            raise failure[0]
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], asked, body


@ONLY_SQLITE
def test_an_anonymous_100_mb_login_is_refused_by_its_declared_length_before_a_byte_is_read(api: Api) -> None:
    status, asked, body = Asgi(api.app).post(
        f"{API}/auth/token",
        {"content-type": "application/json", "content-length": str(100 * 1024 * 1024)},
        chunks=100,
    )
    assert status == 413 and asked == 0
    assert "payload_too_large" in body.decode()


@ONLY_SQLITE
def test_a_login_body_that_grows_past_its_limit_is_cut_off_early(api: Api) -> None:
    status, asked, _ = Asgi(api.app).post(
        f"{API}/auth/token", {"content-type": "application/json"}, chunks=100, chunk_size=4096
    )
    assert status == 413 and asked <= 5


@ONLY_SQLITE
def test_an_anonymous_upload_is_refused_before_its_file_is_read(api: Api) -> None:
    order = register(api.as_("district"))
    status, asked, _ = Asgi(api.app).post(
        f"{API}/orders/{order['id']}/attachments",
        {"content-type": "multipart/form-data; boundary=x"},
        chunks=200,
    )
    assert status == 401 and asked == 0


@ONLY_SQLITE
def test_an_upload_with_a_bad_token_is_refused_before_its_file_is_read(api: Api) -> None:
    order = register(api.as_("district"))
    status, asked, _ = Asgi(api.app).post(
        f"{API}/orders/{order['id']}/attachments",
        {"content-type": "multipart/form-data; boundary=x", "authorization": "Bearer zy_not-a-token"},
        chunks=200,
    )
    assert status == 401 and asked == 0


@ONLY_SQLITE
def test_a_console_upload_without_a_session_is_sent_to_the_login_page_before_its_file_is_read(
    console: Api,
) -> None:
    status, asked, _ = Asgi(console.app).post(
        "/orders/1/attachments", {"content-type": "multipart/form-data; boundary=x"}, chunks=200
    )
    assert status == 303 and asked == 0


@ONLY_SQLITE
def test_an_upload_over_the_limit_is_413_and_stores_nothing(api: Api) -> None:
    order = register(api.as_("district"))
    limit = api.services.settings.attachment_max_bytes + 1024 * 1024
    too_big = b"\x89PNG\r\n\x1a\n" + b"0" * (limit + 1)
    response = api.as_("district").post(
        f"{API}/orders/{order['id']}/attachments", files={"file": ("big.png", too_big, "image/png")}
    )
    assert response.status_code == 413
    assert api.stored()[2] == 0


@ONLY_SQLITE
def test_an_ordinary_api_body_is_limited_to_one_megabyte(api: Api) -> None:
    response = api.as_("district").post(
        f"{API}/orders",
        json={"title": "x", "content": "长" * 600_000},  # about 1.8 MB as UTF-8
    )
    assert response.status_code == 413
    assert api.stored()[0] == 0


@ONLY_SQLITE
def test_an_anonymous_write_to_the_api_is_401_before_its_body_is_read(api: Api) -> None:
    status, asked, _ = Asgi(api.app).post(f"{API}/orders", {"content-type": "application/json"}, chunks=5)
    assert status == 401 and asked == 0


# -- finding 7: hostile but well-formed input is a 4xx -----------------------------------------


HOSTILE_PATHS = (
    f"{API}/orders/99999999999999999999",
    f"{API}/orders/9223372036854775808",
    f"{API}/orders?unit_id=2147483648",
    f"{API}/orders?current_unit_id=105430895304214315008",
    f"{API}/attachments/99999999999999999999",
    f"{API}/responsibility-rules/2388965884",
    f"{API}/units/2147483648/dispatch-targets",
    f"{API}/orders?q=%00",
    f"{API}/orders?channel=%00",
    f"{API}/orders?category=a%00b",
    f"{API}/taxonomy/history?code=%00",
    f"{API}/orders/NH%00",
    f"{API}/orders?registered_from=9999-12-31T23:59:59-23:59",
    f"{API}/orders?registered_to=9999-12-31",
    f"{API}/orders?registered_from=0001-01-01T00:00:00%2B23:59",
    f"{API}/stats/returns-by-unit?since=0001-01-01",
    f"{API}/orders?cursor=WyIwMDAxLTAxLTAxVDAwOjAwOjAwLTIzOjU5IiwgMV0=",
    f"{API}/orders?cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5OV0=",
)


def test_hostile_paths_and_queries_answer_4xx_in_the_apis_shape(api: Api) -> None:
    admin, wrong = api.as_("admin"), []
    for path in HOSTILE_PATHS:
        response = admin.get(path)
        if not 400 <= response.status_code < 500 or not set(response.json()) >= {"error", "message"}:
            wrong.append(f"{path}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)


HOSTILE_BODIES = (
    ("/auth/token", b'{"username": "a\\u0000", "password": "b"}'),
    ("/orders", b'{"title": "a\\u0000b", "content": "c"}'),
    ("/orders", b'{"title": "x", "content": "y", "latitude": NaN, "longitude": 113}'),
    ("/orders", b"[" * 100_000 + b"]" * 100_000),
    ("/orders", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
    ("/orders", b'{"title": "x", "content": "y", "latitude": 1e400, "longitude": 113}'),
)


def test_hostile_json_bodies_answer_422_and_store_nothing(api: Api) -> None:
    district, wrong = api.as_("district"), []
    for path, body in HOSTILE_BODIES:
        client = district if path != "/auth/token" else api.anonymous()
        response = client.post(f"{API}{path}", content=body, headers={"content-type": "application/json"})
        if response.status_code != 422 or response.json()["error"] != "validation_failed":
            wrong.append(f"{path} {body[:40]!r}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert api.stored()[0] == 0


def test_a_nul_in_a_console_form_is_refused(console: Api) -> None:
    client = page_login(console, "district")
    token = client.cookies.get("zhiyun_csrf")
    response = client.post("/workbench/bulk", data={"csrf_token": token, "note": "a\x00b"})
    assert response.status_code == 422


def test_hostile_console_list_filters_are_not_server_errors(console: Api) -> None:
    client, wrong = page_login(console, "district"), []
    for query in ("unit=99999999999999999999", "from=0001-01-01", "to=9999-12-31", "unit=-1", "q=%25", "q=_"):
        for path in ("/workbench", "/map/points.json", "/export.csv"):
            response = client.get(f"{path}?{query}")
            if response.status_code >= 500:
                wrong.append(f"{path}?{query}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_console_attachment_id_beyond_int64_is_404(console: Api) -> None:
    client = page_login(console, "district")
    assert client.get("/attachments/99999999999999999999").status_code == 404


# -- finding 9: security headers -------------------------------------------------------------


@ONLY_SQLITE
def test_every_console_page_and_api_answer_carries_the_security_headers(console: Api) -> None:
    client = page_login(console, "district")
    order = register(console.as_("district"))
    for path in (
        "/login",
        "/workbench",
        f"/orders/{order['number']}",
        "/map",
        "/dashboard",
        "/docs",
        f"{API}/orders",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        headers = response.headers
        csp = headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store", path


@ONLY_SQLITE
def test_static_files_stay_cacheable(console: Api) -> None:
    response = console.anonymous().get("/static/js/console.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
    assert response.headers["x-content-type-options"] == "nosniff"


@ONLY_SQLITE
def test_no_console_page_carries_an_inline_script_or_handler(console: Api) -> None:
    client = page_login(console, "district")
    order = register(console.as_("district"))
    for path in ("/login", "/workbench", f"/orders/{order['number']}", "/map", "/dashboard", "/docs"):
        html = client.get(path).text
        for script in html.split("<script")[1:]:
            opening = script.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (path, opening)
        assert " onchange=" not in html and " onclick=" not in html and " onload=" not in html


def test_the_tile_server_is_the_only_other_origin_images_may_come_from() -> None:
    csp = content_security_policy("http://tiles.example.gov/{z}/{x}/{y}.png")
    img = next(part for part in csp.split("; ") if part.startswith("img-src"))
    assert img == "img-src 'self' data: blob: http://tiles.example.gov"
    assert "tiles" not in content_security_policy(None)


@ONLY_SQLITE
def test_the_lane_answers_carry_nosniff_and_no_store(api: Api) -> None:
    response = api.anonymous().post(f"{API}/intake/12345", json={})
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_the_guard_passes_other_requests_through_unchanged() -> None:
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = RequestGuard(app, EdgePolicy())
    status, _, body = Asgi(guard).post(
        "/api/v1/orders",
        {"content-type": "application/json", "authorization": "Bearer x"},
        chunks=1,
        chunk_size=10,
    )
    assert (status, body, seen) == (200, b"ok", [b"x" * 10])


@ONLY_SQLITE
def test_an_order_the_guard_let_through_still_works_end_to_end(api: Api) -> None:
    district = api.as_("district")
    order = register(district, title="含 < 和 > 的标题 <b>不是标记</b>")
    assert act(district, order["id"], "dispatch", target_unit_code="GC")["status"] == "dispatched"


# -- finding 7: an export that fails part-way --------------------------------------------------


@ONLY_SQLITE
def test_a_csv_export_that_fails_after_its_first_rows_ends_with_a_row_saying_it_is_incomplete(
    console: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        register(console.as_("district"), title=f"导出 {i}")
    real = console.services.worklists.export_rows

    def failing(*args: Any, **kwargs: Any) -> Any:
        rows = real(*args, **kwargs)
        yield next(rows)
        raise RuntimeError("database went away")

    monkeypatch.setattr(console.services.worklists, "export_rows", failing)
    client = page_login(console, "district")
    response = client.get("/export.csv")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3  # header, the one row read, the marker
    assert "导出未完成" in lines[-1] and "不完整" in lines[-1]


@ONLY_SQLITE
def test_a_csv_export_that_fails_before_its_first_row_is_an_error_page_not_a_file(
    console: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhiyun.domain.errors import ValidationFailed

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise ValidationFailed("筛选条件有误")
        yield  # a generator, as the real one

    monkeypatch.setattr(console.services.worklists, "export_rows", refused)
    client = page_login(console, "district")
    response = client.get("/export.csv")
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]


def test_a_leaders_export_masks_numbers_typed_into_the_text(console: Api) -> None:
    register(
        console.as_("district"),
        title="来电 13955556666",
        content="身份证 440602199001011234，请回电 13955556666",
        latitude=23.04,
        longitude=113.14,
    )
    client = page_login(console, "leader")
    text = client.get("/export.csv").content.decode("utf-8-sig")
    assert "13955556666" not in text and "440602199001011234" not in text
    assert "139****6666" in text
    points = client.get("/map/points.json").text
    assert "139****6666" in points and "13955556666" not in points


@ONLY_SQLITE
def test_malformed_csv_imports_are_422_not_500(api: Api) -> None:
    """Found by fuzzing: a lone carriage return or a field past the csv module's limit."""
    admin, wrong = api.as_("admin"), []
    for path in ("/taxonomy/import", "/responsibility-rules/import"):
        for body in ("\x7f\xf3\r\x92½\r)×rZ;", "code,name\nA," + "x" * 200_000, 'code,name\n"open quote'):
            response = admin.post(f"{API}{path}", content=body.encode(), headers={"content-type": "text/csv"})
            if response.status_code != 422:
                wrong.append(f"{path} {body[:12]!r}: {response.status_code} {response.text[:100]}")
    assert not wrong, "\n".join(wrong)
