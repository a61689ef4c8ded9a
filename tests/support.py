"""Test helpers: a small district and its users, created through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.org.service import UnitRecord
from zhiyun.store.base import Base
from zhiyun.store.tables import OrgUnitRow

PASSWORD = "test-password-1"

# Who makes the administrative changes of a test's setup (as `zhiyun` commands do: an
# administrator without an account), and who runs the worker's jobs (the system principal).
TEST_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="测试管理员")
TEST_SYSTEM = Actor.system("测试任务")

SMALL_DISTRICT: list[UnitRecord] = [
    UnitRecord("NH", "南海区", "district"),
    UnitRecord("GC", "桂城街道", "town", "NH"),
    UnitRecord("GC-XB", "夏北社区", "village", "GC"),
    UnitRecord("GC-PN", "平南社区", "village", "GC"),
    UnitRecord("GC-CG", "桂城街道城管办", "office", "GC"),
    UnitRecord("DL", "大沥镇", "town", "NH"),
    UnitRecord("DL-YB", "盐步社区", "village", "DL"),
    UnitRecord("ZJJ", "区住建局", "department", "NH"),
    UnitRecord("ZJJ-ZF", "区住建局执法大队", "department", "ZJJ"),
]

SMALL_USERS: list[tuple[str, Role, str | None]] = [
    ("admin", Role.ADMIN, "NH"),
    ("district", Role.DISPATCHER, "NH"),
    ("town", Role.DISPATCHER, "GC"),
    ("town2", Role.DISPATCHER, "DL"),
    ("xiabei", Role.HANDLER, "GC-XB"),
    ("pingnan", Role.HANDLER, "GC-PN"),
    ("yanbu", Role.HANDLER, "DL-YB"),
    ("zjj", Role.DISPATCHER, "ZJJ"),
    ("inspector", Role.INSPECTOR, None),
    ("leader", Role.LEADER, None),
    ("agent", Role.AGENT, "NH"),
    ("town_agent", Role.AGENT, "GC"),
]


# For tests whose subject does not reach the database (the HTTP edge, file checks, parsing):
# the SQLite case alone, which is faster; what depends on the database runs on both.
ONLY_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

# For tests of PostgreSQL's behaviour only: the `database` fixture's PostgreSQL case alone
# (rather than a SQLite run that would have to skip).
ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@dataclass
class District:
    """Unit ids by code and actors by username."""

    units: dict[str, int]
    actors: dict[str, Actor]


def build_small_district(services: Services) -> District:
    services.org.import_records(TEST_ADMIN, SMALL_DISTRICT)
    actors: dict[str, Actor] = {}
    for username, role, unit in SMALL_USERS:
        user = services.accounts.add_user(
            TEST_ADMIN, username=username, password=PASSWORD, role=role, unit_code=unit, display_name=username
        )
        actors[username] = user.actor()
    units = {r.code: r for r in services.org.records()}
    with services.db.reading() as session:
        ids = {code: uid for code, uid in session.execute(select(OrgUnitRow.code, OrgUnitRow.id))}
    assert set(units) == set(ids)
    return District(units=ids, actors=actors)


def footprint(services: Services) -> dict[str, list[str]]:
    """Every row of every table and every file of the attachment store: what a refused request
    must leave exactly as it was."""
    rows: dict[str, list[str]] = {}
    with services.db.reading() as session:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = sorted(repr(tuple(r)) for r in session.execute(select(table)))
    root = Path(services.settings.attachment_dir)
    rows["files"] = sorted(str(p) for p in root.rglob("*")) if root.exists() else []
    return rows


# --------------------------------------------------------------------------- grids

# Two villages of the small district as squares, each cut into four grids 001 NW, 002 NE,
# 003 SW, 004 SE (numbered north → south, west → east); docs/grid.md's example is 夏北's first two.
XB_BOX = (113.10, 23.00, 113.12, 23.02)  # 夏北社区 GC-XB: lon, lat of its corners
PN_BOX = (113.12, 23.00, 113.14, 23.02)  # 平南社区 GC-PN, east of it
GRID_PREFIX = {"GC-XB": "440605001001", "GC-PN": "440605001002"}


def ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """A closed GeoJSON ring around a box."""
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def quadrants(bounds: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """A box's NW, NE, SW and SE quarters: the order their codes number them."""
    x0, y0, x1, y1 = bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return [(x0, ym, xm, y1), (xm, ym, x1, y1), (x0, y0, xm, ym), (xm, y0, x1, ym)]


def polygon(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring(*bounds)]}


