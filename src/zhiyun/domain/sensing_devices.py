"""The device registry's rules (设备台账, issue 18 part 2): what a sound device definition is,
which scenes a device runs and at what threshold, who sees which devices, and heartbeats.

A device is what an alarm names: a camera, an IoT sensor, a drone feed or a satellite feed
(`kind`, the scene catalogue's `SceneSource`). Its definition (`Device`) says:

- its `code`, the id the vendor's platform gives it (printable ASCII, `CODE_PATTERN`), and a
  `name` people read;
- the scenes it runs (`scenes`: codes of the catalogue; empty: every scene of its kind) — a
  drone carries a camera and may run camera scenes as well (`COMPATIBLE_SOURCES`);
- per-scene confidence thresholds overriding the catalogue's (`thresholds`, 0 < t ≤ 1, only
  for scenes it runs);
- where it stands (WGS-84), the unit that maintains it (`owner_unit_id`), whether alarms from
  it are taken (`status`) and its heartbeat: the longest silence expected (`heartbeat_s`,
  60 s to 7 days; None: it sends none).

Heartbeats (`Heartbeat`): a device is *silent* when it is active, expects heartbeats and has
not been heard from for longer than `heartbeat_s` — counted from its registration when it was
never heard from. A silence raises one device-fault order (设备故障), however often the sweep
looks: `fault_due` holds only while no fault order is recorded for the current silence, the
order's external id names the silence (`fault_key`), and being heard from again clears the
recorded order (`heard`), so that the next silence raises a new one.

Standard library only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.sensing_scenes import Scene, SceneSource

__all__ = [
    "CODE_PATTERN",
    "COMPATIBLE_SOURCES",
    "HEARTBEAT_MAX_S",
    "HEARTBEAT_MIN_S",
    "Device",
    "DeviceScope",
    "DeviceStatus",
    "Heartbeat",
    "device_problems",
    "device_scope",
    "fault_due",
    "fault_key",
    "heard",
    "parse_kind",
    "parse_scene_list",
    "parse_status",
    "parse_thresholds",
    "runs_scene",
    "scene_sources",
    "silence_start",
    "silent",
    "threshold_for",
    "thresholds_text",
    "validate_device",
]

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
NAME_MAX = 100
VENDOR_MAX = 100
ADDRESS_MAX = 200
SCENES_MAX = 100
HEARTBEAT_MIN_S = 60
HEARTBEAT_MAX_S = 7 * 24 * 3600
FAULT_KEY_PREFIX = "device-fault"
COORDINATE_DIGITS = 7

# Which scenes' sources a device of each kind may run: a drone carries a camera.
COMPATIBLE_SOURCES: Mapping[SceneSource, frozenset[SceneSource]] = {
    SceneSource.CAMERA: frozenset({SceneSource.CAMERA}),
    SceneSource.IOT: frozenset({SceneSource.IOT}),
    SceneSource.DRONE: frozenset({SceneSource.DRONE, SceneSource.CAMERA}),
    SceneSource.SATELLITE: frozenset({SceneSource.SATELLITE}),
}


class DeviceStatus(StrEnum):
    """Whether alarms from a device are taken (and its silence watched)."""

    ACTIVE = "active"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return {"active": "启用", "disabled": "停用"}[self.value]

    @property
    def colour(self) -> str:
        return {"active": "green", "disabled": "grey"}[self.value]


@dataclass(frozen=True)
class Device:
    """One device's definition (see the module's note). Coordinates are WGS-84."""

    code: str
    name: str
    kind: SceneSource
    vendor: str = ""
    scenes: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    owner_unit_id: int | None = None
    status: DeviceStatus = DeviceStatus.ACTIVE
    heartbeat_s: int | None = None


def runs_scene(scenes: Collection[str], kind: SceneSource | str, scene: Scene) -> bool:
    """Whether a device of `kind` running `scenes` (empty: every scene of its kind) runs `scene`."""
    if scenes:
        return scene.code in scenes
    return scene.source.value == SceneSource(kind).value


def threshold_for(thresholds: Mapping[str, object], scene: Scene) -> float:
    """The confidence an alarm of `scene` must reach from a device: its own override for the
    scene (a number in (0, 1]), else the scene's threshold."""
    value = thresholds.get(scene.code)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1:
        return float(value)
    return scene.threshold


