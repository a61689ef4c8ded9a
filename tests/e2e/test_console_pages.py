"""The console's pages over HTTP: workbench, bulk actions, order page, attachments, map data and exports."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import PNG, Api
from zhiyun.domain.workorder import Dispatch
from zhiyun.orders.service import NewOrder


def _register(console: Api, title: str = "路灯不亮", username: str = "town", **kw: object) -> str:
    new = NewOrder(title=title, content=f"{title}，请尽快处理", citizen_phone="13812345678", **kw)  # type: ignore[arg-type]
    return console.services.orders.register(console.district.actors[username], new).order.summary.number


def _queue_counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-queue="(\w+)".*?queue-count[^>]*>(\d+)<', html, re.S)}


def test_workbench_shows_the_dispatchers_queues_with_counts(console: Api) -> None:
    number = _register(console)
    _register(console, "井盖缺失")
    client = page_login(console, "town")
    page = client.get("/workbench")
    assert "…" in page.text  # the counts come after the list
    counts = _queue_counts(client.get("/workbench/counts?queue=to_dispatch").text)
    assert counts["to_dispatch"] == 2
    assert counts["all"] == 2
    assert f'data-order="{number}"' in page.text
    # a search narrows the list (an htmx request gets only the results)
    found = client.get("/workbench?queue=all&q=井盖", headers={"hx-request": "true", "hx-target": "results"})
    assert "井盖缺失" in found.text and number not in found.text
    assert "<nav" not in found.text


def test_bad_filter_is_reported_in_chinese(console: Api) -> None:
    client = page_login(console, "town")
    page = client.get("/workbench?unit=abc&from=2026-13-01")
    assert page.status_code == 200
    assert "经办单位须为数字" in page.text
    assert "开始日期格式须为 YYYY-MM-DD" in page.text


def test_bulk_dispatch_reports_each_order_and_audits_each(console: Api) -> None:
    a, b = _register(console, "A"), _register(console, "B")
    client = page_login(console, "town")
    ids = re.findall(r'name="ids" value="(\d+)"', client.get("/workbench?queue=all").text)
    console.services.orders.act(
        console.district.actors["town"], b, Dispatch(target_unit_id=console.unit("GC-PN"))
    )  # b is no longer waiting for dispatch
    _, transitions_before, _ = console.stored()
    response = post_form(
        client,
        "/workbench/bulk",
        {"action": "dispatch", "ids": ids, "target_unit_id": str(console.unit("GC-XB")), "note": "批量派单"},
    )
    assert response.status_code == 200
    assert "成功 1 件，失败 1 件" in response.text
    assert re.search(rf'data-result="ok"><a href="/orders/{a}"', response.text)
    assert re.search(
        rf'data-result="failed"><a href="/orders/{b}">{b}</a>：工单当前状态为「待签收」', response.text
    )
    assert console.stored()[1] == transitions_before + 1  # one audited dispatch
    assert console.services.orders.get(console.district.actors["town"], a).summary.status == "dispatched"


def test_bulk_urge_needs_ticked_orders(console: Api) -> None:
    client = page_login(console, "town")
    client.get("/workbench")
    response = post_form(client, "/workbench/bulk", {"action": "urge"})
    assert "请先勾选工单" in response.text


def test_order_page_masks_the_phone_for_a_leader_and_offers_only_allowed_actions(console: Api) -> None:
    number = _register(console)
    town = page_login(console, "town").get(f"/orders/{number}")
    assert 'data-testid="phone">13812345678' in town.text
    assert re.findall(r'details class="action[^"]*" data-action="(\w+)"', town.text) == [
        "dispatch",
        "resolve_on_intake",
        "return",  # 上报: the town center may hand its own registration up to the district
        "cancel",
        "merge",
    ]
    assert "<summary>上报</summary>" in town.text
    leader = page_login(console, "leader").get(f"/orders/{number}")
    assert 'data-testid="phone">138****5678' in leader.text
    assert set(re.findall(r'data-action="(\w+)"><summary', leader.text.replace("\n", ""))) <= {
        "supervise",
        "urge",
        "instruct",
    }


def test_action_the_status_refuses_answers_409_with_the_reason_in_the_page(console: Api) -> None:
    number = _register(console)
    client = page_login(console, "town")
    client.get(f"/orders/{number}")
    response = post_form(client, f"/orders/{number}/actions/sign")
    assert response.status_code == 409
    assert "工单当前状态为「待分拨」，不能签收" in response.text
    missing = post_form(client, f"/orders/{number}/actions/return")
    assert missing.status_code == 422
    assert "请填写退单理由" in missing.text


def test_an_order_of_another_village_is_not_found_for_a_handler(console: Api) -> None:
    number = _register(console)
    console.services.orders.act(
        console.district.actors["town"], number, Dispatch(target_unit_id=console.unit("GC-PN"))
    )
    page = page_login(console, "xiabei").get(f"/orders/{number}")
    assert page.status_code == 404
    assert "工单不存在" in page.text


def test_attachment_uploads_and_is_served_back(console: Api) -> None:
    number = _register(console)
    client = page_login(console, "town")
    client.get(f"/orders/{number}")
    page = post_form(client, f"/orders/{number}/attachments", files={"file": ("现场.png", PNG, "image/png")})
    assert "附件已上传" in page.text
    attachment_id = re.findall(r'href="/attachments/(\d+)"', page.text)[0]
    served = client.get(f"/attachments/{attachment_id}")
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    outsider = page_login(console, "yanbu").get(f"/attachments/{attachment_id}")
    assert outsider.status_code == 404


def test_map_points_are_scoped_to_the_user(console: Api) -> None:
    _register(console, "有坐标", latitude=23.04, longitude=113.15)
    _register(console, "无坐标")
    town = page_login(console, "town").get("/map/points.json").json()
    assert [p["title"] for p in town["points"]] == ["有坐标"]
    other = page_login(console, "town2").get("/map/points.json").json()
    assert other["points"] == []


def test_csv_export_streams_the_filtered_list_with_masking(console: Api) -> None:
    _register(console, "路灯不亮")
    _register(console, "=HYPERLINK(1)")
    response = page_login(console, "leader").get("/export.csv?queue=all&sort=oldest")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["工单编号", "标题", "渠道"]
    assert [r[1] for r in rows[1:]] == ["路灯不亮", "'=HYPERLINK(1)"]
    assert {r[14] for r in rows[1:]} == {"138****5678"}


def test_xlsx_export_opens_as_a_workbook(console: Api) -> None:
    _register(console, "路灯不亮")
    _register(console, "井盖缺失")
    response = page_login(console, "town").get("/export.xlsx?queue=all&q=井盖")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "工单编号"
    assert [r[1] for r in values[1:]] == ["井盖缺失"]
    assert values[1][14] == "13812345678"


def test_order_page_shows_the_dispatch_suggestion_and_the_rule_that_fired(console: Api) -> None:
    from zhiyun.catalog.responsibility import RuleInput

    admin = console.district.actors["admin"]
    console.services.taxonomy.ensure_default(admin)
    category = next(c.code for c in console.services.taxonomy.categories() if c.parent_code is not None)
    rule = console.services.responsibility.create(admin, RuleInput(unit_code="GC-CG", category_code=category))
    number = _register(console, "垃圾没人清运", username="district", category_code=category)
    page = page_login(console, "district").get(f"/orders/{number}")
    assert "智能分拨建议" in page.text
    fired = re.search(r'data-testid="rule-fired">([^<]+)<', page.text)
    assert fired is not None and f"#{rule.rule.id}" in fired.group(1)
    assert "桂城街道城管办" in page.text.split('data-testid="classifier-suggestions"', 1)[1]


def test_a_flagged_duplicate_is_merged_or_dismissed_from_the_order_page(console: Api) -> None:
    from tests.e2e.test_intake_api import channel_client, example, post, reworded

    hotline = channel_client(console, "12345")
    first = post(hotline, "12345", example("12345")).json()
    intake = console.services.intake
    intake.policy = type(intake.policy)(radius_m=300, window_days=7, high=0.95, low=0.3)
    flagged = post(hotline, "12345", reworded("FLAG-1", "13900005555")).json()
    client = page_login(console, "district")
    page = client.get(f"/orders/{flagged['order_number']}")
    assert "疑似重复" in page.text and first["order_number"] in page.text
    merged = post_form(
        client,
        f"/orders/{flagged['order_number']}/duplicate",
        {"decision": "merge", "master": first["order_number"]},
    )
    assert "已合并为重复件" in merged.text
    assert 'data-status="merged"' in merged.text
    other = post(hotline, "12345", reworded("FLAG-2", "13900006666")).json()
    dismissed = post_form(client, f"/orders/{other['order_number']}/duplicate", {"decision": "dismiss"})
    assert "已排除疑似重复" in dismissed.text
    assert "dismiss_duplicate" in dismissed.text  # the timeline's new entry
