"""Live demo traffic: realistic Chinese requests, each in its channel's own payload.

Pure: random numbers and the demo district's static data (towns, villages, roads, synthetic
boundaries); no database, no HTTP. The simulator (demo/simulator.py) posts what this module
makes to the real intake endpoints.

What a `TrafficGenerator` makes:

- `single(at)`: one request from one channel, as that system sends it — a 12345 or 城管
  call record (caller number, call time, agent id, recording id), a 区长直通车 web/WeChat
  message, a grid worker's patrol report (GCJ-02 point inside the right village, photo
  URLs), a 110 non-police transfer (incident number, police station), a 我为群众办实事
  suggestion, an online-opinion post (site, URL, author, reposts), an environment
  complaint, a remote-sensing detection or an IoT alarm (积水, 占道经营, 明火, 垃圾满溢…).
  Topics are weighted by the season of the date: school enrollment around April,
  graduates' registration around July, resident medical insurance in November.
- `event(at)`: one matter reported from several channels within minutes and 50–150 m apart,
  in overlapping words (a burst pipe: a 12345 caller, a grid worker and a pipe-pressure
  sensor), so that intake merges or flags the duplicates.
- `typhoon(at, size)`: a typhoon-day burst: many urgent reports of fallen trees, flooding,
  power cuts and loose signboards across all towns within minutes.
- `repeat(request)`: the same payload again (an integration posting twice), or the same
  external id with supplemented content (an update).
- `open311(at)`: a citizen's report from a phone app that speaks Open311 GeoReport v2 (a
  FixMyStreet-style client): the form of POST /open311/v2/requests.json with a service
  code, WGS-84 lat/long, the address, a description in the citizen's words, the service's
  attributes, a name, a phone number and sometimes an e-mail and a photo URL.

Every payload validates against its channel's pydantic model (tests check them all).
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import Point

from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import boundary, point_in_village
from zhiyun.demo.district import TOWN_OFFICES, TOWNS, DemoTown, DemoVillage, person_name
from zhiyun.domain.workorder import OrderType
from zhiyun.kernel.geo import wgs84_to_gcj02
from zhiyun.kernel.normalize import SHANGHAI

__all__ = [
    "CHANNEL_WEIGHTS",
    "EXTERNAL_ID_FIELDS",
    "OPEN311_CHANNEL",
    "OPEN311_TOPICS",
    "TRAFFIC_CHANNELS",
    "Request",
    "TrafficGenerator",
]

# How often each channel sends something (per 100 single requests).
CHANNEL_WEIGHTS: dict[str, float] = {
    "12345": 30,
    "district_hotline": 12,
    "grid": 14,
    "police_110": 6,
    "city_mgmt_hotline": 5,
    "people_first": 4,
    "online_opinion": 7,
    "environment": 5,
    "remote_sensing": 4,
    "iot": 13,
}
TRAFFIC_CHANNELS: tuple[str, ...] = tuple(CHANNEL_WEIGHTS)

# The payload field that carries each channel's external id (the idempotency key).
EXTERNAL_ID_FIELDS: dict[str, str] = {
    "12345": "call_id",
    "city_mgmt_hotline": "call_id",
    "district_hotline": "message_id",
    "grid": "report_id",
    "police_110": "incident_no",
    "people_first": "item_id",
    "online_opinion": "item_id",
    "environment": "complaint_id",
    "remote_sensing": "detection_id",
    "iot": "alarm_id",
}

TOWN_WEIGHTS = {"GC": 22, "SS": 20, "DL": 18, "LS": 12, "XQ": 10, "JJ": 9, "DZ": 9}
DISTRICT_AREA_CODE = "440605"  # 南海区's administrative division code, as in 110 incident numbers

_ALL_TOPICS: tuple[tp.Topic, ...] = tp.TOPICS + tp.SEASONAL_TOPICS
_TOPICS_BY_KEY = {t.key: t for t in _ALL_TOPICS + tp.TYPHOON_TOPICS}

# Which matters each channel hears about (12345 and 区长直通车 hear about everything).
TOPIC_CHANNELS: dict[str, frozenset[str]] = {
    "city_mgmt_hotline": frozenset(
        {"streetlight", "street_vendor", "garbage", "illegal_building", "road_damage"}
    ),
    "grid": frozenset(
        {
            "streetlight",
            "street_vendor",
            "garbage",
            "road_damage",
            "illegal_building",
            "fire_hazard",
            "rental_housing",
            "illegal_parking",
            "water_supply",
            "river_pollution",
        }
    ),
    "police_110": frozenset(
        {
            "nightlife_noise",
            "square_dance",
            "construction_noise",
            "illegal_parking",
            "wage_arrears",
            "rental_housing",
            "consumer_dispute",
            "water_supply",
            "road_damage",
            "fire_hazard",
        }
    ),
    "online_opinion": frozenset(
        {
            "water_supply",
            "construction_noise",
            "factory_smell",
            "river_pollution",
            "garbage",
            "hospital_service",
            "gov_service",
            "school_enrollment",
            "graduate_registration",
            "medical_insurance",
            "consumer_dispute",
            "bus_route",
        }
    ),
}

GRID_EVENTS = {
    "streetlight": "路灯故障",
    "street_vendor": "占道经营",
    "garbage": "垃圾乱堆乱放",
    "road_damage": "道路破损",
    "illegal_building": "违法建设",
    "fire_hazard": "消防安全隐患",
    "rental_housing": "出租屋安全隐患",
    "illegal_parking": "违规停车",
    "water_supply": "供水管网破损",
    "river_pollution": "河涌污染",
    "fallen_tree": "树木倒伏",
    "flooding": "路面水浸",
    "power_cut": "电力设施损坏",
    "loose_signboard": "广告牌松脱",
}
POLICE_CATEGORIES = {
    "nightlife_noise": "噪音扰民",
    "square_dance": "噪音扰民",
    "construction_noise": "噪音扰民",
    "illegal_parking": "交通秩序",
    "wage_arrears": "劳资纠纷",
    "rental_housing": "民事纠纷",
    "consumer_dispute": "消费纠纷",
    "water_supply": "市政设施",
    "road_damage": "市政设施",
    "fire_hazard": "安全隐患",
    "fallen_tree": "自然灾害",
    "flooding": "自然灾害",
    "power_cut": "市政设施",
    "loose_signboard": "安全隐患",
}
POLICE_STATIONS = {
    "GC": ("桂城派出所", "平洲派出所", "南海派出所"),
    "DL": ("大沥派出所", "黄岐派出所", "盐步派出所"),
    "SS": ("狮山派出所", "松岗派出所", "罗村派出所", "官窑派出所", "小塘派出所"),
    "LS": ("里水派出所", "和顺派出所"),
    "XQ": ("西樵派出所",),
    "JJ": ("九江派出所",),
    "DZ": ("丹灶派出所", "金沙派出所"),
}
REQUEST_TYPES = {
    OrderType.CONSULT: "咨询",
    OrderType.HELP: "求助",
    OrderType.COMPLAINT: "投诉",
    OrderType.REPORT: "举报",
    OrderType.SUGGESTION: "建议",
    OrderType.PRAISE: "表扬",
}
OPINION_SITES: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("新浪微博", lambda r: f"https://weibo.com/{r.randrange(10**9, 10**10)}/{_b62(r, 9)}"),
    ("抖音", lambda r: f"https://www.douyin.com/video/{r.randrange(10**18, 10**19)}"),
    ("今日头条", lambda r: f"https://www.toutiao.com/article/{r.randrange(10**18, 10**19)}/"),
    ("百度贴吧", lambda r: f"https://tieba.baidu.com/p/{r.randrange(10**9, 10**10)}"),
    ("小红书", lambda r: f"https://www.xiaohongshu.com/explore/{r.randrange(16**23, 16**24):024x}"),
    ("本地论坛", lambda r: f"https://bbs.example.cn/thread/{r.randrange(100_000, 999_999)}"),
)
OPINION_AUTHORS = (
    "南海街坊",
    "桂城小陈",
    "佛山打工人",
    "里水阿姨",
    "狮山老表",
    "西樵山下",
    "大沥吃货",
    "九江鱼仔",
    "丹灶人家",
    "千灯湖跑者",
    "南海二胎妈妈",
    "广佛通勤族",
)

# --------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class Request:
    """One generated request: the channel, its payload, and what it is about (for the simulator)."""

    channel: str
    payload: dict[str, Any]
    topic: str
    town: str  # town code
    village: str | None  # village code ("GC-XB"), None when the matter has no village
    route: str  # where it is handled: topics.VILLAGE, topics.OFFICE or a department code
    reply: str  # what the handling unit will answer
    kind: str = "single"  # single | event | typhoon | repeat | update
    event: str | None = None  # the multi-channel event or typhoon burst it belongs to

    @property
    def external_id(self) -> str:
        """The sender's own id of the request (an Open311 app's is one of its attributes)."""
        field = OPEN311_REPORT_ID if self.channel == OPEN311_CHANNEL else EXTERNAL_ID_FIELDS[self.channel]
        return str(self.payload[field])


@dataclass
class _Matter:
    """A matter as a hotline agent would record it, plus where it is and who handles it."""

    key: str
    order_type: OrderType
    title: str
    content: str  # the agent's words ("市民反映：…")
    reply: str
    route: str
    town: DemoTown
    village: DemoVillage
    values: dict[str, str]
    point: tuple[float, float] | None  # WGS-84, inside the village
    urgent: bool = False
    address: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def village_code(self) -> str:
        return f"{self.town.code}-{self.village.suffix}"

    @property
    def words(self) -> str:
        return tp.citizen_words(self.content)


def _b62(rng: random.Random, n: int) -> str:
    alphabet = string.digits + string.ascii_letters
    return "".join(rng.choice(alphabet) for _ in range(n))


def _iso(at: datetime) -> str:
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _stamp(at: datetime, fmt: str = "%Y%m%d%H%M%S") -> str:
    return at.astimezone(SHANGHAI).strftime(fmt)


def _gcj(point: tuple[float, float]) -> tuple[float, float]:
    lat, lon = wgs84_to_gcj02(*point)
    return round(lat, 6), round(lon, 6)


def _honorific(rng: random.Random) -> tuple[str, str]:
    """(full name, how an agent writes it: 陈先生 / 李女士)."""
    name = person_name(rng)
    return name, name[0] + rng.choice(("先生", "女士"))


def _phone(rng: random.Random) -> str:
    """A caller's number: mostly mobiles, some Foshan landlines (0757)."""
    if rng.random() < 0.12:
        return f"0757-{rng.choice((8, 6))}{rng.randrange(10**7):07d}"
    return tp.phone(rng)


