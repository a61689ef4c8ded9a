"""What the routing capability registers: dispatch suggestions and automatic dispatch."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Mount

CAPABILITY = Capability(
    name="routing",
    summary="Automatic dispatch (智能分拨): the decision ladder from the classifier and the responsibility list, suggestions, feedback.",
    api=(Mount("zhiyun.routing.api:router"),),
    panels=("zhiyun.routing.panel:suggestions",),
)
