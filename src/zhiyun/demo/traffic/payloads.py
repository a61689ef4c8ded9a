"""Single demo requests, each in its channel's own payload: a hotline call, a grid report, an IoT alarm, …"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import point_in_village
from zhiyun.demo.district import TOWN_OFFICES, TOWN_WEIGHTS, TOWNS, DemoTown, DemoVillage, person_name
from zhiyun.demo.traffic.catalog import (
    ALL_TOPICS,
    CHANNEL_WEIGHTS,
    DISTRICT_AREA_CODE,
    ENVIRONMENT,
    EXTERNAL_ID_FIELDS,
    GRID_EVENTS,
    IOT_SCENES,
    OPINION_AUTHORS,
    OPINION_SITES,
    PEOPLE_FIRST,
    POLICE_CATEGORIES,
    POLICE_STATIONS,
    REMOTE_SENSING,
    REQUEST_TYPES,
    TOPIC_CHANNELS,
    TRAFFIC_CHANNELS,
)
from zhiyun.demo.traffic.open311_reports import (
    OPEN311_CHANNEL,
    OPEN311_REPORT_ID,
)
from zhiyun.demo.traffic.values import gcj, honorific, iso, phone_number, stamp
from zhiyun.domain.workorder import OrderType
from zhiyun.kernel.normalize import SHANGHAI

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
class Matter:
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
        """The citizen's own words (a grid worker's report retold as a citizen's)."""
        return tp.citizen_words(tp.as_citizen_report(self.content))


# --------------------------------------------------------------------------- the payloads


