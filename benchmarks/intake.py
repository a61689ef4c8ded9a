"""Intake throughput: channels posting to the real HTTP server, on PostgreSQL, with 200,000 open orders.

    python benchmarks/intake.py                                 # throwaway PostgreSQL database
    python benchmarks/intake.py --requests 5000 --concurrency 32
    python benchmarks/intake.py --client httpx --threads 0     # httpx keep-alive, AnyIO's 40 threads
    python benchmarks/intake.py --db postgresql://postgres@127.0.0.1:5432/bench   # an empty database

Without --db it creates a fresh PostgreSQL database next to ZHIYUN_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test) and drops it at the end, also after an error,
Ctrl-C or SIGTERM. Setup (not measured): migrate, load the demo district and its
boundaries, issue one key per channel, and store `--open-orders` (default 200,000) open
orders with one COPY: orders of the demo topics from every JSON channel, registered over
the last `--backlog-days` (default 30: a month's open backlog; the duplicate window of 7 days
holds about a quarter of them), spread over the 40 villages (uniformly inside each village's boundary,
villages weighted by town), about 70% with coordinates (grid patrols, sensors, and hotline
calls whose caller gave a position) and the others with an address only; pending dispatch,
dispatched, in progress, suspended, replied or awaiting callback, with numbers, deadlines,
geo cells and their `work_order_unit` rows, and, for those registered within the duplicate
window, the text weights intake keeps (`dedupe_signature`). Then VACUUM ANALYZE and CHECKPOINT.

The run: the real server (`uvicorn … --workers 2`, app factory benchmarks/intake_app.py,
no access log, `--threads` requests at once per worker) and `--concurrency` asyncio
clients posting `--requests` payloads to POST /api/v1/intake/{channel} in the terms of each
channel (12345 and 城管 call records, 区长直通车 messages, grid reports, 110 transfers,
opinion posts, 我为群众办实事 items, environmental complaints, IoT alarms, remote-sensing
detections): different towns, villages, roads, times and texts; ~10% are near-duplicates of
an earlier report (the same matter at the same spot, often from another channel, in the
same or other words, sometimes the same caller) and ~1% exact repeats (same channel and
external id: the answer must be the same order). Each new order goes through validation,
normalization, location and duplicate detection. Requests are serialized before the clock
starts. The default client (`--client raw`) speaks HTTP/1.1 over asyncio streams on uvloop
and opens a connection per message, as an integration posting one message at a time does:
it costs 0.3–0.4 ms of CPU per request (0.55–0.7 on asyncio's own loop) where httpx costs
~2 ms, on the same two cores as the server, and fresh connections spread over both workers (uvicorn's workers share one listening
socket, and the first to accept takes a whole burst of keep-alive connections: with
`--client httpx` one worker often serves nearly all of them). A short warm-up (`--warmup`,
not measured) precedes the run.

Progress goes to stderr; the last line on stdout is one JSON object: orders_per_s (answered
requests per second of wall time), p50_ms and p99_ms (latency of one request as the client
sees it), requests, errors (transport errors, answers other than 200/201, and exact repeats
that did not come back as the first post's order), the setup, and cpu_ms_per_order: the CPU
time of the server's processes, of PostgreSQL's and of the client during the run, per
answered request (from /proc; null elsewhere): which part a change made cheaper. On a shared
machine whose speed changes from one run to the next both move with it; compare runs made
back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.support import admin_url, log, throwaway_postgres

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings, database_url
from zhiyun.dedupe.item import MAX_CONTENT_CHARS, DedupeItem
from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import boundary, ensure_boundaries
from zhiyun.demo.district import TOWNS, DemoTown, DemoVillage, ensure_district, person_name
from zhiyun.demo.orders import template_values
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.workorder import OrderType
from zhiyun.kernel.geo import geo_cell, wgs84_to_gcj02
from zhiyun.orders.service import reference_snapshot
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

BENCH_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="基准测试")  # sets the stage up

HERE = Path(__file__).resolve().parent
API = "/api/v1"
WINDOW_DAYS = 7
PRELOAD_PREFIX = "PRE-"

TOWN_WEIGHTS = {"GC": 22, "SS": 20, "DL": 18, "LS": 12, "XQ": 10, "JJ": 9, "DZ": 9}
# What arrives, by channel: the hotlines carry most, sensors and patrols a good share.
CHANNEL_MIX = {
    "12345": 32,
    "district_hotline": 11,
    "grid": 14,
    "police_110": 8,
    "city_mgmt_hotline": 6,
    "people_first": 3,
    "online_opinion": 4,
    "environment": 5,
    "iot": 11,
    "remote_sensing": 6,
}
TEXT_CHANNELS = (
    "12345",
    "district_hotline",
    "grid",
    "police_110",
    "city_mgmt_hotline",
    "people_first",
    "online_opinion",
)
NARROW = frozenset({"grid", "police_110", "city_mgmt_hotline"})
OPEN_MIX = {
    "pending_dispatch": 28,
    "dispatched": 20,
    "in_progress": 40,
    "suspended": 2,
    "replied": 6,
    "awaiting_callback": 4,
}
REPLY_DAYS = {"consult": 3, "help": 14, "suggestion": 14, "complaint": 21, "report": 21, "praise": 7}

IOT_SCENES = (
    ("视频监控", "积水", 18.0, 10.0),
    ("视频监控", "垃圾满溢", None, None),
    ("视频监控", "占道经营", None, None),
    ("视频监控", "违章停车", None, None),
    ("视频监控", "烟火", None, None),
    ("水位传感器", "内涝水位超限", 0.45, 0.3),
    ("井盖传感器", "井盖位移", None, None),
    ("噪声监测仪", "噪声超标", 72.0, 55.0),
)
RS_CHANGES = ("疑似违法建设", "耕地疑似被占用", "疑似违规堆放建筑垃圾", "疑似新增违建厂棚", "河道疑似被侵占")
POLLUTION = (
    ("大气", "{company}{time}排放刺鼻废气，附近居民开窗都能闻到，咽喉不适。"),
    ("噪声", "{company}{time}机器轰鸣，{village}居民无法入睡，要求查处。"),
    ("水", "{village}{road}旁河涌发黑发臭，疑似{company}偷排污水。"),
    ("固废", "{road}{no}号附近空地被倾倒大量工业废料，疑似{company}所为。"),
)
POLICE_STATIONS = (
    "桂城派出所",
    "大沥派出所",
    "狮山派出所",
    "里水派出所",
    "西樵派出所",
    "九江派出所",
    "丹灶派出所",
)
OPINION_SITES = ("本地论坛", "微博", "抖音", "今日头条", "南海网民留言板")


# --------------------------------------------------------------------------- database


def _admin_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --------------------------------------------------------------------------- the district


@dataclass(frozen=True)
class Place:
    """A village of the demo district with its unit ids and boundary."""

    town: DemoTown
    village: DemoVillage
    district_id: int
    town_id: int
    village_id: int

    @property
    def code(self) -> str:
        return f"{self.town.code}-{self.village.suffix}"


def places(services: Services) -> list[Place]:
    org = reference_snapshot(services.orders).org
    by_code = {u.code: u.id for u in org.units.values()}
    return [
        Place(t, v, by_code["NH"], by_code[t.code], by_code[f"{t.code}-{v.suffix}"])
        for t in TOWNS
        for v in t.villages
    ]


class PointSampler:
    """Uniform random points inside each village's boundary, drawn in batches."""

    def __init__(self, rng: random.Random) -> None:
        import numpy as np
        import shapely

        self._np, self._shapely = np, shapely
        self._gen = np.random.default_rng(rng.randrange(2**32))
        self._pools: dict[str, list[tuple[float, float]]] = {}

    def point(self, code: str) -> tuple[float, float]:
        """(lat, lon) WGS-84, rounded to 6 decimals (~0.1 m)."""
        pool = self._pools.get(code)
        if not pool:
            geom = boundary(code)
            min_x, min_y, max_x, max_y = geom.bounds
            xs = self._gen.uniform(min_x, max_x, 4096)
            ys = self._gen.uniform(min_y, max_y, 4096)
            inside = self._shapely.contains_xy(geom, xs, ys)
            pool = [
                (round(float(y), 6), round(float(x), 6)) for x, y in zip(xs[inside], ys[inside], strict=True)
            ]
            self._pools[code] = pool
        return pool.pop()


