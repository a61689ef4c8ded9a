"""The console's grid items catalogue (系统管理 → 入格事项): the list, an item's checklist and
versions, import and export of the file, and everyone but an admin kept out."""

from __future__ import annotations

import io
import json
import re

from openpyxl import load_workbook

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from tests.support import TEST_ADMIN, footprint
from zhiyun.grid.items_service import GridItemService

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _items(console: Api) -> GridItemService:
    return console.services.get(GridItemService)


def _catalogue(console: Api) -> dict[str, list[str]]:
    """The rows of the catalogue's tables (signing in writes rows of its own elsewhere)."""
    rows = footprint(console.services)
    return {name: rows[name] for name in ("grid_item", "grid_item_version")}


def _messages(html: str) -> list[str]:
    return re.findall(r'role="(?:status|alert)"[^>]*>([^<]*)<', html)


def _upload(client: object, name: str, data: bytes, media_type: str, **fields: str) -> object:
    return post_form(
        client, "/admin/grid-items", {"op": "import", **fields}, files={"file": (name, data, media_type)}
    )


def test_an_admin_installs_the_default_catalogue_and_reads_an_items_checklist(console: Api) -> None:
    admin = page_login(console, "admin")
    empty = admin.get("/admin/grid-items")
    assert empty.status_code == 200 and "尚无入格事项" in empty.text
    assert '<a href="/admin/grid-items"' in empty.text and ">入格事项</a>" in empty.text  # the admin menu
    installed = post_form(admin, "/admin/grid-items", {"op": "ensure-default"})
    assert "默认入格事项：新增 10 个，已存在 0 个" in _messages(installed.text)
    assert 'data-item="XF-001"' in installed.text and "每月；高风险每14天，重大风险每周" in installed.text
    assert "三小场所（餐饮）" in installed.text and "区消防救援大队" in installed.text

    page = admin.get("/admin/grid-items/xf-001")
    assert page.status_code == 200
    assert "三小场所消防安全检查" in page.text and "当前版本" in page.text
    assert 'data-question="exits"' in page.text and "否：一般隐患" in page.text
    assert "住人，且无防火分隔或无独立出口：重大隐患" in page.text
    assert "&lt;1：一般隐患" in page.text  # 灭火器数量 < 1, escaped
    assert 'data-history="1"' in page.text and "测试管理员" not in page.text
    missing = admin.get("/admin/grid-items/XF-404")
    assert missing.status_code == 404 and "入格事项 XF-404 不存在" in missing.text
    assert admin.get("/admin/grid-items/XF-001?version=9").status_code == 404
    assert admin.get("/admin/grid-items/XF-001?version=abc").status_code == 404


