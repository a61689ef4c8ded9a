"""What the sensing capability registers: the scene catalogue (场景目录) — its tables, its
service and the `zhiyun sensing` commands. Devices, alarms, events and verification come next
(issue 18)."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="sensing",
    summary="Sensing (感知): the scene catalogue of cameras, IoT sensors, drones and satellites; alarms to verified orders next.",
    tables=("zhiyun.sensing.tables", "zhiyun.sensing.device_tables", "zhiyun.sensing.alarm_tables"),
    services=("zhiyun.sensing.scenes:build",),
    commands=(Command("sensing", "zhiyun.sensing.cli:sensing_app"),),
)