def jitter(lat: float, lon: float, rng: random.Random, metres: float) -> tuple[float, float]:
    r = metres * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    d_lat = r * math.sin(a) / 111_195.0
    d_lon = r * math.cos(a) / (111_195.0 * math.cos(math.radians(lat)))
    return round(lat + d_lat, 6), round(lon + d_lon, 6)


# --------------------------------------------------------------------------- matters


@dataclass
class Matter:
    """One thing that happened somewhere, as citizens and devices report it."""

    place: Place
    topic: int  # index into tp.TOPICS (text channels), -1 for sensor/environment matters
    variant: int
    values: dict[str, str]
    lat: float | None
    lon: float | None
    phone: str
    name: str
    kind: str = "text"  # "text", "environment", "iot", "remote_sensing"
    extra: int = 0  # which scene / change / pollution type


class World:
    """Draws matters: where (town, village, point), what (a topic of the demo), who reports it."""

    def __init__(self, rng: random.Random, all_places: list[Place]) -> None:
        self.rng = rng
        self.places = all_places
        self.place_weights = [TOWN_WEIGHTS[p.town.code] / len(p.town.villages) for p in all_places]
        self.points = PointSampler(rng)
        self.topic_weights = [t.weight for t in tp.TOPICS]

    def place(self) -> Place:
        return self.rng.choices(self.places, weights=self.place_weights)[0]

    def values(self, place: Place) -> dict[str, str]:
        return template_values(self.rng, place.town, place.village)

    def matter(self, channel: str) -> Matter:
        rng = self.rng
        place = self.place()
        values = self.values(place)
        lat, lon = self.points.point(place.code)
        kind, topic, variant, extra = "text", -1, 0, 0
        if channel in ("environment", "iot", "remote_sensing"):
            kind = channel
            extra = rng.randrange(
                {"environment": len(POLLUTION), "iot": len(IOT_SCENES), "remote_sensing": len(RS_CHANGES)}[
                    channel
                ]
            )
        else:
            while True:
                topic = rng.choices(range(len(tp.TOPICS)), weights=self.topic_weights)[0]
                t = tp.TOPICS[topic]
                if channel not in NARROW or channel in t.channels:
                    break
            variant = rng.randrange(len(tp.TOPICS[topic].variants))
            located = tp.TOPICS[topic].located and (channel in ("grid", "police_110") or rng.random() < 0.7)
            if not located:
                lat = lon = None
        return Matter(place, topic, variant, values, lat, lon, tp.phone(rng), person_name(rng), kind, extra)

    def again(self, earlier: Matter) -> Matter:
        """The same matter reported once more: the same spot (within 40 m), maybe other words."""
        rng = self.rng
        lat, lon = earlier.lat, earlier.lon
        if lat is not None and lon is not None:
            lat, lon = jitter(lat, lon, rng, 40.0)
        variant = earlier.variant
        if earlier.topic >= 0 and rng.random() < 0.4:
            variant = rng.randrange(len(tp.TOPICS[earlier.topic].variants))
        phone = earlier.phone if rng.random() < 0.3 else tp.phone(rng)
        return Matter(
            earlier.place,
            earlier.topic,
            variant,
            dict(earlier.values),
            lat,
            lon,
            phone,
            earlier.name if phone == earlier.phone else person_name(rng),
            earlier.kind,
            earlier.extra,
        )


