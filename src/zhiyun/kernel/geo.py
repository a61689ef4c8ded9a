"""Geo maths that every capability shares: datums, plausible points, distances, a lookup grid.

Pure functions over the standard library:

- coordinates: WGS-84 ⇄ GCJ-02 (the datum of Chinese web maps), plausibility checks;
- distances on the sphere (`haversine_m`);
- a ~500 m square grid (`geo_cell`, `neighbour_cells`) for looking up nearby orders.

Invalid input raises ValidationFailed with `field` set to the offending field.
"""

from __future__ import annotations

import math
from enum import StrEnum

from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.normalize import to_halfwidth


class CoordSystem(StrEnum):
    """The datum of incoming coordinates. Chinese web maps (AMap, Tencent) use GCJ-02."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


# --------------------------------------------------------------------------- coordinates

# GCJ-02 ("Mars coordinates"): the Krasovsky-ellipsoid offset every Chinese web map applies.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    """Outside the rough box where GCJ-02 applies (China's mainland, with some neighbours' margins)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_delta(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (GPS) → GCJ-02 (AMap, Tencent maps). Outside China the point is returned as is."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """GCJ-02 → WGS-84, by fixed-point iteration of the forward formula to within `tolerance` degrees."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < tolerance and abs(e_lon) < tolerance:
            break
    return w_lat, w_lon


def _as_float(value: object, field: str, label: str) -> float:
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}必须是数字", field=field)
    if isinstance(value, str):
        value = to_halfwidth(value).strip()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(f"{label}必须是数字", field=field) from None
    if not math.isfinite(number):
        raise ValidationFailed(f"{label}不是有效数字", field=field)
    return number


def validate_coordinates(lat: object, lon: object, *, china_only: bool = True) -> tuple[float, float]:
    """(lat, lon) as floats, or ValidationFailed for a point that cannot be a real report.

    Refused: non-numbers, NaN and infinities, out-of-range values (with a hint when latitude and
    longitude look swapped), the (0, 0) placeholder of devices without a fix, and, for the
    channels of a district in China (`china_only`), points outside mainland China.
    """
    la = _as_float(lat, "latitude", "纬度")
    lo = _as_float(lon, "longitude", "经度")
    swapped = -90 <= lo <= 90 and -180 <= la <= 180
    if not -90 <= la <= 90:
        hint = "（经纬度是否填反？）" if swapped else ""
        raise ValidationFailed(f"纬度超出范围（-90～90）{hint}", field="latitude", value=la)
    if not -180 <= lo <= 180:
        raise ValidationFailed("经度超出范围（-180～180）", field="longitude", value=lo)
    if abs(la) < 1e-6 and abs(lo) < 1e-6:
        raise ValidationFailed("坐标 (0, 0) 不是有效位置（设备未定位？）", field="location")
    if china_only and out_of_china(la, lo):
        raise ValidationFailed(
            f"坐标 ({la:.6f}, {lo:.6f}) 不在中国境内（本区渠道只受理境内位置，请使用 WGS-84 或 GCJ-02 经纬度）",
            field="location",
        )
    return la, lo


EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------- grid cells

CELL_DEG = 0.005  # ~556 m north-south, ~510 m east-west at Foshan's latitude
_ROWS = round(180 / CELL_DEG)
_COLS = round(360 / CELL_DEG)
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


def _row(lat: float) -> int:
    return min(_ROWS - 1, max(0, math.floor((lat + 90.0) / CELL_DEG)))


def _col(lon: float) -> int:
    return math.floor((lon + 180.0) / CELL_DEG) % _COLS


def geo_cell(lat: float, lon: float) -> int:
    """The number of the ~0.005° square cell holding the point (row-major from the south-west)."""
    return _row(lat) * _COLS + _col(lon)


def cell_bounds(cell: int) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of a cell."""
    row, col = divmod(cell, _COLS)
    return (
        row * CELL_DEG - 90.0,
        col * CELL_DEG - 180.0,
        (row + 1) * CELL_DEG - 90.0,
        (col + 1) * CELL_DEG - 180.0,
    )


def neighbour_cells(lat: float, lon: float, radius_m: float) -> list[int]:
    """Every cell that may hold a point within `radius_m` of (lat, lon), the point's own included."""
    radius_m = max(0.0, radius_m) * 1.001 + 1.0  # a metre of slack for rounding at cell edges
    d_lat = radius_m / _M_PER_DEG
    far_lat = min(89.9999, abs(lat) + d_lat)
    cos_far = math.cos(math.radians(far_lat))
    d_lon = 180.0 if cos_far <= 0 else min(180.0, radius_m / (_M_PER_DEG * cos_far))
    rows = range(_row(lat - d_lat), _row(lat + d_lat) + 1)
    if d_lon >= 180.0:
        cols: list[int] = list(range(_COLS))
    else:
        first = math.floor((lon - d_lon + 180.0) / CELL_DEG)
        last = math.floor((lon + d_lon + 180.0) / CELL_DEG)
        cols = sorted({c % _COLS for c in range(first, last + 1)})
    return [r * _COLS + c for r in rows for c in cols]


__all__ = [
    "CELL_DEG",
    "EARTH_RADIUS_M",
    "CoordSystem",
    "cell_bounds",
    "gcj02_to_wgs84",
    "geo_cell",
    "haversine_m",
    "neighbour_cells",
    "out_of_china",
    "validate_coordinates",
    "wgs84_to_gcj02",
]
