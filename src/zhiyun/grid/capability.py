"""What the grid capability registers: grid workers, managed objects, grid items and patrols.

The grids themselves (polygons and 15-digit codes) are geography and live in `geo`, which
locates every order, object and patrol in its grid; this capability is what people do in
them. Its command group `zhiyun grid` (import and export grids through geo's service, list
grid workers) is a Typer app that later parts add commands to; the managed objects
(网格管理对象) have their own group `zhiyun grid-objects`, REST routes under
/api/v1/grid/objects and the console's 网格对象 page.
"""

from __future__ import annotations

from datetime import timedelta

from zhiyun.domain import access
from zhiyun.domain.managed_objects import may_browse_managed_objects
from zhiyun.domain.patrol_ledger import may_read_patrol_ledger
from zhiyun.kernel.capability import AdminSection, Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="grid",
    summary="Grid governance (一格共治): grid workers, managed objects (网格管理对象), grid items (入格事项), merged patrols and ledgers.",
    tables=(
        "zhiyun.grid.tables",
        "zhiyun.grid.items_tables",
        "zhiyun.grid.objects_tables",
        "zhiyun.grid.patrol_tables",
        "zhiyun.grid.hazard_tables",
    ),
    services=(
        "zhiyun.grid.workers:build",
        "zhiyun.grid.items_service:build",
        "zhiyun.grid.objects_service:build",
        "zhiyun.grid.hazards:build",
        "zhiyun.grid.patrol_service:build",  # after the hazards: a visit's hazards become orders
        "zhiyun.grid.ledger:build",
        "zhiyun.grid.patrol_figures:build",  # after the patrols and the hazards
    ),
    api=(
        Mount("zhiyun.grid.objects_api:router"),
        Mount("zhiyun.grid.patrol_api:router"),
        Mount("zhiyun.grid.ledger_api:router"),
    ),
    pages=(
        Mount("zhiyun.grid.items_pages:router"),
        Mount("zhiyun.grid.objects_pages:router"),
        Mount("zhiyun.grid.hazard_pages:router"),
        Mount("zhiyun.grid.patrol_pages:router"),
        Mount("zhiyun.grid.ledger_pages:router"),
    ),
    nav=(
        NavItem("/grid/objects", "网格对象", may_browse_managed_objects, 40),
        NavItem("/grid/patrol", "巡查", access.may_patrol, 41),
        NavItem("/grid/ledger", "电子台账", may_read_patrol_ledger, 42),
        NavItem("/grid/patrol-figures", "巡查统计", may_read_patrol_ledger, 43),
    ),
    # grid items and objects have their own top-level groups for now, beside `zhiyun grid`
    commands=(
        Command("grid", "zhiyun.grid.cli:grid_app"),
        Command("grid-items", "zhiyun.grid.items_cli:items_app"),
        Command("grid-objects", "zhiyun.grid.objects_cli:objects_app"),
    ),
    admin=(
        AdminSection(
            "grid-items",
            "入格事项",
            access.may_administer_grid_items,
            "zhiyun.grid.items_pages:GRID_ITEMS",
            90,
        ),
    ),
    jobs=(
        Job(
            "patrol-plan",
            "plan the month's merged patrols when it has no plan yet",
            "zhiyun.grid.patrol_jobs:plan_when_due",
            timedelta(hours=1),
            at_once=True,
        ),
        Job(
            "patrol-figures",
            "count the district's patrol figures for the dashboard",
            "zhiyun.grid.patrol_jobs:count_district_figures",
            timedelta(minutes=10),
            at_once=True,
        ),
    ),
    panels=("zhiyun.grid.hazard_panel:hazards_panel",),
    dashboard=("zhiyun.grid.patrol_panel:build",),
    templates=True,
)
