"""What the grid capability registers: grid workers, managed objects, grid items and patrols.

The grids themselves (polygons and 15-digit codes) are geography and live in `geo`, which
locates every order, object and patrol in its grid; this capability is what people do in
them.
"""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="grid",
    summary="Grid governance (一格共治): grid workers, managed objects (网格管理对象), grid items (入格事项), merged patrols and ledgers.",
    tables=("zhiyun.grid.items_tables",),
    services=("zhiyun.grid.items_service:build",),
    # its own top-level group for now, beside the grids' `zhiyun grid` (may later mount as `grid items`)
    commands=(Command("grid-items", "zhiyun.grid.items_cli:items_app"),),
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