def device_problems(device: Device, known_scenes: Mapping[str, SceneSource]) -> list[str]:
    """Everything wrong with a device's definition, in Chinese; empty when it is sound.

    `known_scenes`: the catalogue's scene codes and the source of each."""
    p: list[str] = []
    if not CODE_PATTERN.match(device.code or ""):
        p.append("设备编码应为 1–64 个英文字母、数字或 _ . : - 字符")
    name = device.name.strip()
    if not name or len(device.name) > NAME_MAX or not device.name.isprintable():
        p.append(f"设备名称应为 1–{NAME_MAX} 个字（不含换行等控制字符）")
    if len(device.vendor) > VENDOR_MAX:
        p.append(f"厂商不能超过 {VENDOR_MAX} 个字")
    if len(device.address) > ADDRESS_MAX:
        p.append(f"地址不能超过 {ADDRESS_MAX} 个字")
    if len(device.scenes) > SCENES_MAX:
        p.append(f"场景不能超过 {SCENES_MAX} 个")
    if len(set(device.scenes)) != len(device.scenes):
        p.append("场景重复")
    allowed = COMPATIBLE_SOURCES[device.kind]
    for code in device.scenes:
        source = known_scenes.get(code)
        if source is None:
            p.append(f"场景 {code[:20]} 不在场景目录中")
        elif source not in allowed:
            p.append(f"场景 {code} 属于{source.label}，{device.kind.label}设备不能运行")
    runs = set(device.scenes) if device.scenes else {c for c, s in known_scenes.items() if s is device.kind}
    for code, value in device.thresholds.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            p.append(f"场景 {code[:20]} 的阈值应在 0（不含）到 1 之间")
        elif code not in runs:
            p.append(f"场景 {code[:20]} 不是该设备运行的场景，不能设阈值")
    if (device.latitude is None) != (device.longitude is None):
        p.append("经纬度须同时提供")
    if device.latitude is not None and device.longitude is not None:
        lat, lon = device.latitude, device.longitude
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            p.append("纬度应在 -90 到 90 之间")
        if not (math.isfinite(lon) and -180 <= lon <= 180):
            p.append("经度应在 -180 到 180 之间")
        elif abs(lat) < 1e-9 and abs(lon) < 1e-9:
            p.append("坐标 (0, 0) 不是有效位置")
    if device.heartbeat_s is not None and not HEARTBEAT_MIN_S <= device.heartbeat_s <= HEARTBEAT_MAX_S:
        p.append(f"心跳间隔应为 {HEARTBEAT_MIN_S}–{HEARTBEAT_MAX_S} 秒（7 天），不发心跳则留空")
    return p


def validate_device(device: Device, known_scenes: Mapping[str, SceneSource]) -> Device:
    """The device, its name, vendor and address stripped and its point rounded to
    `COORDINATE_DIGITS` (about 1 cm); ValidationFailed naming every problem."""
    device = replace(
        device,
        name=device.name.strip(),
        vendor=device.vendor.strip(),
        address=device.address.strip(),
        latitude=None if device.latitude is None else round(device.latitude, COORDINATE_DIGITS),
        longitude=None if device.longitude is None else round(device.longitude, COORDINATE_DIGITS),
    )
    problems = device_problems(device, known_scenes)
    if problems:
        raise ValidationFailed(
            f"设备 {device.code[:64]}：" + "；".join(problems), problems=problems, device=device.code[:64]
        )
    return device


# -- heartbeats ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heartbeat:
    """What the heartbeat rules look at of a device: its status, the longest silence expected,
    when it was last heard from and registered, and the fault order of its current silence."""

    status: DeviceStatus
    heartbeat_s: int | None
    last_seen_at: datetime | None
    registered_at: datetime
    fault_order_id: int | None = None


def silence_start(device: Heartbeat) -> datetime:
    """When the device's current silence began: when it was last heard from, else registered."""
    return device.last_seen_at if device.last_seen_at is not None else device.registered_at


def silent(device: Heartbeat, now: datetime) -> bool:
    """Whether an active device that expects heartbeats has not been heard from for longer
    than its interval (a device never heard from counts from its registration)."""
    if device.status is not DeviceStatus.ACTIVE or device.heartbeat_s is None:
        return False
    return now - silence_start(device) > timedelta(seconds=device.heartbeat_s)


def fault_due(device: Heartbeat, now: datetime) -> bool:
    """Whether the sweep should raise a device-fault order now: silent, and no fault order is
    recorded for this silence (one order per silence, never one per sweep)."""
    return device.fault_order_id is None and silent(device, now)


def fault_key(code: str, device: Heartbeat) -> str:
    """The external id of the fault order of a device's current silence: the same silence
    always gives the same key, so that a second raise is intake's repeat, not a new order."""
    start = silence_start(device).astimezone(UTC).isoformat(timespec="seconds")
    return f"{FAULT_KEY_PREFIX}:{code}:{start}"


def heard(device: Heartbeat, at: datetime) -> Heartbeat:
    """The device after it was heard from at `at`: last seen moves forward only (an older
    message changes nothing); moving it ends the silence and clears its fault order."""
    if device.last_seen_at is not None and at <= device.last_seen_at:
        return device
    return replace(device, last_seen_at=at, fault_order_id=None)


# -- who sees which devices ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceScope:
    """The devices an actor may read: every one (`everywhere`), else those maintained by or
    standing in the units `unit_ids`."""

    everywhere: bool
    unit_ids: frozenset[int] = frozenset()

    @property
    def nothing(self) -> bool:
        return not self.everywhere and not self.unit_ids

    def holds(self, owner_unit_id: int | None, village_unit_id: int | None) -> bool:
        if self.everywhere:
            return True
        return (owner_unit_id is not None and owner_unit_id in self.unit_ids) or (
            village_unit_id is not None and village_unit_id in self.unit_ids
        )


