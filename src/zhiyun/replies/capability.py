"""What the quick-replies capability registers: its table, its API, its pages and its admin section."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Mount

CAPABILITY = Capability(
    name="replies",
    summary="Quick replies (常用语): per-unit and personal snippets with placeholders, typed into every note and reply field with “/”.",
    tables=("zhiyun.replies.tables",),
    api=(Mount("zhiyun.replies.api:router"),),
    services=("zhiyun.replies.service:build",),
)
