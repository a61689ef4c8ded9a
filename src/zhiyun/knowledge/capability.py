"""What the knowledge-base capability registers (issue 20, docs/knowledge.md): its tables, the
items' use cases and the retrieval 小南 and 一键秒回 ask, the REST API, the console's 知识库 pages,
and `zhiyun knowledge …` (`zhiyun assistant evaluate` is mounted by the assistant)."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import Capability, Command, Mount, NavItem

CAPABILITY = Capability(
    name="knowledge",
    summary="The knowledge base (知识库, GB/T 44191): knowledge items reviewed, published and withdrawn with their history, imported from the service guide, FAQ sheets and answered consultations, and retrieved (BM25 over words, synonyms, fields weighted) with a score and an answer threshold.",
    tables=("zhiyun.knowledge.tables",),
    services=("zhiyun.knowledge.service:build", "zhiyun.knowledge.search:build"),
    api=(Mount("zhiyun.knowledge.api:router"),),
    pages=(Mount("zhiyun.knowledge.pages:router"),),
    nav=(NavItem("/knowledge", "知识库", access.may_read_knowledge, 910),),
    commands=(Command("knowledge", "zhiyun.knowledge.cli:knowledge_app"),),
    panels=("zhiyun.knowledge.answer_panel:build",),
    templates=True,
)