def _near(
    code: str, point: tuple[float, float], rng: random.Random, lo_m: float = 50, hi_m: float = 150
) -> tuple[float, float]:
    """A WGS-84 point lo_m–hi_m from `point`, inside the village `code` when possible."""
    geom = boundary(code)
    lat, lon = point
    for attempt in range(30):
        distance = rng.uniform(lo_m, hi_m) * (0.8 if attempt > 15 else 1.0)
        bearing = rng.uniform(0, 2 * math.pi)
        d_lat = distance * math.cos(bearing) / 111_320
        d_lon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
        p = (round(lat + d_lat, 6), round(lon + d_lon, 6))
        if geom.contains(Point(p[1], p[0])):
            return p
    return point


# --------------------------------------------------------------------------- the generator


class TrafficGenerator:
    """Makes requests in each channel's own payload; deterministic for a given `rng`."""

    def __init__(
        self,
        rng: random.Random,
        *,
        channel_weights: Mapping[str, float] | None = None,
    ) -> None:
        self.rng = rng
        weights = dict(channel_weights or CHANNEL_WEIGHTS)
        unknown = set(weights) - set(TRAFFIC_CHANNELS)
        if unknown:
            raise ValueError(f"no traffic for channels {sorted(unknown)}")
        self.channel_weights = {k: v for k, v in weights.items() if v > 0}
        if not self.channel_weights:
            raise ValueError("at least one channel needs a positive weight")
        self.serial = 0
        self.events = 0

    # -- picking --------------------------------------------------------------------

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _town(self) -> DemoTown:
        code = self.rng.choices(list(TOWN_WEIGHTS), weights=list(TOWN_WEIGHTS.values()))[0]
        return next(t for t in TOWNS if t.code == code)

    def topic_weights(self, channel: str, month: int) -> list[tuple[tp.Topic, float]]:
        """The matters `channel` hears about in `month`, with their seasonal weights."""
        allowed = TOPIC_CHANNELS.get(channel)
        return [
            (t, t.weight * tp.season_factor(t.key, month))
            for t in _ALL_TOPICS
            if allowed is None or t.key in allowed
        ]

    def _values(self, town: DemoTown, village: DemoVillage, at: datetime) -> dict[str, str]:
        rng = self.rng
        road = rng.choice(town.roads)
        road2 = rng.choice([r for r in town.roads if r != road] or list(town.roads))
        short = village.aliases[0] if village.aliases else village.name
        local = at.astimezone(SHANGHAI)
        return {
            "town": town.name,
            "tshort": town.aliases[0] if town.aliases else town.name,
            "village": village.name,
            "vshort": short,
            "road": road,
            "road2": road2,
            "no": str(rng.randint(1, 388)),
            "n": str(rng.randint(2, 8)),
            "days": str(rng.randint(2, 10)),
            "shop": rng.choice(tp.SHOPS),
            "company": rng.choice(tp.COMPANIES),
            "time": rng.choice(tp.TIMES),
            "school": f"{short}小学",
            "money": str(rng.randint(3, 60) * 500),
            "age": str(rng.choice((80, 85, 90, 95, 100))),
            # school places are asked about for the coming autumn; the rest for this year
            "year": str(local.year + (1 if local.month >= 9 else 0)),
        }

    @staticmethod
    def _resolve(route: str, town: DemoTown) -> str:
        """A town office route falls back to the village where the town has no office."""
        if route == tp.OFFICE and not any(parent == town.code for _c, _n, parent, _a in TOWN_OFFICES):
            return tp.VILLAGE
        return route

    def _matter(
        self,
        topic: tp.Topic,
        at: datetime,
        *,
        town: DemoTown | None = None,
        village: DemoVillage | None = None,
        urgent: bool | None = None,
    ) -> _Matter:
        rng = self.rng
        town = town or self._town()
        village = village or rng.choice(town.villages)
        variant = rng.choice(topic.variants)
        values = self._values(town, village, at)
        code = f"{town.code}-{village.suffix}"
        point = point_in_village(code, rng) if topic.located else None
        address = f"佛山市南海区{town.name}{village.name}{values['road']}{values['no']}号" if point else None
        return _Matter(
            key=topic.key,
            order_type=topic.order_type,
            title=tp.fill(variant.title, values),
            content=tp.fill(variant.content, values),
            reply=tp.fill(variant.reply, values),
            route=self._resolve(self.rng.choice(topic.routes), town),
            town=town,
            village=village,
            values=values,
            point=point,
            urgent=rng.random() < topic.urgent_share if urgent is None else urgent,
            address=address,
        )

    def _request(self, channel: str, matter: _Matter, payload: dict[str, Any], **kw: Any) -> Request:
        return Request(
            channel=channel,
            payload={k: v for k, v in payload.items() if v is not None},
            topic=matter.key,
            town=matter.town.code,
            village=matter.village_code,
            route=matter.route,
            reply=matter.reply,
            **kw,
        )

    # -- one request ------------------------------------------------------------------

    def single(self, at: datetime, *, month: int | None = None, channel: str | None = None) -> Request:
        """One request from one channel; topics weighted by the season of `month` (default: `at`'s)."""
        rng = self.rng
        month = month or at.astimezone(SHANGHAI).month
        if channel is None:
            channel = rng.choices(list(self.channel_weights), weights=list(self.channel_weights.values()))[0]
        if channel == "people_first":
            return self._people_first_single(at)
        if channel == "environment":
            return self._environment_single(at)
        if channel == "remote_sensing":
            return self._remote_sensing_single(at)
        if channel == "iot":
            return self._iot_single(at)
        weighted = self.topic_weights(channel, month)
        topic = rng.choices([t for t, _ in weighted], weights=[w for _, w in weighted])[0]
        matter = self._matter(topic, at)
        return self._request(channel, matter, self.render(channel, matter, at))

    def render(self, channel: str, matter: _Matter, at: datetime, **overrides: Any) -> dict[str, Any]:
        """A matter as `channel` sends it; `overrides` replace payload fields."""
        renderers: dict[str, Callable[[_Matter, datetime], dict[str, Any]]] = {
            "12345": lambda m, t: self.hotline_call(m, t, channel="12345"),
            "city_mgmt_hotline": lambda m, t: self.hotline_call(m, t, channel="city_mgmt_hotline"),
            "district_hotline": self.district_message,
            "grid": self.grid_report,
            "police_110": self.police_transfer,
            "online_opinion": self.opinion_item,
            "people_first": self.people_first_item,
        }
        payload = renderers[channel](matter, at)
        payload.update(overrides)
        return {k: v for k, v in payload.items() if v is not None}

    # -- the channels' own payloads -------------------------------------------------------

    def hotline_call(self, m: _Matter, at: datetime, *, channel: str = "12345") -> dict[str, Any]:
        """A call record of the 12345 (or 城管) call center."""
        rng = self.rng
        _name, polite = _honorific(rng)
        agent = f"A{rng.randint(101, 699):04d}"
        prefix = "C" if channel == "12345" else "CG"
        point = _gcj(m.point) if m.point and rng.random() < 0.75 else None
        return {
            "call_id": f"{prefix}{_stamp(at)}{self._next() % 1000:03d}",
            "caller_number": _phone(rng),
            "caller_name": polite if rng.random() < 0.8 else None,
            "call_time": _iso(at),
            "agent_id": agent,
            "recording_id": f"REC-{_stamp(at, '%Y%m%d-%H%M')}-{agent[1:]}",
            "request_type": REQUEST_TYPES[m.order_type],
            "urgent": m.urgent,
            "title": m.title if rng.random() < 0.6 else None,
            "content": m.content,
            "address": m.address or (m.town.name if rng.random() < 0.5 else None),
            "lat": point[0] if point else None,
            "lon": point[1] if point else None,
            "coord_system": "gcj02" if point else None,
        }

    def district_message(self, m: _Matter, at: datetime) -> dict[str, Any]:
        """A message to 区长直通车 in the citizen's own words."""
        rng = self.rng
        _name, polite = _honorific(rng)
        via = rng.choices(("web", "wechat", "phone"), weights=(45, 35, 20))[0]
        opening = rng.choice(("区长您好！", "尊敬的区长：", "您好，", "", "我是{village}的居民，"))
        closing = rng.choice(("希望尽快解决，谢谢！", "盼复。", "麻烦领导重视一下。", "", "谢谢！"))
        body = f"{tp.fill(opening, m.values)}{m.words}{closing}"
        return {
            "message_id": f"QZ-{at.astimezone(SHANGHAI).year}-{rng.randrange(100_000, 999_999)}{self._next() % 10}",
            "via": via,
            "submitted_at": _iso(at),
            "citizen_name": polite if rng.random() < 0.85 else None,
            "citizen_phone": _phone(rng),
            "subject": m.title,
            "body": body,
            "request_type": REQUEST_TYPES[m.order_type],
            "town": m.town.name,
            "address": f"{m.village.name}{m.values['road']}{m.values['no']}号" if m.point else None,
            "confidential": m.order_type is OrderType.REPORT and rng.random() < 0.3,
        }

    def grid_report(self, m: _Matter, at: datetime) -> dict[str, Any]:
        """A grid worker's patrol report: GCJ-02 point inside the village, photos."""
        rng = self.rng
        serial = self._next()
        report_id = f"WG-{_stamp(at, '%Y%m%d')}-{rng.randrange(1000):03d}{serial % 1000:03d}"
        point = m.point or point_in_village(m.village_code, rng)
        lat, lon = _gcj(point)
        words = m.words
        description = words if words.startswith("巡查") else f"巡查发现{words}"
        if rng.random() < 0.4:
            description += rng.choice(("已拍照取证。", "已现场劝导，需相关部门处理。", "已设置警示标志。"))
        return {
            "report_id": report_id,
            "grid_code": f"{m.village_code}-{rng.randint(1, 12):02d}",
            "worker_id": f"W{rng.randint(4000, 8822)}",
            "worker_name": person_name(rng),
            "found_at": _iso(at),
            "event_type": m.extras.get("grid_event") or GRID_EVENTS.get(m.key, "其他事件"),
            "description": description,
            "photos": [
                f"https://grid.example.gov.cn/photo/{report_id}-{i}.jpg"
                for i in range(1, rng.randint(1, 3) + 1)
            ],
            "address": m.address or f"{m.town.name}{m.village.name}{m.values['road']}",
            "lat": lat,
            "lon": lon,
            "coord_system": "gcj02",
        }

    def police_transfer(self, m: _Matter, at: datetime) -> dict[str, Any]:
        """A non-police matter the 110 command center transfers."""
        rng = self.rng
        name, polite = _honorific(rng)
        serial = self._next()
        summary = f"报警人{polite}称：{m.words}"
        if rng.random() < 0.5:
            summary += "经民警现场初步核实，不属于公安机关职责范围，转相关部门处理。"
        point = m.point if m.point and rng.random() < 0.7 else None
        return {
            "incident_no": f"J{DISTRICT_AREA_CODE}{_stamp(at, '%Y%m%d')}{rng.randrange(100):02d}{serial % 1000:03d}",
            "transferred_at": _iso(at),
            "police_station": rng.choice(POLICE_STATIONS[m.town.code]),
            "caller_number": _phone(rng),
            "caller_name": polite if rng.random() < 0.7 else name,
            "incident_address": m.address or f"{m.town.name}{m.village.name}{m.values['road']}",
            "summary": summary,
            "category": POLICE_CATEGORIES.get(m.key, "其他非警务"),
            "urgent": m.urgent,
            "lat": point[0] if point else None,
            "lon": point[1] if point else None,
        }

    def opinion_item(self, m: _Matter, at: datetime) -> dict[str, Any]:
        """A post found by online public-opinion monitoring."""
        rng = self.rng
        site, url = rng.choice(OPINION_SITES)
        title = rng.choice(("{t}，有没有人管？", "【求助】{t}", "#{town}# {t}", "{t}", "{t}，多久了还没解决"))
        reposts = int(rng.lognormvariate(3.6, 1.6))
        sentiment = {OrderType.PRAISE: "positive", OrderType.CONSULT: "neutral"}.get(m.order_type, "negative")
        text = m.words + rng.choice(("", "已经打过12345了，还没解决。", "大家评评理。", "求扩散！"))
        return {
            "item_id": f"YQ-{rng.randrange(16**6):06X}{self._next() % 100:02d}",
            "source_site": site,
            "url": url(rng),
            "author": rng.choice(OPINION_AUTHORS),
            "published_at": _iso(at - timedelta(minutes=rng.randint(5, 180))),
            "title": title.format(t=m.title, town=m.values["tshort"]),
            "text": text,
            "repost_count": reposts,
            "comment_count": int(reposts * rng.uniform(0.1, 0.6)),
            "sentiment": sentiment,
            "place": f"{m.town.name}{m.village.name}" if m.point else m.town.name,
        }

    def people_first_item(self, m: _Matter, at: datetime) -> dict[str, Any]:
        """A request on the 我为群众办实事 platform."""
        rng = self.rng
        _name, polite = _honorific(rng)
        return {
            "item_id": f"SS-{at.astimezone(SHANGHAI).year}-{rng.randrange(10_000, 99_999)}{self._next() % 10}",
            "submitted_at": _iso(at),
            "submitter": polite if rng.random() < 0.8 else None,
            "phone": _phone(rng) if rng.random() < 0.8 else None,
            "title": m.title,
            "content": m.words,
            "area": f"{m.town.name}{m.village.name}",
        }

    # -- channels with matters of their own ------------------------------------------------

    def _custom(
        self,
        key: str,
        route: str,
        title: str,
        content: str,
        reply: str,
        at: datetime,
        *,
        order_type: OrderType = OrderType.REPORT,
        town: DemoTown | None = None,
        village: DemoVillage | None = None,
        point: tuple[float, float] | None = None,
        urgent: bool = False,
        **extras: Any,
    ) -> _Matter:
        """A located matter of a channel with words of its own (sensors, environment, suggestions)."""
        town = town or self._town()
        village = village or self.rng.choice(town.villages)
        values = self._values(town, village, at)
        point = point or point_in_village(f"{town.code}-{village.suffix}", self.rng)
        return _Matter(
            key=key,
            order_type=order_type,
            title=tp.fill(title, values),
            content=tp.fill(content, values),
            reply=tp.fill(reply, values),
            route=self._resolve(route, town),
            town=town,
            village=village,
            values=values,
            point=point,
            urgent=urgent,
            address=f"佛山市南海区{town.name}{village.name}{values['road']}{values['no']}号",
            extras=dict(extras),
        )

    def _people_first_single(self, at: datetime) -> Request:
        key, route, title, content, reply = self.rng.choice(PEOPLE_FIRST)
        m = self._custom(key, route, title, content, reply, at, order_type=OrderType.SUGGESTION)
        return self._request("people_first", m, self.people_first_item(m, at))

    def _environment_single(self, at: datetime) -> Request:
        kind, company, route, content, reply = self.rng.choice(ENVIRONMENT)
        m = self._custom(f"env_{kind}", route, "", content, reply, at, order_type=OrderType.COMPLAINT)
        return self._request("environment", m, self.environment_complaint(m, at, kind, company))

    def environment_complaint(
        self, m: _Matter, at: datetime, pollution_type: str, company: str | None
    ) -> dict[str, Any]:
        """An environment complaint (12369 and the ecology bureau's platform)."""
        rng = self.rng
        point = m.point if m.point and rng.random() < 0.8 else None
        return {
            "complaint_id": f"HB-{at.astimezone(SHANGHAI).year}-{rng.randrange(10_000, 99_999)}{self._next() % 10}",
            "reported_at": _iso(at),
            "pollution_type": pollution_type,
            "company_name": tp.fill(company, m.values) if company else None,
            "description": m.words,
            "reporter_phone": _phone(rng) if rng.random() < 0.85 else None,
            "address": m.address,
            "lat": point[0] if point else None,
            "lon": point[1] if point else None,
            "coord_system": "wgs84",
        }

    def _remote_sensing_single(self, at: datetime) -> Request:
        change, route, lo, hi, reply = self.rng.choice(REMOTE_SENSING)
        m = self._custom(f"rs_{change}", route, f"影像发现{change}", "", reply, at)
        return self._request("remote_sensing", m, self.remote_sensing_detection(m, at, change, (lo, hi)))

    def remote_sensing_detection(
        self, m: _Matter, at: datetime, change: str, area: tuple[float, float] = (80, 600)
    ) -> dict[str, Any]:
        """A change found by comparing satellite, drone or ground images."""
        rng = self.rng
        source = rng.choices(("satellite", "drone", "ground"), weights=(35, 50, 15))[0]
        local = at.astimezone(SHANGHAI)
        quarter = (local.month - 1) // 3 + 1
        detection_id = f"RS-{local.year}Q{quarter}-{rng.randrange(1000):03d}{self._next() % 1000:03d}"
        assert m.point is not None
        previous = (local.month - 1) // 3 or 4
        return {
            "detection_id": detection_id,
            "source": source,
            "captured_at": _iso(at - timedelta(hours=rng.randint(2, 72))),
            "change_type": change,
            "area_m2": round(rng.uniform(*area), 1),
            "confidence": round(rng.uniform(0.62, 0.97), 2),
            "lat": m.point[0],
            "lon": m.point[1],
            "coord_system": "wgs84",
            "image_url": f"https://rs.example.gov.cn/tiles/{detection_id}.png",
            "note": rng.choice(
                (
                    f"与上一期（第{previous}季度）影像比对新增。",
                    f"位于{m.village.name}{m.values['road']}附近，建议网格员现场核查。",
                    None,
                )
            ),
        }

    def _iot_single(self, at: datetime) -> Request:
        device_type, prefix, scene, unit, lo, hi, threshold, level, route, reply, grid_event = (
            self.rng.choice(IOT_SCENES)
        )
        m = self._custom(f"iot_{scene}", route, scene, "", reply, at, grid_event=grid_event)
        reading = (lo, hi, threshold) if unit else None
        payload = self.iot_alarm(
            m, at, device_type=device_type, prefix=prefix, scene=scene, reading=reading, level=level
        )
        return self._request("iot", m, payload)

    def iot_alarm(
        self,
        m: _Matter,
        at: datetime,
        *,
        device_type: str,
        prefix: str,
        scene: str,
        reading: tuple[float, float, float] | None = None,
        level: int = 2,
    ) -> dict[str, Any]:
        """An alarm of an IoT sensor or a camera's scene algorithm."""
        rng = self.rng
        device = f"{prefix}-{m.town.code}{rng.randint(1, 480):04d}"
        value = threshold = None
        if reading is not None:
            lo, hi, limit = reading
            value, threshold = round(rng.uniform(lo, hi), 2), limit
        assert m.point is not None
        return {
            "alarm_id": f"IOT-{device}-{_stamp(at, '%Y%m%d')}-{self._next() % 10_000:04d}",
            "device_id": device,
            "device_type": device_type,
            "scene": scene,
            "alarm_time": _iso(at),
            "level": level,
            "value": value,
            "threshold": threshold,
            "lat": m.point[0],
            "lon": m.point[1],
            "coord_system": "wgs84",
            "address": f"{m.town.name}{m.village.name}{m.values['road']}",
            "snapshot_url": f"https://iot.example.gov.cn/snapshot/{device}/{_stamp(at)}.jpg"
            if prefix == "CAM"
            else None,
        }

    # -- the same matter from several channels ---------------------------------------------------

    def event(self, at: datetime, *, kind: str | None = None) -> list[Request]:
        """One matter reported from several channels within minutes, 50–150 m apart, in overlapping words.

        The reports are in the order they happened (the first one becomes the master at intake);
        their times lie within the few minutes before `at`.
        """
        rng = self.rng
        kind = kind or rng.choice(list(EVENTS))
        spec = EVENTS[kind]
        self.events += 1
        event_id = f"{kind}-{self.events}"
        town = self._town()
        village = rng.choice(town.villages)
        code = f"{town.code}-{village.suffix}"
        origin = point_in_village(code, rng, radius_deg=0.004)
        base = self._custom(
            kind,
            spec.route,
            spec.title,
            spec.content,
            spec.reply,
            at,
            order_type=spec.order_type,
            town=town,
            village=village,
            point=origin,
            urgent=spec.urgent,
            grid_event=spec.grid_event,
        )
        reporters = list(spec.reporters)
        optional = [r for r in spec.optional if rng.random() < 0.5]
        reporters += optional
        offsets = sorted(rng.uniform(60, 480) for _ in reporters[1:])
        span = offsets[-1] if offsets else 0.0
        times = [at - timedelta(seconds=span + rng.uniform(30, 90))] + [
            at - timedelta(seconds=span - o) for o in offsets
        ]
        caller = _phone(rng)
        result: list[Request] = []
        for index, (channel, when) in enumerate(zip(reporters, times, strict=True)):
            m = replace(
                base, point=origin if index == 0 else _near(code, origin, rng), extras=dict(base.extras)
            )
            m.address = base.address
            payload = self._event_payload(channel, m, when, spec, caller)
            result.append(self._request(channel, m, payload, kind="event", event=event_id))
        return result

    def _event_payload(
        self, channel: str, m: _Matter, at: datetime, spec: _EventSpec, caller: str
    ) -> dict[str, Any]:
        assert m.point is not None
        if channel in ("12345", "city_mgmt_hotline"):
            lat, lon = _gcj(m.point)
            return self.render(
                channel,
                m,
                at,
                lat=lat,
                lon=lon,
                coord_system="gcj02",
                caller_number=caller,
                urgent=spec.urgent,
            )
        if channel == "district_hotline":  # the same caller again, on another channel, without a map point
            return self.render(channel, m, at, citizen_phone=caller, body=m.words + spec.follow_up)
        if channel == "grid":
            return self.render(channel, m, at, description=tp.fill(spec.grid_words, m.values))
        if channel == "police_110":
            words = tp.fill(spec.police_words, m.values)
            return self.render(channel, m, at, summary=f"报警人称：{words}", lat=m.point[0], lon=m.point[1])
        if channel == "iot":
            device_type, prefix, scene, reading, level = spec.iot
            return self.iot_alarm(
                m, at, device_type=device_type, prefix=prefix, scene=scene, reading=reading, level=level
            )
        if channel == "environment":
            kind, company = spec.environment
            payload = self.environment_complaint(m, at, kind, company)
            payload.update(
                description=tp.fill(spec.environment_words, m.values), lat=m.point[0], lon=m.point[1]
            )
            return {k: v for k, v in payload.items() if v is not None}
        if channel == "remote_sensing":
            return self.remote_sensing_detection(m, at, spec.remote_sensing)
        if channel == OPEN311_CHANNEL and spec.open311 is not None:
            service_code, answers = spec.open311
            return self.open311_form(m, at, service_code, dict(answers))
        raise ValueError(f"no event payload for {channel}")

    # -- a typhoon day ----------------------------------------------------------------------

    def typhoon(self, at: datetime, size: int = 24, *, name: str | None = None) -> list[Request]:
        """A burst of urgent reports across every town: fallen trees, flooding, power cuts, signboards."""
        rng = self.rng
        if size <= 0:
            return []
        self.events += 1
        name = name or rng.choice(TYPHOON_NAMES)
        event_id = f"typhoon-{self.events}"
        towns = list(TOWNS)
        rng.shuffle(towns)
        offsets = sorted(rng.uniform(0, 420) for _ in range(size))
        result: list[Request] = []
        weights = [t.weight for t in tp.TYPHOON_TOPICS]
        for index, offset in enumerate(offsets):
            when = at - timedelta(seconds=offsets[-1] - offset)
            town = towns[index % len(towns)]  # every town is hit
            topic = rng.choices(tp.TYPHOON_TOPICS, weights=weights)[0]
            m = self._matter(topic, when, town=town, urgent=True)
            m.content = m.content.replace("台风", f"台风“{name}”", 1)
            channel = rng.choices(("12345", "grid", "iot", "police_110"), weights=(45, 25, 15, 15))[0]
            if channel == "iot" and topic.key in ("flooding", "fallen_tree"):
                scene, prefix, device_type, reading = {
                    "flooding": ("台风暴雨路面积水", "WL", "水位传感器", (25.0, 60.0, 15.0)),
                    "fallen_tree": ("树木倒伏阻断道路", "CAM", "视频监控", None),
                }[topic.key]
                payload = self.iot_alarm(
                    m, when, device_type=device_type, prefix=prefix, scene=scene, reading=reading, level=1
                )
                result.append(self._request("iot", m, payload, kind="typhoon", event=event_id))
                continue
            if channel == "iot":
                channel = "12345"
            payload = (
                self.render(channel, m, when, urgent=True)
                if channel != "grid"
                else self.render(channel, m, when)
            )
            result.append(self._request(channel, m, payload, kind="typhoon", event=event_id))
        return result

    # -- an Open311 app's report ------------------------------------------------------------

    def open311(self, at: datetime) -> Request:
        """A citizen's report from a GeoReport v2 phone app: the POST Service Request form.

        The app sends WGS-84 coordinates (the phone's GPS), the address it looked up, the
        citizen's own words, the service's attributes and its own report id; a photo URL
        now and then. `api_key` is the poster's business.
        """
        rng = self.rng
        topic = _TOPICS_BY_KEY[rng.choice(list(OPEN311_TOPICS))]
        service_code, answers = OPEN311_TOPICS[topic.key]
        matter = self._matter(topic, at, urgent=False)
        form = self.open311_form(matter, at, service_code, answers(rng, at))
        return self._request(OPEN311_CHANNEL, matter, dict(form))

    def open311_form(self, m: _Matter, at: datetime, service_code: str, answers: Open311Form) -> Open311Form:
        """The app's POST Service Request form for a matter, with the service's attribute answers."""
        rng = self.rng
        point = m.point or point_in_village(m.village_code, rng)
        name = person_name(rng)
        report_id = f"SSP{_stamp(at, '%Y%m%d')}{self._next():06d}"
        form: Open311Form = {
            "service_code": service_code,
            "lat": f"{point[0]:.6f}",
            "long": f"{point[1]:.6f}",
            "address_string": m.address or f"佛山市南海区{m.town.name}{m.village.name}",
            "description": m.words,
            "last_name": name[0],
            "first_name": name[1:],
            "phone": tp.phone(rng),
            "device_id": f"ssp-{_b62(rng, 12)}",
            OPEN311_REPORT_ID: report_id,
            **answers,
        }
        if rng.random() < 0.3:
            form["email"] = f"{_b62(rng, 8).lower()}@example.com"
        if rng.random() < 0.6:
            form["media_url"] = f"https://ssp.example.gov.cn/photo/{report_id}.jpg"
        return form

    # -- repeats ----------------------------------------------------------------------------

    def repeat(self, request: Request, *, changed: bool = False) -> Request:
        """The same payload again (an integration posting twice); `changed`: supplemented content."""
        if request.channel == OPEN311_CHANNEL:
            raise ValueError("GeoReport v2 has no client-side id: every POST is a new request")
        payload = dict(request.payload)
        if not changed:
            return replace(request, payload=payload, kind="repeat")
        if request.channel == "iot":  # the sensor sends a new reading, or escalates
            if payload.get("value") is not None:
                payload["value"] = round(float(payload["value"]) * 1.2, 2)
            else:
                level = int(payload["level"])
                payload["level"] = level - 1 if level > 1 else 2
        else:
            text_field = TEXT_FIELDS[request.channel]
            payload[text_field] = f"{payload.get(text_field) or ''}{self.rng.choice(SUPPLEMENTS)}"
        return replace(request, payload=payload, kind="update")


