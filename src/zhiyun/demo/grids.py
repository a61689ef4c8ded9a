"""The demo district's 1,049 grids (单元网格) and 4,823 grid workers (网格员), as the seed's Nanhai has.

Grids: every village's demo boundary (demo/boundaries.py) is cut by one lattice of roughly
equal squares (the same lines across the district), each square clipped to the village; a
clipped piece under `SLIVER_SHARE` of a square is merged into the neighbour it shares the
longest edge with. The square's size is found by bisection so that the district has about
`DEMO_GRIDS` pieces, and the last few are made exact by merging the smallest pieces or
halving the largest. Each village's grids are numbered north → south, west → east
(`domain.grid.number_west_to_east`) and coded 440605 (南海区) + the town's 3 digits + the
village's 3 digits + the number (`village_prefix`): synthetic, like the boundaries.

Workers: every village has a grid chief (网格长, `<village>_chief`), every grid a full-time
worker (专职, `<village>_grid<nnn>`; 夏北社区's first is the demo's `gc_xb_grid`), and the
part-time workers (兼职, `<village>_grid<nnn>_<k>`) are spread 3 or 4 to a grid, for 4,823 in
all. They share the demo password; its one argon2 hash is stored for all of them, and they
are inserted in bulk (`AccountService.add_users`, `GridWorkerService.add_posts`), so that
seeding stays quick.

Deterministic: the same grids, names and posts on every run; `ensure_…` add only what is missing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import shapely
from argon2 import PasswordHasher
from shapely import STRtree
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry

from zhiyun.accounts.service import NewUser
from zhiyun.bootstrap import Services
from zhiyun.demo.boundaries import boundary
from zhiyun.demo.district import DEMO_ADMIN, DEMO_PASSWORD, TOWNS, person_name
from zhiyun.domain.access import Role
from zhiyun.domain.grid import GridCode, WorkerKind, number_west_to_east
from zhiyun.geo.service import GridImportReport
from zhiyun.grid.workers import GridWorkerService, NewPost

DEMO_GRIDS = 1049
DEMO_GRID_WORKERS = 4823
COUNTY_CODE = "440605"  # 佛山市南海区
SLIVER_SHARE = 0.2  # a clipped piece under this share of a square joins a neighbour
# Near the target the count jumps by tens as the lattice slides over the villages: a few
# halvings find a size within a few pieces, and merging or halving makes up the rest.
BISECTIONS = 6
REFERENCE_LAT = 23.05  # where the lattice's squares are square
NAMED_FULL_TIME = ("GC-XB", 1, "gc_xb_grid")  # the demo's printed grid worker works 夏北社区's grid 001


def village_codes() -> list[str]:
    """The demo's villages (unit codes), town by town, in the order of demo/district.py."""
    return [f"{t.code}-{v.suffix}" for t in TOWNS for v in t.villages]


def village_prefix(village_code: str) -> str:
    """The 12-digit prefix of a demo village's grid codes: county + town (3) + village (3)."""
    for t_index, town in enumerate(TOWNS, start=1):
        for v_index, village in enumerate(town.villages, start=1):
            if f"{town.code}-{village.suffix}" == village_code:
                return f"{COUNTY_CODE}{t_index:03d}{v_index:03d}"
    raise KeyError(village_code)


def _username_base(village_code: str) -> str:
    return village_code.lower().replace("-", "_")


# --------------------------------------------------------------------------- the lattice


