"""What the sensing capability registers (issue 18, docs/sensing.md): the scene catalogue
(场景目录), the device registry (设备台账) and its heartbeat sweep, the alarm pipeline (the MQTT
consumer `zhiyun sensing consume` and the webhook), raising events and their verification (核实)
on the grid worker's phone with its escalation, and the feedback and figures (感知事件, 感知统计,
the leader dashboard's panel, `zhiyun sensing report`)."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.domain.sensing_figures import may_read_sensing
from zhiyun.kernel.capability import AdminSection, Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="sensing",
    summary="Sensing (感知): cameras, IoT sensors, drones and satellites raise alarms that fold into events, are verified and become work orders.",
    tables=("zhiyun.sensing.tables", "zhiyun.sensing.device_tables", "zhiyun.sensing.alarm_tables"),
    services=(
        "zhiyun.sensing.scenes:build",
        "zhiyun.sensing.devices:build",
        "zhiyun.sensing.raising:build",  # verification (核实): raising events, the tasks, their answers
        "zhiyun.sensing.verification:build",
        "zhiyun.sensing.pipeline:build",  # after the raiser it calls
        "zhiyun.sensing.figures:build",
    ),
    api=(
        Mount("zhiyun.sensing.alarm_api:router"),
        Mount("zhiyun.sensing.device_api:router"),
        Mount("zhiyun.sensing.verification_api:router"),
        Mount("zhiyun.sensing.figures_api:router"),
    ),
    pages=(
        Mount("zhiyun.sensing.device_pages:router"),
        Mount("zhiyun.sensing.scene_pages:router"),
        Mount("zhiyun.sensing.pages:router"),
    ),
    nav=(
        NavItem("/sensing/events", "感知事件", may_read_sensing, 50),
        NavItem("/sensing/figures", "感知统计", may_read_sensing, 51),
    ),
    admin=(
        AdminSection(
            "sensing-devices",
            "感知设备",
            access.may_administer_devices,
            "zhiyun.sensing.device_pages:SENSING_DEVICES",
            95,
        ),
        AdminSection(
            "sensing-scenes",
            "感知场景",
            access.may_administer_scenes,
            "zhiyun.sensing.scene_pages:SENSING_SCENES",
            94,
        ),
    ),
    commands=(Command("sensing", "zhiyun.sensing.cli:sensing_app"),),
    jobs=(
        Job(
            "device-heartbeats",
            "raise one device-fault order for each device silent past its heartbeat interval",
            "zhiyun.sensing.device_faults:sweep_heartbeats",
            timedelta(minutes=1),
        ),
        Job(
            "sensing-raise-due",
            "raise the sensing events left due for a minute (their alarms stored, the event not yet raised)",
            "zhiyun.sensing.pipeline:raise_late_events",
            timedelta(minutes=1),
        ),
        Job(
            "verification-escalate",
            "escalate the verification tasks past their due time to the village's center",
            "zhiyun.sensing.verification_jobs:escalate_late_tasks",
            timedelta(minutes=1),
        ),
    ),
    dashboard=("zhiyun.sensing.panel:build",),
    templates=True,
)