# --------------------------------------------------------------------------- Open311 app reports

OPEN311_CHANNEL = "open311"
# The citizen app's own report id: sent as an attribute the service does not define, as
# FixMyStreet sends attribute[fixmystreet_id]; intake keeps it with the order's payload.
OPEN311_REPORT_ID = "attribute[app_report_id]"
OPEN311_APP = "南海随手拍"

Open311Form = dict[str, str | list[str]]


def _street_light(rng: random.Random, at: datetime) -> Open311Form:
    fault = rng.choices(("not_lit", "flickering", "on_in_daytime", "pole_damaged"), weights=(70, 15, 10, 5))[
        0
    ]
    form: Open311Form = {"attribute[fault]": fault}
    if rng.random() < 0.3:
        form["attribute[pole_number]"] = f"LD-{rng.randrange(1000, 9999)}"
    return form


def _road_damage(rng: random.Random, at: datetime) -> Open311Form:
    return {
        "attribute[damage_type]": rng.choice(("pothole", "subsidence", "sidewalk", "curb")),
        "attribute[blocks_traffic]": rng.choices(("yes", "no"), weights=(25, 75))[0],
    }


def _street_vending(rng: random.Random, at: datetime) -> Open311Form:
    return {
        "attribute[kind]": rng.choice(("mobile_vendor", "shop_overflow", "night_market")),
        "attribute[time_of_day][]": sorted(
            rng.sample(["morning", "noon", "evening", "late_night"], rng.randint(1, 2))
        ),
    }