def centre(bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """(lat, lon) of a box's centre."""
    return (bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2


def grid_file(villages: tuple[str, ...] = ("GC-XB", "GC-PN"), skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The grid file of the villages' four grids each (less the codes in `skip`)."""
    features = []
    for village in villages:
        bounds = XB_BOX if village == "GC-XB" else PN_BOX
        for n, q in enumerate(quadrants(bounds), start=1):
            code = f"{GRID_PREFIX[village]}{n:03d}"
            if code not in skip:
                features.append(
                    {
                        "type": "Feature",
                        "properties": {"code": code, "village": village},
                        "geometry": polygon(q),
                    }
                )
    return {"type": "FeatureCollection", "features": features}


def build_small_district_with_boundaries(services: Services) -> District:
    """The small district, with the square boundaries of 夏北社区 and 平南社区 (no grids yet)."""
    district = build_small_district(services)
    add_boundaries(services)
    return district


def add_boundaries(services: Services) -> None:
    """The square boundaries of 夏北社区 and 平南社区, on a small district already built."""
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "GC-XB"}, "geometry": polygon(XB_BOX)},
            {"type": "Feature", "properties": {"code": "GC-PN"}, "geometry": polygon(PN_BOX)},
        ],
    }
    services.geo.import_geojson(TEST_ADMIN, boundaries)


# --------------------------------------------------------------------------- classifier fixture

SYNTHETIC_PLACES = (
    "桂城街道",
    "大沥镇",
    "里水镇",
    "狮山镇",
    "丹灶镇",
    "西樵镇",
    "九江镇",
    "平洲",
    "夏北社区",
)
SYNTHETIC_FILLER = (
    "已经持续一段时间了。",
    "附近居民意见很大。",
    "希望相关部门尽快处理。",
    "之前也反映过，一直没有解决。",
    "麻烦派人来看一下。",
    "谢谢！",
)
SYNTHETIC_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "城市管理": (
        ("{p}有人占道经营", "{p}市场门口流动摊贩占道经营，堵塞人行道，晚上还有烧烤油烟。"),
        ("{p}垃圾无人清运", "{p}小区旁边的垃圾桶满了好几天没人清运，垃圾堆到路上，气味很大。"),
        ("{p}违章搭建铁皮房", "{p}有业主在楼顶违章搭建铁皮房，城管一直没来拆除。"),
    ),
    "交通运输": (
        ("{p}公交站牌损坏", "{p}路口的公交站牌被车撞坏了，乘客看不到线路，候车亭也漏雨。"),
        ("{p}红绿灯故障", "{p}大道与环路交叉口的红绿灯坏了，车辆乱行，早晚高峰堵车严重。"),
        ("{p}公交班次太少", "{p}到地铁站的公交车班次太少，等车要四十分钟，希望增加班次。"),
    ),
    "教育文体": (
        ("{p}学校乱收费", "{p}小学开学要求家长交资料费和补课费，没有收据，是否合规。"),
        ("{p}孩子入学报名", "我家孩子今年上小学一年级，户籍不在{p}，积分入学需要什么材料。"),
        ("{p}幼儿园学位不足", "{p}公办幼儿园学位太少，摇号摇不上，民办幼儿园学费太贵。"),
    ),
    "环境保护": (
        ("{p}工厂排放废气", "{p}工业园有工厂晚上偷偷排放废气，刺鼻难闻，窗户都不敢开。"),
        ("{p}河涌污染发臭", "{p}河涌水发黑发臭，有企业往河里排污水，鱼都死了。"),
        ("{p}工地夜间施工噪音", "{p}工地每天晚上十一点以后还在打桩施工，噪音扰民，影响休息。"),
    ),
    "劳动和社会保障": (
        ("{p}公司拖欠工资", "我在{p}一家公司上班，老板拖欠三个月工资不发，劳动合同也没签。"),
        ("{p}社保缴费问题", "{p}公司没有给员工缴纳社保，养老保险和医疗保险断缴了怎么办。"),
        ("{p}退休养老金咨询", "请问在{p}办理退休手续需要什么材料，养老金什么时候开始发放。"),
    ),
}
SYNTHETIC_KEYWORDS: dict[str, list[str]] = {
    "城市管理": ["占道经营", "摊贩", "违章搭建", "垃圾"],
    "交通运输": ["公交", "红绿灯", "站牌", "堵车"],
    "教育文体": ["学校", "入学", "幼儿园", "学位"],
    "环境保护": ["废气", "排污", "噪音", "污染"],
    "劳动和社会保障": ["工资", "社保", "养老金", "劳动合同"],
}


def synthetic_messages(per_class: int = 60, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """(title, content, category, order_type) messages built from templates, for classifier tests.

    Every class has its own vocabulary, places and filler are shared; titles that ask
    (咨询/请问) are consultations, the rest complaints.
    """
    import random

    rng = random.Random(seed)
    out: list[tuple[str, str, str, str]] = []
    for label, templates in SYNTHETIC_TEMPLATES.items():
        for i in range(per_class):
            title, content = templates[i % len(templates)]
            place = rng.choice(SYNTHETIC_PLACES)
            asking = rng.random() < 0.4
            prefix = "请问" if asking else "投诉："
            filler = "".join(rng.sample(SYNTHETIC_FILLER, 2))
            out.append(
                (
                    title.format(p=place),
                    prefix + content.format(p=place) + filler,
                    label,
                    "consult" if asking else "complaint",
                )
            )
    rng.shuffle(out)
    return out