class PayloadGenerator:
    """Single requests in each channel's own payload (the scenarios are in `generator.py`)."""

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
        return self.town_of(code)

    @staticmethod
    def town_of(code: str) -> DemoTown:
        return next(t for t in TOWNS if t.code == code)

    def topic_weights(self, channel: str, month: int) -> list[tuple[tp.Topic, float]]:
        """The matters `channel` hears about in `month`, with their seasonal weights."""
        allowed = TOPIC_CHANNELS.get(channel)
        return [
            (t, t.weight * tp.season_factor(t.key, month))
            for t in ALL_TOPICS
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
        channel: str | None = None,
        road: str | None = None,
        variant: tp.Variant | None = None,
    ) -> Matter:
        """A matter of `topic`; reported by a citizen's `channel` (not the grid), in a citizen's words.

        `road` places it on that road; `variant` words it so (default: one of the topic's)."""
        rng = self.rng
        town = town or self._town()
        village = village or rng.choice(town.villages)
        variants = topic.variants
        if channel is not None and channel != "grid":
            variants = tuple(v for v in variants if not tp.is_patrol_report(v.content)) or variants
        picked = rng.choice(variants)
        variant = variant or picked
        values = self._values(town, village, at)
        if road is not None:
            values["road"] = road
        code = f"{town.code}-{village.suffix}"
        point = point_in_village(code, rng) if topic.located else None
        address = f"佛山市南海区{town.name}{village.name}{values['road']}{values['no']}号" if point else None
        return Matter(
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

    def _request(self, channel: str, matter: Matter, payload: dict[str, Any], **kw: Any) -> Request:
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

    def single(
        self, at: datetime, *, month: int | None = None, channel: str | None = None, town: str | None = None
    ) -> Request:
        """One request from one channel; topics weighted by the season of `month` (default: `at`'s).

        `town` (a town code) places the matter there, for the channels whose matters are the
        topics' (hotlines, web messages, grid, 110, online opinion).
        """
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
        matter = self._matter(topic, at, channel=channel, town=self.town_of(town) if town else None)
        return self._request(channel, matter, self.render(channel, matter, at))

    def render(self, channel: str, matter: Matter, at: datetime, **overrides: Any) -> dict[str, Any]:
        """A matter as `channel` sends it; `overrides` replace payload fields."""
        renderers: dict[str, Callable[[Matter, datetime], dict[str, Any]]] = {
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

    def hotline_call(self, m: Matter, at: datetime, *, channel: str = "12345") -> dict[str, Any]:
        """A call record of the 12345 (or 城管) call center."""
        rng = self.rng
        _name, polite = honorific(rng)
        agent = f"A{rng.randint(101, 699):04d}"
        prefix = "C" if channel == "12345" else "CG"
        point = gcj(m.point) if m.point and rng.random() < 0.75 else None
        return {
            "call_id": f"{prefix}{stamp(at)}{self._next() % 1000:03d}",
            "caller_number": phone_number(rng),
            "caller_name": polite if rng.random() < 0.8 else None,
            "call_time": iso(at),
            "agent_id": agent,
            "recording_id": f"REC-{stamp(at, '%Y%m%d-%H%M')}-{agent[1:]}",
            "request_type": REQUEST_TYPES[m.order_type],
            "urgent": m.urgent,
            "title": m.title if rng.random() < 0.6 else None,
            "content": m.content,
            "address": m.address or (m.town.name if rng.random() < 0.5 else None),
            "lat": point[0] if point else None,
            "lon": point[1] if point else None,
            "coord_system": "gcj02" if point else None,
        }

    def district_message(self, m: Matter, at: datetime) -> dict[str, Any]:
        """A message to 区长直通车 in the citizen's own words."""
        rng = self.rng
        _name, polite = honorific(rng)
        via = rng.choices(("web", "wechat", "phone"), weights=(45, 35, 20))[0]
        opening = rng.choice(("区长您好！", "尊敬的区长：", "您好，", "", "我是{village}的居民，"))
        closing = rng.choice(("希望尽快解决，谢谢！", "盼复。", "麻烦领导重视一下。", "", "谢谢！"))
        body = f"{tp.fill(opening, m.values)}{m.words}{closing}"
        return {
            "message_id": f"QZ-{at.astimezone(SHANGHAI).year}-{rng.randrange(100_000, 999_999)}{self._next() % 10}",
            "via": via,
            "submitted_at": iso(at),
            "citizen_name": polite if rng.random() < 0.85 else None,
            "citizen_phone": phone_number(rng),
            "subject": m.title,
            "body": body,
            "request_type": REQUEST_TYPES[m.order_type],
            "town": m.town.name,
            "address": f"{m.village.name}{m.values['road']}{m.values['no']}号" if m.point else None,
            "confidential": m.order_type is OrderType.REPORT and rng.random() < 0.3,
        }

    def grid_report(self, m: Matter, at: datetime) -> dict[str, Any]:
        """A grid worker's patrol report: GCJ-02 point inside the village, photos."""
        rng = self.rng
        serial = self._next()
        report_id = f"WG-{stamp(at, '%Y%m%d')}-{rng.randrange(1000):03d}{serial % 1000:03d}"
        point = m.point or point_in_village(m.village_code, rng)
        lat, lon = gcj(point)
        description = f"巡查发现{tp.patrol_finding(m.content)}"  # once, whoever's words the matter came in
        if rng.random() < 0.4:
            description += rng.choice(("已拍照取证。", "已现场劝导，需相关部门处理。", "已设置警示标志。"))
        return {
            "report_id": report_id,
            "grid_code": f"{m.village_code}-{rng.randint(1, 12):02d}",
            "worker_id": f"W{rng.randint(4000, 8822)}",
            "worker_name": person_name(rng),
            "found_at": iso(at),
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

    def police_transfer(self, m: Matter, at: datetime) -> dict[str, Any]:
        """A non-police matter the 110 command center transfers."""
        rng = self.rng
        name, polite = honorific(rng)
        serial = self._next()
        summary = f"报警人{polite}称：{m.words}"
        if rng.random() < 0.5:
            summary += "经民警现场初步核实，不属于公安机关职责范围，转相关部门处理。"
        point = m.point if m.point and rng.random() < 0.7 else None
        return {
            "incident_no": f"J{DISTRICT_AREA_CODE}{stamp(at, '%Y%m%d')}{rng.randrange(100):02d}{serial % 1000:03d}",
            "transferred_at": iso(at),
            "police_station": rng.choice(POLICE_STATIONS[m.town.code]),
            "caller_number": phone_number(rng),
            "caller_name": polite if rng.random() < 0.7 else name,
            "incident_address": m.address or f"{m.town.name}{m.village.name}{m.values['road']}",
            "summary": summary,
            "category": POLICE_CATEGORIES.get(m.key, "其他非警务"),
            "urgent": m.urgent,
            "lat": point[0] if point else None,
            "lon": point[1] if point else None,
        }

    def opinion_item(self, m: Matter, at: datetime) -> dict[str, Any]:
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
            "published_at": iso(at - timedelta(minutes=rng.randint(5, 180))),
            "title": title.format(t=m.title, town=m.values["tshort"]),
            "text": text,
            "repost_count": reposts,
            "comment_count": int(reposts * rng.uniform(0.1, 0.6)),
            "sentiment": sentiment,
            "place": f"{m.town.name}{m.village.name}" if m.point else m.town.name,
        }

    def people_first_item(self, m: Matter, at: datetime) -> dict[str, Any]:
        """A request on the 我为群众办实事 platform."""
        rng = self.rng
        _name, polite = honorific(rng)
        return {
            "item_id": f"SS-{at.astimezone(SHANGHAI).year}-{rng.randrange(10_000, 99_999)}{self._next() % 10}",
            "submitted_at": iso(at),
            "submitter": polite if rng.random() < 0.8 else None,
            "phone": phone_number(rng) if rng.random() < 0.8 else None,
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
    ) -> Matter:
        """A located matter of a channel with words of its own (sensors, environment, suggestions)."""
        town = town or self._town()
        village = village or self.rng.choice(town.villages)
        values = self._values(town, village, at)
        point = point or point_in_village(f"{town.code}-{village.suffix}", self.rng)
        return Matter(
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
        self, m: Matter, at: datetime, pollution_type: str, company: str | None
    ) -> dict[str, Any]:
        """An environment complaint (12369 and the ecology bureau's platform)."""
        rng = self.rng
        point = m.point if m.point and rng.random() < 0.8 else None
        return {
            "complaint_id": f"HB-{at.astimezone(SHANGHAI).year}-{rng.randrange(10_000, 99_999)}{self._next() % 10}",
            "reported_at": iso(at),
            "pollution_type": pollution_type,
            "company_name": tp.fill(company, m.values) if company else None,
            "description": m.words,
            "reporter_phone": phone_number(rng) if rng.random() < 0.85 else None,
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
        self, m: Matter, at: datetime, change: str, area: tuple[float, float] = (80, 600)
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
            "captured_at": iso(at - timedelta(hours=rng.randint(2, 72))),
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
        m: Matter,
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
            "alarm_id": f"IOT-{device}-{stamp(at, '%Y%m%d')}-{self._next() % 10_000:04d}",
            "device_id": device,
            "device_type": device_type,
            "scene": scene,
            "alarm_time": iso(at),
            "level": level,
            "value": value,
            "threshold": threshold,
            "lat": m.point[0],
            "lon": m.point[1],
            "coord_system": "wgs84",
            "address": f"{m.town.name}{m.village.name}{m.values['road']}",
            "snapshot_url": f"https://iot.example.gov.cn/snapshot/{device}/{stamp(at)}.jpg"
            if prefix == "CAM"
            else None,
        }

    # -- the same matter from several channels ---------------------------------------------------


__all__ = ["Matter", "PayloadGenerator", "Request"]
