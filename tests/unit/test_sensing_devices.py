"""The device registry's pure rules (domain/sensing_devices.py): definitions, scenes and
thresholds, who sees which devices, and heartbeats — one fault order per silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.sensing_devices import (
    Device,
    DeviceStatus,
    Heartbeat,
    device_problems,
    device_scope,
    fault_due,
    fault_key,
    heard,
    parse_kind,
    parse_scene_list,
    parse_status,
    parse_thresholds,
    runs_scene,
    silent,
    threshold_for,
    thresholds_text,
    validate_device,
)
from zhiyun.domain.sensing_scenes import Scene, SceneSource

KNOWN = {
    "CAM-07": SceneSource.CAMERA,
    "CAM-09": SceneSource.CAMERA,
    "IOT-01": SceneSource.IOT,
    "UAV-01": SceneSource.DRONE,
    "SAT-01": SceneSource.SATELLITE,
}
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def scene(code: str, source: SceneSource, threshold: float = 0.6) -> Scene:
    return Scene(code, "场景", source, "CG01", threshold, 30)


def camera(**changes: object) -> Device:
    base: dict[str, object] = {
        "code": "CAM-XB-0001",
        "name": "夏北路与南海大道路口",
        "kind": SceneSource.CAMERA,
        "scenes": ("CAM-07", "CAM-09"),
        "thresholds": {"CAM-07": 0.8},
        "latitude": 23.03,
        "longitude": 113.15,
        "heartbeat_s": 300,
    }
    base.update(changes)
    return Device(**base)  # type: ignore[arg-type]


# -- definitions ------------------------------------------------------------------------------------


def test_a_sound_camera_has_no_problems_and_is_returned_stripped() -> None:
    assert device_problems(camera(), KNOWN) == []
    assert validate_device(camera(name="  路口  "), KNOWN).name == "路口"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"code": "摄像头1"}, "设备编码"),
        ({"code": "CAM 1"}, "设备编码"),
        ({"code": "x" * 65}, "设备编码"),
        ({"name": " "}, "设备名称"),
        ({"name": "路口\n二"}, "设备名称"),
        ({"name": "路" * 101}, "设备名称"),
        ({"scenes": ("CAM-99",)}, "不在场景目录"),
        ({"scenes": ("IOT-01",)}, "物联感知"),
        ({"scenes": ("CAM-07", "CAM-07"), "thresholds": {}}, "场景重复"),
        ({"thresholds": {"CAM-07": 0}}, "阈值"),
        ({"thresholds": {"CAM-07": 1.2}}, "阈值"),
        ({"thresholds": {"CAM-21": 0.5}}, "不是该设备运行的场景"),
        ({"latitude": None}, "经纬度须同时"),
        ({"latitude": 95.0}, "纬度"),
        ({"longitude": 181.0}, "经度"),
        ({"latitude": 0.0, "longitude": 0.0}, "(0, 0)"),
        ({"heartbeat_s": 59}, "心跳间隔"),
        ({"heartbeat_s": 7 * 24 * 3600 + 1}, "心跳间隔"),
    ],
)
def test_a_bad_definition_is_refused_naming_the_problem(changes: dict[str, object], says: str) -> None:
    problems = device_problems(camera(**changes), KNOWN)
    assert any(says in p for p in problems), problems
    with pytest.raises(ValidationFailed) as refused:
        validate_device(camera(**changes), KNOWN)
    assert refused.value.details["problems"] == problems


def test_a_device_sending_no_heartbeat_and_with_no_point_is_sound() -> None:
    assert device_problems(camera(heartbeat_s=None, latitude=None, longitude=None), KNOWN) == []


def test_a_drone_may_run_camera_scenes_but_a_camera_no_drone_scene() -> None:
    drone = camera(kind=SceneSource.DRONE, scenes=("UAV-01", "CAM-07"), thresholds={})
    assert device_problems(drone, KNOWN) == []
    assert device_problems(camera(scenes=("UAV-01",), thresholds={}), KNOWN)


def test_with_no_scenes_listed_thresholds_are_for_scenes_of_its_kind_only() -> None:
    assert device_problems(camera(scenes=(), thresholds={"CAM-09": 0.7}), KNOWN) == []
    assert device_problems(camera(scenes=(), thresholds={"IOT-01": 0.7}), KNOWN)


def test_a_device_runs_its_scenes_or_with_none_listed_every_scene_of_its_kind() -> None:
    cam07, iot01 = scene("CAM-07", SceneSource.CAMERA), scene("IOT-01", SceneSource.IOT)
    assert runs_scene(("CAM-07",), SceneSource.CAMERA, cam07)
    assert not runs_scene(("CAM-09",), SceneSource.CAMERA, cam07)
    assert runs_scene((), "camera", cam07) and not runs_scene((), "camera", iot01)
    assert not runs_scene((), SceneSource.DRONE, cam07)  # listed explicitly, or not at all


def test_a_device_threshold_overrides_the_scene_and_a_bad_one_is_ignored() -> None:
    cam07 = scene("CAM-07", SceneSource.CAMERA, 0.6)
    assert threshold_for({"CAM-07": 0.8}, cam07) == 0.8
    assert threshold_for({"CAM-09": 0.8}, cam07) == 0.6
    assert threshold_for({"CAM-07": "0.8"}, cam07) == 0.6
    assert threshold_for({"CAM-07": True}, cam07) == 0.6


def test_the_file_forms_read_chinese_and_english_names() -> None:
    assert parse_kind("视频") is parse_kind("camera") is SceneSource.CAMERA
    assert parse_kind(" 物联感知 ") is SceneSource.IOT and parse_kind("UAV") is SceneSource.DRONE
    assert parse_kind("卫星遥感") is SceneSource.SATELLITE
    with pytest.raises(ValidationFailed, match="类型"):
        parse_kind("雷达")
    assert parse_status("") is parse_status("启用") is DeviceStatus.ACTIVE
    assert parse_status("停用") is parse_status("disabled") is DeviceStatus.DISABLED
    assert parse_scene_list("cam-07、CAM-09, IOT-01") == ("CAM-07", "CAM-09", "IOT-01")
    assert parse_thresholds("CAM-07=0.8;cam-09：0.7") == {"CAM-07": 0.8, "CAM-09": 0.7}
    assert thresholds_text({"CAM-09": 0.7, "CAM-07": 0.8}) == "CAM-07=0.8;CAM-09=0.7"
    for bad in ("CAM-07", "CAM-07=高", "CAM-07=0.8;CAM-07=0.7"):
        with pytest.raises(ValidationFailed):
            parse_thresholds(bad)


# -- who sees which devices -------------------------------------------------------------------------

ORG = OrgTree.of(
    [
        Unit(1, "NH", "南海区", UnitKind.DISTRICT, None),
        Unit(2, "GC", "桂城街道", UnitKind.TOWN, 1),
        Unit(3, "GC-XB", "夏北社区", UnitKind.VILLAGE, 2),
        Unit(4, "DL", "大沥镇", UnitKind.TOWN, 1),
        Unit(5, "DL-YB", "盐步社区", UnitKind.VILLAGE, 4),
        Unit(6, "CGJ", "区城管局", UnitKind.DEPARTMENT, 1),
    ]
)


def test_the_district_sees_every_device_and_a_unit_those_it_keeps_or_that_stand_in_its_area() -> None:
    for actor in (
        Actor(1, Role.DISPATCHER, 1),
        Actor(2, Role.LEADER, 3),
        Actor(None, Role.ADMIN, None),
        Actor.system(),
    ):
        assert device_scope(actor, ORG).everywhere
    town = device_scope(Actor(3, Role.DISPATCHER, 2), ORG)
    assert town.holds(None, 3) and town.holds(2, None)
    assert not town.holds(None, 5) and not town.holds(6, 5)
    department = device_scope(Actor(4, Role.HANDLER, 6), ORG)
    assert department.holds(6, 5) and not department.holds(None, 3)
    assert device_scope(Actor.citizen(9), ORG).nothing
    assert device_scope(Actor(5, Role.HANDLER, None), ORG).nothing


# -- heartbeats -------------------------------------------------------------------------------------


def beat(**changes: object) -> Heartbeat:
    base: dict[str, object] = {
        "status": DeviceStatus.ACTIVE,
        "heartbeat_s": 300,
        "last_seen_at": T0,
        "registered_at": T0 - timedelta(days=1),
    }
    base.update(changes)
    return Heartbeat(**base)  # type: ignore[arg-type]


def test_a_device_is_silent_once_its_interval_has_passed_without_a_word() -> None:
    assert not silent(beat(), T0 + timedelta(seconds=300))
    assert silent(beat(), T0 + timedelta(seconds=301))


def test_a_device_never_heard_from_counts_from_its_registration() -> None:
    never = beat(last_seen_at=None, registered_at=T0)
    assert not silent(never, T0 + timedelta(minutes=4))
    assert silent(never, T0 + timedelta(minutes=6))


def test_a_device_without_heartbeat_or_disabled_is_never_silent() -> None:
    later = T0 + timedelta(days=30)
    assert not silent(beat(heartbeat_s=None), later)
    assert not silent(beat(status=DeviceStatus.DISABLED), later)
    assert not fault_due(beat(heartbeat_s=None), later)


def test_a_fault_is_due_once_per_silence_and_again_after_it_was_heard_from() -> None:
    late = T0 + timedelta(minutes=10)
    assert fault_due(beat(), late)
    raised = beat(fault_order_id=7)
    assert not fault_due(raised, late) and not fault_due(raised, late + timedelta(days=3))
    back = heard(raised, late)
    assert back.fault_order_id is None and back.last_seen_at == late
    assert not fault_due(back, late + timedelta(minutes=1))
    assert fault_due(back, late + timedelta(minutes=6))
    assert fault_key("C1", back) != fault_key("C1", raised)


def test_an_older_message_changes_nothing_and_keeps_the_fault() -> None:
    raised = beat(fault_order_id=7)
    assert heard(raised, T0) is raised and heard(raised, T0 - timedelta(hours=1)) is raised


def test_the_fault_key_names_the_device_and_the_start_of_its_silence() -> None:
    assert fault_key("CAM-1", beat()) == "device-fault:CAM-1:2026-12-07T02:00:00+00:00"
    assert fault_key("CAM-1", beat(last_seen_at=None)) == "device-fault:CAM-1:2026-12-06T02:00:00+00:00"


# A timeline of what happens to one device: a sweep (True) or a message (False), each some
# seconds after the one before.
events = st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=900)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(events, st.sampled_from([60, 300, 600]))
def test_a_silence_raises_exactly_one_fault_order_however_often_the_sweep_runs(
    timeline: list[tuple[bool, int]], interval: int
) -> None:
    state = beat(heartbeat_s=interval, last_seen_at=None, registered_at=T0)
    now = T0
    orders: dict[str, int] = {}  # the fault key of each order raised → its id
    silences_seen: set[str] = set()
    for sweep, step in timeline:
        now += timedelta(seconds=step)
        if not sweep:
            state = heard(state, now)
            continue
        if silent(state, now):
            silences_seen.add(fault_key("D", state))
        if fault_due(state, now):
            key = fault_key("D", state)
            assert key not in orders, "a second order for one silence"
            orders[key] = len(orders) + 1
            state = Heartbeat(
                state.status, state.heartbeat_s, state.last_seen_at, state.registered_at, orders[key]
            )
        # after every sweep a silent device has the order of its current silence
        if silent(state, now):
            assert state.fault_order_id == orders[fault_key("D", state)]
    assert set(orders) == silences_seen