def texts(matter: Matter, channel: str) -> tuple[str, str]:
    """(title, content) of a text matter in the words of `channel`."""
    topic = tp.TOPICS[matter.topic]
    title, content, _ = tp.compose(topic, topic.variants[matter.variant], channel, matter.values)
    return title, content


def address_of(m: Matter) -> str:
    v = m.values
    return f"佛山市南海区{v['town']}{v['village']}{v['road']}{v['no']}号"


# --------------------------------------------------------------------------- payloads


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def payload(m: Matter, channel: str, external_id: str, at: datetime, rng: random.Random) -> dict[str, Any]:
    """The JSON a channel's system would send for this matter."""
    when = _local(at)
    located = m.lat is not None and m.lon is not None
    if channel in ("12345", "city_mgmt_hotline"):
        title, content = texts(m, channel)
        body: dict[str, Any] = {
            "call_id": external_id,
            "caller_number": m.phone,
            "caller_name": m.name[0] + rng.choice(("先生", "女士")),
            "call_time": when,
            "agent_id": f"A{rng.randint(100, 999):04d}",
            "recording_id": f"REC-{external_id}",
            "request_type": {
                OrderType.CONSULT: "咨询",
                OrderType.COMPLAINT: "投诉",
                OrderType.REPORT: "举报",
                OrderType.SUGGESTION: "建议",
                OrderType.PRAISE: "表扬",
            }.get(tp.TOPICS[m.topic].order_type, "求助"),
            "urgent": rng.random() < 0.03,
            "content": content,
            "address": address_of(m),
        }
        if rng.random() < 0.5:
            body["title"] = title
        if located:
            assert m.lat is not None and m.lon is not None
            lat, lon = wgs84_to_gcj02(m.lat, m.lon)  # call-center maps are Chinese web maps
            body.update(lat=round(lat, 6), lon=round(lon, 6), coord_system="gcj02")
        return body
    if channel == "district_hotline":
        title, content = texts(m, channel)
        return {
            "message_id": external_id,
            "via": rng.choice(("phone", "web", "wechat")),
            "submitted_at": when,
            "citizen_name": m.name,
            "citizen_phone": m.phone,
            "subject": title,
            "body": content,
            "request_type": "投诉" if tp.TOPICS[m.topic].order_type is OrderType.COMPLAINT else "求助",
            "town": m.values["town"],
            "address": f"{m.values['village']}{m.values['road']}{m.values['no']}号",
        }
    if channel == "grid":
        title, content = texts(m, channel)
        body = {
            "report_id": external_id,
            "grid_code": f"{m.place.code}-{rng.randint(1, 9):02d}",
            "worker_id": f"W{rng.randint(4000, 8823)}",
            "worker_name": m.name,
            "found_at": when,
            "event_type": title[:20],
            "description": content,
            "photos": [f"https://grid.example.gov.cn/photo/{external_id}-1.jpg"],
            "address": address_of(m),
        }
        if located:
            assert m.lat is not None and m.lon is not None
            lat, lon = wgs84_to_gcj02(m.lat, m.lon)
            body.update(lat=round(lat, 6), lon=round(lon, 6), coord_system="gcj02")
        return body
    if channel == "police_110":
        _title, content = texts(m, channel)
        body = {
            "incident_no": external_id,
            "transferred_at": when,
            "police_station": POLICE_STATIONS[TOWNS.index(m.place.town) % len(POLICE_STATIONS)],
            "caller_number": m.phone,
            "caller_name": m.name,
            "incident_address": address_of(m),
            "summary": content,
            "category": "市政设施",
        }
        if located:
            body.update(lat=m.lat, lon=m.lon)
        return body
    if channel == "people_first":
        title, content = texts(m, channel)
        return {
            "item_id": external_id,
            "submitted_at": when,
            "submitter": m.name,
            "phone": m.phone,
            "title": title,
            "content": content,
            "area": f"{m.values['town']}{m.values['village']}",
        }
    if channel == "online_opinion":
        title, content = texts(m, channel)
        return {
            "item_id": external_id,
            "source_site": rng.choice(OPINION_SITES),
            "url": f"https://bbs.example.cn/thread/{external_id}",
            "author": f"{m.values['vshort']}街坊{rng.randint(1, 999)}",
            "published_at": when,
            "title": title,
            "text": content,
            "repost_count": rng.choice((0, 3, 12, 48, 320, 1500)),
            "comment_count": rng.randint(0, 200),
            "sentiment": "negative",
            "place": f"{m.values['town']}{m.values['village']}",
        }
    if channel == "environment":
        kind, template = POLLUTION[m.extra]
        body = {
            "complaint_id": external_id,
            "reported_at": when,
            "pollution_type": kind,
            "company_name": m.values["company"],
            "description": f"{m.values['town']}{m.values['village']}" + tp.fill(template, m.values),
            "reporter_phone": m.phone,
            "address": address_of(m),
        }
        if located:
            body.update(lat=m.lat, lon=m.lon, coord_system="wgs84")
        return body
    if channel == "iot":
        device_type, scene, value, threshold = IOT_SCENES[m.extra]
        body = {
            "alarm_id": external_id,
            "device_id": f"{'CAM' if device_type == '视频监控' else 'SEN'}-{m.place.village_id:03d}{m.extra}",
            "device_type": device_type,
            "scene": scene,
            "alarm_time": when,
            "level": rng.choice((1, 2, 2, 3, 3, 3)),
            "lat": m.lat,
            "lon": m.lon,
            "coord_system": "wgs84",
            "address": f"{m.values['town']}{m.values['road']}",
            "snapshot_url": f"https://iot.example.gov.cn/snap/{external_id}.jpg",
        }
        if value is not None:
            body.update(value=round(value * rng.uniform(1.1, 2.0), 2), threshold=threshold)
        return body
    if channel == "remote_sensing":
        return {
            "detection_id": external_id,
            "source": rng.choice(("satellite", "drone", "drone", "ground")),
            "captured_at": when,
            "change_type": RS_CHANGES[m.extra],
            "area_m2": round(rng.uniform(30, 900), 1),
            "confidence": round(rng.uniform(0.6, 0.98), 2),
            "lat": m.lat,
            "lon": m.lon,
            "coord_system": "wgs84",
            "image_url": f"https://rs.example.gov.cn/tiles/{external_id}.png",
            "note": f"位于{m.values['town']}{m.values['village']}",
        }
    raise ValueError(channel)


