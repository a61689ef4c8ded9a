"""What the sensing capability registers: the scene catalogue (场景目录), devices, the alarm
pipeline (MQTT consumer and webhook), events, verification and figures — its tables, services,
REST routers and the `zhiyun sensing` commands (issue 18, docs/sensing.md)."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command, Mount

CAPABILITY = Capability(
    name="sensing",
    summary="Sensing (感知): cameras, IoT sensors, drones and satellites raise alarms that fold into events, are verified and become work orders.",
    tables=("zhiyun.sensing.tables", "zhiyun.sensing.device_tables", "zhiyun.sensing.alarm_tables"),
    api=(Mount("zhiyun.sensing.alarm_api:router"),),
    services=("zhiyun.sensing.scenes:build", "zhiyun.sensing.raising:build", "zhiyun.sensing.pipeline:build"),
    commands=(Command("sensing", "zhiyun.sensing.cli:sensing_app"),),
)
