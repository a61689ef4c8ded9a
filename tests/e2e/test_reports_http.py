"""Reports (统计报表) over HTTP and in the console: made, listed, read as a printable page and as a
spreadsheet, subscribed to; another unit's report is not there; the command line makes one too."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401 (the fixture)
from tests.e2e.harness import API, Api, act, order_at_village, register
from tests.support import build_small_district
from zhiyun.bootstrap import build_services
from zhiyun.cli.main import app
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.store.migrate import upgrade


def yesterday(api: Api) -> str:
    return (api.services.clock().astimezone(LOCAL_TZ).date() - timedelta(days=1)).isoformat()


def test_a_report_is_made_read_and_downloaded_and_another_towns_is_not_there(console: Api) -> None:
    order_at_village(console)  # 桂城 / 夏北
    other = register(console.as_("district"))
    act(console.as_("district"), other["id"], "dispatch", target_unit_code="DL")
    town = console.as_("town")
    made = town.post(
        f"{API}/reports", json={"unit_id": console.unit("GC"), "kind": "daily", "period": yesterday(console)}
    )
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["unit_name"] == "桂城街道" and report["figures"]["rate_definition"]["version"] == 1
    assert [r["id"] for r in town.get(f"{API}/reports").json()] == [report["id"]]
    sheet = town.get(f"{API}/reports/{report['id']}/xlsx")
    assert sheet.status_code == 200 and "spreadsheetml" in sheet.headers["content-type"]
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames == [
        "概况",
        "各单位",
        "渠道",
        "类别",
        "热点问题（前 10）",
        "预警",
        "季节与预测展望",
    ]
    dl = console.as_("town2")
    assert dl.get(f"{API}/reports/{report['id']}").status_code == 404
    assert dl.get(f"{API}/reports/{report['id']}/xlsx").status_code == 404
    refused = dl.post(
        f"{API}/reports", json={"unit_id": console.unit("GC"), "kind": "daily", "period": yesterday(console)}
    )
    assert refused.status_code == 404
    assert console.as_("xiabei").get(f"{API}/reports").status_code == 403


def test_bad_report_requests_are_refused_with_their_reason(console: Api) -> None:
    leader = console.as_("leader")
    today = console.services.clock().astimezone(LOCAL_TZ).date().isoformat()
    not_ended = leader.post(
        f"{API}/reports", json={"unit_id": console.unit("NH"), "kind": "daily", "period": today}
    )
    bad_date = leader.post(
        f"{API}/reports", json={"unit_id": console.unit("NH"), "kind": "weekly", "period": "上周"}
    )
    bad_kind = leader.post(
        f"{API}/reports", json={"unit_id": console.unit("NH"), "kind": "yearly", "period": today}
    )
    assert [r.status_code for r in (not_ended, bad_date, bad_kind)] == [422, 422, 422]
    assert "已结束" in not_ended.json()["message"] and "YYYY-MM-DD" in bad_date.json()["message"]
    assert leader.get(f"{API}/reports").json() == []


def test_the_console_lists_subscribes_and_shows_a_printable_report(console: Api) -> None:
    order_at_village(console)
    client = page_login(console, "leader")
    page = client.get("/reports")
    assert page.status_code == 200 and "还没有报表" in page.text
    subscribed = post_form(
        client, "/reports", {"op": "subscribe", "unit_id": console.unit("NH"), "kind": "daily"}
    )
    assert subscribed.status_code == 200 and "已订阅" in subscribed.text and "南海区日报" in subscribed.text
    made = post_form(
        client,
        "/reports",
        {"op": "make", "unit_id": console.unit("NH"), "kind": "daily", "period": yesterday(console)},
    )
    assert made.status_code == 200 and 'data-testid="report"' in made.text
    assert "统计口径第 1 版" in made.text and "下载 Excel" in made.text
    listed = client.get("/reports")
    assert '<span class="badge">新</span>' in listed.text  # the subscribed report, new until read
    assert '<span class="badge">新</span>' not in client.get("/reports").text
    bad = post_form(
        client, "/reports", {"op": "make", "unit_id": console.unit("NH"), "kind": "daily", "period": "x"}
    )
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    handler = page_login(console, "xiabei")
    assert handler.get("/reports").status_code == 403


def test_the_command_makes_a_report_and_saves_its_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "z.db"
    services = build_services(f"sqlite:///{path}")
    upgrade(services.db)
    build_small_district(services)
    services.db.dispose()
    runner = CliRunner()
    out = tmp_path / "r.xlsx"
    result = runner.invoke(
        app,
        [
            "dashboard",
            "report",
            "--unit",
            "GC",
            "--kind",
            "monthly",
            "--period",
            "2026-10",
            "--xlsx",
            str(out),
            "--db",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert (last["unit_name"], last["kind"], last["first_day"]) == ("桂城街道", "monthly", "2026-10-01")
    assert "桂城街道月报" in result.output and load_workbook(out).sheetnames[0] == "概况"
    bad_kind = runner.invoke(app, ["dashboard", "report", "--kind", "yearly", "--db", str(path)])
    bad_unit = runner.invoke(app, ["dashboard", "report", "--unit", "NOPE", "--db", str(path)])
    assert bad_kind.exit_code == 1 and "daily" in bad_kind.output
    assert bad_unit.exit_code == 1 and "NOPE" in bad_unit.output