def _garbage(rng: random.Random, at: datetime) -> Open311Form:
    kinds = ["household", "construction", "bulky", "kitchen"]
    return {"attribute[waste_type][]": sorted(rng.sample(kinds, rng.randint(1, 2)))}


def _illegal_parking(rng: random.Random, at: datetime) -> Open311Form:
    form: Open311Form = {
        "attribute[vehicle_type]": rng.choices(("car", "truck", "ebike"), weights=(70, 10, 20))[0]
    }
    if form["attribute[vehicle_type]"] != "ebike" and rng.random() < 0.5:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        form["attribute[plate_number]"] = (
            f"粤{rng.choice('ABEXY')}{rng.choice(letters)}{rng.randrange(10000):04d}"
        )
    return form


def _noise(source: str) -> Callable[[random.Random, datetime], Open311Form]:
    def answers(rng: random.Random, at: datetime) -> Open311Form:
        form: Open311Form = {"attribute[source]": source}
        if rng.random() < 0.5:
            form["attribute[heard_at]"] = _iso(at - timedelta(hours=rng.randint(1, 12)))
        return form

    return answers


def _drainage(rng: random.Random, at: datetime) -> Open311Form:
    return {"attribute[water_depth]": str(rng.choice((5, 10, 15, 20, 30, 40))), "attribute[sewage]": "no"}


