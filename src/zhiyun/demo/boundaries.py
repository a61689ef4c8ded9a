"""Synthetic boundaries for the demo district: towns tiling a Nanhai-shaped area, villages tiling towns.

Not real geography. The district outline is the convex hull of the demo towns' centres
(see district.py) widened by ~6 km; each town is the Voronoi cell of its centre inside that
outline; each village is the Voronoi cell, inside its town, of a seed on a ring of 0.012°
around the town centre (the village's `village_centre`, where the demo orders and the traffic
simulator put their points). Deterministic: the same FeatureCollection on every run.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from functools import cache
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, mapping
from shapely.geometry.base import BaseGeometry

from zhiyun.bootstrap import Services
from zhiyun.demo.district import DEMO_ADMIN, DISTRICT_CODE, TOWNS, DemoDirectory, DemoTown
from zhiyun.geo.service import BoundaryImportReport, GeoService

DISTRICT_MARGIN_DEG = 0.06
VILLAGE_RING_DEG = 0.012  # as in demo/orders.py: a village's orders lie around this ring
PRECISION_DEG = 1e-6


def _village_code(town: DemoTown, suffix: str) -> str:
    return f"{town.code}-{suffix}"


def _ring_point(town: DemoTown, index: int) -> tuple[float, float]:
    angle = 2 * math.pi * index / len(town.villages)
    return (
        town.latitude + VILLAGE_RING_DEG * math.sin(angle),
        town.longitude + VILLAGE_RING_DEG * math.cos(angle),
    )


def _cells(seeds: list[tuple[float, float]], within: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cells of (lat, lon) seeds, clipped to `within`, in the order of the seeds."""
    points = MultiPoint([(lon, lat) for lat, lon in seeds])
    cells = shapely.voronoi_polygons(points, extend_to=within, ordered=True)
    result = []
    for cell in shapely.get_parts(cells).tolist():
        clipped = shapely.set_precision(cell.intersection(within), PRECISION_DEG)
        result.append(clipped)
    return result


@cache
def _geometries() -> dict[str, tuple[str, str, BaseGeometry]]:
    """code → (name, kind, geometry) for the district, its towns and its villages."""
    centres = [(t.latitude, t.longitude) for t in TOWNS]
    outline = MultiPoint([(lon, lat) for lat, lon in centres]).convex_hull.buffer(
        DISTRICT_MARGIN_DEG, quad_segs=4
    )
    outline = shapely.set_precision(outline, PRECISION_DEG)
    result: dict[str, tuple[str, str, BaseGeometry]] = {DISTRICT_CODE: ("南海区", "district", outline)}
    for town, town_cell in zip(TOWNS, _cells(centres, outline), strict=True):
        result[town.code] = (town.name, "town", town_cell)
        seeds = [_ring_point(town, i) for i in range(len(town.villages))]
        for village, cell in zip(town.villages, _cells(seeds, town_cell), strict=True):
            result[_village_code(town, village.suffix)] = (village.name, "village", cell)
    return result


def _codes_of(units: DemoDirectory | Iterable[str] | None) -> set[str] | None:
    if units is None:
        return None
    if isinstance(units, DemoDirectory):
        return {u.code for u in units.org.units.values()}
    return set(units)


def demo_boundaries(units: DemoDirectory | Iterable[str] | None = None) -> dict[str, Any]:
    """The demo boundaries as a GeoJSON FeatureCollection (WGS-84), keyed by unit code.

    `units`: only the units present (a DemoDirectory, or unit codes); None: all of them.
    """
    wanted = _codes_of(units)
    features = []
    for code, (name, kind, geom) in _geometries().items():
        if wanted is not None and code not in wanted:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name, "kind": kind},
                "geometry": mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def ensure_boundaries(services: Services, geo: GeoService | None = None) -> BoundaryImportReport:
    """Store the demo boundaries of the units that exist (idempotent: unchanged ones are left alone)."""
    codes = {r.code for r in services.org.records()}
    return (geo or GeoService(services.db)).import_geojson(DEMO_ADMIN, demo_boundaries(codes))


def boundary(code: str) -> BaseGeometry:
    """The demo boundary of a unit (shapely, x = longitude, y = latitude)."""
    try:
        return _geometries()[code][2]
    except KeyError:
        raise KeyError(f"no demo boundary for {code}") from None


def town_centre(code: str) -> tuple[float, float]:
    """(lat, lon) of a demo town's centre."""
    for town in TOWNS:
        if town.code == code:
            return town.latitude, town.longitude
    raise KeyError(code)


def village_centre(code: str) -> tuple[float, float]:
    """(lat, lon) of a demo village's seed point: inside its boundary, ~1.3 km from the town centre."""
    for town in TOWNS:
        for index, village in enumerate(town.villages):
            if _village_code(town, village.suffix) == code:
                return _ring_point(town, index)
    raise KeyError(code)


def point_in_village(code: str, rng: random.Random, radius_deg: float = 0.006) -> tuple[float, float]:
    """A random (lat, lon) inside a demo village's boundary, within `radius_deg` of its centre."""
    lat, lon = village_centre(code)
    geom = boundary(code)
    for _ in range(50):
        r = radius_deg * math.sqrt(rng.random())
        a = rng.uniform(0, 2 * math.pi)
        p_lat, p_lon = round(lat + r * math.sin(a), 6), round(lon + r * math.cos(a), 6)
        if geom.contains(Point(p_lon, p_lat)):
            return p_lat, p_lon
    return lat, lon


__all__ = [
    "boundary",
    "demo_boundaries",
    "ensure_boundaries",
    "point_in_village",
    "town_centre",
    "village_centre",
]
