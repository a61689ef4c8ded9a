"""The order page: photos as thumbnails in a viewer, and the printed sheets of an order and a list."""

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


def test_the_order_prints_as_a_sheet_and_the_list_with_its_filters(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    number = _at_xiabei(live, "打印测试：桥底积水")
    live.services.attachments.add(
        live.district.actors["xiabei"], number, "积水.png", io.BytesIO(_png(320, 200, (90, 90, 180)))
    )
    page.add_init_script("window.print = () => { document.documentElement.dataset.printed = 'yes'; };")
    login(page, "leader")  # a leader sees the citizen's phone masked: so does the paper
    page.goto(f"/orders/{number}")
    page.get_by_role("button", name="打印工单").click()
    assert page.locator("html").get_attribute("data-printed") == "yes"

    page.emulate_media(media="print")
    head = page.locator(".print-head")
    assert head.is_visible() and "南海区智慧城市运行中心" in head.inner_text()
    assert number in head.inner_text()
    for hidden in (".topbar", "section[aria-labelledby=h-actions]", ".order-nav", "#order-map"):
        assert not page.locator(hidden).first.is_visible(), hidden
    sheet = page.locator("main").inner_text()
    for words in ("诉求内容", "流转记录", "办理期限", "承办单位", "138****5678", "桥底积水"):
        assert words in sheet, words
    assert "13812345678" not in sheet
    assert page.locator("ol.timeline li").count() >= 3  # registered, dispatched, signed, attached
    shot(page, "order-print")

    page.emulate_media(media="screen")
    assert not head.is_visible()
    page.goto("/workbench?queue=all&q=打印测试&sort=oldest")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="打印列表").click()
    assert page.locator("html").get_attribute("data-printed") == "yes"
    page.emulate_media(media="print")
    filters = page.get_by_test_id("print-filters")
    assert filters.is_visible()
    text = filters.inner_text()
    for words in ("全部工单", "打印测试", "最早受理", "本页", "1 件"):
        assert words in text, words
    for hidden in (".filters", ".queues", ".bulkbar", "#live"):
        if page.locator(hidden).count():
            assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(f'tr[data-order="{number}"]').is_visible()
    shot(page, "workbench-print")