def _greenery(rng: random.Random, at: datetime) -> Open311Form:
    return {"attribute[issue]": rng.choices(("fallen_tree", "dead_branch"), weights=(70, 30))[0]}


def _no_attributes(rng: random.Random, at: datetime) -> Open311Form:
    return {}


# The topics a citizen reports from the app: its GeoReport v2 service and the answers to
# the service's attributes (open311/catalog.py SERVICES).
OPEN311_TOPICS: dict[str, tuple[str, Callable[[random.Random, datetime], Open311Form]]] = {
    "streetlight": ("street_light", _street_light),
    "road_damage": ("road_damage", _road_damage),
    "street_vendor": ("street_vending", _street_vending),
    "garbage": ("garbage", _garbage),
    "illegal_parking": ("illegal_parking", _illegal_parking),
    "nightlife_noise": ("noise", _noise("entertainment")),
    "square_dance": ("noise", _noise("other")),
    "construction_noise": ("noise", _noise("construction")),
    "flooding": ("drainage", _drainage),
    "fallen_tree": ("greenery", _greenery),
    "water_supply": ("water_supply", _no_attributes),
    "illegal_building": ("illegal_construction", _no_attributes),
    "loose_signboard": ("public_facility", _no_attributes),
}


# The field of each payload that carries the citizen's words (for updates of a repeat).
TEXT_FIELDS = {
    "12345": "content",
    "city_mgmt_hotline": "content",
    "district_hotline": "body",
    "grid": "description",
    "police_110": "summary",
    "people_first": "content",
    "online_opinion": "text",
    "environment": "description",
    "remote_sensing": "note",
}
SUPPLEMENTS = (
    "（补充：来电人再次来电，问题仍未解决，希望加快处理。）",
    "（补充：现场情况有所加重。）",
    "（补充：已附新的现场照片。）",
)
TYPHOON_NAMES = ("海葵", "苏拉", "摩羯", "山竹", "韦帕", "桦加沙")

