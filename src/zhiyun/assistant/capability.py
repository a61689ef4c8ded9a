"""What 小南 registers: its tables, its service, its public and staff API, the staff pages and
its command."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import Capability, Command, Mount, NavItem

CAPABILITY = Capability(
    name="assistant",
    summary="小南, the assistant: answers from the published knowledge base with its source, asks one clarifying question on a tie, hands over to a work order (web channel, transcript attached) when it cannot answer, on request, on a complaint, and at once on danger.",
    tables=("zhiyun.assistant.tables",),
    services=("zhiyun.assistant.service:build",),
    api=(Mount("zhiyun.assistant.api:router"),),
    pages=(Mount("zhiyun.assistant.pages:router"),),
    nav=(NavItem("/assistant", "小南对话", access.may_read_assistant, 36),),
    commands=(Command("assistant", "zhiyun.assistant.cli:assistant_app"),),
    templates=True,
)
