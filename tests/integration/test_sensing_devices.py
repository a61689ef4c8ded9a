"""The device registry (设备台账) and its heartbeats, on SQLite and PostgreSQL (issue 18, part 2).

A device registered or imported is placed in its grid and village; an import is all or nothing
and names every bad row; exports are read back unchanged and never carry a formula; a reader
sees the district's devices or their own unit's only; `heard_in` is one UPDATE; a silent
device raises one device-fault order per silence, however often and however concurrently the
sweep runs, to the unit that maintains it.

The small district of tests/support.py with the four grids of 夏北社区 (GC-XB) and of 平南社区
(GC-PN), the default taxonomy and scene catalogue.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select
from tests.support import (
    ONLY_SQLITE,
    PN_BOX,
    TEST_ADMIN,
    TEST_SYSTEM,
    XB_BOX,
    District,
    build_small_district_with_boundaries,
    centre,
    grid_file,
    quadrants,
)
from typer.testing import CliRunner

from zhiyun.bootstrap import Services, build_services
from zhiyun.cli.main import app
from zhiyun.config import Settings
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.sensing_devices import Device, DeviceStatus
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.domain.workorder import OrderStatus
from zhiyun.kernel.geo import wgs84_to_gcj02
from zhiyun.sensing.device_faults import DeviceFaultSweep, build_sweep
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.devices import DeviceChanges, DeviceQuery, DeviceRegistry
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
XB1 = centre(quadrants(XB_BOX)[0])  # (lat, lon) in 夏北's grid 001
PN2 = centre(quadrants(PN_BOX)[1])  # in 平南's grid 002


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    services: Services
    district: District
    clock: Clock
    registry: DeviceRegistry
    sweep: DeviceFaultSweep

    def unit(self, code: str) -> int:
        return self.district.units[code]

    def actor(self, name: str) -> Actor:
        return self.district.actors[name]

    def row(self, code: str) -> DeviceRow:
        with self.services.db.reading() as session:
            row = session.scalar(select(DeviceRow).where(DeviceRow.code == code))
            assert row is not None
            session.expunge(row)
            return row

    def order(self, order_id: int) -> WorkOrderRow:
        with self.services.db.reading() as session:
            row = session.get(WorkOrderRow, order_id)
            assert row is not None
            session.expunge(row)
            return row

    def fault_orders(self) -> list[WorkOrderRow]:
        with self.services.db.reading() as session:
            rows = list(
                session.scalars(
                    select(WorkOrderRow)
                    .where(WorkOrderRow.external_id.like("device-fault:%"))
                    .order_by(WorkOrderRow.id)
                )
            )
            session.expunge_all()
            return rows

    def heard(self, *codes: str, at: datetime | None = None) -> int:
        with self.services.db.transaction() as session:
            return self.registry.heard_in(session, codes, at or self.clock.now)


@pytest.fixture
def world(database: Database, settings: Settings) -> Iterator[World]:
    clock = Clock()
    services = build_services(database, settings, clock=clock)
    district = build_small_district_with_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    services.taxonomy.ensure_default(TEST_ADMIN)
    services.get(SceneCatalogue).ensure_default(TEST_ADMIN)
    yield World(services, district, clock, services.get(DeviceRegistry), build_sweep(services))


def camera(code: str = "CAM-XB-0001", **changes: object) -> Device:
    base: dict[str, object] = {
        "code": code,
        "name": "夏北路与南海大道路口",
        "kind": SceneSource.CAMERA,
        "scenes": ("CAM-07", "CAM-08"),
        "thresholds": {"CAM-07": 0.8},
        "latitude": XB1[0],
        "longitude": XB1[1],
        "address": "夏北路 1 号",
        "heartbeat_s": 300,
    }
    base.update(changes)
    return Device(**base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the registry


def test_a_registered_device_is_placed_in_its_grid_and_village_and_records_who(world: World) -> None:
    view = world.registry.register(TEST_ADMIN, camera())
    assert (view.grid_code, view.village_name) == ("440605001001001", "夏北社区")
    assert view.scenes == ("CAM-07", "CAM-08") and view.thresholds == {"CAM-07": 0.8}
    assert (view.updated_by, view.updated_at, view.status) == ("测试管理员", T0, DeviceStatus.ACTIVE)
    world.clock.advance(minutes=1)
    moved = world.registry.register(TEST_ADMIN, camera(latitude=PN2[0], longitude=PN2[1]))
    assert (moved.grid_code, moved.village_name, moved.updated_at) == (
        "440605001002002",
        "平南社区",
        world.clock.now,
    )
    assert world.registry.get(TEST_ADMIN, "CAM-XB-0001").created_at == T0


def test_a_device_running_an_unknown_scene_or_of_another_source_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed, match="CAM-99"):
        world.registry.register(TEST_ADMIN, camera(scenes=("CAM-99",), thresholds={}))
    with pytest.raises(ValidationFailed, match="物联感知"):
        world.registry.register(TEST_ADMIN, camera(scenes=("IOT-01",), thresholds={}))
    assert world.registry.devices(TEST_ADMIN).total == 0


def test_only_an_admin_changes_the_registry(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera())
    for name in ("district", "town", "xiabei", "leader"):
        with pytest.raises(PermissionDenied):
            world.registry.register(world.actor(name), camera("CAM-2"))
        with pytest.raises(PermissionDenied):
            world.registry.set_status(world.actor(name), "CAM-XB-0001", DeviceStatus.DISABLED)
    with pytest.raises(PermissionDenied):
        world.registry.update(
            TEST_SYSTEM, "CAM-XB-0001", DeviceChanges(heartbeat_s=600, heartbeat_given=True)
        )
    assert world.row("CAM-XB-0001").status == "active"


def test_a_change_sets_status_thresholds_and_heartbeat_and_checks_them(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera())
    changed = world.registry.update(
        TEST_ADMIN,
        "CAM-XB-0001",
        DeviceChanges(status=DeviceStatus.DISABLED, thresholds={"cam-08": 0.9}, heartbeat_given=True),
    )
    assert (changed.status, changed.thresholds, changed.heartbeat_s) == (
        DeviceStatus.DISABLED,
        {"CAM-08": 0.9},
        None,
    )
    with pytest.raises(ValidationFailed, match="不是该设备运行的场景"):
        world.registry.update(TEST_ADMIN, "CAM-XB-0001", DeviceChanges(thresholds={"CAM-21": 0.5}))
    with pytest.raises(NotFound):
        world.registry.update(TEST_ADMIN, "NO-SUCH", DeviceChanges(status=DeviceStatus.ACTIVE))


def test_a_reader_sees_the_district_or_their_own_units_devices_only(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("CAM-XB"))
    world.registry.register(
        TEST_ADMIN,
        camera(
            "IOT-YB",
            kind=SceneSource.IOT,
            scenes=(),
            thresholds={},
            latitude=None,
            longitude=None,
            address="",
            owner_unit_id=world.unit("DL-YB"),
        ),
    )
    world.registry.register(TEST_ADMIN, camera("CAM-PN", latitude=PN2[0], longitude=PN2[1]))

    def codes(name: str, **query: object) -> list[str]:
        return [v.code for v in world.registry.devices(world.actor(name), DeviceQuery(**query)).items]  # type: ignore[arg-type]

    assert codes("district") == codes("leader") == ["CAM-PN", "CAM-XB", "IOT-YB"]
    assert codes("town") == ["CAM-PN", "CAM-XB"]  # 桂城: its villages' devices
    assert codes("xiabei") == ["CAM-XB"] and codes("yanbu") == ["IOT-YB"]
    assert codes("district", kind=SceneSource.IOT) == ["IOT-YB"]
    assert codes("district", village="GC-PN") == ["CAM-PN"] and codes("district", owner="盐步社区") == [
        "IOT-YB"
    ]
    assert codes("district", grid="440605001001001") == ["CAM-XB"]
    with pytest.raises(NotFound):
        world.registry.get(world.actor("yanbu"), "CAM-XB")  # as if it did not exist
    with pytest.raises(NotFound):
        world.registry.get(world.actor("xiabei"), "IOT-YB")
    with pytest.raises(PermissionDenied):
        world.registry.devices(Actor.citizen(1))
    page = world.registry.devices(world.actor("district"), offset=1, limit=1)
    assert ([v.code for v in page.items], page.total, page.more) == (["CAM-XB"], 3, True)


# --------------------------------------------------------------------------- import and export

HEADER = "设备编码,设备名称,类型,场景,阈值,纬度,经度,坐标系,地址,维护单位,厂商,心跳间隔(秒),状态\n"


def test_an_import_registers_devices_by_chinese_headers_and_converts_gcj02(world: World) -> None:
    g_lat, g_lon = wgs84_to_gcj02(*XB1)
    text = HEADER + (
        f"CAM-1,夏北市场东门,视频,CAM-04、CAM-07,CAM-07=0.8;CAM-04=0.7,{XB1[0]},{XB1[1]},WGS84,夏北市场,GC-XB,海康,300,启用\n"
        f"IOT-1,夏北餐馆燃气,物联感知,IOT-01,,{g_lat},{g_lon},GCJ02,夏北路 8 号,区住建局执法大队,汉威,600,\n"
        "SAT-1,卫星遥感,卫星遥感,,,,,,,,,,停用\n"
    )
    report = world.registry.import_file(TEST_ADMIN, "devices.csv", text.encode("utf-8"))
    assert (report.created, report.refused) == (["CAM-1", "IOT-1", "SAT-1"], False)
    gas = world.registry.get(TEST_ADMIN, "IOT-1")
    assert abs(gas.latitude - XB1[0]) < 1e-6 and abs(gas.longitude - XB1[1]) < 1e-6  # type: ignore[operator]
    assert (gas.grid_code, gas.owner_code, gas.heartbeat_s) == ("440605001001001", "ZJJ-ZF", 600)
    sat = world.registry.get(TEST_ADMIN, "SAT-1")
    assert (sat.status, sat.heartbeat_s, sat.grid_id, sat.scenes) == (DeviceStatus.DISABLED, None, None, ())
    again = world.registry.import_file(TEST_ADMIN, "devices.csv", text.encode("utf-8"))
    assert (again.created, again.updated, again.unchanged) == ([], [], ["CAM-1", "IOT-1", "SAT-1"])


def test_an_import_with_any_bad_row_writes_nothing_and_names_every_row(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("CAM-OLD"))
    text = HEADER + (
        f"CAM-1,好的设备,视频,CAM-07,,{XB1[0]},{XB1[1]},,,,,300,\n"
        "CAM-2,坏类型,雷达,,,,,,,,,,\n"
        "CAM-3,未知场景,视频,CAM-99,,,,,,,,,\n"
        "CAM-4,坏阈值,视频,CAM-07,CAM-07=1.5,,,,,,,,\n"
        "CAM-5,没有的单位,视频,,,,,,,不存在的局,,,\n"
        "CAM-1,重复的编码,视频,,,,,,,,,,\n"
        "CAM-6,心跳太短,视频,,,,,,,,,10,\n"
        "CAM 7,坏编码,视频,,,,,,,,,,\n"
        "CAM-OLD,改了名字,视频,,,,,,,,,,\n"
    )
    report = world.registry.import_file(TEST_ADMIN, "devices.csv", text.encode("utf-8"))
    assert report.refused
    assert sorted({r.row for r in report.rejects}) == [3, 4, 5, 6, 7, 8, 9]
    problems = "\n".join(report.problems())
    for says in ("雷达", "CAM-99", "阈值", "不存在的局", "与第 2 行重复", "心跳间隔", "设备编码"):
        assert says in problems
    assert [v.code for v in world.registry.devices(TEST_ADMIN).items] == ["CAM-OLD"]
    assert world.row("CAM-OLD").name == "夏北路与南海大道路口"


def test_a_file_without_the_required_columns_is_refused_whole(world: World) -> None:
    with pytest.raises(ValidationFailed, match="缺少「类型」列"):
        world.registry.import_file(TEST_ADMIN, "d.csv", "设备编码,设备名称\nA,B\n".encode())
    with pytest.raises(ValidationFailed, match="文件为空"):
        world.registry.import_file(TEST_ADMIN, "d.csv", b"  ")
    with pytest.raises(PermissionDenied):
        world.registry.import_file(world.actor("district"), "d.csv", HEADER.encode())


HOSTILE = "=CMD()|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"


def test_exports_read_back_unchanged_and_never_carry_a_formula(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("CAM-1", name=HOSTILE, address=SCRIPT, vendor="@vendor"))
    world.registry.register(
        TEST_ADMIN, camera("CAM-2", kind=SceneSource.DRONE, scenes=("UAV-01", "CAM-14"), thresholds={})
    )
    csv_text = world.registry.export_csv(TEST_ADMIN)
    assert "'=CMD()" in csv_text and "'@vendor" in csv_text and "\n=CMD" not in csv_text
    book = load_workbook(io.BytesIO(world.registry.export_xlsx(TEST_ADMIN)))
    sheet = book["感知设备"]
    cell = next(c for c in sheet["B"] if c.value == HOSTILE)
    assert cell.data_type == "s"  # text, not a formula
    for data, name in ((csv_text.encode(), "d.csv"), (world.registry.export_xlsx(TEST_ADMIN), "d.xlsx")):
        report = world.registry.import_file(TEST_ADMIN, name, data)
        assert (report.refused, report.unchanged) == (False, ["CAM-1", "CAM-2"]), report.problems()
    assert world.registry.get(TEST_ADMIN, "CAM-1").name == HOSTILE


# --------------------------------------------------------------------------- heard from


def test_heard_in_is_one_update_moving_last_seen_forward_only(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("A"))
    world.registry.register(TEST_ADMIN, camera("B"))
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    later = T0 + timedelta(minutes=5)
    event.listen(world.services.db.engine, "before_cursor_execute", count)
    try:
        with world.services.db.transaction() as session:
            session.connection()  # the transaction begun
            statements.clear()
            moved = world.registry.heard_in(session, ["A", "B", "UNKNOWN"], later)
            assert [s.split()[0] for s in statements] == ["UPDATE"]
    finally:
        event.remove(world.services.db.engine, "before_cursor_execute", count)
    assert moved == 2 and world.row("A").last_seen_at == later
    assert world.heard("A", at=T0) == 0 and world.row("A").last_seen_at == later  # an older message
    assert world.heard("A", at=later + timedelta(seconds=1)) == 1
    assert world.heard() == 0


# --------------------------------------------------------------------------- heartbeats and faults


def test_a_silent_device_raises_exactly_one_fault_order_however_often_the_sweep_runs(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("CAM-1"))
    world.heard("CAM-1")
    world.clock.advance(seconds=300)
    assert world.sweep.sweep(TEST_SYSTEM).raised == []  # not yet past its interval
    for _ in range(5):
        world.clock.advance(seconds=61)
        world.sweep.sweep(TEST_SYSTEM)
    orders = world.fault_orders()
    assert len(orders) == 1
    order = orders[0]
    assert (order.channel, order.title) == ("iot", "设备离线：夏北路与南海大道路口")
    assert "CAM-1" in order.content and "夏北路 1 号" in order.content and "5 分钟" in order.content
    assert order.external_id == "device-fault:CAM-1:2026-12-07T01:00:00+00:00"
    assert (order.current_unit_id, order.status) == (world.unit("GC-XB"), OrderStatus.PENDING_DISPATCH.value)
    assert order.grid_id is not None and order.village_unit_id == world.unit("GC-XB")
    view = world.registry.get(TEST_ADMIN, "CAM-1")
    assert view.silent and view.fault_order_number == order.number and view.silent_since == T0
    assert [v.code for v in world.registry.devices(TEST_ADMIN, DeviceQuery(silent_only=True)).items] == [
        "CAM-1"
    ]


def test_heard_again_clears_the_fault_and_a_later_silence_raises_a_second_order(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("CAM-1"))
    world.clock.advance(minutes=6)  # never heard from: counted from its registration
    first = world.sweep.sweep(TEST_SYSTEM).raised
    assert len(first) == 1
    world.clock.advance(minutes=1)
    back = world.clock.now
    world.heard("CAM-1")
    row = world.row("CAM-1")
    assert (row.fault_order_id, row.last_seen_at) == (None, back)
    world.clock.advance(minutes=3)
    assert world.sweep.sweep(TEST_SYSTEM).raised == []
    world.clock.advance(minutes=3)
    second = world.sweep.sweep(TEST_SYSTEM).raised
    assert len(second) == 1 and second[0].order_id != first[0].order_id
    assert len(world.fault_orders()) == 2
    assert world.fault_orders()[1].external_id.endswith(back.isoformat(timespec="seconds"))


def test_a_device_without_heartbeat_or_disabled_never_faults(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("QUIET", heartbeat_s=None))
    world.registry.register(TEST_ADMIN, camera("OFF", status=DeviceStatus.DISABLED))
    world.clock.advance(days=30)
    assert world.sweep.sweep(TEST_SYSTEM).raised == [] and world.fault_orders() == []


def test_a_fault_order_goes_to_the_unit_that_maintains_the_device(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("BY-DEPT", owner_unit_id=world.unit("ZJJ-ZF")))
    world.registry.register(
        TEST_ADMIN,
        camera(
            "BY-TOWN",
            name="平南水位计",
            kind=SceneSource.IOT,
            scenes=("IOT-04",),
            thresholds={},
            latitude=PN2[0],
            longitude=PN2[1],
            address="平南涌",
            owner_unit_id=world.unit("GC"),
        ),
    )
    world.registry.register(
        TEST_ADMIN,
        camera(
            "NOWHERE",
            name="区级无人机",
            kind=SceneSource.DRONE,
            scenes=(),
            thresholds={},
            latitude=None,
            longitude=None,
            address="",
        ),
    )
    world.clock.advance(minutes=10)
    raised = {f.device_code: f for f in world.sweep.sweep(TEST_SYSTEM).raised}
    dept = world.order(raised["BY-DEPT"].order_id)
    # a department cannot take an order at intake: registered at its center, sent to it at once
    assert (dept.status, dept.current_unit_id) == (OrderStatus.DISPATCHED.value, world.unit("ZJJ-ZF"))
    assert dept.chain[0] == world.unit("NH")
    town = world.order(raised["BY-TOWN"].order_id)
    assert (town.status, town.current_unit_id) == (OrderStatus.PENDING_DISPATCH.value, world.unit("GC"))
    nowhere = world.order(raised["NOWHERE"].order_id)
    assert nowhere.current_unit_id == world.unit("NH")


def test_a_second_raise_of_one_silence_is_a_repeat_of_the_first_order(world: World) -> None:
    world.registry.register(TEST_ADMIN, camera("CAM-1"))
    world.clock.advance(minutes=10)
    first = world.sweep.sweep(TEST_SYSTEM).raised[0]
    # a second worker that read the device before the first committed
    with world.services.db.transaction() as session:
        row = session.scalar(select(DeviceRow).where(DeviceRow.code == "CAM-1"))
        assert row is not None
        row.fault_order_id = None
    again = world.sweep.sweep(TEST_SYSTEM).raised
    assert [(f.order_id, f.created) for f in again] == [(first.order_id, False)]
    assert len(world.fault_orders()) == 1 and world.row("CAM-1").fault_order_id == first.order_id


def test_sweeps_running_at_once_raise_one_order_per_silent_device(world: World) -> None:
    for n in range(3):
        world.registry.register(TEST_ADMIN, camera(f"CAM-{n}"))
    world.clock.advance(minutes=10)
    sweeps = [build_sweep(world.services) for _ in range(4)]
    barrier = threading.Barrier(len(sweeps))
    errors: list[BaseException] = []

    def run(sweep: DeviceFaultSweep) -> None:
        try:
            barrier.wait()
            sweep.sweep(TEST_SYSTEM)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in sweeps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    orders = world.fault_orders()
    assert (
        sorted(o.external_id for o in orders) == sorted({o.external_id for o in orders}) and len(orders) == 3
    )
    with world.services.db.reading() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(DeviceRow).where(DeviceRow.fault_order_id.is_(None))
            )
            == 0
        )


def test_the_sweep_is_the_systems_or_an_admins(world: World) -> None:
    for name in ("district", "leader", "xiabei"):
        with pytest.raises(PermissionDenied):
            world.sweep.sweep(world.actor(name))
    world.sweep.sweep(TEST_ADMIN)


# --------------------------------------------------------------------------- the commands


@ONLY_SQLITE
def test_the_commands_list_import_export_and_switch_devices(world: World, tmp_path: Path) -> None:
    db = world.services.db.url
    runner = CliRunner()
    good = tmp_path / "devices.csv"
    good.write_text(
        "设备编码,设备名称,类型,场景,纬度,经度,心跳间隔(秒)\n"
        f"CAM-1,夏北路口,视频,CAM-07,{XB1[0]},{XB1[1]},300\nIOT-1,燃气探测器,物联感知,IOT-01,,,\n",
        encoding="utf-8",
    )
    dry = runner.invoke(app, ["sensing", "devices-import", str(good), "--dry-run", "--db", db])
    assert dry.exit_code == 0 and "将新增 2 台设备" in dry.output, dry.output
    assert world.registry.devices(TEST_ADMIN).total == 0
    assert runner.invoke(app, ["sensing", "devices-import", str(good), "--db", db]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("设备编码,设备名称,类型\nCAM-2,坏,雷达\n", encoding="utf-8")
    refused = runner.invoke(app, ["sensing", "devices-import", str(bad), "--db", db])
    assert refused.exit_code == 1 and "第 2 行" in refused.output and "雷达" in refused.output
    listed = runner.invoke(app, ["sensing", "devices", "--db", db])
    assert listed.exit_code == 0 and "感知设备：2 台" in listed.output and "夏北路口" in listed.output
    as_json = runner.invoke(app, ["sensing", "devices", "--kind", "iot", "--json", "--db", db])
    assert [json.loads(line)["code"] for line in as_json.output.splitlines()] == ["IOT-1"]
    assert runner.invoke(app, ["sensing", "devices", "--kind", "radar", "--db", db]).exit_code == 2
    silent = runner.invoke(app, ["sensing", "devices", "--silent", "--db", db])
    assert silent.exit_code == 0 and "感知设备：0 台（离线）" in silent.output
    off = runner.invoke(app, ["sensing", "device-status", "CAM-1", "disabled", "--db", db])
    assert off.exit_code == 0 and "已停用" in off.output
    assert runner.invoke(app, ["sensing", "device-status", "NOPE", "disabled", "--db", db]).exit_code == 1
    for name in ("out.csv", "out.xlsx"):
        out = tmp_path / name
        assert runner.invoke(app, ["sensing", "devices-export", str(out), "--db", db]).exit_code == 0
        again = runner.invoke(app, ["sensing", "devices-import", str(out), "--db", db])
        assert again.exit_code == 0 and "未变 2 台" in again.output, again.output
