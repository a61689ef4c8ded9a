"""Seeded repeat matters: one matter at one place raised by several citizens over the past weeks.

What the hot issues (热点问题) of the demo find besides the typhoon bursts: a concrete mixing
plant's night noise next to one estate (9 callers, one of whom calls three times), bundled
parking-space sales at one estate (7) and a broken bus shelter on one road (5). Each caller
words it differently, as people do. The places are the district's own (towns, villages,
roads; the estates are named after their village).

The orders are registered like the other seeded orders, by the orders service at the time
each call came in (a clock set to it), through the 12345 or 区长直通车 channel, with a
category of the taxonomy, located by the platform's locator (town, village, grid) as intake
locates a channel's order, and dispatched to the town. They skip intake's duplicate check:
it would fold the callers into one order, while here each call is the point.

Idempotent: each call carries the external id ``HOT-A01``…, and a second run registers
nothing twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from zhiyun.bootstrap import Services, build_services
from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import point_in_village
from zhiyun.demo.district import TOWNS, DemoDirectory, person_name
from zhiyun.demo.orders import SimClock
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.workorder import Dispatch, OrderType, Supervise, Urge
from zhiyun.geo.locator import Location
from zhiyun.intake.service import channel_actor
from zhiyun.kernel.geo import geo_cell
from zhiyun.kernel.text import default_segmenter
from zhiyun.orders import repo as orders_repo
from zhiyun.orders.service import NewOrder

EXTERNAL_PREFIX = "HOT-"
SEED = 1919
# The calls (by number in their matter) that the center urges and the leader supervises.
URGED = frozenset({3, 5})
SUPERVISED = frozenset({4})
URGE_NOTE = "同一问题已有多位市民来电反映，请尽快核查处理并反馈。"
SUPERVISE_NOTE = "该问题群众反映集中，请承办单位高度重视，限期办结。"


@dataclass(frozen=True)
class RepeatMatter:
    """One matter at one place: the callers' words (title, text), the first caller's repeats."""

    key: str  # A, B, C: the external ids' letter
    label: str  # what the demo's start-up lines call it
    town: str  # town code
    village: str  # village suffix
    road: str
    category_code: str
    order_type: OrderType
    days: tuple[float, float]  # the calls lie this many days back (oldest, newest)
    calls: tuple[tuple[str, str], ...]
    repeats: tuple[tuple[str, str], ...] = ()  # the first caller again, later

    @property
    def size(self) -> int:
        return len(self.calls) + len(self.repeats)


MATTERS: tuple[RepeatMatter, ...] = (
    RepeatMatter(
        "A",
        "叠滘花园 搅拌站夜间噪音",
        "GC",
        "DJ",
        "南桂东路",
        "HB03",
        OrderType.COMPLAINT,
        (18, 0.3),
        (
            (
                "叠滘花园旁搅拌站夜间噪音扰民",
                "我是叠滘花园的业主，小区旁边南桂东路上的混凝土搅拌站每天晚上十一点后还在作业，"
                "搅拌机和罐车的声音很大，吵得根本睡不着，请相关部门管一管。",
            ),
            (
                "南桂东路搅拌站半夜作业太吵",
                "叠滘花园住户反映：南桂东路那个搅拌站凌晨一两点还在装车，罐车进进出出，"
                "噪音特别大，家里老人小孩都被吵醒，希望尽快处理。",
            ),
            (
                "投诉叠滘花园附近搅拌站噪音",
                "我住叠滘花园3栋，窗户正对南桂东路的搅拌站，晚上搅拌设备轰鸣，关上窗也听得见，"
                "已经持续一个多月了，要求夜间停止作业。",
            ),
            (
                "搅拌站夜里生产影响叠滘花园居民休息",
                "市民来电：叠滘花园东侧的混凝土搅拌站经常通宵生产，噪音和粉尘都很严重，"
                "小区很多业主都有意见，请核查其是否有夜间作业许可。",
            ),
            (
                "叠滘花园业主投诉搅拌站深夜扰民",
                "南桂东路搅拌站每晚十点后开始大量出货，罐车鸣笛、卸料声不断，叠滘花园靠路一侧的"
                "住户根本没法休息，孩子第二天还要上学。",
            ),
            (
                "南桂东路混凝土搅拌站噪声大",
                "住在叠滘花园，楼下南桂东路的搅拌站机器声从晚上一直响到凌晨，手机测过分贝超过七十，"
                "请执法部门夜间到现场检测。",
            ),
            (
                "叠滘花园附近搅拌站晚上不停工",
                "反映叠滘花园旁边的混凝土搅拌站夜间违规生产、噪音扰民的问题，希望相关部门依法查处，"
                "还居民一个安静的夜晚。",
            ),
            (
                "叠滘花园居民被搅拌站噪音困扰",
                "家里孩子明年高考，叠滘花园边上那个搅拌站半夜还在搅拌、装车，吵得孩子睡不好，"
                "恳请尽快让它夜间停工。",
            ),
            (
                "搅拌站噪音吵得叠滘花园老人睡不着",
                "我父母住叠滘花园，年纪大了睡眠浅，南桂东路搅拌站夜里的轰隆声和倒车提示音一响就是"
                "一整夜，老人血压都高了，请管一管。",
            ),
            (
                "叠滘花园楼下搅拌站通宵开工",
                "叠滘花园的住户又一次被南桂东路搅拌站吵到凌晨三点，罐车排队等着装料，发动机一直响，"
                "请相关部门晚上来现场看一看。",
            ),
        ),
        (
            (
                "再次投诉叠滘花园旁搅拌站噪音",
                "我上周已经反映过，叠滘花园旁边南桂东路搅拌站晚上还是在作业，一点改善都没有，请尽快处理。",
            ),
            (
                "第三次反映叠滘花园搅拌站夜间噪音",
                "搅拌站夜间噪音的问题我已经打过两次电话，至今没人处理，叠滘花园晚上依旧吵得无法入睡。",
            ),
        ),
    ),
    RepeatMatter(
        "B",
        "盐步华府 车位捆绑销售",
        "DL",
        "YB",
        "盐步大道",
        "CX0301",
        OrderType.COMPLAINT,
        (16, 1.0),
        (
            (
                "盐步华府开发商捆绑销售车位",
                "我是盐步华府的业主，开发商要求买房必须同时购买车位，一个车位要十几万，"
                "不买就不给办收楼手续，请问这合法吗？",
            ),
            (
                "投诉盐步华府车位捆绑销售",
                "盐步大道盐步华府的售楼处强制业主买车位，说车位只卖不租，不买车位就不能选房，"
                "希望住建部门查处。",
            ),
            (
                "盐步华府车位只售不租强制购买",
                "盐步华府开发商把车位和房子捆在一起卖，业主只想租个车位，物业说没有租的，只能买，"
                "价格还很高。",
            ),
            (
                "反映盐步华府捆绑销售车位问题",
                "刚在盐步华府交了首付，销售人员才说要另外付车位款，否则网签一直拖着，感觉被骗了，"
                "请相关部门介入。",
            ),
            (
                "盐步华府收楼要求先买车位",
                "盐步华府交楼时开发商要求业主先签车位购买合同才发钥匙，这是捆绑销售，很多业主都不同意，"
                "请求调查。",
            ),
            (
                "盐步华府车位捆绑销售侵害业主权益",
                "盐步大道的盐步华府楼盘车位强制捆绑出售，违反商品房销售的规定，业主群里已经有几十户"
                "在反映，请尽快处理。",
            ),
            (
                "盐步华府车位价格高还强制购买",
                "盐步华府的车位定价二十万一个，开发商不允许单独买房，必须房子车位一起买，"
                "请住建和市场监管部门查一查。",
            ),
            (
                "盐步华府不买车位不给网签",
                "我在盐步华府买了一套房，开发商说必须加购车位才给网签备案，车位合同还不能退，"
                "这种捆绑销售谁来管？",
            ),
        ),
    ),
    RepeatMatter(
        "C",
        "罗村大道 公交候车亭损坏",
        "SS",
        "LC",
        "罗村大道",
        "JT01",
        OrderType.HELP,
        (8, 0.4),
        (
            (
                "罗村大道公交候车亭玻璃破损",
                "罗村大道的公交候车亭（罗村社区站）顶棚玻璃碎了，碎片掉在座椅上，等车的人很危险，请尽快维修。",
            ),
            (
                "罗村大道公交站候车亭损坏",
                "罗村大道上罗村社区公交站的候车亭被车撞坏了，棚顶歪斜，下雨天根本没处躲雨，希望早日修好。",
            ),
            (
                "罗村大道公交候车亭顶棚破了",
                "市民反映：罗村大道公交站候车亭的顶棚破了一个大洞，座椅也坏了，老人等车只能站着，"
                "请公交部门处理。",
            ),
            (
                "罗村大道候车亭破损有安全隐患",
                "每天在罗村大道的公交站坐车，候车亭的灯箱玻璃裂开、铁架松动，担心掉下来砸到人。",
            ),
            (
                "罗村大道公交候车亭坏了没人修",
                "罗村大道公交站的候车亭坏了快两个星期了，顶棚漏雨，站牌也看不清，请尽快安排维修。",
            ),
        ),
    ),
)


@dataclass
class HotMattersReport:
    matters: int = 0
    created: int = 0
    existing: int = 0
    callers: dict[str, int] = field(default_factory=dict)  # matter label → distinct callers


@dataclass(frozen=True)
class _Call:
    matter: RepeatMatter
    external_id: str
    at: datetime
    title: str
    content: str
    name: str
    phone: str
    channel: str
    point: tuple[float, float]
    house_no: int


def _town(code: str) -> tuple[str, str]:
    town = next(t for t in TOWNS if t.code == code)
    return town.name, town.code


def plan_calls(now: datetime, seed: int = SEED) -> list[_Call]:
    """Every call of every matter, in time order (deterministic for a seed and `now`)."""
    rng = random.Random(seed)
    calls: list[_Call] = []
    for matter in MATTERS:
        code = f"{matter.town}-{matter.village}"
        origin = point_in_village(code, rng, radius_deg=0.003)
        house = rng.randint(8, 388)
        oldest, newest = matter.days
        n = len(matter.calls)
        times = sorted(
            now - timedelta(days=oldest - (oldest - newest) * (i + rng.uniform(0.0, 0.8)) / n)
            for i in range(n)
        )
        people = [(person_name(rng), tp.phone(rng)) for _ in range(n)]
        for i, ((title, content), at, (name, phone)) in enumerate(
            zip(matter.calls, times, people, strict=True)
        ):
            channel = "12345" if rng.random() < 0.7 else "district_hotline"
            point = (
                round(origin[0] + rng.uniform(-4e-4, 4e-4), 6),
                round(origin[1] + rng.uniform(-4e-4, 4e-4), 6),
            )
            calls.append(
                _Call(
                    matter,
                    f"{EXTERNAL_PREFIX}{matter.key}{i + 1:02d}",
                    _office_hours(at),
                    title,
                    content,
                    name,
                    phone,
                    channel,
                    point,
                    house,
                )
            )
        # the first caller again, days after the first call (the near-repeat rule counts them once)
        first = next(c for c in calls if c.external_id == f"{EXTERNAL_PREFIX}{matter.key}01")
        gap = (now - first.at) / (len(matter.repeats) + 1)
        for j, (title, content) in enumerate(matter.repeats, start=1):
            at = _office_hours(first.at + gap * j)
            calls.append(
                _Call(
                    matter,
                    f"{EXTERNAL_PREFIX}{matter.key}R{j}",
                    min(at, now - timedelta(minutes=30)),
                    title,
                    content,
                    first.name,
                    first.phone,
                    "12345",
                    first.point,
                    house,
                )
            )
    calls.sort(key=lambda c: (c.at, c.external_id))
    return calls


def _office_hours(at: datetime) -> datetime:
    """People call between 08:00 and 22:00 local time: a night instant moves to the evening before."""
    local = at.astimezone(LOCAL_TZ)
    if 8 <= local.hour < 22:
        return at
    evening = local.replace(hour=21, minute=local.minute % 60)
    if local.hour < 8:
        evening -= timedelta(days=1)
    return evening.astimezone(UTC)


def ensure_hot_matters(
    services: Services, *, now: datetime | None = None, seed: int = SEED
) -> HotMattersReport:
    """Register the calls that are not there yet, each at its time, and dispatch them to the town."""
    now = now or datetime.now(UTC)
    d = DemoDirectory.load(services)
    clock = SimClock(now)
    svc = build_services(services.db, services.settings, clock=clock)
    report = HotMattersReport(matters=len(MATTERS))
    locator = svc.geo.locator()
    dispatcher = d.dispatcher_at(d.district.id)
    seen: dict[str, set[str]] = {}
    for call in plan_calls(now, seed):
        m = call.matter
        town_name, town_code = _town(m.town)
        village = next(v for t in TOWNS if t.code == m.town for v in t.villages if v.suffix == m.village)
        seen.setdefault(m.label, set()).add(call.phone)
        address = f"佛山市南海区{town_name}{village.name}{m.road}{call.house_no}号"
        new = NewOrder(
            title=call.title,
            content=call.content,
            order_type=m.order_type,
            channel=call.channel,
            external_id=call.external_id,
            citizen_name=call.name,
            citizen_phone=call.phone,
            address=address,
            latitude=call.point[0],
            longitude=call.point[1],
            category_code=m.category_code,
            center_unit_id=d.district.id,
            note=f"{tp.CHANNEL_LABELS.get(call.channel, call.channel)}来件，已受理",
        )
        clock.now = call.at
        created = register_located(
            svc, channel_actor(call.channel), new, locator.locate(*call.point, address)
        )
        if created is None:
            report.existing += 1
            continue
        report.created += 1
        if dispatcher is None:
            continue
        clock.now = call.at + timedelta(minutes=20)
        svc.orders.act(dispatcher, created, Dispatch(target_unit_id=d.id(town_code)))
        # many callers about one matter: the center urges (催办) the town, the leader supervises (督办)
        number = int(call.external_id[-2:]) if call.external_id[-2:].isdigit() else 0
        later = min(call.at + timedelta(hours=20), now - timedelta(minutes=10))
        if number in URGED:
            clock.now = later
            svc.orders.act(dispatcher, created, Urge(note=URGE_NOTE))
        if number in SUPERVISED:
            clock.now = later + timedelta(minutes=5)
            svc.orders.act(d.leader, created, Supervise(note=SUPERVISE_NOTE))
    report.callers = {label: len(phones) for label, phones in seen.items()}
    return report


def register_located(svc: Services, actor: Actor, new: NewOrder, location: Location) -> int | None:
    """The new order's id (None when its external id is registered already): the orders service's
    registration with intake's location columns."""
    new = new.validated()
    assert new.external_id is not None
    now = svc.clock()
    with svc.db.transaction() as session:
        _revision, existing = orders_repo.revision_and_external_order(session, new.channel, new.external_id)
        if existing is not None:
            return None
        extra = {
            "town_unit_id": location.town_unit_id,
            "village_unit_id": location.village_unit_id,
            "grid_id": location.grid_id,
            "location_source": location.source,
            "geo_cell": geo_cell(new.latitude, new.longitude)
            if new.latitude is not None and new.longitude is not None
            else None,
            "search_text": default_segmenter().search_text(new.title, new.content),
        }
        row = svc.orders.register_in(session, actor, new, now, extra=extra)
        return int(row.id)