# 我为群众办实事: (key, route, title, content, reply)
PEOPLE_FIRST: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "pf_elevator",
        "ZJJ",
        "建议{vshort}老旧小区加装电梯",
        "{village}{road}一带多是七八层的老楼，住着不少老人，上下楼很困难，希望政府牵头推动加装电梯并给予补贴。",
        "已将建议转区住建局，纳入老旧小区改造加装电梯计划，符合条件的可申请补贴。",
    ),
    (
        "pf_pocket_park",
        tp.VILLAGE,
        "建议把{vshort}{road}旁闲置地改成口袋公园",
        "{village}{road}旁有一块闲置空地长期杂草丛生、乱堆杂物，建议改造成口袋公园，给老人小孩一个休闲的地方。",
        "村居已将该地块纳入微改造项目，计划年内建成口袋公园。",
    ),
    (
        "pf_charging",
        tp.VILLAGE,
        "建议{vshort}增设电动车集中充电桩",
        "{village}出租屋多，不少人把电动车推进楼道充电，很危险，建议在村内空地增设集中充电桩。",
        "村居已联系供电和充电运营企业，在村内选址建设集中充电点两处。",
    ),
    (
        "pf_canteen",
        "MZJ",
        "建议在{vshort}开设长者饭堂",
        "{village}独居老人较多，做饭吃饭都不方便，建议在村居党群服务中心开设长者饭堂。",
        "区民政局已将{village}纳入今年长者饭堂建设计划，预计下季度开餐。",
    ),
    (
        "pf_school_safety",
        "JTJ",
        "建议{school}门口设置减速带和护学岗",
        "{road}{school}门口上下学时段车多人多，车速快，建议设置减速带、护学岗和临时停车接送区。",
        "交警部门已在学校门口施划减速标线、设置护学岗，并划设临时接送车位。",
    ),
    (
        "pf_court_lights",
        tp.VILLAGE,
        "建议{vshort}篮球场安装夜间照明",
        "{village}篮球场晚上没有灯，年轻人下班后没法打球，建议安装照明并开放到晚上十点。",
        "村居已安装照明灯具，篮球场晚上开放至十点。",
    ),
)