def test_an_edited_export_imported_again_publishes_a_version_and_the_old_one_stays_readable(
    console: Api,
) -> None:
    _items(console).ensure_default(TEST_ADMIN)
    admin = page_login(console, "admin")
    admin.get("/admin/grid-items")
    exported = admin.get("/admin/grid-items/export.xlsx")
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    assert 'filename="grid-items.xlsx"' in exported.headers["content-disposition"]
    book = load_workbook(io.BytesIO(exported.content))
    sheet = book["入格事项"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "HW-001":
            row[header.index("事项名称")].value = "门前三包检查"
    edited = io.BytesIO()
    book.save(edited)

    trial = _upload(admin, "items.xlsx", edited.getvalue(), XLSX, dry_run="yes")
    assert "试导入：将新增 0 个，将发布新版本 1 个，未变 9 个" in _messages(trial.text)
    assert _items(console).get("HW-001").version == 1
    done = _upload(admin, "items.xlsx", edited.getvalue(), XLSX)
    assert "已新增 0 个，已发布新版本 1 个，未变 9 个" in _messages(done.text)
    assert "发布 HW-001 第 2 版" in done.text

    current = admin.get("/admin/grid-items/HW-001")
    assert "门前三包检查" in current.text and 'data-history="2"' in current.text
    assert 'href="/admin/grid-items/HW-001?version=1"' in current.text
    old = admin.get("/admin/grid-items/HW-001?version=1")
    assert (
        old.status_code == 200
        and "门前三包与环境卫生检查" in old.text
        and "旧版本（当前为第 2 版）" in old.text
    )


def test_a_file_with_bad_rows_is_refused_whole_and_every_row_is_listed(console: Api) -> None:
    items = _items(console)
    items.ensure_default(TEST_ADMIN)
    document = json.loads(items.export_json())
    document["items"][0]["frequency"] = "偶尔"
    document["items"][2]["name"] = "不会被导入"
    before = _catalogue(console)
    admin = page_login(console, "admin")
    admin.get("/admin/grid-items")
    refused = _upload(
        admin, "items.json", json.dumps(document, ensure_ascii=False).encode(), "application/json"
    )
    assert refused.status_code == 200
    assert 'data-testid="grid-items-rejects"' in refused.text
    assert "文件有 1 处错误，未导入任何内容" in refused.text and "频次「偶尔」无法识别" in refused.text
    assert "<th>项号</th>" in refused.text
    assert _catalogue(console) == before
    not_a_file = post_form(admin, "/admin/grid-items", {"op": "import"})
    assert not_a_file.status_code == 422 and "请选择要导入的文件" in _messages(not_a_file.text)[0]


def test_text_from_the_file_is_escaped_on_every_page(console: Api) -> None:
    items = _items(console)
    items.ensure_default(TEST_ADMIN)
    document = json.loads(items.export_json())
    xf = next(i for i in document["items"] if i["code"] == "XF-001")
    xf["name"] = '<script>alert("x")</script>'
    xf["questions"][0]["text"] = "<img src=x onerror=alert(1)>"
    admin = page_login(console, "admin")
    admin.get("/admin/grid-items")
    done = _upload(admin, "items.json", json.dumps(document, ensure_ascii=False).encode(), "application/json")
    assert "已发布新版本 1 个" in done.text
    for page in (admin.get("/admin/grid-items"), admin.get("/admin/grid-items/XF-001")):
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text


def test_switching_an_item_off_and_on(console: Api) -> None:
    _items(console).ensure_default(TEST_ADMIN)
    admin = page_login(console, "admin")
    admin.get("/admin/grid-items")
    off = post_form(admin, "/admin/grid-items", {"op": "deactivate", "code": "SF-001"})
    assert "已停用 SF-001 汛前三防隐患排查（低洼地、危房）" in _messages(off.text)
    assert not _items(console).get("SF-001").active
    on = post_form(admin, "/admin/grid-items", {"op": "activate", "code": "SF-001"})
    assert "已启用 SF-001" in _messages(on.text)[0]


def test_no_one_but_an_admin_opens_or_changes_the_catalogue(console: Api) -> None:
    _items(console).ensure_default(TEST_ADMIN)
    data = _items(console).export_json().replace("违法建设巡查", "改名").encode()
    before = _catalogue(console)
    for username in ("town", "xiabei", "leader", "inspector", "agent"):
        client = page_login(console, username)
        client.get("/workbench")  # the CSRF cookie
        for path in ("/admin/grid-items", "/admin/grid-items/XF-001", "/admin/grid-items/export.json"):
            assert client.get(path).status_code == 403, (username, path)
        for form in ({"op": "ensure-default"}, {"op": "deactivate", "code": "XF-001"}):
            assert post_form(client, "/admin/grid-items", form).status_code == 403, (username, form)
        assert _upload(client, "items.json", data, "application/json").status_code == 403
    assert _catalogue(console) == before


def test_a_post_without_the_pages_token_is_refused(console: Api) -> None:
    admin = page_login(console, "admin")
    admin.get("/admin/grid-items")
    before = _catalogue(console)
    forged = admin.post("/admin/grid-items", data={"op": "ensure-default", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert _catalogue(console) == before


def test_the_json_export_downloads_the_whole_catalogue(console: Api) -> None:
    _items(console).ensure_default(TEST_ADMIN)
    admin = page_login(console, "admin")
    exported = admin.get("/admin/grid-items/export.json")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/json")
    assert 'filename="grid-items.json"' in exported.headers["content-disposition"]
    assert len(exported.json()["items"]) == 10
