"""What the geo capability registers: the gazetteer, boundaries, grids and locating."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="geo",
    summary="The gazetteer (地名库), unit boundaries and grids (单元网格): an address or a point located to town, village and grid.",
    tables=("zhiyun.geo.tables",),
    commands=(Command("geo", "zhiyun.geo.cli:geo_app"),),
)
