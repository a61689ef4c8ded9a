"""The demo's history before the platform: two years of closed orders from the old system, and a surge.

The outlook (季节提示, 预警) learns from history that the 30 days of seeded orders do not give.
The district's previous hotline system "exported" its orders: every day from two years ago to
three months ago (`HISTORY_END_DAYS`: before the hot issues' 90-day window), in every town, the demo topics at their
usual rates, by weekday (fewer at weekends) and season (`topics.season_factor`: enrolment
questions around April, graduates' registration around July, medical insurance in November),
each with its category, closed with a reply and a satisfaction. They are loaded by the bulk
importer (`zhiyun import orders`' service, `BulkImporter`, from a JSON lines file written to a
temporary folder), located by the platform's locator, so they are history: closed, registered
months before the seeded month, and the dashboard's recent figures stay those of the seeded orders.

The surge: in the last day and a half, `SURGE_ORDERS` citizens of one town (桂城街道) complain
about square-dance noise (噪音扰民, CG05) in its villages — registered by the orders service like
the seeded repeat matters (demo/hot_matters.py), located, dispatched to the town. The outlook's
job `outlook-detect` raises a warning for it at the demo's start.

Idempotent: the history rows carry external ids ``HIST-<day>-<n>`` (a second run imports
nothing already there) and the surge's orders ``SURGE-01``….
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from zhiyun.bootstrap import Services, build_services
from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import point_in_village
from zhiyun.demo.district import TOWN_WEIGHTS, TOWNS, DemoDirectory, person_name
from zhiyun.demo.hot_matters import register_located
from zhiyun.demo.orders import SimClock, template_values
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.workorder import Dispatch, OrderType
from zhiyun.importer.mapping import ImportMapping
from zhiyun.importer.pipeline import BulkImporter
from zhiyun.intake.service import channel_actor
from zhiyun.orders.service import NewOrder

HISTORY_YEARS_DAYS = 730
# The history stops before the hot issues' 90-day window (HotIssueSettings.window_days): its
# templated texts would otherwise make crowds of their own among the live matters.
HISTORY_END_DAYS = 91
PER_DAY = 9.0  # orders a working day in the whole district
WEEKEND_FACTOR = 0.5
SEED = 2019
SURGE_TOWN = "GC"
SURGE_TOPIC = "square_dance"
SURGE_ORDERS = 14
SURGE_HOURS = 30.0
HISTORY_PREFIX = "HIST-"
SURGE_PREFIX = "SURGE-"
SATISFACTION = {"satisfied": 64, "basically_satisfied": 22, "unsatisfied": 9, "unreachable": 5}
_CHANNELS = {"12345": 60, "district_hotline": 30, "grid": 10}

MAPPING = {
    "description": "演示区旧热线系统导出的历史工单（演示数据）",
    "format": "jsonl",
    "columns": {
        name: name
        for name in (
            "external_id",
            "channel",
            "title",
            "content",
            "order_type",
            "status",
            "citizen_name",
            "citizen_phone",
            "address",
            "latitude",
            "longitude",
            "registered_at",
            "replied_at",
            "closed_at",
            "satisfaction",
            "category_code",
            "responsible_unit",
            "result",
        )
    },
}


@dataclass
class HistoryReport:
    imported: int = 0
    already: int = 0
    rejected: int = 0
    first: date | None = None
    last: date | None = None
    surge_created: int = 0
    surge_town: str = ""
    surge_category: str = ""
    seconds: float = 0.0


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def history_rows(now: datetime, seed: int = SEED) -> list[dict[str, Any]]:
    """The old system's orders, one dict per row of the import file (deterministic per day)."""
    today = now.astimezone(LOCAL_TZ).date()
    first = today - timedelta(days=HISTORY_YEARS_DAYS)
    last = today - timedelta(days=HISTORY_END_DAYS)
    topics = list(
        {t.key: t for t in (*tp.TOPICS, *tp.SEASONAL_TOPICS) if t.key in tp.TOPIC_CATEGORIES}.values()
    )
    total_weight = sum(TOWN_WEIGHTS.values())
    rows: list[dict[str, Any]] = []
    day = first
    while day <= last:
        rng = random.Random(f"{seed}-{day.isoformat()}")  # a day's rows do not depend on the others'
        weights = [t.weight * tp.season_factor(t.key, day.month) for t in topics]
        mean = PER_DAY * (WEEKEND_FACTOR if day.weekday() >= 5 else 1.0)
        mean *= sum(weights) / sum(t.weight for t in topics)  # the seasons add to the day
        count = _poisson(rng, mean)
        for n in range(count):
            town_code = rng.choices(
                list(TOWN_WEIGHTS), weights=[w / total_weight for w in TOWN_WEIGHTS.values()]
            )[0]
            rows.append(_row(rng, day, n, town_code, rng.choices(topics, weights=weights)[0]))
        day += timedelta(days=1)
    return rows