def channel_for(m: Matter, rng: random.Random, avoid: str | None = None) -> str:
    """A channel that may report this matter (sensors report their own kind; narrow channels their topics)."""
    if m.kind != "text":
        return m.kind
    topic = tp.TOPICS[m.topic]
    for _ in range(20):
        channel = rng.choices(TEXT_CHANNELS, weights=[CHANNEL_MIX[c] for c in TEXT_CHANNELS])[0]
        if channel == avoid:
            continue
        if channel in NARROW and channel not in topic.channels:
            continue
        if channel == "grid" or m.lat is not None or channel not in ("grid", "police_110"):
            return channel
    return "12345"


@dataclass
class Post:
    channel: str
    body: bytes
    repeat_of: int | None = None  # an exact repeat of that earlier post: must come back as the same order

    @property
    def repeat(self) -> bool:
        return self.repeat_of is not None


def plan_posts(world: World, n: int, run: str, now: datetime, preloaded: list[Matter]) -> list[Post]:
    """`n` posts: fresh matters, ~10% near-duplicates of earlier ones, ~1% exact repeats."""
    rng = world.rng
    posts: list[Post] = []
    sent: list[Matter] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.01 and posts:
            first = rng.choice(
                [k for k in range(max(0, len(posts) - 200), len(posts)) if not posts[k].repeat]
            )
            posts.append(Post(posts[first].channel, posts[first].body, first))
            continue
        if roll < 0.11 and (sent or preloaded):
            source = (
                rng.choice(sent) if sent and (rng.random() < 0.6 or not preloaded) else rng.choice(preloaded)
            )
            matter = world.again(source)
            channel = channel_for(matter, rng)
        else:
            channel = rng.choices(list(CHANNEL_MIX), weights=list(CHANNEL_MIX.values()))[0]
            matter = world.matter(channel)
        at = now - timedelta(seconds=rng.randint(30, 3600))
        external_id = f"{run}-{i:06d}"
        body = payload(matter, channel, external_id, at, rng)
        posts.append(Post(channel, json.dumps(body, ensure_ascii=False).encode()))
        sent.append(matter)
    return posts


