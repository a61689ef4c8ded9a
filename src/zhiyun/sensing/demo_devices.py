"""The demo district's sensing devices (感知设备): about 60 over the demo villages, registered
through the registry's own import.

Cameras at road crossings and markets (GB/T 28181 style 20-digit ids), bin fill sensors, gas
detectors in a few restaurants, smoke and manhole sensors, water level gauges on the rivers and
ponds, slope sensors in the hills, two drone feeds and a satellite feed — most in 夏北社区 and
the other villages of 桂城, some in 大沥, 狮山, 里水, 九江, 西樵 and 丹灶. Each stands inside a
grid of its village (a point of the stored grid polygon, moved a little by a seeded random
generator, kept inside it) and is maintained by a unit of the demo org (the town's 城管办, the
district's 城管局环卫科, 住建局, 水利局, …).

Most are heard from when the demo is prepared; two are not (a crossing camera silent for two
hours, a bin sensor for five), so that the worker's heartbeat sweep raises their device-fault
orders. Idempotent: only codes not yet in the registry are imported (a device an admin changed
is left as it is), and the devices that should be alive are heard from again at `now`.
Deterministic; the villages or units the database lacks are skipped. This module lives in the
sensing capability (which may not import the demo package), so it reads the demo's grids from
the database and names the demo's units by code.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import shapely
from shapely.geometry import shape
from sqlalchemy import select

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.geo.tables import GridRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.devices import DeviceRegistry
from zhiyun.sensing.devices_import import COLUMNS
from zhiyun.sensing.tables import SceneRow
from zhiyun.store.tables import OrgUnitRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

DEMO_DEVICES_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="演示数据")
CAMERA_HEARTBEAT_S = 300
SENSOR_HEARTBEAT_S = 3600
GAUGE_HEARTBEAT_S = 600
# The demo's deliberately silent devices: code → how long ago they were last heard from.
SILENT: dict[str, timedelta] = {
    "44060500011310000003": timedelta(hours=2),
    "NH-BIN-GC-PD-01": timedelta(hours=5),
}


@dataclass(frozen=True)
class DemoDevice:
    """One demo device: where (village code, which of its grids), what it runs, who keeps it."""

    code: str
    name: str
    kind: SceneSource
    scenes: tuple[str, ...]
    village: str | None  # None: no point (a satellite feed)
    grid: int  # which of the village's grids (by code), modulo their number
    owner: str
    vendor: str
    heartbeat_s: int | None
    address: str = ""
    thresholds: str = ""


# Crossings per village: (village code, town-office owner, road pairs)
_CROSSINGS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "GC-XB",
        "GC-CG",
        (
            ("夏北路", "南海大道"),
            ("夏北路", "桂澜路"),
            ("夏北路", "桂澜路"),  # the north-east corner: a second camera, the silent one
            ("夏北二路", "海八路"),
            ("南桂东路", "夏北路"),
            ("天佑三路", "夏北一路"),
        ),
    ),
    ("GC-PD", "GC-CG", (("平洲大道", "南桂东路"), ("平东路", "海八路"), ("平东路", "灯湖东路"))),
    ("GC-DH", "GC-CG", (("灯湖东路", "桂澜路"), ("天佑三路", "灯湖东路"), ("海八路", "千灯湖路"))),
    ("GC-DJ", "GC-CG", (("叠滘大道", "南海大道"), ("叠南路", "桂澜路"))),
    ("DL-YB", "DL-CG", (("广佛路", "盐步大道"), ("盐步大道", "沥东路"), ("黄岐大道", "广佛路"))),
    ("SS-XT", "SS-ZF", (("小塘大道", "狮山大道"), ("桃园路", "小塘大道"))),
    ("LS-LS", "CGJ-ZF", (("里和路", "桂和路"), ("甘蕉路", "里和路"))),
    ("JJ-RL", "CGJ-ZF", (("九江大道", "儒林路"), ("沙口路", "九江大道"))),
    ("XQ-GS", "CGJ-ZF", (("樵顺路", "西樵大道"),)),
    ("DZ-JS", "CGJ-ZF", (("金沙大道", "丹灶大道"),)),
)
_TOWN_NUMBER = {"GC": 1, "JJ": 2, "XQ": 3, "DZ": 4, "SS": 5, "DL": 6, "LS": 7}
_CROSSING_SCENES = ("CAM-03", "CAM-04", "CAM-16", "CAM-18", "CAM-19")
_MARKET_SCENES = ("CAM-04", "CAM-05", "CAM-06", "CAM-07", "CAM-08")
# (village, market name, owner)
_MARKETS = (
    ("GC-XB", "夏北市场", "GC-CG"),
    ("GC-XB", "夏北市场", "GC-CG"),
    ("DL-YB", "盐步市场", "DL-CG"),
)
# (village, how many bin sensors)
_BINS = (("GC-XB", 4), ("GC-PD", 2), ("GC-DH", 2), ("DL-YB", 2), ("SS-XT", 1), ("LS-LS", 1), ("DZ-JS", 1))
# (village, restaurant) with a gas detector
_RESTAURANTS = (
    ("GC-XB", "夏北顺德菜馆"),
    ("GC-XB", "夏北路粥粉面店"),
    ("GC-XB", "桂澜路大排档"),
    ("GC-PD", "平东烧腊店"),
    ("GC-DJ", "叠滘鱼生馆"),
    ("DL-YB", "盐步酒家"),
)
# (village, water body) with a level gauge
_GAUGES = (
    ("GC-DH", "千灯湖"),
    ("GC-DJ", "叠滘涌"),
    ("GC-DJ", "叠滘涌南段"),
    ("SS-XT", "小塘涌"),
    ("LS-LS", "里水河"),
    ("JJ-RL", "西江九江段堤围"),
)


def demo_devices() -> list[DemoDevice]:
    """Every demo device, in a fixed order."""
    found: list[DemoDevice] = []
    serials: dict[str, int] = {}

    def camera_code(village: str) -> str:
        town = village.split("-")[0]
        serials[town] = serials.get(town, 0) + 1
        return f"44060500{_TOWN_NUMBER[town]:02d}1310{serials[town]:06d}"

    for village, owner, pairs in _CROSSINGS:
        for index, (a, b) in enumerate(pairs):
            corner = "（东北角）" if (village, index) == ("GC-XB", 2) else ""
            found.append(
                DemoDevice(
                    camera_code(village),
                    f"{a}与{b}交叉口{corner}",
                    SceneSource.CAMERA,
                    _CROSSING_SCENES,
                    village,
                    index * 3,
                    owner,
                    "海康威视",
                    CAMERA_HEARTBEAT_S,
                    address=f"{a}与{b}交叉口",
                    thresholds="CAM-03=0.7" if index == 0 else "",
                )
            )
    for number, (village, market, owner) in enumerate(_MARKETS, start=1):
        gate = "东门" if number % 2 else "西门"
        found.append(
            DemoDevice(
                camera_code(village),
                f"{market}{gate}",
                SceneSource.CAMERA,
                _MARKET_SCENES,
                village,
                number + 5,
                owner,
                "大华",
                CAMERA_HEARTBEAT_S,
                address=f"{market}{gate}",
                thresholds="CAM-04=0.7;CAM-06=0.6",
            )
        )
    for village, count in _BINS:
        for n in range(1, count + 1):
            found.append(
                DemoDevice(
                    f"NH-BIN-{village}-{n:02d}",
                    f"垃圾桶满溢传感器（{village}-{n:02d}）",
                    SceneSource.IOT,
                    ("IOT-08",),
                    village,
                    n * 4 + 1,
                    "CGJ-HW",
                    "智联环卫",
                    SENSOR_HEARTBEAT_S,
                    address="垃圾收集点",
                )
            )
    for n, (village, restaurant) in enumerate(_RESTAURANTS, start=1):
        found.append(
            DemoDevice(
                f"NH-GAS-{n:04d}",
                f"{restaurant}燃气泄漏探测器",
                SceneSource.IOT,
                ("IOT-01",),
                village,
                n * 2 + 2,
                "ZJJ",
                "汉威科技",
                SENSOR_HEARTBEAT_S,
                address=f"{restaurant}后厨",
            )
        )
    found.append(
        DemoDevice(
            "NH-SMK-0001",
            "夏北出租屋烟感",
            SceneSource.IOT,
            ("IOT-02",),
            "GC-XB",
            7,
            "GC-XB",
            "海曼",
            SENSOR_HEARTBEAT_S,
        )
    )
    found.append(
        DemoDevice(
            "NH-MH-0001",
            "夏北路井盖位移监测",
            SceneSource.IOT,
            ("IOT-05",),
            "GC-XB",
            9,
            "CGJ",
            "智联环卫",
            SENSOR_HEARTBEAT_S,
        )
    )
    for n, (village, water) in enumerate(_GAUGES, start=1):
        found.append(
            DemoDevice(
                f"NH-WL-{n:04d}",
                f"{water}水位计",
                SceneSource.IOT,
                ("IOT-04",),
                village,
                n * 5,
                "SLJ",
                "南水水文",
                GAUGE_HEARTBEAT_S,
                address=water,
            )
        )
    for n, (village, slope) in enumerate((("JJ-RL", "儒林山体"), ("XQ-GS", "西樵山北坡")), start=1):
        found.append(
            DemoDevice(
                f"NH-SLP-{n:04d}",
                f"{slope}边坡位移监测",
                SceneSource.IOT,
                ("IOT-06",),
                village,
                n,
                "YJJ",
                "南水水文",
                SENSOR_HEARTBEAT_S,
                address=slope,
            )
        )
    found.append(
        DemoDevice(
            "UAV-NH-01",
            "桂城街道无人机巡查",
            SceneSource.DRONE,
            ("UAV-01", "UAV-02", "CAM-14"),
            "GC-XB",
            12,
            "CGJ-ZF",
            "大疆",
            None,
        )
    )
    found.append(
        DemoDevice(
            "UAV-NH-02",
            "狮山镇无人机巡查",
            SceneSource.DRONE,
            ("UAV-01", "UAV-02"),
            "SS-XT",
            3,
            "CGJ-ZF",
            "大疆",
            None,
        )
    )
    found.append(
        DemoDevice(
            "SAT-GF2-NH",
            "高分二号卫星遥感（南海区）",
            SceneSource.SATELLITE,
            (),
            None,
            0,
            "NYJ",
            "国家卫星中心",
            None,
        )
    )
    return found


def _point(geometry: dict[str, object], code: str) -> tuple[float, float]:
    """(lat, lon) inside a grid polygon: its representative point, moved by up to a third of the
    polygon's extent when the moved point stays inside (seeded by the device's code)."""
    polygon = shape(geometry)
    base = polygon.representative_point()
    rng = random.Random(code)
    min_x, min_y, max_x, max_y = polygon.bounds
    for _ in range(20):
        x = base.x + rng.uniform(-1, 1) * (max_x - min_x) / 3
        y = base.y + rng.uniform(-1, 1) * (max_y - min_y) / 3
        if shapely.contains_xy(polygon, x, y):
            return round(y, 6), round(x, 6)
    return round(base.y, 6), round(base.x, 6)


def ensure_demo_devices(services: Services, now: datetime) -> int:
    """Import the demo devices not yet registered and hear from the ones that should be alive
    (see the module's note); the number imported."""
    registry = services.get(DeviceRegistry)
    with services.db.reading() as session:
        units = {code: uid for code, uid in session.execute(select(OrgUnitRow.code, OrgUnitRow.id))}
        have = set(session.scalars(select(DeviceRow.code)))
        scenes = {
            code: SceneSource(source)
            for code, source in session.execute(select(SceneRow.code, SceneRow.source))
        }
        grids: dict[str, list[dict[str, object]]] = {}
        by_unit = {uid: code for code, uid in units.items()}
        for village_id, geometry in session.execute(
            select(GridRow.village_unit_id, GridRow.geometry).order_by(GridRow.code)
        ):
            village = by_unit.get(village_id)
            if village is not None:
                grids.setdefault(village, []).append(geometry)
    rows: list[list[object]] = []
    for device in demo_devices():
        if device.code in have or device.owner not in units:
            continue
        if device.village is not None and not grids.get(device.village):
            continue
        wanted = tuple(s for s in device.scenes if s in scenes)
        if device.scenes and not wanted:
            continue
        thresholds = ";".join(p for p in device.thresholds.split(";") if p and p.split("=")[0] in wanted)
        lat: float | str = ""
        lon: float | str = ""
        if device.village is not None:
            polygons = grids[device.village]
            lat, lon = _point(polygons[device.grid % len(polygons)], device.code)
        values = {
            "code": device.code,
            "name": device.name,
            "kind": device.kind.value,
            "scenes": "、".join(wanted),
            "thresholds": thresholds,
            "latitude": lat,
            "longitude": lon,
            "crs": "WGS84" if lat != "" else "",
            "address": device.address,
            "owner": device.owner,
            "vendor": device.vendor,
            "heartbeat_s": device.heartbeat_s if device.heartbeat_s is not None else "",
            "status": "启用",
        }
        rows.append([values[key] for key, _ in COLUMNS])
    if rows:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([key for key, _ in COLUMNS])
        writer.writerows(rows)
        report = registry.import_file(DEMO_DEVICES_ADMIN, "demo-devices.csv", out.getvalue().encode("utf-8"))
        if report.refused:
            raise RuntimeError("demo devices refused: " + "; ".join(report.problems()[:5]))
        created = set(report.created)
    else:
        created = set()
    alive = [d.code for d in demo_devices() if d.heartbeat_s is not None and d.code not in SILENT]
    with services.db.transaction() as session:
        registry.heard_in(session, alive, now)
        for code, ago in SILENT.items():
            if code in created:
                registry.heard_in(session, [code], now - ago)
    return len(created)


__all__ = ["DEMO_DEVICES_ADMIN", "SILENT", "DemoDevice", "demo_devices", "ensure_demo_devices"]