def _row(rng: random.Random, day: date, n: int, town_code: str, topic: tp.Topic) -> dict[str, Any]:
    town = next(t for t in TOWNS if t.code == town_code)
    village = rng.choice(town.villages)
    values = template_values(rng, town, village, next_year=topic.key == "school_enrollment")
    values["year"] = str(day.year + (1 if topic.key == "school_enrollment" else 0))
    variant = rng.choice(topic.variants)
    channel = rng.choices(list(_CHANNELS), weights=list(_CHANNELS.values()))[0]
    if channel not in topic.channels:
        channel = topic.channels[0]
    title, content, channel = tp.compose(topic, variant, channel, values)
    local = datetime(day.year, day.month, day.day, 8, tzinfo=LOCAL_TZ) + timedelta(
        minutes=rng.randint(0, 12 * 60)
    )
    replied = local + timedelta(
        hours=rng.uniform(2, 24 * (2 if topic.order_type is OrderType.CONSULT else 9))
    )
    closed = replied + timedelta(hours=rng.uniform(2, 48))
    row: dict[str, Any] = {
        "external_id": f"{HISTORY_PREFIX}{day:%Y%m%d}-{n + 1:03d}",
        "channel": channel,
        "title": title,
        "content": content,
        "order_type": topic.order_type.value,
        "status": "closed",
        "citizen_name": person_name(rng) if channel != "grid" else "",
        "citizen_phone": tp.phone(rng) if channel != "grid" else "",
        "registered_at": local.isoformat(timespec="seconds"),
        "replied_at": replied.isoformat(timespec="seconds"),
        "closed_at": closed.isoformat(timespec="seconds"),
        "satisfaction": rng.choices(list(SATISFACTION), weights=list(SATISFACTION.values()))[0],
        "category_code": tp.TOPIC_CATEGORIES[topic.key],
        "responsible_unit": f"{town.code}-{village.suffix}",
        "result": tp.fill(variant.reply, values),
        "address": "",
        "latitude": "",
        "longitude": "",
    }
    if topic.located:
        lat, lon = point_in_village(f"{town.code}-{village.suffix}", rng, radius_deg=0.004)
        row.update(
            address=f"佛山市南海区{town.name}{village.name}{values['road']}{values['no']}号",
            latitude=lat,
            longitude=lon,
        )
    return row


def import_history(services: Services, *, now: datetime | None = None, seed: int = SEED) -> HistoryReport:
    """Write the history to a temporary JSON lines file and load it with the bulk importer."""
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    rows = history_rows(now, seed)
    report = HistoryReport()
    if not rows:
        return report
    locator = services.geo.locator()

    def locate(
        lat: float | None, lon: float | None, address: str | None
    ) -> tuple[int | None, int | None, int | None, str]:
        where = locator.locate(lat, lon, address)
        return where.town_unit_id, where.village_unit_id, where.grid_id, where.source

    with tempfile.TemporaryDirectory(prefix="zhiyun-demo-history-") as folder:
        path = Path(folder) / "history.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        importer = BulkImporter(
            services.db, prefix=services.settings.order_number_prefix, clock=lambda: now, locate=locate
        )
        result = importer.run(
            path, ImportMapping.from_dict(MAPPING), rejects_path=Path(folder) / "rejects.csv"
        )
    report.imported, report.already, report.rejected = (
        result.imported,
        result.already_imported,
        result.rejected,
    )
    report.first = date.fromisoformat(rows[0]["registered_at"][:10])
    report.last = date.fromisoformat(rows[-1]["registered_at"][:10])
    report.seconds = time.perf_counter() - started
    return report


def ensure_surge(services: Services, *, now: datetime | None = None, seed: int = SEED) -> int:
    """Register the surge's orders not there yet (square-dance noise across one town's villages);
    how many were new."""
    now = now or datetime.now(UTC)
    rng = random.Random(f"{seed}-surge")
    d = DemoDirectory.load(services)
    clock = SimClock(now)
    svc = build_services(services.db, services.settings, clock=clock)
    locator = svc.geo.locator()
    dispatcher = d.dispatcher_at(d.district.id)
    topic = next(t for t in tp.TOPICS if t.key == SURGE_TOPIC)
    town = next(t for t in TOWNS if t.code == SURGE_TOWN)
    times = sorted(now - timedelta(hours=rng.uniform(0.2, SURGE_HOURS)) for _ in range(SURGE_ORDERS))
    created = 0
    for index, at in enumerate(times, start=1):
        village = town.villages[index % len(town.villages)]
        values = template_values(rng, town, village)
        variant = rng.choice(topic.variants)
        title, content, channel = tp.compose(topic, variant, "12345", values)
        code = f"{town.code}-{village.suffix}"
        lat, lon = point_in_village(code, rng, radius_deg=0.004)
        address = f"佛山市南海区{town.name}{village.name}{values['road']}{values['no']}号"
        new = NewOrder(
            title=title,
            content=content,
            order_type=topic.order_type,
            channel=channel,
            external_id=f"{SURGE_PREFIX}{index:02d}",
            citizen_name=person_name(rng),
            citizen_phone=tp.phone(rng),
            address=address,
            latitude=lat,
            longitude=lon,
            category_code=tp.TOPIC_CATEGORIES[SURGE_TOPIC],
            center_unit_id=d.district.id,
            note=f"{tp.CHANNEL_LABELS.get(channel, channel)}来件，已受理",
        )
        clock.now = at
        order_id = register_located(svc, channel_actor(channel), new, locator.locate(lat, lon, address))
        if order_id is None:
            continue
        created += 1
        if dispatcher is not None:
            clock.now = min(at + timedelta(minutes=15), now - timedelta(minutes=1))
            svc.orders.act(dispatcher, order_id, Dispatch(target_unit_id=d.id(town.code)))
    return created


def ensure_history(services: Services, *, now: datetime | None = None, seed: int = SEED) -> HistoryReport:
    """The old system's history and the recent surge (see the module's description)."""
    now = now or datetime.now(UTC)
    report = import_history(services, now=now, seed=seed)
    started = time.perf_counter()
    report.surge_created = ensure_surge(services, now=now, seed=seed)
    report.seconds += time.perf_counter() - started
    report.surge_town = next(t.name for t in TOWNS if t.code == SURGE_TOWN)
    report.surge_category = tp.TOPIC_CATEGORIES[SURGE_TOPIC]
    return report
