"""Electronic ledgers and patrol figures through the served app: GET /api/v1/grid/ledger (JSON)
and ledger.xlsx, /api/v1/grid/patrol-figures, the console's 电子台账 and 巡查统计 pages and their
menu entries — each reader kept to their grids: another village's ledger is empty, another
village's object 404, and roles without ledgers 403."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import API, Api
from tests.ledger_support import PatrolledMonth, patrol_december
from tests.patrol_support import seed_patrol_world
from zhiyun.grid.ledger_xlsx import COVER, HEADER_ROW

DEC = {"from": "2026-12-01", "to": "2026-12-31"}


@pytest.fixture
def month(console: Api, tmp_path: Path) -> PatrolledMonth:
    world = seed_patrol_world(console.services, tmp_path, district_built=True)
    console.district.actors["gc_grid"] = world.worker
    console.district.actors["pn_grid"] = world.other
    return patrol_december(world)


def test_the_api_answers_a_villages_ledger_as_json_and_as_the_inspection_workbook(
    console: Api, month: PatrolledMonth
) -> None:
    client = console.as_("xiabei")
    response = client.get(f"{API}/grid/ledger", params={"village": "GC-XB", **DEC})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "夏北社区 网格巡查电子台账 2026年12月"
    assert body["totals"]["hazards_found"] == 1 and body["totals"]["visits"] == 3
    fire = next(i for i in body["items"] if i["code"] == "XF-001")
    eatery = next(o for o in fire["objects"] if o["name"] == "陈记粉面店")
    (check,) = eatery["checks"]
    assert check["fix"] == "待复查" and any(a["hazard_level"] for a in check["answers"])
    xlsx = client.get(f"{API}/grid/ledger.xlsx", params={"village": "GC-XB", **DEC})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[0] == COVER
    sheet = book[next(n for n in book.sheetnames if n.startswith("XF-001"))]
    assert sheet.cell(HEADER_ROW, 1).value == "序号"


def test_another_village_gets_an_empty_ledger_another_villages_object_404_and_other_roles_403(
    console: Api, month: PatrolledMonth
) -> None:
    pingnan = console.as_("pingnan")
    other = pingnan.get(f"{API}/grid/ledger", params={"village": "GC-XB", **DEC})
    assert other.status_code == 200 and other.json()["items"] == [] and other.json()["totals"]["visits"] == 0
    assert "陈记粉面店" not in other.text
    obj = pingnan.get(f"{API}/grid/ledger", params={"object": month.world.objects["XB1-eat"], **DEC})
    assert obj.status_code == 404
    worker = console.as_("pn_grid").get(f"{API}/grid/ledger", params={"grid": "440605001001001", **DEC})
    assert worker.status_code == 200 and worker.json()["items"] == []
    assert (
        console.as_("agent").get(f"{API}/grid/ledger", params={"village": "GC-XB", **DEC}).status_code == 403
    )
    two = console.as_("xiabei").get(
        f"{API}/grid/ledger", params={"village": "GC-XB", "item": "XF-001", **DEC}
    )
    assert two.status_code == 422


def test_the_figures_api_gives_coverage_and_missed_tasks_per_grid_and_worker_in_view(
    console: Api, month: PatrolledMonth
) -> None:
    body = console.as_("xiabei").get(f"{API}/grid/patrol-figures", params={"month": "2026-12"}).json()
    assert [v["name"] for v in body["villages"]] == ["夏北社区"]
    assert {w["name"] for w in body["workers"]} == {"gc_grid"}
    assert body["overall"]["hazards_found"] == 1 and body["overall"]["local_resolution"] is None
    leader = console.as_("leader").get(f"{API}/grid/patrol-figures", params={"month": "2026-12"}).json()
    assert {v["name"] for v in leader["villages"]} >= {"夏北社区", "平南社区"}
    assert leader["plan"]["tasks_saved"] == leader["overall"]["tasks_saved"] > 0


def test_the_console_pages_show_the_ledger_with_its_download_and_the_figures(
    console: Api, month: PatrolledMonth
) -> None:
    client = page_login(console, "xiabei")
    empty = client.get("/grid/ledger")
    assert empty.status_code == 200
    assert (
        'href="/grid/ledger" aria-current="page"' in empty.text
        and 'href="/grid/patrol-figures"' in empty.text
    )
    page = client.get("/grid/ledger", params={"kind": "village", "village": "GC-XB", **DEC})
    assert page.status_code == 200
    assert "夏北社区 网格巡查电子台账 2026年12月" in page.text and "陈记粉面店" in page.text
    assert "待复查" in page.text and "/grid/ledger.xlsx?" in page.text
    download = client.get("/grid/ledger.xlsx", params={"kind": "village", "village": "GC-XB", **DEC})
    assert download.status_code == 200 and download.content[:2] == b"PK"
    figures = client.get("/grid/patrol-figures", params={"month": "2026-12"})
    assert figures.status_code == 200 and "巡查覆盖率" in figures.text and "漏巡" in figures.text
    other = page_login(console, "pingnan").get(
        "/grid/ledger", params={"kind": "village", "village": "GC-XB", **DEC}
    )
    assert other.status_code == 200 and "陈记粉面店" not in other.text
    hidden = page_login(console, "pingnan").get(
        "/grid/ledger", params={"kind": "object", "object": month.world.objects["XB1-eat"], **DEC}
    )
    assert (
        hidden.status_code == 404 and "不存在或您无权查看" in hidden.text and "陈记粉面店" not in hidden.text
    )
    two_years = client.get(
        "/grid/ledger",
        params={"kind": "village", "village": "GC-XB", "from": "2025-01-01", "to": "2026-12-31"},
    )
    assert two_years.status_code == 200 and "台账时间段最长 366 天" in two_years.text
    assert client.get("/grid/patrol-figures", params={"month": "9999-12"}).status_code == 422
    refused = page_login(console, "agent").get("/grid/ledger")
    assert refused.status_code == 403


def test_the_leader_dashboard_shows_the_patrol_panel_the_grid_capability_declares(
    console: Api, month: PatrolledMonth
) -> None:
    page = page_login(console, "leader").get("/dashboard")
    assert page.status_code == 200
    assert 'data-panel="grid-patrols"' in page.text
    assert (
        "巡查覆盖率" in page.text and "就地解决率" in page.text and 'href="/grid/patrol-figures"' in page.text
    )


def test_a_hostile_object_name_is_text_on_the_ledger_page_and_no_formula_in_the_workbook(
    console: Api, month: PatrolledMonth
) -> None:
    from sqlalchemy import update

    from zhiyun.grid.objects_tables import ManagedObjectRow

    hostile = '<script>alert("台账")</script>'
    with console.services.db.transaction() as session:
        session.execute(
            update(ManagedObjectRow)
            .where(ManagedObjectRow.id == month.world.objects["XB1-eat"])
            .values(name=hostile)
        )
        session.execute(
            update(ManagedObjectRow)
            .where(ManagedObjectRow.id == month.world.objects["XB1-shop"])
            .values(name='=HYPERLINK("http://evil.example","点我")')
        )
    client = page_login(console, "xiabei")
    page = client.get("/grid/ledger", params={"kind": "village", "village": "GC-XB", **DEC})
    assert page.status_code == 200
    assert hostile not in page.text and "&lt;script&gt;alert(" in page.text
    xlsx = client.get("/grid/ledger.xlsx", params={"kind": "village", "village": "GC-XB", **DEC})
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [
        c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)
    ]
    assert any(hostile in c.value for c in cells)  # kept as text
    named = [c for c in cells if c.value.startswith("=HYPERLINK")]
    assert named and all(c.data_type == "s" for c in named)  # stored as text: never run as a formula
