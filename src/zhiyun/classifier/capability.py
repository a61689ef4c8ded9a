"""What the classifier capability registers: the category model and the dispatch policy."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command

CAPABILITY = Capability(
    name="classifier",
    summary="The category model: training, evaluation, versions and the active model that routing asks; the target accuracy of automatic dispatch and the threshold it gives.",
    tables=("zhiyun.classifier.tables",),
    admin=(
        AdminSection(
            "dispatch-policy",
            "智能分拨",
            access.may_manage_models,
            "zhiyun.classifier.pages:DISPATCH_POLICY",
            75,
        ),
    ),
    commands=(Command("model", "zhiyun.classifier.cli:model_app"),),
    templates=True,
)