# 环保: (pollution type, company, route, content, reply)
ENVIRONMENT: tuple[tuple[str, str | None, str, str, str], ...] = (
    (
        "大气",
        "{company}",
        "STJ-ZF",
        "{village}{road}附近的{company}每天{time}排放刺鼻废气，附近居民开窗就能闻到，有人咳嗽头晕。",
        "环境执法人员已对该企业突击检查，发现废气处理设施未正常运行，已责令整改并立案查处。",
    ),
    (
        "水",
        "{company}",
        "STJ-ZF",
        "{village}的河涌有{company}通过暗管排放污水，河水发黑发臭，岸边有死鱼。",
        "执法人员沿河排查，已封堵排污暗管并对涉事企业立案查处，同时安排河涌清淤。",
    ),
    (
        "噪声",
        "某建筑工程有限公司",
        "ZJJ-ZF",
        "{road}{no}号附近工地{time}仍在打桩施工，噪音很大，周边居民无法休息。",
        "经夜间检查，该工地未办理夜间施工许可，已责令停止夜间作业并立案处理。",
    ),
    (
        "固废",
        None,
        "STJ-ZF",
        "{village}{road}旁空地被人倾倒大量工业固废和建筑垃圾，下雨后有黑水渗出流进河涌。",
        "已组织清运固废约{n}车并取样送检，对倾倒行为立案调查，在该处加装监控。",
    ),
    (
        "其他",
        "{shop}",
        "CGJ-ZF",
        "{road}{no}号{shop}油烟直排，没有安装油烟净化设施，楼上住户家里全是油烟味。",
        "已责令该商户限期安装油烟净化设施，整改前停止明火作业。",
    ),
)

# 空天地一体化: (change type, route, min area, max area, reply)
REMOTE_SENSING: tuple[tuple[str, str, float, float, str], ...] = (
    (
        "疑似违法建设",
        tp.OFFICE,
        80,
        600,
        "经现场核查为未经审批的新建厂房，已下达责令停止违法行为通知书并立案。",
    ),
    ("疑似耕地非农化", "NYJ", 500, 5000, "经核查为临时堆放建材，已责令当事人限期清理、恢复耕种条件。"),
    (
        "疑似违规堆土",
        tp.VILLAGE,
        200,
        2000,
        "村居已核实为道路施工临时堆土，已要求施工单位覆盖防尘网并限期清运。",
    ),
    ("河道疑似违法占用", "SLJ", 100, 800, "经核查为河道管理范围内违规搭建的棚架，已责令当事人自行拆除。"),
    ("新增彩钢棚", tp.VILLAGE, 50, 400, "经核查为居民自建雨棚，已要求当事人补办手续或拆除。"),
)

# 物联感知: (device type, id prefix, scene, unit, min, max, threshold, level, route, reply, grid event)
IOT_SCENES: tuple[tuple[str, str, str, str, float, float, float, int, str, str, str], ...] = (
    (
        "视频监控",
        "CAM",
        "积水",
        "cm",
        12,
        40,
        10,
        2,
        "SLJ",
        "已调派排涝队伍抽排积水并疏通雨水口。",
        "路面水浸",
    ),
    ("视频监控", "CAM", "占道经营", "", 0, 0, 0, 3, "CGJ-ZF", "城管执法队员已到场劝离占道摊贩。", "占道经营"),
    (
        "视频监控",
        "CAM",
        "明火",
        "",
        0,
        0,
        0,
        1,
        "YJJ",
        "已通知消防和村居到场处置，明火已扑灭。",
        "消防安全隐患",
    ),
    ("视频监控", "CAM", "违规停车", "", 0, 0, 0, 3, "JTJ", "交警已到场对违停车辆贴单并拖离。", "违规停车"),
    (
        "垃圾桶满溢传感器",
        "BIN",
        "垃圾满溢",
        "%",
        88,
        100,
        85,
        3,
        tp.VILLAGE,
        "保洁员已清运满溢垃圾并清洗收集点。",
        "垃圾满溢",
    ),
    (
        "水位传感器",
        "WL",
        "河涌水位超警戒",
        "m",
        2.6,
        3.4,
        2.5,
        2,
        "SLJ",
        "已开闸排水，河涌水位回落至警戒线以下。",
        "河涌水位异常",
    ),
    (
        "智能井盖",
        "MH",
        "井盖位移",
        "°",
        8,
        40,
        5,
        2,
        "JTJ",
        "养护单位已到场复位井盖并加装防坠网。",
        "井盖缺失或破损",
    ),
    (
        "烟感",
        "SMK",
        "烟雾浓度超标",
        "dB/m",
        0.12,
        0.4,
        0.1,
        1,
        "YJJ",
        "村居和消防已到场核查，系厨房油烟引发，已排除火情。",
        "消防安全隐患",
    ),
)


@dataclass(frozen=True)
class _EventSpec:
    """A matter several channels report: the words each channel uses, and who reports it."""

    title: str
    content: str  # the hotline agent's record
    reply: str
    route: str
    grid_event: str
    grid_words: str
    police_words: str
    iot: tuple[
        str, str, str, tuple[float, float, float] | None, int
    ]  # device type, prefix, scene, reading, level
    reporters: tuple[str, ...]
    optional: tuple[str, ...] = ()
    order_type: OrderType = OrderType.HELP
    urgent: bool = False
    follow_up: str = ""
    environment: tuple[str, str | None] = ("其他", None)
    environment_words: str = ""
    remote_sensing: str = "疑似违法建设"
    # The Open311 app's report: its service code and attribute answers (when it is a reporter).
    open311: tuple[str, Open311Form] | None = None


