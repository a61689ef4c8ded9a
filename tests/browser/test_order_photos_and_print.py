"""The order page: photos as thumbnails in a viewer."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.workorder import Dispatch, Sign

Shot = Callable[[Any, str], Path]


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A PNG of a colour fading to white from left to right (a stand-in for a photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = bytearray()
    for x in range(width):
        t = x / max(width - 1, 1)
        row += bytes(round(c + (255 - c) * t * 0.7) for c in colour)
    raw = b"".join(b"\x00" + bytes(row) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _grid_worker(live: LiveServer) -> Actor:
    """A grid worker of 夏北社区 (made once per session)."""
    if "grid-xb" not in live.district.actors:
        user = live.services.accounts.add_user(
            TEST_ADMIN,
            username="grid-xb",
            password=PASSWORD,
            role=Role.GRID_WORKER,
            unit_code="GC-XB",
            display_name="李网格",
        )
        live.district.actors["grid-xb"] = user.actor()
    return live.district.actors["grid-xb"]


def _at_xiabei(live: LiveServer, title: str) -> str:
    """An order dispatched by 桂城 to 夏北社区 and signed there."""
    number = live.register("town", title=title, content=f"{title}，居民反映多次")
    live.services.orders.act(
        live.district.actors["town"], number, Dispatch(target_unit_id=live.district.units["GC-XB"])
    )
    live.services.orders.act(live.district.actors["xiabei"], number, Sign())
    return number


def test_photos_show_as_thumbnails_that_open_in_a_viewer(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    number = _at_xiabei(live, "楼道堆放杂物")
    grid = _grid_worker(live)
    files = live.services.attachments
    for name, colour in (("现场一.png", (200, 70, 40)), ("现场二.png", (40, 120, 200))):
        files.add(grid, number, name, io.BytesIO(_png(320, 200, colour)))
    files.add(live.district.actors["xiabei"], number, "清理后.png", io.BytesIO(_png(320, 200, (60, 160, 80))))
    login(page, "xiabei")
    page.goto(f"/orders/{number}")
    photos = page.locator("section[aria-labelledby=h-photos]")
    assert photos.locator("h3").all_inner_texts() == ["网格员拍摄 2 张", "办理过程 1 张"]
    thumbs = photos.locator("img.photo-thumb")
    assert thumbs.count() == 3
    for i in range(3):  # loaded through the access-checked attachment route
        thumbs.nth(i).scroll_into_view_if_needed()
        assert thumbs.nth(i).evaluate("img => img.complete && img.naturalWidth") == 320
    assert "网格员 李网格" in photos.inner_text()
    shot(page, "order-photos")

    photos.locator("a[data-viewer]").first.click()
    viewer = page.locator("dialog.viewer")
    viewer.wait_for()
    assert viewer.locator(".viewer-count").inner_text() == "1 / 3"
    assert "现场一.png" in viewer.locator("figcaption").inner_text()
    assert viewer.locator("img").evaluate("img => img.complete && img.naturalWidth") == 320
    shot(page, "order-photo-viewer")
    page.keyboard.press("ArrowRight")
    assert viewer.locator(".viewer-count").inner_text() == "2 / 3"
    page.keyboard.press("ArrowRight")
    assert "清理后.png" in viewer.locator("figcaption").inner_text()
    page.keyboard.press("ArrowRight")  # round again
    assert viewer.locator(".viewer-count").inner_text() == "1 / 3"
    page.keyboard.press("ArrowLeft")
    assert viewer.locator(".viewer-count").inner_text() == "3 / 3"
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    # the focus is back on the thumbnail that opened it
    assert page.evaluate("document.activeElement.getAttribute('data-viewer')") == "order-photos"

    # another town's handler gets neither the page nor the files
    other = page.context.browser.new_context(base_url=live.url, locale="zh-CN")
    try:
        outsider = other.new_page()
        login(outsider, "yanbu")
        src = thumbs.first.get_attribute("src")
        assert outsider.goto(src).status == 404
        assert outsider.goto(f"/orders/{number}").status == 404
    finally:
        other.close()
