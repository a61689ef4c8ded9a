"""The demo's managed objects (demo/objects.py): spread over the demo's 1,049 grids through the
real import, every kind present with its attributes, facilities with valid and distinct
component ids, deterministic, and seeded once. SQLite, as `make demo`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.demo.boundaries import ensure_boundaries
from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.demo.district import units as demo_units
from zhiyun.demo.grids import ensure_grids
from zhiyun.demo.objects import DEMO_OBJECTS, FULL_HEADER, ensure_objects, object_rows
from zhiyun.domain.managed_objects import parse_component_id
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

COUNT = 3_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    base = tmp_path_factory.mktemp("demo-objects")
    db = Database(f"sqlite:///{base / 'demo.db'}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=base / "attachments"))
    services.org.import_records(DEMO_ADMIN, demo_units())
    ensure_boundaries(services)
    ensure_grids(services)
    report = ensure_objects(services, COUNT)
    assert report is not None and (report.imported, report.rejected) == (COUNT, 0)
    assert report.outside_grids == report.outside_villages == 0
    try:
        yield services
    finally:
        services.close()


def rows(services: Services) -> list[ManagedObjectRow]:
    with services.db.reading() as session:
        found = list(session.scalars(select(ManagedObjectRow)))
        session.expunge_all()
        return found


def test_the_demo_objects_lie_in_the_demo_grids_every_grid_some(demo: Services) -> None:
    stored = rows(demo)
    assert len(stored) == COUNT and all(
        r.grid_id is not None and r.village_unit_id is not None for r in stored
    )
    per_grid = Counter(r.grid_id for r in stored)
    assert len(per_grid) == 1049 and set(per_grid.values()) <= {2, 3}  # 3,000 spread evenly


def test_every_kind_is_there_with_its_attributes_and_facilities_have_valid_distinct_component_ids(
    demo: Services,
) -> None:
    stored = rows(demo)
    kinds = Counter(r.kind for r in stored)
    assert set(kinds) == {"building", "rental_house", "shop", "enterprise", "facility"}
    assert kinds["building"] > kinds["enterprise"]
    facilities = [r for r in stored if r.kind == "facility"]
    ids = [r.component_id for r in facilities]
    assert all(ids) and len(set(ids)) == len(ids)
    for component in ids:
        assert parse_component_id(component or "", county="440605")
    shops = [r for r in stored if r.kind == "shop"]
    assert all({"经营类别", "面积", "从业人数"} <= set(r.attributes) for r in shops)
    assert all(
        r.address.startswith(("桂城街道", "九江镇", "西樵镇", "丹灶镇", "狮山镇", "大沥镇", "里水镇"))
        for r in stored
    )
    assert {r.risk for r in stored} == {"low", "medium", "high", "major"}


def test_seeding_again_adds_nothing(demo: Services) -> None:
    assert ensure_objects(demo, COUNT) is None
    with demo.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ManagedObjectRow)) == COUNT


def test_the_rows_are_the_same_for_the_same_count_and_seed(tmp_path: Path) -> None:
    first = list(object_rows(200, gcj_share=0.1, code_share=0.1))
    assert first == list(object_rows(200, gcj_share=0.1, code_share=0.1))
    assert all(len(r) == len(FULL_HEADER) for r in first)
    assert any(r[FULL_HEADER.index("坐标系")] == "gcj02" for r in first)
    assert any(r[FULL_HEADER.index("网格编码")] for r in first)
    broken = list(object_rows(100, broken_every=10))
    assert sum(1 for r in broken if not r[2] or r[1] == "商场") >= 6
    assert DEMO_OBJECTS == 30_000