# --------------------------------------------------------------------------- preload


PRELOAD_COLUMNS = (
    "number",
    "channel",
    "external_id",
    "citizen_name",
    "citizen_phone",
    "title",
    "content",
    "order_type",
    "urgency",
    "address",
    "latitude",
    "longitude",
    "confidential",
    "town_unit_id",
    "village_unit_id",
    "location_source",
    "geo_cell",
    "possible_duplicate",
    "status",
    "chain",
    "registered_unit_id",
    "current_unit_id",
    "responsible_unit_id",
    "registered_at",
    "first_dispatched_at",
    "signed_at",
    "replied_at",
    "suspended_at",
    "sign_due_at",
    "sign_warn_at",
    "sign_limit_unit",
    "sign_budget_seconds",
    "sign_provisional",
    "reply_due_at",
    "reply_warn_at",
    "reply_limit_unit",
    "reply_budget_seconds",
    "reply_provisional",
    "sign_alert",
    "reply_alert",
    "extension_count",
    "reopen_count",
    "rework_count",
    "return_count",
    "callback_attempts",
    "urge_count",
    "supervised",
    "has_instruction",
    "version",
    "created_at",
    "updated_at",
)


def _preload_row(world: World, i: int, now: datetime, backlog_days: float) -> tuple[tuple[Any, ...], Matter]:
    rng = world.rng
    channel = rng.choices(list(CHANNEL_MIX), weights=list(CHANNEL_MIX.values()))[0]
    m = world.matter(channel)
    p = m.place
    if m.kind == "text":
        title, content = texts(m, channel)
        order_type = tp.TOPICS[m.topic].order_type.value
    elif m.kind == "environment":
        kind, template = POLLUTION[m.extra]
        title = f"{kind}污染：{m.values['company']}"
        content = f"{m.values['town']}{m.values['village']}" + tp.fill(template, m.values)
        order_type = "complaint"
    elif m.kind == "iot":
        device_type, scene, _v, _t = IOT_SCENES[m.extra]
        title = f"{device_type}告警：{scene}"
        content = f"设备SEN-{rng.randint(1000, 9999)}于现场识别到{scene}，告警等级{rng.randint(1, 3)}。"
        order_type = "report"
    else:
        source = rng.choice(("卫星", "无人机", "地面"))
        title = f"{source}巡查发现{RS_CHANGES[m.extra]}"
        content = f"{source}影像识别到{RS_CHANGES[m.extra]}，面积约{rng.randint(30, 900)}平方米，置信度{rng.randint(60, 98)}%。"
        order_type = "report"
    citizen = channel not in ("grid", "iot", "remote_sensing", "online_opinion")
    registered = now - timedelta(seconds=rng.uniform(60, backlog_days * 86400 - 600))
    status = rng.choices(list(OPEN_MIX), weights=list(OPEN_MIX.values()))[0]
    d, t, v = p.district_id, p.town_id, p.village_id
    chain = (
        [d]
        if status == "pending_dispatch"
        else ([d, t] if status == "dispatched" and rng.random() < 0.6 else [d, t, v])
    )
    dispatched = registered + timedelta(minutes=rng.uniform(5, 240)) if len(chain) > 1 else None
    signed = (
        dispatched + timedelta(minutes=rng.uniform(5, 600)) if dispatched and status != "dispatched" else None
    )
    replied = (
        signed + timedelta(hours=rng.uniform(1, 48))
        if signed and status in ("replied", "awaiting_callback")
        else None
    )
    suspended = signed + timedelta(hours=rng.uniform(1, 24)) if signed and status == "suspended" else None
    limit_days = REPLY_DAYS[order_type]
    reply_due = registered + timedelta(days=limit_days)
    sign_due = dispatched + timedelta(days=1) if dispatched else None
    located = m.lat is not None and m.lon is not None
    naive = lambda x: x.astimezone(UTC).replace(tzinfo=None) if x is not None else None  # noqa: E731
    row = (
        None,  # number: filled in by time order
        channel,
        f"{PRELOAD_PREFIX}{i:07d}",
        m.name if citizen else None,
        m.phone if citizen else None,
        title[:300],
        content,
        order_type,
        "normal",
        address_of(m),
        m.lat,
        m.lon,
        False,
        t,
        v,
        "gps" if located else "address",
        geo_cell(m.lat, m.lon) if located else None,  # type: ignore[arg-type]
        False,
        status,
        json.dumps(chain),
        d,
        chain[-1],
        chain[1] if len(chain) > 1 else None,
        naive(registered),
        naive(dispatched),
        naive(signed),
        naive(replied),
        naive(suspended),
        naive(sign_due),
        naive(sign_due - timedelta(hours=4)) if sign_due else None,
        "workdays" if sign_due else None,
        28800.0 if sign_due else None,
        False,
        naive(reply_due),
        naive(reply_due - timedelta(days=2)),
        "workdays",
        limit_days * 5 / 7 * 28800.0,
        False,
        "",
        "",
        0,
        0,
        0,
        0,
        0,
        0,
        False,
        False,
        1,
        naive(registered),
        naive(dispatched or registered),
    )
    return row, m