DEVICE_READERS_EVERYWHERE = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.SYSTEM})


def device_scope(actor: Actor, org: OrgTree) -> DeviceScope:
    """What `actor` may read of the registry: district-wide readers and the district center's
    staff every device; other staff the devices their unit (or a unit below it) maintains or
    that stand in their unit's area; nobody else any."""
    if actor.role in DEVICE_READERS_EVERYWHERE:
        return DeviceScope(True)
    if not actor.is_staff or actor.unit_id is None or actor.unit_id not in org.units:
        return DeviceScope(False)
    if actor.unit_id == org.root().id:
        return DeviceScope(True)
    return DeviceScope(False, frozenset(org.subtree_ids(actor.unit_id)))


# -- the file forms of the fields ----------------------------------------------------------------

_KIND_NAMES: Mapping[str, SceneSource] = {
    "camera": SceneSource.CAMERA,
    "视频": SceneSource.CAMERA,
    "摄像头": SceneSource.CAMERA,
    "视频监控": SceneSource.CAMERA,
    "iot": SceneSource.IOT,
    "物联感知": SceneSource.IOT,
    "物联网": SceneSource.IOT,
    "传感器": SceneSource.IOT,
    "drone": SceneSource.DRONE,
    "uav": SceneSource.DRONE,
    "无人机": SceneSource.DRONE,
    "satellite": SceneSource.SATELLITE,
    "卫星": SceneSource.SATELLITE,
    "卫星遥感": SceneSource.SATELLITE,
}
_STATUS_NAMES: Mapping[str, DeviceStatus] = {
    "": DeviceStatus.ACTIVE,
    "active": DeviceStatus.ACTIVE,
    "启用": DeviceStatus.ACTIVE,
    "在用": DeviceStatus.ACTIVE,
    "正常": DeviceStatus.ACTIVE,
    "disabled": DeviceStatus.DISABLED,
    "停用": DeviceStatus.DISABLED,
    "禁用": DeviceStatus.DISABLED,
}
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")
_PAIR_SPLIT = re.compile(r"[;；,，、\s]+")


def parse_kind(text: str) -> SceneSource:
    """A kind from its English value or Chinese name (视频, 物联感知, 无人机, 卫星遥感, …)."""
    found = _KIND_NAMES.get(text.strip().lower())
    if found is None:
        raise ValidationFailed(
            f"类型「{text[:20]}」不认识（可用：视频、物联感知、无人机、卫星遥感，或 camera、iot、drone、satellite）",
            field="kind",
        )
    return found


def parse_status(text: str) -> DeviceStatus:
    """A status from its value or name (启用/停用, active/disabled; empty: active)."""
    found = _STATUS_NAMES.get(text.strip().lower())
    if found is None:
        raise ValidationFailed(f"状态「{text[:20]}」应为 启用 或 停用", field="status")
    return found


def parse_scene_list(text: str) -> tuple[str, ...]:
    """Scene codes separated by commas, 、 or spaces, upper-cased, in order."""
    return tuple(code.upper() for code in _LIST_SPLIT.split(text.strip()) if code)


def parse_thresholds(text: str) -> dict[str, float]:
    """`CAM-07=0.8;CAM-09=0.7` (also `：`/`:` and `，`/`、`/spaces between pairs)."""
    result: dict[str, float] = {}
    for pair in _PAIR_SPLIT.split(text.strip()):
        if not pair:
            continue
        code, sep, value = _pair(pair)
        if not sep or not code.strip():
            raise ValidationFailed(
                f"阈值「{pair[:30]}」应写作 场景编码=阈值，如 CAM-07=0.8", field="thresholds"
            )
        try:
            number = float(value)
        except ValueError:
            raise ValidationFailed(f"阈值「{pair[:30]}」的值不是数字", field="thresholds") from None
        key = code.strip().upper()
        if key in result:
            raise ValidationFailed(f"场景 {key[:20]} 的阈值重复", field="thresholds")
        result[key] = number
    return result


def _pair(pair: str) -> tuple[str, str, str]:
    found = re.match(r"^([^=:：]*)([=:：])(.*)$", pair)
    if found is None:
        return pair, "", ""
    return found.group(1), found.group(2), found.group(3).strip()


def thresholds_text(thresholds: Mapping[str, object]) -> str:
    """The file form of thresholds: `CAM-07=0.8;CAM-09=0.7`, by scene code."""
    return ";".join(f"{code}={_number(value)}" for code, value in sorted(thresholds.items()))


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def scene_sources(scenes: Iterable[Scene]) -> dict[str, SceneSource]:
    """The `known_scenes` argument of `device_problems` from a catalogue's scenes."""
    return {s.code: s.source for s in scenes}
