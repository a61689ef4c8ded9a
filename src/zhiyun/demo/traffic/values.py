"""Small generated values of the demo traffic: ids, local times, GCJ-02 points, callers, nearby points."""

from __future__ import annotations

import math
import random
import string
from datetime import datetime

from shapely.geometry import Point

from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import boundary
from zhiyun.demo.district import person_name
from zhiyun.kernel.geo import wgs84_to_gcj02
from zhiyun.kernel.normalize import SHANGHAI


def b62(rng: random.Random, n: int) -> str:
    alphabet = string.digits + string.ascii_letters
    return "".join(rng.choice(alphabet) for _ in range(n))


def iso(at: datetime) -> str:
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds")


def stamp(at: datetime, fmt: str = "%Y%m%d%H%M%S") -> str:
    return at.astimezone(SHANGHAI).strftime(fmt)


def gcj(point: tuple[float, float]) -> tuple[float, float]:
    lat, lon = wgs84_to_gcj02(*point)
    return round(lat, 6), round(lon, 6)


def honorific(rng: random.Random) -> tuple[str, str]:
    """(full name, how an agent writes it: 陈先生 / 李女士)."""
    name = person_name(rng)
    return name, name[0] + rng.choice(("先生", "女士"))


def phone_number(rng: random.Random) -> str:
    """A caller's number: mostly mobiles, some Foshan landlines (0757)."""
    if rng.random() < 0.12:
        return f"0757-{rng.choice((8, 6))}{rng.randrange(10**7):07d}"
    return tp.phone(rng)


def near(
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