def _lattice_pieces(geom: BaseGeometry, side: float) -> list[BaseGeometry]:
    """The squares of side `side` (degrees of latitude; longitude widened to be square at
    REFERENCE_LAT) of the district-wide lattice, clipped to `geom`."""
    sx, sy = side / math.cos(math.radians(REFERENCE_LAT)), side
    min_x, min_y, max_x, max_y = geom.bounds
    i, j = np.meshgrid(
        np.arange(math.floor(min_x / sx), math.ceil(max_x / sx)),
        np.arange(math.floor(min_y / sy), math.ceil(max_y / sy)),
        indexing="ij",
    )
    squares = shapely.box(i.ravel() * sx, j.ravel() * sy, (i.ravel() + 1) * sx, (j.ravel() + 1) * sy)
    shapely.prepare(geom)
    inside = shapely.contains_properly(geom, squares)  # whole squares need no clipping
    edge = shapely.intersects(geom, squares) & ~inside
    parts = shapely.get_parts(shapely.intersection(squares[edge], geom))
    pieces = [p for p in parts.tolist() if p.geom_type == "Polygon" and p.area > 0]
    return [*squares[inside].tolist(), *pieces]


def _estimate(side: float) -> int:
    """How many grids a lattice of `side` makes: the pieces that are not slivers (each sliver
    joins a neighbour), at least one per village."""
    full = side * side / math.cos(math.radians(REFERENCE_LAT))
    total = 0
    for code in village_codes():
        areas = shapely.area(np.asarray(_lattice_pieces(boundary(code), side), dtype=object))
        total += max(1, int((areas >= SLIVER_SHARE * full).sum()))
    return total


def _neighbour(pieces: list[BaseGeometry], i: int) -> int | None:
    """The piece sharing the longest edge with piece `i`."""
    best, best_length = None, 0.0
    for j, other in enumerate(pieces):
        if j == i or not pieces[i].intersects(other):
            continue
        length = pieces[i].boundary.intersection(other.boundary).length
        if length > best_length:
            best, best_length = j, length
    return best


def _merge_into_neighbour(pieces: list[BaseGeometry], i: int) -> bool:
    j = _neighbour(pieces, i)
    if j is None:
        return False
    merged = shapely.union(pieces[i], pieces[j])
    if merged.geom_type != "Polygon":
        return False
    pieces[j] = merged
    del pieces[i]
    return True


def _merge_slivers(pieces: list[BaseGeometry], full: float) -> list[BaseGeometry]:
    """Merge pieces under SLIVER_SHARE of a full square into a neighbour, smallest first."""
    pieces = list(pieces)
    while True:
        small = sorted((p.area, i) for i, p in enumerate(pieces) if p.area < SLIVER_SHARE * full)
        if not small or not any(_merge_into_neighbour(pieces, i) for _, i in small[:1]):
            return pieces


