"""What the classifier capability registers: the category model."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="classifier",
    summary="The category model: training, evaluation, versions and the active model that routing asks.",
    tables=("zhiyun.classifier.tables",),
    commands=(Command("model", "zhiyun.classifier.cli:model_app"),),
)
