"""Datum conversion over arrays (kernel/geo_arrays.py) agrees with the one-point functions of kernel/geo.py."""

from __future__ import annotations

import random

import numpy as np

from zhiyun.kernel.geo import gcj02_to_wgs84, wgs84_to_gcj02
from zhiyun.kernel.geo_arrays import gcj02_to_wgs84_arrays, wgs84_to_gcj02_arrays


def test_arrays_convert_gcj02_to_wgs84_as_each_point_alone_does() -> None:
    rng = random.Random(17)
    points = [(22.8 + rng.random() * 0.5, 112.8 + rng.random() * 0.5) for _ in range(500)]
    points.append((48.85, 2.35))  # Paris: outside China, unchanged
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    w_lat, w_lon = gcj02_to_wgs84_arrays(lat, lon)
    for i, (la, lo) in enumerate(points):
        one = gcj02_to_wgs84(la, lo)
        assert abs(w_lat[i] - one[0]) < 1e-9 and abs(w_lon[i] - one[1]) < 1e-9
    assert (w_lat[-1], w_lon[-1]) == (48.85, 2.35)


def test_arrays_round_trip_wgs84_to_gcj02_and_back() -> None:
    lat, lon = np.array([23.03, 23.1]), np.array([113.14, 113.0])
    g_lat, g_lon = wgs84_to_gcj02_arrays(lat, lon)
    assert (g_lat[0], g_lon[0]) == wgs84_to_gcj02(23.03, 113.14)
    back = gcj02_to_wgs84_arrays(g_lat, g_lon)
    assert np.allclose(back[0], lat, atol=1e-9) and np.allclose(back[1], lon, atol=1e-9)
    empty = gcj02_to_wgs84_arrays(np.array([]), np.array([]))
    assert len(empty[0]) == 0
