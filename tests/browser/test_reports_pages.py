"""统计口径 and 统计报表 in Chromium: an admin makes a new rate definition (its note, hostile, shown
as text) and the dashboard names it; a leader opens 统计报表 from the menu, has yesterday's
district report made, reads the printable page and downloads its spreadsheet."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.browser.conftest import LiveServer
from zhiyun.analytics.definitions import RateDefinitionService
from zhiyun.domain.calendar import LOCAL_TZ

Shot = Callable[[Any, str], Path]
HOSTILE = "<img src=x onerror=alert(1)>依据考核办法"


def test_an_admin_makes_a_rate_definition_and_the_dashboard_names_it(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    before = live.services.get(RateDefinitionService).current(live.district.actors["admin"]).version
    login(page, "admin")
    page.goto("/admin/rate-definitions")
    assert f"现行口径：第 {before} 版" in page.locator("h2").first.inner_text()
    repeat = page.locator("input[name='exclusions'][value='repeat']")
    repeat.set_checked(not repeat.is_checked())
    page.get_by_label("修改理由（必填，如考核办法的文号）").fill(HOSTILE)
    page.get_by_role("button", name="启用新版本").click()
    page.wait_for_load_state()
    assert f"已启用统计口径第 {before + 1} 版" in page.content()
    assert HOSTILE in page.locator("table.list").inner_text()  # the note as text
    assert page.locator("img[src='x']").count() == 0
    shot(page, "rate-definitions")
    page.goto("/dashboard")
    assert page.get_by_test_id("rate-definition").first.inner_text() == f"口径第 {before + 1} 版"
    assert page.locator("img[src='x']").count() == 0


def test_a_leader_has_a_report_made_reads_it_and_downloads_its_spreadsheet(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    yesterday = live.services.clock().astimezone(LOCAL_TZ).date() - timedelta(days=1)
    login(page, "leader")
    page.get_by_role("link", name="统计报表").click()
    page.wait_for_url("**/reports")
    page.locator("#r-unit").select_option(label="南海区")
    page.locator("#r-kind").select_option("daily")
    page.locator("#r-period").fill(yesterday.isoformat())
    page.get_by_role("button", name="生成").click()
    page.wait_for_url("**/reports/*")
    report = page.get_by_test_id("report")
    assert (
        f"南海区日报（{yesterday.year} 年 {yesterday.month} 月 {yesterday.day} 日）"
        in report.locator("h1").inner_text()
    )
    assert "统计口径第" in report.inner_text()
    shot(page, "report")
    with page.expect_download() as caught:
        page.get_by_role("link", name="下载 Excel").click()
    data = Path(caught.value.path()).read_bytes()
    assert load_workbook(io.BytesIO(data)).sheetnames == [
        "概况",
        "各单位",
        "渠道",
        "类别",
        "热点问题（前 10）",
        "预警",
        "季节与预测展望",
    ]
    page.goto("/reports")
    assert page.get_by_test_id("reports").get_by_role("link", name="南海区日报").count() >= 1
