"""What the open311 capability registers: the GeoReport v2 endpoint."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Mount

CAPABILITY = Capability(
    name="open311",
    summary="The Open311 GeoReport v2 endpoint at /open311/v2, with the specification's own errors.",
    public=(Mount("zhiyun.open311.api:router"),),
)
