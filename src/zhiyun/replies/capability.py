"""What the quick-replies capability registers: its table, its API, its pages and its admin section."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Mount, NavItem

CAPABILITY = Capability(
    name="replies",
    summary="Quick replies (常用语): per-unit and personal snippets with placeholders, typed into every note and reply field with “/”.",
    tables=("zhiyun.replies.tables",),
    api=(Mount("zhiyun.replies.api:router"),),
    pages=(Mount("zhiyun.replies.pages:router"),),
    nav=(NavItem("/replies", "常用语", None, 900),),
    admin=(
        AdminSection(
            "quick-replies",
            "常用语",
            access.may_administer_quick_replies,
            "zhiyun.replies.pages:QUICK_REPLIES",
            80,
        ),
    ),
    services=("zhiyun.replies.service:build",),
    templates=True,
)