def _halve(geom: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    """A piece cut in two across its longer side, through its centroid."""
    min_x, min_y, max_x, max_y = geom.bounds
    c = geom.centroid
    if (max_x - min_x) * math.cos(math.radians(REFERENCE_LAT)) >= max_y - min_y:
        halves = (box(min_x, min_y, c.x, max_y), box(c.x, min_y, max_x, max_y))
    else:
        halves = (box(min_x, min_y, max_x, c.y), box(min_x, c.y, max_x, max_y))
    return geom.intersection(halves[0]), geom.intersection(halves[1])


def _split_villages(side: float) -> dict[str, list[BaseGeometry]]:
    full = side * side / math.cos(math.radians(REFERENCE_LAT))
    return {code: _merge_slivers(_lattice_pieces(boundary(code), side), full) for code in village_codes()}


@cache
def _cells() -> dict[str, list[BaseGeometry]]:
    """village code → its grid polygons, DEMO_GRIDS in all (see the module's note)."""
    total_area = sum(boundary(code).area for code in village_codes())
    low, high = math.sqrt(total_area / DEMO_GRIDS) * 0.8, math.sqrt(total_area / DEMO_GRIDS) * 1.25
    best_side, best_count = low, _estimate(low)
    for _ in range(BISECTIONS):
        side = (low + high) / 2
        count = _estimate(side)
        if abs(count - DEMO_GRIDS) < abs(best_count - DEMO_GRIDS):
            best_side, best_count = side, count
        if count == DEMO_GRIDS:
            break
        if count > DEMO_GRIDS:
            low = side
        else:
            high = side
    cells = _split_villages(best_side)
    count = sum(len(v) for v in cells.values())
    while count > DEMO_GRIDS:  # merge the district's smallest piece that has a neighbour
        for _area, code, i in sorted((p.area, c, i) for c, ps in cells.items() for i, p in enumerate(ps)):
            if _merge_into_neighbour(cells[code], i):
                count -= 1
                break
        else:
            raise RuntimeError("no piece can be merged")
    while count < DEMO_GRIDS:  # halve the district's largest piece
        _area, code, i = max((p.area, c, i) for c, ps in cells.items() for i, p in enumerate(ps))
        cells[code][i : i + 1] = list(_halve(cells[code][i]))
        count += 1
    return cells


@dataclass(frozen=True)
class DemoGrid:
    """One demo grid: its village (unit code), number, code, name and polygon (WGS-84)."""

    village_code: str
    village_name: str
    sequence: int
    geometry: BaseGeometry

    @property
    def code(self) -> str:
        return GridCode.of(village_prefix(self.village_code), self.sequence).value

    @property
    def name(self) -> str:
        return f"{self.village_name}第{self.sequence}网格"


@cache
def demo_grid_list() -> tuple[DemoGrid, ...]:
    """Every demo grid, village by village, numbered north → south, west → east."""
    names = {f"{t.code}-{v.suffix}": v.name for t in TOWNS for v in t.villages}
    result: list[DemoGrid] = []
    cells = _cells()
    for code in village_codes():
        pieces = cells[code]
        side = math.sqrt(sum(p.area for p in pieces) / len(pieces) * math.cos(math.radians(REFERENCE_LAT)))
        centres = [(p.centroid.x, p.centroid.y) for p in pieces]
        numbers = number_west_to_east(centres, side)
        ordered = sorted(zip(numbers, pieces, strict=True), key=lambda np_: np_[0])
        result.extend(DemoGrid(code, names[code], n, piece) for n, piece in ordered)
    return tuple(result)


def demo_grids(village_codes_present: set[str] | None = None) -> dict[str, Any]:
    """The demo grids as an importable GeoJSON FeatureCollection (WGS-84); `village_codes_present`:
    only those villages' grids."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": g.code, "name": g.name, "village": g.village_code},
            "geometry": mapping(g.geometry),
        }
        for g in demo_grid_list()
        if village_codes_present is None or g.village_code in village_codes_present
    ]
    return {"type": "FeatureCollection", "features": features}


def grid_at(lat: float, lon: float) -> DemoGrid | None:
    """The demo grid holding a point (for tests and examples)."""
    grids = demo_grid_list()
    tree = _grid_tree()
    for i in tree.query(shapely.points(lon, lat)).tolist():
        grid: DemoGrid = grids[i]
        if shapely.intersects_xy(grid.geometry, lon, lat):
            return grid
    return None


@cache
def _grid_tree() -> STRtree:
    return STRtree([g.geometry for g in demo_grid_list()])


def ensure_grids(services: Services) -> GridImportReport:
    """Import the demo grids of the villages that exist (idempotent: unchanged ones are left
    alone). A district that has its DEMO_GRIDS grids already keeps them without a check, so
    that a second start of the demo stays quick."""
    stored = services.geo.grids()
    if len(stored) == DEMO_GRIDS:
        return GridImportReport(unchanged=len(stored), villages=len({g.village_unit_id for g in stored}))
    present = {r.code for r in services.org.records()} & set(village_codes())
    return services.geo.import_grids(DEMO_ADMIN, demo_grids(present))


# --------------------------------------------------------------------------- grid workers


@dataclass(frozen=True)
class DemoWorker:
    """One demo grid worker: account, village, post and the grid's code (none for a chief)."""

    username: str
    display_name: str
    village_code: str
    kind: WorkerKind
    grid_code: str | None


@cache
def demo_workers() -> tuple[DemoWorker, ...]:
    """Every demo grid worker: a chief per village, a full-time worker per grid, and the
    part-time workers spread 3 or 4 to a grid (DEMO_GRID_WORKERS in all)."""
    rng = random.Random(20417)
    grids = demo_grid_list()
    villages = village_codes()
    part_time = DEMO_GRID_WORKERS - len(villages) - len(grids)
    result = [
        DemoWorker(f"{_username_base(v)}_chief", person_name(rng), v, WorkerKind.CHIEF, None)
        for v in villages
    ]
    for index, g in enumerate(grids):
        base = _username_base(g.village_code)
        if (g.village_code, g.sequence) == NAMED_FULL_TIME[:2]:
            name = NAMED_FULL_TIME[2]
        else:
            name = f"{base}_grid{g.sequence:03d}"
        result.append(DemoWorker(name, person_name(rng), g.village_code, WorkerKind.FULL_TIME, g.code))
        # spread evenly: grid `index` gets ⌊(index+1)·p/n⌋ − ⌊index·p/n⌋ part-time workers
        share = (index + 1) * part_time // len(grids) - index * part_time // len(grids)
        for k in range(1, share + 1):
            result.append(
                DemoWorker(
                    f"{base}_grid{g.sequence:03d}_{k}",
                    person_name(rng),
                    g.village_code,
                    WorkerKind.PART_TIME,
                    g.code,
                )
            )
    return tuple(result)


@dataclass
class WorkersReport:
    users_created: int = 0
    posts_created: int = 0


def ensure_grid_workers(services: Services, existing_usernames: set[str] | None = None) -> WorkersReport:
    """Create the demo grid workers' accounts and posts where missing (in bulk, one shared hash)."""
    workers = demo_workers()
    posted = sum(v.workers for v in services.get(GridWorkerService).village_counts(DEMO_ADMIN))
    if posted >= len(workers):
        return WorkersReport()  # a second start: everyone is at their post
    if existing_usernames is None:
        existing_usernames = {u.username for u in services.accounts.list_users()}
    missing = [w for w in workers if w.username not in existing_usernames]
    report = WorkersReport()
    if missing:
        # Everyone reads the demo password on the screen: one hash of it serves every worker.
        shared_hash = PasswordHasher().hash(DEMO_PASSWORD)
        created = services.accounts.add_users(
            DEMO_ADMIN,
            [NewUser(w.username, Role.GRID_WORKER, w.village_code, w.display_name) for w in missing],
            password_hash=shared_hash,
        )
        report.users_created = len(created)
    posts = [NewPost(w.username, w.village_code, w.kind, w.grid_code) for w in workers]
    report.posts_created = services.get(GridWorkerService).add_posts(DEMO_ADMIN, posts)
    return report


__all__ = [
    "DEMO_GRIDS",
    "DEMO_GRID_WORKERS",
    "DemoGrid",
    "DemoWorker",
    "WorkersReport",
    "demo_grid_list",
    "demo_grids",
    "demo_workers",
    "ensure_grid_workers",
    "ensure_grids",
    "ensure_patrol_plan",
    "grid_at",
    "village_codes",
    "village_prefix",
]


def ensure_patrol_plan(services: Services) -> dict[str, object] | None:
    """This month's merged patrols, planned where never planned (the worker's job would plan it
    within the hour; the demo's grid workers should have their visits at once). The plan's
    figures, or None when the month was planned before."""
    from zhiyun.domain.calendar import local_date
    from zhiyun.domain.grid_items import Period
    from zhiyun.grid.patrol_service import PatrolService

    today = local_date(services.clock())
    month = Period.month(today.year, today.month)
    patrols = services.get(PatrolService)
    if patrols.plan_recorded(month) is not None:
        return None
    return patrols.plan(DEMO_ADMIN, month).as_json()


def ensure_grid_items(services: Services) -> int:
    """The shipped default catalogue of grid items (入格事项), where absent; how many were installed."""
    from zhiyun.grid.items_service import GridItemService

    return len(services.get(GridItemService).ensure_default(DEMO_ADMIN).created)
