"""What the sensing capability registers: the scene catalogue (场景目录) — its tables, its
service and the `zhiyun sensing` commands — and the feedback and figures (感知统计): the
感知事件 and 感知统计 pages, GET /api/v1/sensing/figures, `zhiyun sensing report` and the
leader dashboard's panel. Devices, alarms and verification come in their parts (issue 18)."""

from __future__ import annotations

from zhiyun.domain.sensing_figures import may_read_sensing
from zhiyun.kernel.capability import Capability, Command, Mount, NavItem

CAPABILITY = Capability(
    name="sensing",
    summary="Sensing (感知): the scene catalogue of cameras, IoT sensors, drones and satellites; alarms to verified orders next.",
    tables=("zhiyun.sensing.tables", "zhiyun.sensing.device_tables", "zhiyun.sensing.alarm_tables"),
    services=(
        "zhiyun.sensing.scenes:build",
        "zhiyun.sensing.figures:build",
    ),
    api=(Mount("zhiyun.sensing.figures_api:router"),),
    pages=(Mount("zhiyun.sensing.pages:router"),),
    nav=(
        NavItem("/sensing/events", "感知事件", may_read_sensing, 50),
        NavItem("/sensing/figures", "感知统计", may_read_sensing, 51),
    ),
    commands=(Command("sensing", "zhiyun.sensing.cli:sensing_app"),),
    dashboard=("zhiyun.sensing.panel:build",),
    templates=True,
)
