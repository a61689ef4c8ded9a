"""Hot issues at the platform's scale: a full rebuild over 90 days of orders, then incremental adds.

    .venv/bin/python benchmarks/hotspots_assign.py                 # 300,000 orders, 2,000 adds
    .venv/bin/python benchmarks/hotspots_assign.py --orders 50000 --adds 500

Synthetic order-like messages (made up here, no real data): a matter from a pool of civic
matters (noise, parking, lights, rubbish, water, …) written in one of several ways, at a
place (an estate, road, school or village named from random syllables, 3,000 of them, and
the name of the grid it lies in, which the platform knows), with filler sentences; 1 in 5 orders belongs to one of
~1,500 bursts (one matter at one place, 5-80 orders within a few weeks), the rest are
background. Times spread over 90 days, fed in time order.

It measures (``zhiyun.hotspots.method.HotIssueIndex``):

- ``rebuild_s``: adding every order in time order to an empty index (a full rebuild);
- ``assign_p99_ms`` (and p50, max): then adding ``--adds`` new orders one by one, each timed;
- ``issues_s``: ranking the hot issues once;
- ``rss_mb``: the process's peak resident memory.

Last on stdout, one JSON line with these figures. The platform's target is p99 < 50 ms per
new order with ~300,000 orders indexed.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from zhiyun.hotspots.method import HotIssueIndex, HotIssueSettings, Message

SYLLABLES = list("安宝碧滨博昌辰城翠达德东丰福富港光广桂海禾和恒宏华欢佳嘉金锦景康兰蓝乐丽利联林龙隆美明南鹏平启庆荣瑞润森盛顺泰天同旺威文祥新星兴雅怡益逸英永裕悦云泽正智中")  # fmt: skip
ESTATE = ["花园", "新城", "苑", "家园", "公寓", "小区", "广场", "山庄", "华府"]
ROAD = ["路", "大道", "街"]
SCHOOL = ["小学", "中学", "幼儿园"]
VILLAGE = ["村", "社区"]
MATTERS = [
    ("噪音扰民", ["搅拌站夜间施工噪音扰民", "工地晚上施工噪音太大", "夜间施工噪声影响休息"]),
    ("油烟", ["楼下餐饮店油烟扰民", "烧烤摊油烟熏人", "饭店排烟管道油烟直排"]),
    ("停车", ["小区车位捆绑销售", "地下车库车位只售不租", "开发商强制捆绑车位"]),
    ("路灯", ["路灯不亮已经一周", "路灯坏了晚上很黑", "多盏路灯损坏"]),
    ("垃圾", ["垃圾站臭气熏天", "垃圾堆放无人清运", "垃圾桶满了没人收"]),
    ("供水", ["经常停水没有通知", "自来水发黄有异味", "水压太低高层没水"]),
    ("占道", ["流动摊贩占道经营", "商铺出店经营占用人行道", "夜市摊档堵塞道路"]),
    ("违建", ["楼顶私搭乱建", "一楼业主违章搭建", "侵占绿地违法建设"]),
    ("学位", ["孩子入学学位不足", "划片入学不合理", "学校学位紧张无法就读"]),
    ("物业", ["物业乱收费", "物业服务差不作为", "物业费上涨没有公示"]),
    ("交通", ["公交线路改道不便", "红绿灯时间太短", "路口没有斑马线"]),
    ("井盖", ["井盖松动车辆经过响", "井盖缺失很危险", "下水道井盖破损"]),
]
FILLER = [
    "已经持续很长时间了。",
    "附近居民意见很大。",
    "多次反映没有结果。",
    "老人小孩出行不安全。",
    "请有关部门尽快处理。",
    "周边很多人都受到影响。",
    "晚上根本睡不好觉。",
    "希望能给个说法。",
]


def name(rng: random.Random, suffixes: list[str]) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(suffixes)


def make_places(seed: int = 19) -> list[str]:
    """The synthetic district's place names (the platform's gazetteer holds them)."""
    rng = random.Random(seed)
    return (
        [name(rng, ESTATE) for _ in range(1800)]
        + [name(rng, ROAD) for _ in range(600)]
        + [name(rng, SCHOOL) for _ in range(300)]
        + [name(rng, VILLAGE) for _ in range(300)]
    )


def make_orders(n: int, seed: int = 19) -> list[Message]:
    places = make_places(seed)
    rng = random.Random(seed + 1)
    grids = {place: f"第{rng.randrange(1049)}网格" for place in places}  # a place lies in one grid
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = 90 * 86_400
    orders: list[Message] = []

    def order(at: datetime, place: str, matter: int) -> Message:
        _topic, ways = MATTERS[matter]
        way = rng.choice(ways)
        title = f"{place}{way}" if rng.random() < 0.8 else f"反映{way}问题"
        text = f"我住在{place}，{way}，{''.join(rng.sample(FILLER, 2))}"
        caller = f"c{rng.randrange(n // 2)}"
        return Message(
            key=f"o{len(orders)}",
            title=title,
            text=text,
            at=at,
            caller=caller,
            votes=0,
            places=(grids[place],),
        )

    bursts = n // 5
    while bursts > 0:
        size = min(bursts, rng.randint(5, 80))
        bursts -= size
        place, matter = rng.choice(places), rng.randrange(len(MATTERS))
        first = rng.uniform(0, span - 21 * 86_400)
        for _ in range(size):
            orders.append(
                order(start + timedelta(seconds=first + rng.uniform(0, 21 * 86_400)), place, matter)
            )
    while len(orders) < n:
        at = start + timedelta(seconds=rng.uniform(0, span))
        orders.append(order(at, rng.choice(places), rng.randrange(len(MATTERS))))
    orders.sort(key=lambda m: (m.at, m.key))
    return orders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--adds", type=int, default=2_000)
    args = parser.parse_args(argv)
    orders = make_orders(args.orders + args.adds)
    history, new = orders[: args.orders], orders[args.orders :]
    index = HotIssueIndex(HotIssueSettings(), gazetteer=make_places())
    index.add(Message("warm-up", "路灯不亮", "路灯不亮", history[0].at))  # loads the dictionaries
    index.remove("warm-up")

    started = time.perf_counter()
    for i, message in enumerate(history, start=1):
        index.add(message)
        if i % 50_000 == 0:
            print(f"{i:,} orders indexed, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rebuild_s = time.perf_counter() - started

    times: list[float] = []
    for message in new:
        t0 = time.perf_counter()
        index.add(message)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]

    t0 = time.perf_counter()
    issues = index.issues(top=20)
    issues_s = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for issue in issues[:5]:
        print(f"{issue.rank:>2} {issue.hot_index:6.2f} {len(issue.members):>4} {issue.title}")
    figures = {
        "orders": len(history),
        "adds": len(new),
        "rebuild_s": round(rebuild_s, 1),
        "assign_p50_ms": round(statistics.median(times), 2),
        "assign_p99_ms": round(p99, 2),
        "assign_max_ms": round(times[-1], 2),
        "issues_s": round(issues_s, 2),
        "rss_mb": round(rss_mb),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
