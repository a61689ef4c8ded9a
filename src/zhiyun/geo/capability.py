"""What the geo capability registers: the gazetteer and locating."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="geo",
    summary="The gazetteer (地名库) and boundaries: an address or a point located to town and village.",
    commands=(Command("geo", "zhiyun.geo.cli:geo_app"),),
)
