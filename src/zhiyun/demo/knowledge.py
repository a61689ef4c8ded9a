"""The demo's knowledge base (知识库): the shipped Guangdong service guide (MIT), imported and
published once, so that 小南 and 一键秒回 answer from it at once (docs/knowledge.md)."""

from __future__ import annotations

from zhiyun.bootstrap import Services
from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.knowledge.guide import guide_records, shipped_guide
from zhiyun.knowledge.service import ImportRecord, KnowledgeService


def ensure_knowledge(services: Services) -> int:
    """Import and publish the shipped guide where no item of it is stored yet; how many were made."""
    knowledge = services.get(KnowledgeService)
    if knowledge.items(DEMO_ADMIN, limit=1).total:
        return 0
    records = [ImportRecord(r.data, r.code) for r in guide_records(shipped_guide())]
    return knowledge.import_items(DEMO_ADMIN, records, origin="guide", publish=True).created
