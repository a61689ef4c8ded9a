"""Raising a sensing event, on SQLite and PostgreSQL (issue 18, part 5): a scene a person verifies
makes a verification task for a grid worker of the event's grid (else of its village), due within
the scene's time; a scene that needs no check registers its order at once through intake's `iot`
channel; a severe one an urgent order and a notice for the nearest grid worker; an event that joins
a group takes the group's task or order and makes nothing new.

The world of tests/sensing_support.py: 夏北社区's grids 001 and 002 have a grid worker each, 003
and 004 none; 平南's 001 has one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.sensing_support import (
    XB1,
    SensingWorld,
    add_device,
    add_event,
    seed_sensing_world,
)
from tests.support import TEST_ADMIN, XB_BOX, centre, quadrants

from zhiyun.bootstrap import Services
from zhiyun.domain.sensing_alarms import EventStatus, VerificationStatus
from zhiyun.domain.workorder import Urgency
from zhiyun.sensing.alarm_tables import VerificationRow
from zhiyun.store.tables import WorkOrderRow

XB3, XB4 = "440605001001003", "440605001001004"


@pytest.fixture
def world(services: Services) -> SensingWorld:
    return seed_sensing_world(services)


def tasks(world: SensingWorld) -> list[VerificationRow]:
    with world.services.db.reading() as session:
        rows = list(session.scalars(select(VerificationRow).order_by(VerificationRow.id)))
        for r in rows:
            session.expunge(r)
        return rows


def order(world: SensingWorld, order_id: int | None) -> WorkOrderRow:
    with world.services.db.reading() as session:
        row = session.get(WorkOrderRow, order_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_scene_to_verify_makes_a_task_for_the_grid_worker_of_its_grid_due_within_the_scene_time(
    world: SensingWorld,
) -> None:
    now = datetime.now(UTC)
    event = world.raise_event(add_event(world, add_device(world)), now)
    assert (event.status, event.raised_at, event.order_id) == (EventStatus.VERIFYING.value, now, None)
    [task] = tasks(world)
    assert (task.kind, task.status, task.worker_id, task.grid_id, task.village_unit_id) == (
        "verify",
        VerificationStatus.PENDING.value,
        world.worker.user_id,
        world.grids[XB1],
        world.units["GC-XB"],
    )
    assert task.due_at == now + timedelta(minutes=30)  # 垃圾满溢: verify within 30 minutes


def test_a_grid_without_a_worker_asks_one_of_its_village_and_a_village_without_any_asks_nobody(
    world: SensingWorld,
) -> None:
    in_xb3 = add_device(world, "CAM-XB-0003", point=centre(quadrants(XB_BOX)[2]), grid=XB3)
    world.raise_event(add_event(world, in_xb3, point=centre(quadrants(XB_BOX)[2])))
    nowhere = add_device(world, "CAM-YB-0001", grid=None, village="DL-YB", point=(23.1, 113.2))
    world.raise_event(add_event(world, nowhere, point=(23.1, 113.2)))
    first, second = tasks(world)
    assert first.worker_id in (world.worker.user_id, world.neighbour.user_id)
    assert (second.worker_id, second.village_unit_id) == (None, world.units["DL-YB"])


def test_a_scene_without_verification_registers_its_order_at_once_through_the_iot_channel(
    world: SensingWorld,
) -> None:
    sensor = add_device(world, "BIN-XB-0001", name="夏北路1号垃圾桶", kind="iot")
    event = world.raise_event(add_event(world, sensor, "IOT-08"))
    assert event.status == EventStatus.ORDERED.value and event.ordered_at is not None
    row = order(world, event.order_id)
    assert (row.channel, row.external_id, row.category_code, row.grid_id, row.village_unit_id) == (
        "iot",
        f"EV{event.id}",
        "CG0101",
        world.grids[XB1],
        world.units["GC-XB"],
    )
    assert row.title == "夏北路1号垃圾桶满溢（物联感知告警）"
    assert "夏北路1号垃圾桶 BIN-XB-0001：" in row.content and "告警 3 次" in row.content
    assert tasks(world) == []


def test_a_severe_scene_registers_an_urgent_order_and_tells_the_nearest_grid_worker(
    world: SensingWorld,
) -> None:
    # 燃气泄漏 in 夏北's grid 004 (south-east), which has no worker: grid 002's, right north of it, is nearest
    spot = centre(quadrants(XB_BOX)[3])
    gas = add_device(world, "GAS-XB-0004", name="夏北市场燃气探测器", kind="iot", point=spot, grid=XB4)
    event = world.raise_event(add_event(world, gas, "IOT-01", point=spot))
    assert event.status == EventStatus.ORDERED.value
    assert order(world, event.order_id).urgency == Urgency.URGENT.value
    [notice] = tasks(world)
    assert (notice.kind, notice.worker_id, notice.status) == (
        "notice",
        world.neighbour.user_id,
        VerificationStatus.PENDING.value,
    )


def test_an_event_joining_a_group_takes_its_pending_task_or_its_order_and_makes_nothing_new(
    world: SensingWorld,
) -> None:
    lead = world.raise_event(add_event(world, add_device(world)))
    second_camera = add_device(world, "CAM-XB-0002", name="夏北路口2号摄像机")
    member = world.raise_event(add_event(world, second_camera, group_id=lead.id))
    assert member.status == EventStatus.VERIFYING.value and len(tasks(world)) == 1

    sensor_a = add_device(world, "BIN-XB-0001", kind="iot")
    sensor_b = add_device(world, "BIN-XB-0002", kind="iot")
    first = world.raise_event(add_event(world, sensor_a, "IOT-08"))
    joined = world.raise_event(add_event(world, sensor_b, "IOT-08", group_id=first.id))
    assert (joined.status, joined.order_id) == (EventStatus.ORDERED.value, first.order_id)
    with world.services.db.reading() as session:
        assert len(session.scalars(select(WorkOrderRow.id)).all()) == 1


def test_an_event_of_a_device_outside_every_village_still_becomes_an_order(world: SensingWorld) -> None:
    far = add_device(world, "BIN-FAR-0001", kind="iot", grid=None, village=None, point=(23.2, 113.3))
    event = world.raise_event(add_event(world, far, "IOT-08", point=(23.2, 113.3)))
    assert event.status == EventStatus.ORDERED.value
    assert order(world, event.order_id).channel == "iot"


def test_an_order_that_cannot_be_registered_leaves_the_event_to_a_person_not_lost(
    world: SensingWorld,
) -> None:
    world.services.channels.configure(TEST_ADMIN, "iot", enabled=False)
    sensor = add_device(world, "BIN-XB-0001", kind="iot")
    event = world.raise_event(add_event(world, sensor, "IOT-08"))
    assert (event.status, event.order_id) == (EventStatus.VERIFYING.value, None)
    [task] = tasks(world)
    assert (task.kind, task.worker_id) == ("verify", world.worker.user_id)
    with world.services.db.reading() as session:
        assert session.scalars(select(WorkOrderRow.id)).first() is None