def preload_signatures(conn: Any, count: int, since: datetime) -> None:
    """The text weights intake keeps for each new order (dedupe_signature), for the preloaded ones too.

    Only for orders registered since `since`: the worker prunes older ones (IntakeService.prune_signatures).
    """
    started = time.perf_counter()
    done = 0
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, title, substr(content, 1, %s), registered_at FROM work_order "
            "WHERE external_id LIKE %s AND registered_at >= %s",
            (MAX_CONTENT_CHARS, PRELOAD_PREFIX + "%", since.astimezone(UTC).replace(tzinfo=None)),
        )
        orders = cur.fetchall()
        with cur.copy("COPY dedupe_signature (order_id, registered_at, features) FROM STDIN") as copy:
            for order_id, title, content, registered_at in orders:
                copy.write_row(
                    (order_id, registered_at, DedupeItem.from_text(None, title, content).signature())
                )
                done += 1
                if done % 20_000 == 0:
                    log(f"  text weights {done:,}/{len(orders):,}")
    conn.commit()
    log(f"  text weights of {done:,} orders in {time.perf_counter() - started:.1f} s")


def preload(url: str, world: World, count: int, now: datetime, backlog_days: float = 30.0) -> list[Matter]:
    """Store `count` open orders with COPY (and their work_order_unit rows); some matters to report again."""
    import psycopg

    started = time.perf_counter()
    rows: list[list[Any]] = []
    sample: list[Matter] = []
    for i in range(count):
        row, matter = _preload_row(world, i, now, backlog_days)
        rows.append(list(row))
        if (
            matter.lat is not None
            and row[23] > (now - timedelta(days=2)).replace(tzinfo=None)
            and len(sample) < 20_000
        ):
            sample.append(matter)
        if (i + 1) % 50_000 == 0:
            log(f"  generated {i + 1:,}/{count:,} open orders")
    # Order numbers as the platform gives them: NH + local date + the day's sequence.
    rows.sort(key=lambda r: r[23])
    per_day: Counter[str] = Counter()
    for r in rows:
        day = r[23].replace(tzinfo=UTC).astimezone(LOCAL_TZ).strftime("%Y%m%d")
        per_day[day] += 1
        r[0] = f"NH{day}{per_day[day]:04d}"
    conninfo = _admin_conninfo(url)
    with psycopg.connect(conninfo) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY work_order ({', '.join(PRELOAD_COLUMNS)}) FROM STDIN") as copy:
                for n, r in enumerate(rows, 1):
                    copy.write_row(r)
                    if n % 50_000 == 0:
                        log(f"  copied {n:,}/{count:,}")
            cur.execute(
                "INSERT INTO work_order_unit (order_id, unit_id) "
                "SELECT w.id, u.value::int FROM work_order w, json_array_elements_text(w.chain) u "
                "WHERE w.external_id LIKE %s ON CONFLICT DO NOTHING",
                (PRELOAD_PREFIX + "%",),
            )
            cur.executemany(
                "INSERT INTO order_number_counter (day, last) VALUES (%s, %s) "
                "ON CONFLICT (day) DO UPDATE SET last = GREATEST(order_number_counter.last, EXCLUDED.last)",
                list(per_day.items()),
            )
        conn.commit()
        preload_signatures(conn, count, now - timedelta(days=WINDOW_DAYS + 1))
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE work_order")
        conn.execute("VACUUM ANALYZE work_order_unit")
        conn.execute("VACUUM ANALYZE dedupe_signature")
        conn.execute("ANALYZE")
        # Write the loaded pages out now rather than in a checkpoint during the run (CHECKPOINT
        # needs a superuser or pg_checkpoint; without it the run simply pays for it).
        with contextlib.suppress(psycopg.Error):
            conn.execute("CHECKPOINT")
    log(f"preloaded {count:,} open orders in {time.perf_counter() - started:.1f} s")
    return sample


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    url: str, workers: int, port: int, pool_size: int | None, threads: int | None
) -> Iterator[tuple[str, int]]:
    """The API on 127.0.0.1:`port` with `workers` uvicorn worker processes, and the pid of the
    session they run in; stopped afterwards."""
    import httpx

    env = {**os.environ, "ZHIYUN_DATABASE_URL": url}
    if pool_size:
        env["ZHIYUN_BENCH_POOL_SIZE"] = str(pool_size)
    if threads:
        env["ZHIYUN_BENCH_THREADS"] = str(threads)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "intake_app:create_app",
        "--factory",
        "--app-dir",
        str(HERE),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with code {process.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 120 s")
            time.sleep(0.3)
        log(f"server up at {base} (pid {process.pid}, {workers} workers)")
        yield base, process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group this benchmark started
                process.wait()
        log("server stopped")


# --------------------------------------------------------------------------- the load


@dataclass
class Outcome:
    latencies: list[float]
    statuses: Counter[int]
    errors: int
    merged: int
    flagged: int
    repeats_ok: int
    seconds: float


class RawConnection:
    """HTTP/1.1 over asyncio streams for requests built beforehand (reconnects after `Connection: close`).

    httpx spends about 2 ms of CPU per request, which on a 2-core machine shared with the
    server is a large part of what is measured; this client spends a small fraction of that.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.reader, self.writer
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            fields = head.lower()
            if b"\r\ncontent-length:" in fields:
                start = fields.index(b"\r\ncontent-length:") + 17
                body = await reader.readexactly(int(fields[start : fields.index(b"\r\n", start)]))
            elif b"\r\ntransfer-encoding: chunked" in fields:
                parts = []
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    parts.append(await reader.readexactly(size))
                    await reader.readexactly(2)
                await reader.readuntil(b"\r\n")
                body = b"".join(parts)
            else:
                body = await reader.read()
                self.close()
            if b"\r\nconnection: close" in fields:
                self.close()
            return status, body
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def raw_request(host: str, path: str, key: str, body: bytes) -> bytes:
    """One POST, ready to send; `Connection: close`, so that the next one may land on another worker."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Channel-Key: {key}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def drive(
    base: str, keys: dict[str, str], posts: list[Post], concurrency: int, label: str, client: str = "raw"
) -> Outcome:
    """Post every payload, `concurrency` at a time, over keep-alive connections; what came back."""
    import httpx

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    counts = Counter[str]()
    order_ids: dict[int, int] = {}
    step = max(len(posts) // 10, 1)
    host, port = base.removeprefix("http://").rsplit(":", 1)
    paths = {ch: f"{API}/intake/{ch}" for ch in keys}
    requests = [raw_request(f"{host}:{port}", paths[p.channel], keys[p.channel], p.body) for p in posts]
    headers = {ch: {"Content-Type": "application/json", "X-Channel-Key": key} for ch, key in keys.items()}
    queue = iter(range(len(posts)))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as session:
        started = time.perf_counter()

        async def worker() -> None:
            connection = RawConnection(host, int(port))
            for i in queue:
                post = posts[i]
                t0 = time.perf_counter()
                try:
                    if client == "raw":
                        async with asyncio.timeout(60):  # no task per request, as wait_for makes
                            status, body = await connection.request(requests[i])
                    else:
                        response = await session.post(
                            paths[post.channel], content=post.body, headers=headers[post.channel]
                        )
                        status, body = response.status_code, response.content
                except (OSError, asyncio.IncompleteReadError, TimeoutError, httpx.HTTPError) as exc:
                    counts["errors"] += 1
                    if counts["errors"] <= 5:
                        log(f"  transport error: {exc!r}")
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[status] += 1
                if status not in (200, 201):
                    counts["errors"] += 1
                    if counts["errors"] <= 5:
                        log(f"  {status} on {post.channel}: {body[:300].decode(errors='replace')}")
                else:
                    receipt = json.loads(body)
                    order_ids[i] = receipt["order_id"]
                    if receipt.get("duplicate_of"):
                        counts["merged"] += 1
                    elif receipt.get("possible_duplicates"):
                        counts["flagged"] += 1
                done = len(latencies) + counts["errors"]
                if done % step == 0:
                    elapsed = time.perf_counter() - started
                    log(f"  {label}: {done}/{len(posts)} posted, {done / elapsed:,.0f}/s")
            connection.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    # An exact repeat (same channel, same external id) must come back as the first post's order
    # (200 when the first was already stored; 201 for whichever won when both were in flight).
    for i, post in enumerate(posts):
        if post.repeat_of is not None and i in order_ids and post.repeat_of in order_ids:
            if order_ids[i] == order_ids[post.repeat_of]:
                counts["repeats_ok"] += 1
            else:
                counts["errors"] += 1
                log(f"  exact repeat {i} became order {order_ids[i]}, not {order_ids[post.repeat_of]}")
    return Outcome(
        latencies,
        statuses,
        counts["errors"],
        counts["merged"],
        counts["flagged"],
        counts["repeats_ok"],
        seconds,
    )


def cpu_seconds(server_session: int) -> dict[str, float]:
    """CPU seconds used so far by the server's processes (its session), PostgreSQL's processes
    on this machine, and this client; {} where /proc cannot tell (not Linux).

    A process that exits between two readings takes its time with it: the database's
    backends and the server's workers live through the run, so little is lost.
    """
    tick = os.sysconf("SC_CLK_TCK")
    server = database = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    for name in entries:
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, session, …, utime, stime
        used = int(fields[11]) + int(fields[12])
        if int(fields[3]) == server_session:
            server += used
        elif comm == "postgres":
            database += used
    return {"server": server / tick, "database": database / tick, "client": time.process_time()}


def run_loop(main: Coroutine[Any, Any, Outcome]) -> Outcome:
    """Run the clients on uvloop (the server's loop too): the load is generated on the same two
    cores as the server and its database, and asyncio's own loop costs more CPU per request."""
    return uvloop.run(main)


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(share * len(sorted_values)) - 1))
    return sorted_values[index]


