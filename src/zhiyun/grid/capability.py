"""What the grid capability registers: grid workers, managed objects, grid items and patrols.

The grids themselves (polygons and 15-digit codes) are geography and live in `geo`, which
locates every order, object and patrol in its grid; this capability is what people do in
them. Its command group `zhiyun grid` (import and export grids through geo's service, list
grid workers) is a Typer app that later parts add commands to.
"""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="grid",
    summary="Grid governance (一格共治): grid workers, managed objects (网格管理对象), grid items (入格事项), merged patrols and ledgers.",
    tables=("zhiyun.grid.tables", "zhiyun.grid.items_tables"),
    services=("zhiyun.grid.workers:build", "zhiyun.grid.items_service:build"),
    # grid items have their own top-level group for now, beside `zhiyun grid` (may later mount as `grid items`)
    commands=(
        Command("grid", "zhiyun.grid.cli:grid_app"),
        Command("grid-items", "zhiyun.grid.items_cli:items_app"),
    ),
    pages=(Mount("zhiyun.grid.items_pages:router"),),
    admin=(
        AdminSection(
            "grid-items",
            "入格事项",
            access.may_administer_grid_items,
            "zhiyun.grid.items_pages:GRID_ITEMS",
            90,
        ),
    ),
    templates=True,
)
