"""The device registry over HTTP (感知设备): the REST list, one device, the import and the change
of one device, and the console's admin section 系统管理 → 感知设备.

Reads are scoped (another unit's device answers 404, as one that does not exist); the admin
operations answer 401 without a credential and 403 to everyone but an admin before the body is
read; a refused file answers 422 naming every row and writes nothing; hostile names are text on
the page and never a formula in the export.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import API, Api
from tests.support import (
    PN_BOX,
    TEST_ADMIN,
    TEST_SYSTEM,
    XB_BOX,
    add_boundaries,
    centre,
    grid_file,
    quadrants,
)
from zhiyun.domain.sensing_devices import Device
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.sensing.device_faults import build_sweep
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.devices import DeviceRegistry
from zhiyun.sensing.scenes import SceneCatalogue

DEVICES = f"{API}/sensing/devices"
XB1 = centre(quadrants(XB_BOX)[0])
PN2 = centre(quadrants(PN_BOX)[1])
HOSTILE = "=CMD()|' /C calc'!A0"
SCRIPT = "<script>alert('设备')</script>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = (
    "设备编码,设备名称,类型,场景,阈值,纬度,经度,坐标系,地址,维护单位,厂商,心跳间隔(秒),状态\n"
    f"CAM-XB-1,{HOSTILE},视频,CAM-07、CAM-08,CAM-07=0.8,{XB1[0]},{XB1[1]},WGS84,{SCRIPT},GC-XB,海康,300,启用\n"
    f"IOT-PN-1,平南水位计,物联感知,IOT-04,,{PN2[0]},{PN2[1]},,平南涌,,汉威,600,\n"
)


def _world(api: Api) -> DeviceRegistry:
    services = api.services
    add_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    services.taxonomy.ensure_default(TEST_ADMIN)
    services.get(SceneCatalogue).ensure_default(TEST_ADMIN)
    return services.get(DeviceRegistry)


def _devices(api: Api) -> int:
    with api.services.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(DeviceRow)) or 0)


def _upload(client: object, data: bytes, name: str = "devices.csv", **params: str) -> object:
    return client.post(  # type: ignore[attr-defined]
        f"{DEVICES}/import", params=params, files={"file": (name, data, "text/csv")}
    )


def test_an_admin_imports_a_file_and_readers_list_the_devices_in_their_sight(api: Api) -> None:
    _world(api)
    admin = api.as_("admin")
    dry = _upload(admin, FILE.encode(), dry_run="true")
    assert dry.status_code == 200 and dry.json()["created"] == ["CAM-XB-1", "IOT-PN-1"]  # type: ignore[attr-defined]
    assert _devices(api) == 0
    done = _upload(admin, FILE.encode())
    assert done.status_code == 200 and done.json()["summary"].startswith("新增 2 台")  # type: ignore[attr-defined]

    listed = api.as_("district").get(DEVICES)
    assert listed.status_code == 200
    body = listed.json()
    assert [d["code"] for d in body["items"]] == ["CAM-XB-1", "IOT-PN-1"] and body["total"] == 2
    camera = body["items"][0]
    assert (camera["name"], camera["address"], camera["grid_code"]) == (HOSTILE, SCRIPT, "440605001001001")
    assert camera["thresholds"] == {"CAM-07": 0.8} and camera["owner_unit_code"] == "GC-XB"
    filtered = api.as_("district").get(DEVICES, params={"kind": "iot", "village": "GC-PN"}).json()
    assert [d["code"] for d in filtered["items"]] == ["IOT-PN-1"]
    # 夏北's handler: its own village's device; 平南's device is as if it did not exist
    xiabei = api.as_("xiabei")
    assert [d["code"] for d in xiabei.get(DEVICES).json()["items"]] == ["CAM-XB-1"]
    assert xiabei.get(f"{DEVICES}/CAM-XB-1").status_code == 200
    hidden = xiabei.get(f"{DEVICES}/IOT-PN-1")
    assert hidden.status_code == 404 and hidden.json()["message"] == "设备不存在"
    assert api.as_("yanbu").get(DEVICES).json()["total"] == 0
    assert api.anonymous().get(DEVICES).status_code == 401
    assert api.as_("district").get(DEVICES, params={"kind": "radar"}).status_code == 422
    assert api.as_("district").get(DEVICES, params={"limit": 501}).status_code == 422


def test_a_refused_file_answers_422_naming_every_row_and_stores_nothing(api: Api) -> None:
    _world(api)
    bad = FILE + "CAM-2,坏类型,雷达,,,,,,,,,,\nCAM-3,未知场景,视频,CAM-99,,,,,,,,,\n"
    refused = _upload(api.as_("admin"), bad.encode())
    assert refused.status_code == 422  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert body["message"].startswith("文件未导入：2 行有问题")
    assert any(p.startswith("第 4 行「类型」") for p in body["problems"])
    assert any("第 5 行" in p and "CAM-99" in p for p in body["problems"])
    assert _devices(api) == 0
    assert _upload(api.as_("admin"), b"not,a,device\n1,2,3\n").status_code == 422  # type: ignore[attr-defined]
    no_file = api.as_("admin").post(f"{DEVICES}/import", data={"x": "1"})
    assert no_file.status_code == 422 and "file" in no_file.json()["message"]


def test_only_an_admin_imports_or_changes_and_is_asked_before_the_body(api: Api) -> None:
    registry = _world(api)
    registry.register(TEST_ADMIN, Device("CAM-1", "路口", SceneSource.CAMERA, heartbeat_s=300))
    for name in ("district", "town", "xiabei", "leader", "inspector"):
        client = api.as_(name)
        assert _upload(client, FILE.encode()).status_code == 403  # type: ignore[attr-defined]
        garbage = {
            "content": b"--x\r\nbroken",
            "headers": {"content-type": "multipart/form-data; boundary=x"},
        }
        assert client.post(f"{DEVICES}/import", **garbage).status_code == 403  # type: ignore[arg-type]
        assert client.patch(f"{DEVICES}/CAM-1", json={"status": "disabled"}).status_code == 403
        assert client.patch(f"{DEVICES}/CAM-1", content=b"{not json").status_code in (403, 422)
    assert api.anonymous().patch(f"{DEVICES}/CAM-1", json={"status": "disabled"}).status_code == 401
    assert api.anonymous().post(f"{DEVICES}/import", content=b"x").status_code == 401
    assert _devices(api) == 1 and registry.get(TEST_ADMIN, "CAM-1").status.value == "active"


def test_an_admin_changes_status_thresholds_and_heartbeat(api: Api) -> None:
    registry = _world(api)
    registry.register(
        TEST_ADMIN,
        Device(
            "CAM-1",
            "路口",
            SceneSource.CAMERA,
            scenes=("CAM-07",),
            latitude=XB1[0],
            longitude=XB1[1],
            heartbeat_s=300,
        ),
    )
    admin = api.as_("admin")
    changed = admin.patch(f"{DEVICES}/CAM-1", json={"thresholds": {"CAM-07": 0.85}, "heartbeat_s": 900})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["thresholds"], changed.json()["heartbeat_s"]) == ({"CAM-07": 0.85}, 900)
    assert admin.patch(f"{DEVICES}/CAM-1", json={"status": "disabled"}).json()["heartbeat_s"] == 900
    cleared = admin.patch(f"{DEVICES}/CAM-1", json={"heartbeat_s": None})
    assert cleared.json()["heartbeat_s"] is None and cleared.json()["status"] == "disabled"
    for body in (
        {"heartbeat_s": 10},
        {"thresholds": {"CAM-07": 2}},
        {"thresholds": {"CAM-21": 0.5}},
        {"colour": "red"},
    ):
        assert admin.patch(f"{DEVICES}/CAM-1", json=body).status_code == 422, body
    assert admin.patch(f"{DEVICES}/NO-SUCH", json={"status": "active"}).status_code == 404
    assert admin.get(f"{DEVICES}/{'x' * 65}").status_code == 422


def test_the_console_lists_devices_marks_the_silent_ones_and_imports_a_file(console: Api) -> None:
    registry = _world(console)
    admin = page_login(console, "admin")
    empty = admin.get("/admin/sensing-devices")
    assert empty.status_code == 200 and ">感知设备</a>" in empty.text and "没有符合条件的设备" in empty.text
    imported = post_form(
        admin,
        "/admin/sensing-devices",
        {"op": "import"},
        files={"file": ("devices.csv", FILE.encode(), "text/csv")},
    )
    assert imported.status_code == 200 and "新增 2 台设备" in imported.text
    assert SCRIPT not in imported.text and "&lt;script&gt;" in imported.text  # escaped on output
    assert 'data-device="CAM-XB-1"' in imported.text

    # ten minutes later both fell silent: marked 离线 with their fault orders
    later = console.services.clock() + timedelta(minutes=11)
    sweep = build_sweep(console.services)
    sweep.clock = registry.clock = lambda: later
    raised = sweep.sweep(TEST_SYSTEM).raised
    assert len(raised) == 2
    page = admin.get("/admin/sensing-devices?silent=1")
    assert page.status_code == 200 and "离线 2 台" in page.text
    assert re.findall(r'<tr data-device="([^"]+)" class="silent"', page.text) == ["CAM-XB-1", "IOT-PN-1"]
    assert all(f.order_number in page.text for f in raised)
    disabled = post_form(admin, "/admin/sensing-devices", {"op": "disable", "code": "IOT-PN-1"})
    assert "已停用设备 IOT-PN-1 平南水位计" in disabled.text
    assert registry.get(TEST_ADMIN, "IOT-PN-1").status.value == "disabled"

    refused = post_form(
        admin,
        "/admin/sensing-devices",
        {"op": "import"},
        files={"file": ("d.csv", (FILE + "CAM-9,坏,雷达,,,,,,,,,,\n").encode(), "text/csv")},
    )
    assert 'data-testid="device-import-rejects"' in refused.text and "雷达" in refused.text

    exported = admin.get("/admin/sensing-devices/export.xlsx")
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(exported.content))["感知设备"]
    cell = next(c for c in sheet["B"] if c.value == HOSTILE)
    assert cell.data_type == "s"
    csv_export = admin.get("/admin/sensing-devices/export.csv")
    assert csv_export.status_code == 200 and "'=CMD()" in csv_export.text


def test_the_console_section_is_an_admins_only(console: Api) -> None:
    _world(console)
    for name in ("district", "xiabei"):
        client = page_login(console, name)
        assert client.get("/admin/sensing-devices").status_code == 403
        assert client.get("/admin/sensing-devices/export.xlsx").status_code == 403
        assert client.get("/admin/sensing-devices/export.csv").status_code == 403
