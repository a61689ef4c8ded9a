"""What the org capability registers: the unit tree."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="org",
    summary="The unit tree: district center, town/street centers, village/community centers and departments.",
    api=(Mount("zhiyun.org.api:router"),),
    admin=(AdminSection("units", "组织机构", access.may_administer_org, "zhiyun.org.pages:UNITS", 20),),
    commands=(Command("org", "zhiyun.org.cli:org_app"),),
    templates=True,
)
