"""What the grid capability registers: grid workers, managed objects, grid items and patrols.

The grids themselves (polygons and 15-digit codes) are geography and live in `geo`, which
locates every order, object and patrol in its grid; this capability is what people do in
them. Its command group `zhiyun grid` (import and export grids through geo's service, list
grid workers) is a Typer app that later parts add commands to.
"""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="grid",
    summary="Grid governance (一格共治): grid workers, managed objects (网格管理对象), grid items (入格事项), merged patrols and ledgers.",
    tables=("zhiyun.grid.tables", "zhiyun.grid.objects_tables"),
    commands=(Command("grid", "zhiyun.grid.cli:grid_app"),),
    services=("zhiyun.grid.workers:build", "zhiyun.grid.objects_service:build"),
)
