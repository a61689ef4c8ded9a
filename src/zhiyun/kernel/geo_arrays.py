"""Datum conversion over arrays of points (numpy): what `kernel.geo` does for one point, for a
whole batch of a bulk import at once.

`gcj02_to_wgs84_arrays` gives the same answer as `kernel.geo.gcj02_to_wgs84` applied point by
point (to within 1e-9°): the forward formula inverted by fixed-point iteration; points outside
China's box are returned as they are.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from zhiyun.kernel.geo import _GCJ_A, _GCJ_EE

FloatArray = NDArray[np.float64]


def _in_china(lat: FloatArray, lon: FloatArray) -> NDArray[np.bool_]:
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_delta(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    pi = np.pi
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * pi) + 320 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * pi)
    return d_lat, d_lon


def wgs84_to_gcj02_arrays(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS-84 → GCJ-02 for arrays of latitudes and longitudes (outside China: unchanged)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    d_lat, d_lon = _gcj_delta(lat, lon)
    inside = _in_china(lat, lon)
    return np.where(inside, lat + d_lat, lat), np.where(inside, lon + d_lon, lon)


def gcj02_to_wgs84_arrays(
    lat: FloatArray, lon: FloatArray, *, tolerance: float = 1e-9
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS-84 for arrays of latitudes and longitudes, by fixed-point iteration of the
    forward formula until every point is within `tolerance` degrees (outside China: unchanged)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    inside = _in_china(lat, lon)
    w_lat, w_lon = lat.copy(), lon.copy()
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02_arrays(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if not len(lat) or (np.max(np.abs(e_lat)) < tolerance and np.max(np.abs(e_lon)) < tolerance):
            break
    return np.where(inside, w_lat, lat), np.where(inside, w_lon, lon)


__all__ = ["gcj02_to_wgs84_arrays", "wgs84_to_gcj02_arrays"]