EVENTS: dict[str, _EventSpec] = {
    "burst_pipe": _EventSpec(
        title="{road}{no}号自来水管爆裂路面积水",
        content="市民来电反映：{village}{road}{no}号路边自来水管爆裂，大量自来水涌出路面，路面积水严重，车辆和行人通行困难，请尽快派人抢修。",
        reply="供水公司已派抢修队到场关阀抢修，更换破损管段，路面积水已清除，供水已恢复正常。",
        route="SLJ",
        grid_event="供水管网破损",
        grid_words="巡查发现{village}{road}{no}号路边自来水管爆裂，大量自来水涌出路面，路面积水严重，已设置警示标志并通知供水公司。",
        police_words="{village}{road}{no}号路边自来水管爆裂，大量自来水涌出，路面积水严重，请供水部门抢修。",
        iot=("管网压力监测", "WP", "自来水管爆裂，管网压力骤降，路面积水", (0.05, 0.15, 0.2), 1),
        reporters=("12345", "grid", "iot"),
        optional=("police_110",),
        urgent=True,
    ),
    "open_burning": _EventSpec(
        title="{village}{road}旁空地焚烧垃圾浓烟很大",
        content="市民来电反映：{village}{road}旁空地有人焚烧垃圾，明火很大，浓烟飘进附近居民楼，请尽快派人处理。",
        reply="村居和消防人员已到场扑灭明火，对焚烧垃圾的当事人进行教育，并清理现场。",
        route=tp.VILLAGE,
        grid_event="露天焚烧",
        grid_words="巡查发现{village}{road}旁空地有人焚烧垃圾，有明火和浓烟，浓烟飘进附近居民楼，已现场制止。",
        police_words="{village}{road}旁空地有人焚烧垃圾，明火很大，浓烟飘进居民楼。",
        iot=("视频监控", "CAM", "明火：空地焚烧垃圾，浓烟", None, 1),
        reporters=("iot", "police_110", "grid"),
        optional=("12345",),
        order_type=OrderType.REPORT,
        urgent=True,
    ),
    "garbage_overflow": _EventSpec(
        title="{vshort}{road}垃圾收集点垃圾满溢",
        content="市民反映：{village}{road}的垃圾收集点垃圾满溢，已经两天没有清运，垃圾堆到路边，气味很大，蚊蝇滋生。",
        reply="已安排保洁公司当天清运满溢垃圾，对收集点消杀，并将清运频次增加为每日两次。",
        route=tp.VILLAGE,
        grid_event="垃圾满溢",
        grid_words="巡查发现{village}{road}的垃圾收集点垃圾满溢，垃圾堆到路边，气味很大，未及时清运。",
        police_words="{village}{road}垃圾收集点垃圾满溢堆到路边，气味很大。",
        iot=("垃圾桶满溢传感器", "BIN", "垃圾收集点垃圾满溢", (92.0, 100.0, 85.0), 3),
        reporters=("iot", "12345", "grid"),
        optional=(OPEN311_CHANNEL,),
        order_type=OrderType.COMPLAINT,
        open311=("garbage", {"attribute[waste_type][]": ["household"]}),
    ),
    "street_vendors": _EventSpec(
        title="{road}{no}号附近流动摊贩占道经营",
        content="市民反映：{village}{road}{no}号附近每天傍晚有大量流动摊贩占用人行道和车道经营，交通拥堵，垃圾遍地，希望城管处理。",
        reply="城管执法队员已到场整治，劝离占道摊贩，并将该路段列入每日巡查点位。",
        route="CGJ-ZF",
        grid_event="占道经营",
        grid_words="巡查发现{village}{road}{no}号附近流动摊贩占用人行道和车道经营，交通拥堵，已现场劝导。",
        police_words="{village}{road}{no}号附近流动摊贩占道经营，堵塞交通。",
        iot=("视频监控", "CAM", "流动摊贩占道经营，占用人行道和车道", None, 3),
        reporters=("city_mgmt_hotline", "iot", "grid"),
        optional=(OPEN311_CHANNEL,),
        order_type=OrderType.REPORT,
        open311=(
            "street_vending",
            {"attribute[kind]": "mobile_vendor", "attribute[time_of_day][]": ["evening"]},
        ),
    ),
    "manhole": _EventSpec(
        title="{road}{no}号人行道井盖缺失",
        content="市民来电反映：{village}{road}{no}号人行道上的井盖缺失，只用几根树枝围着，晚上很危险，请立即处理。",
        reply="已联系权属单位当天补装井盖，并对周边井盖进行排查。",
        route="JTJ",
        grid_event="井盖缺失",
        grid_words="巡查发现{village}{road}{no}号人行道井盖缺失，存在行人坠落危险，已设置临时围挡。",
        police_words="{village}{road}{no}号人行道井盖缺失，很危险。",
        iot=("智能井盖", "MH", "人行道井盖缺失，井盖位移", (20.0, 90.0, 5.0), 1),
        reporters=("iot", "12345", "grid"),
        optional=(OPEN311_CHANNEL,),
        urgent=True,
        open311=("manhole_cover", {}),
    ),
    "night_construction": _EventSpec(
        title="{road}工地夜间施工噪音扰民",
        content="市民来电反映：{village}{road}附近的在建工地{time}仍在打桩施工，噪音很大，已连续多日，周边居民无法休息，询问是否办理了夜间施工许可。",
        reply="经执法人员夜间检查，该工地未办理夜间施工许可，已责令停止夜间作业并立案调查。",
        route="ZJJ-ZF",
        grid_event="夜间施工扰民",
        grid_words="巡查发现{village}{road}附近在建工地{time}仍在打桩施工，噪音很大。",
        police_words="{village}{road}附近工地夜间打桩施工，噪音扰民。",
        iot=("噪声监测", "NS", "工地夜间施工噪声超标", (68.0, 85.0, 55.0), 2),
        reporters=("12345", "district_hotline", "environment"),
        order_type=OrderType.COMPLAINT,
        follow_up="我已经打过12345，到现在还在施工，请区长过问。",
        environment=("噪声", "某建筑工程有限公司"),
        environment_words="{village}{road}附近的在建工地{time}仍在打桩施工，噪音很大，周边居民无法休息，怀疑没有夜间施工许可。",
    ),
    "illegal_building": _EventSpec(
        title="{vshort}{road}旁空地违法搭建厂房",
        content="市民举报：{village}{road}旁空地有人擅自搭建简易厂房，已搭起钢架和彩钢瓦，现场未见规划许可公示。",
        reply="经核查该建筑未取得规划许可，已下达限期拆除通知书并立案处理。",
        route=tp.OFFICE,
        grid_event="违法建设",
        grid_words="巡查发现{village}{road}旁空地有人擅自搭建简易厂房，已搭起钢架和彩钢瓦，现场未见规划许可。",
        police_words="{village}{road}旁空地有人搭建厂房。",
        iot=("视频监控", "CAM", "违法搭建", None, 3),
        reporters=("remote_sensing", "grid", "12345"),
        order_type=OrderType.REPORT,
        remote_sensing="疑似违法建设：空地新建钢架厂房",
    ),
}
