"""The demo district's managed objects (网格管理对象): buildings, rental houses, shops (三小场所),
enterprises and facilities (部件) spread over its 1,049 grids.

`object_rows` writes them as the rows of an import file (the Chinese headers of
docs/grid-objects.md, `HEADER`): points drawn uniformly inside each grid, names and addresses
from the demo towns' roads and villages (demo/district.py), attributes of each kind, risk
levels mostly low, facilities with 16-digit component ids (county 440605, the standard's
class and subclass, a serial per subclass). The same generator makes the demo's 30,000
objects (`ensure_objects`, through the real import) and the benchmark's 2,030,000
(benchmarks/grid.py). Deterministic: the same rows for the same count and seed.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import func, select

from zhiyun.bootstrap import Services
from zhiyun.demo.district import DEMO_ADMIN, TOWNS
from zhiyun.demo.grids import COUNTY_CODE, DemoGrid, demo_grid_list
from zhiyun.grid.objects_import import ObjectImportReport
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.kernel.geo import wgs84_to_gcj02

DEMO_OBJECTS = 30_000

HEADER = ["编号", "类型", "名称", "地址", "经度", "纬度", "坐标系", "网格编码", "风险等级", "部件编码"]
ATTRIBUTE_HEADER = [
    "层数",
    "结构",
    "用途",
    "建成年份",
    "间数",
    "出租状态",
    "面积",
    "经营类别",
    "从业人数",
    "住人",
    "行业",
    "规模",
    "危化品",
    "权属单位",
    "状态",
]
FULL_HEADER = [*HEADER, *ATTRIBUTE_HEADER]
_COLUMN = {name: i for i, name in enumerate(FULL_HEADER)}

# per 100 objects, as a district's registers roughly hold them
KIND_WEIGHTS = (("楼栋", 30), ("出租屋", 22), ("三小场所", 25), ("企业", 8), ("部件设施", 15))
RISK_WEIGHTS = (("低", 70), ("中", 20), ("高", 8), ("重大", 2))

ESTATES = ("花园", "新村", "小区", "公寓", "大厦", "苑", "雅居", "名苑")
LANES = ("东", "西", "南", "北", "新", "旧", "前", "后")
SHOP_TYPES = {
    "小商店": ("便利店", "士多", "杂货店", "五金店", "水果店", "烟酒店"),
    "小餐饮": ("粉面店", "快餐店", "烧腊店", "糖水铺", "早餐店", "茶餐厅"),
    "小档口": ("五金档口", "布匹档口", "电器维修档", "服装档口"),
    "小作坊": ("豆腐作坊", "腊味加工坊", "家具加工坊", "不锈钢加工点"),
    "小娱乐": ("棋牌室", "桌球室", "网吧"),
    "小旅馆": ("旅馆", "招待所", "民宿"),
    "小美容美发": ("发廊", "美容院", "美甲店"),
}
SHOP_WORDS = (
    "好又多",
    "顺意",
    "金记",
    "旺佳",
    "美佳",
    "福满",
    "永兴",
    "和记",
    "利民",
    "万家",
    "新景",
    "宏发",
)
TRADES = (
    ("五金制品", "制造业"),
    ("家具制造", "制造业"),
    ("纺织品", "制造业"),
    ("铝型材", "制造业"),
    ("陶瓷", "制造业"),
    ("物流", "交通运输、仓储和邮政业"),
    ("贸易", "批发和零售业"),
    ("建筑工程", "建筑业"),
    ("餐饮管理", "住宿和餐饮业"),
    ("信息科技", "信息传输、软件和信息技术服务业"),
)
FIRM_WORDS = ("宏达", "兴业", "联合", "南方", "粤海", "恒信", "华盛", "金泰", "永利", "佳美", "力源", "广锋")
# component classes and subclasses (class 2 + subclass 2), as the unit-grid standard numbers them
FACILITIES = (
    ("0101", "上水井盖", "区水务公司"),
    ("0102", "污水井盖", "区水务公司"),
    ("0103", "雨水井盖", "区城管局"),
    ("0112", "消防栓", "区消防救援大队"),
    ("0117", "路灯", "区城管局"),
    ("0201", "公交站亭", "区交通运输局"),
    ("0214", "交通信号灯", "区公安分局"),
    ("0301", "公共厕所", "区城管局环卫科"),
    ("0303", "垃圾桶", "区城管局环卫科"),
    ("0408", "行道树", "区城管局"),
)


@dataclass(frozen=True)
class _Place:
    grid: DemoGrid
    town: str
    village: str
    roads: tuple[str, ...]


def _places() -> list[_Place]:
    towns = {f"{t.code}-{v.suffix}": (t, v) for t in TOWNS for v in t.villages}
    places = []
    for grid in demo_grid_list():
        town, village = towns[grid.village_code]
        places.append(_Place(grid, town.name, village.name, town.roads))
    return places


def _points(grid: DemoGrid, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """`count` points drawn uniformly inside the grid (rounded to 1e-6°, still inside)."""
    min_x, min_y, max_x, max_y = grid.geometry.bounds
    found: list[tuple[float, float]] = []
    while len(found) < count:
        want = max(8, 2 * (count - len(found)))
        x = np.round(rng.uniform(min_x, max_x, want), 6)
        y = np.round(rng.uniform(min_y, max_y, want), 6)
        inside = shapely.contains_xy(grid.geometry, x, y)
        found.extend(zip(x[inside].tolist(), y[inside].tolist(), strict=True))
    return found[:count]


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def object_rows(
    count: int,
    *,
    seed: int = 20261210,
    gcj_share: float = 0.0,
    code_share: float = 0.0,
    broken_every: int = 0,
) -> Iterator[list[str]]:
    """`count` objects as rows under FULL_HEADER, spread evenly over the demo grids.

    `gcj_share` of the points are written in GCJ-02 (坐标系 "gcj02"), `code_share` of the
    rows give their 网格编码 instead of a point, and every `broken_every`-th row is broken on
    purpose (a missing name, an unknown kind, a shop with a floor count) for the rejects."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    places = _places()
    per_grid, extra = divmod(count, len(places))
    serials: dict[str, int] = {}
    width = len(FULL_HEADER)
    c = _COLUMN
    number = 0
    for index, place in enumerate(places):
        n = per_grid + (1 if index < extra else 0)
        for lon, lat in _points(place.grid, n, np_rng):
            number += 1
            row = [""] * width
            kind = _pick(rng, KIND_WEIGHTS)
            road = place.roads[rng.randrange(len(place.roads))]
            house = rng.randrange(1, 400)
            address = f"{place.town}{place.village}{road}{house}号"
            short = place.village[:2]
            row[c["编号"]] = f"OBJ{number:09d}"
            row[c["类型"]] = kind
            row[c["风险等级"]] = _pick(rng, RISK_WEIGHTS)
            if kind == "楼栋":
                row[c["名称"]] = f"{short}{ESTATES[rng.randrange(len(ESTATES))]}{rng.randrange(1, 30)}座"
                row[c["层数"]] = str(rng.choice((2, 3, 4, 5, 6, 7, 9, 11, 18, 24, 32)))
                row[c["结构"]] = rng.choice(("钢混", "框架", "砖混", "砖混", "钢结构"))
                row[c["用途"]] = rng.choice(("住宅", "住宅", "住宅", "商业", "综合", "工业"))
                row[c["建成年份"]] = str(rng.randrange(1980, 2025))
            elif kind == "出租屋":
                lane = f"{short}{LANES[rng.randrange(len(LANES))]}{rng.randrange(1, 12)}巷{rng.randrange(1, 40)}号"
                row[c["名称"]] = f"{lane}出租屋"
                address = f"{place.town}{place.village}{lane}"
                row[c["间数"]] = str(rng.randrange(2, 40))
                row[c["出租状态"]] = rng.choice(("已出租", "已出租", "部分出租", "空置"))
                row[c["面积"]] = str(rng.randrange(40, 1200))
            elif kind == "三小场所":
                category = rng.choice(tuple(SHOP_TYPES))
                row[c["名称"]] = (
                    f"{SHOP_WORDS[rng.randrange(len(SHOP_WORDS))]}{rng.choice(SHOP_TYPES[category])}"
                )
                row[c["经营类别"]] = category
                row[c["面积"]] = str(rng.randrange(10, 300))
                row[c["从业人数"]] = str(rng.randrange(1, 12))
                row[c["住人"]] = "是" if rng.random() < 0.1 else "否"
            elif kind == "企业":
                trade, section = TRADES[rng.randrange(len(TRADES))]
                row[c["名称"]] = f"佛山市南海区{FIRM_WORDS[rng.randrange(len(FIRM_WORDS))]}{trade}有限公司"
                row[c["行业"]] = section
                row[c["规模"]] = rng.choice(("微型", "小型", "小型", "中型", "大型"))
                row[c["从业人数"]] = str(rng.randrange(3, 800))
                row[c["危化品"]] = "是" if rng.random() < 0.05 else "否"
            else:
                code, label, owner = FACILITIES[rng.randrange(len(FACILITIES))]
                serials[code] = serial = serials.get(code, 0) + 1
                row[c["名称"]] = f"{road}{label}"
                row[c["部件编码"]] = f"{COUNTY_CODE}{code}{serial:06d}"
                row[c["权属单位"]] = owner
                row[c["状态"]] = rng.choice(("完好", "完好", "完好", "破损", "占用"))
                address = f"{place.town}{road}{house}号旁"
            row[c["地址"]] = address
            draw = rng.random()
            if draw < code_share:
                row[c["网格编码"]] = place.grid.code
            elif draw < code_share + gcj_share:
                g_lat, g_lon = wgs84_to_gcj02(lat, lon)
                row[c["经度"]], row[c["纬度"]] = f"{g_lon:.7f}", f"{g_lat:.7f}"
                row[c["坐标系"]] = "gcj02"
            else:
                row[c["经度"]], row[c["纬度"]] = f"{lon:.6f}", f"{lat:.6f}"
            if broken_every and number % broken_every == 0:
                which = (number // broken_every) % 3
                if which == 0:
                    row[c["名称"]] = ""
                elif which == 1:
                    row[c["类型"]] = "商场"
                else:
                    row[c["类型"]], row[c["层数"]], row[c["部件编码"]] = "三小场所", "6", ""
            yield row


def write_objects_csv(path: Path, count: int, **options: float | int) -> int:
    """Write `count` objects (see `object_rows`) to a UTF-8 CSV file; the rows written."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FULL_HEADER)
        chunk: list[list[str]] = []
        for row in object_rows(count, **options):  # type: ignore[arg-type]
            chunk.append(row)
            if len(chunk) >= 10_000:
                writer.writerows(chunk)
                written += len(chunk)
                chunk.clear()
        writer.writerows(chunk)
        written += len(chunk)
    return written


def ensure_objects(services: Services, count: int = DEMO_OBJECTS) -> ObjectImportReport | None:
    """Import the demo's objects through the real import, once (None when some are stored)."""
    with services.db.reading() as session:
        if session.scalar(select(func.count()).select_from(ManagedObjectRow)):
            return None
    with tempfile.TemporaryDirectory(prefix="zhiyun-demo-objects-") as tmp:
        path = Path(tmp) / "objects.csv"
        write_objects_csv(path, count, gcj_share=0.05, code_share=0.02)
        return services.get(ManagedObjectService).import_file(
            DEMO_ADMIN, path, rejects_path=Path(tmp) / "rejects.csv"
        )


__all__ = ["DEMO_OBJECTS", "FULL_HEADER", "ensure_objects", "object_rows", "write_objects_csv"]