# --------------------------------------------------------------------------- the run


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    db = Database(url)
    try:
        if db.dialect != "postgresql":
            raise SystemExit("this benchmark runs on PostgreSQL (the server's database in production)")
        upgrade(db)
        services = build_services(db, Settings())
        report = ensure_district(services)
        ensure_boundaries(services)
        log(f"demo district ready ({report.units_created} units created), boundaries imported")
        keys = {code: services.channels.issue_key(BENCH_ADMIN, code).key for code in CHANNEL_MIX}
        world = World(rng, places(services))
        now = datetime.now(UTC)
        sample = preload(url, world, args.open_orders, now, args.backlog_days) if args.open_orders else []
    finally:
        db.dispose()

    run_id = f"B{uuid.uuid4().hex[:8]}"
    warmup = plan_posts(world, args.warmup, run_id + "W", now, sample)
    posts = plan_posts(world, args.requests, run_id, now, sample)
    log(
        f"{len(posts)} posts planned ({sum(p.repeat for p in posts)} exact repeats), "
        f"channels {dict(Counter(p.channel for p in posts).most_common())}"
    )
    with server(url, args.workers, args.port or free_port(), args.pool_size, args.threads) as (base, pid):
        if warmup:
            w = run_loop(drive(base, keys, warmup, args.concurrency, "warm-up", args.client))
            log(f"warm-up: {len(warmup)} posts in {w.seconds:.1f} s, {w.errors} errors")
        before = cpu_seconds(pid)
        out = run_loop(drive(base, keys, posts, args.concurrency, "run", args.client))
        after = cpu_seconds(pid)
    latencies = sorted(out.latencies)
    good = sum(n for s, n in out.statuses.items() if s in (200, 201))
    cpu = {k: round((after[k] - before[k]) * 1000 / good, 3) for k in after} if good and after else None
    log(
        f"statuses {dict(out.statuses)}, merged at intake {out.merged}, flagged {out.flagged}, "
        f"exact repeats answered with the same order: {out.repeats_ok}/{sum(p.repeat for p in posts)}"
    )
    return {
        "benchmark": "intake",
        "orders_per_s": round(good / out.seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "requests": len(posts),
        "errors": out.errors,
        "open_orders_preloaded": args.open_orders,
        "backlog_days": args.backlog_days,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "database": "postgresql",
        "client": args.client,
        "threads_per_worker": args.threads or 40,
        "seconds": round(out.seconds, 2),
        "merged": out.merged,
        "flagged": out.flagged,
        "warmup_requests": len(warmup),
        "cpu_ms_per_order": cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="posts to measure (default 3000)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument(
        "--open-orders", type=int, default=200_000, help="open orders stored first (default 200,000)"
    )
    parser.add_argument(
        "--backlog-days",
        type=float,
        default=30.0,
        help="the open orders were registered over this many days before the run (default 30)",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--warmup", type=int, default=64, help="posts before the measurement (default 64)")
    parser.add_argument(
        "--pool-size", type=int, default=None, help="connection pool per worker (default: the platform's)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="requests a worker runs at once (its AnyIO thread pool; default 2, 0: AnyIO's 40)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: keep-alive HTTP/1.1 over asyncio streams (cheap); httpx: httpx.AsyncClient",
    )
    parser.add_argument("--port", type=int, default=0, help="port for the server (default: a free one)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: a throwaway database)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.workers < 1 or args.open_orders < 0:
        parser.error("--requests, --concurrency and --workers must be positive")

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        if args.db:
            report = run(database_url(args.db), args)
        else:
            admin = admin_url()
            with throwaway_postgres(admin) as url:
                report = run(url, args)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
