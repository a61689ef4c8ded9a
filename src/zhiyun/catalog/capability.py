"""What the catalog capability registers: the taxonomy and the responsibility list."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="catalog",
    summary="The taxonomy of matters (事项分类) and the responsibility list (权责清单), versioned, with their change history.",
    tables=("zhiyun.catalog.tables",),
    api=(Mount("zhiyun.catalog.api.taxonomy:router"), Mount("zhiyun.catalog.api.responsibility:router")),
    admin=(
        AdminSection(
            "taxonomy", "事项分类", access.may_administer_catalog, "zhiyun.catalog.pages:TAXONOMY", 60
        ),
        AdminSection(
            "responsibility",
            "权责清单",
            access.may_administer_catalog,
            "zhiyun.catalog.pages:RESPONSIBILITY",
            70,
        ),
    ),
    commands=(
        Command("taxonomy", "zhiyun.catalog.cli:taxonomy_app"),
        Command("rules", "zhiyun.catalog.cli:rules_app"),
    ),
    panels=("zhiyun.catalog.panel:category_names",),
    templates=True,
)
