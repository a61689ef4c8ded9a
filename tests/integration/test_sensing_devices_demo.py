"""The demo's sensing devices (sensing/demo_devices.py): about 60 over the demo villages through
the registry's import, each inside a grid of its village and kept by a unit of the demo org,
seeded once; two of them silent, so that the heartbeat sweep raises their fault orders.
SQLite, as `make demo`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support import TEST_SYSTEM

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.demo.boundaries import ensure_boundaries
from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.demo.district import units as demo_units
from zhiyun.demo.grids import ensure_grids, grid_at
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.sensing.demo_devices import SILENT, demo_devices, ensure_demo_devices
from zhiyun.sensing.device_faults import build_sweep
from zhiyun.sensing.devices import DeviceQuery, DeviceRegistry
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    base: Path = tmp_path_factory.mktemp("demo-devices")
    db = Database(f"sqlite:///{base / 'demo.db'}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=base / "attachments"), clock=lambda: NOW)
    services.org.import_records(DEMO_ADMIN, demo_units())
    ensure_boundaries(services)
    ensure_grids(services)
    services.taxonomy.ensure_default(DEMO_ADMIN)
    services.get(SceneCatalogue).ensure_default(DEMO_ADMIN)
    try:
        yield services
    finally:
        services.close()


def test_the_demo_devices_stand_in_their_villages_grids_and_are_seeded_once(demo: Services) -> None:
    assert ensure_demo_devices(demo, NOW) == len(demo_devices())
    assert 55 <= len(demo_devices()) <= 70
    assert ensure_demo_devices(demo, NOW) == 0  # already there: nothing more
    views = demo.get(DeviceRegistry).devices(DEMO_ADMIN, limit=500).items
    assert len(views) == len(demo_devices())
    kinds = Counter(v.kind for v in views)
    assert kinds[SceneSource.CAMERA] >= 25 and kinds[SceneSource.IOT] >= 20
    assert kinds[SceneSource.DRONE] >= 1 and kinds[SceneSource.SATELLITE] == 1
    assert sum(v.village_name == "夏北社区" for v in views) >= 15
    for view in views:
        assert view.owner_name is not None, view.code
        if view.kind is SceneSource.SATELLITE:
            assert view.latitude is None
            continue
        assert view.latitude is not None and view.longitude is not None
        grid = grid_at(view.latitude, view.longitude)
        assert grid is not None and grid.code == view.grid_code, view.code


def test_two_demo_devices_are_silent_and_the_sweep_raises_their_fault_orders(demo: Services) -> None:
    ensure_demo_devices(demo, NOW)
    registry = demo.get(DeviceRegistry)
    silent = registry.devices(DEMO_ADMIN, DeviceQuery(silent_only=True), limit=500).items
    assert sorted(v.code for v in silent) == sorted(SILENT)
    raised = build_sweep(demo).sweep(TEST_SYSTEM).raised
    assert sorted(f.device_code for f in raised) == sorted(SILENT)
    assert build_sweep(demo).sweep(TEST_SYSTEM).raised == []
    later = NOW + timedelta(minutes=1)
    ensure_demo_devices(demo, later)  # prepared again: the live ones heard from again
    assert registry.get(DEMO_ADMIN, "NH-GAS-0001").last_seen_at == later
