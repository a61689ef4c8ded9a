<<<<<<< HEAD
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
=======
"""What the sensing capability registers: the scene catalogue (场景目录) and the device registry
(设备台账) — their tables, services, the `zhiyun sensing` commands, the devices' REST routes and
admin section, and the heartbeat sweep. Alarms, events and verification come next (issue 18)."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Job, Mount

CAPABILITY = Capability(
    name="sensing",
    summary="Sensing (感知): the scene catalogue and the device registry of cameras, IoT sensors, drones and satellites; alarms to verified orders next.",
    tables=("zhiyun.sensing.tables", "zhiyun.sensing.device_tables", "zhiyun.sensing.alarm_tables"),
    services=("zhiyun.sensing.scenes:build", "zhiyun.sensing.devices:build"),
    api=(Mount("zhiyun.sensing.device_api:router"),),
    pages=(Mount("zhiyun.sensing.device_pages:router"),),
    admin=(
        AdminSection(
            "sensing-devices",
            "感知设备",
            access.may_administer_devices,
            "zhiyun.sensing.device_pages:SENSING_DEVICES",
            95,
        ),
    ),
>>>>>>> devices
    commands=(Command("sensing", "zhiyun.sensing.cli:sensing_app"),),
    jobs=(
        Job(
            "device-heartbeats",
            "raise one device-fault order for each device silent past its heartbeat interval",
            "zhiyun.sensing.device_faults:sweep_heartbeats",
            timedelta(minutes=1),
        ),
    ),
    templates=True,
)
