"""What the sensing capability registers: the scene catalogue (场景目录) — its tables, its
service and the `zhiyun sensing` commands. Devices, alarms, events and verification come next
(issue 18)."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.kernel.capability import Capability, Command, Job, Mount

CAPABILITY = Capability(
    name="sensing",
    summary="Sensing (感知): the scene catalogue of cameras, IoT sensors, drones and satellites; alarms to verified orders next.",
    tables=("zhiyun.sensing.tables", "zhiyun.sensing.device_tables", "zhiyun.sensing.alarm_tables"),
    services=(
        "zhiyun.sensing.scenes:build",
        "zhiyun.sensing.raising:build",  # verification (核实): raising events, the tasks, their answers
        "zhiyun.sensing.verification:build",
    ),
    api=(Mount("zhiyun.sensing.verification_api:router"),),
    commands=(Command("sensing", "zhiyun.sensing.cli:sensing_app"),),
    jobs=(
        Job(
            "verification-escalate",
            "escalate the verification tasks past their due time to the village's center",
            "zhiyun.sensing.verification_jobs:escalate_late_tasks",
            timedelta(minutes=1),
        ),
    ),
)
