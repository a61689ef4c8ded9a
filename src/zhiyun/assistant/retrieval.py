"""小南's view of the knowledge base: `KnowledgeSearch.ask` as the assistant's `Retrieval` (the
published items valid today, scored in [0, 1], and the threshold chosen on the evaluation set)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zhiyun.domain.assistant import Hit
from zhiyun.knowledge.search import KnowledgeSearch

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


class KnowledgeRetrieval:
    """The knowledge base's search, hits as the assistant's rules take them."""

    def __init__(self, knowledge: KnowledgeSearch) -> None:
        self.knowledge = knowledge

    @property
    def threshold(self) -> float:
        return self.knowledge.threshold

    def search(self, question: str, top: int) -> Sequence[Hit]:
        answer = self.knowledge.ask(question, top)
        return [Hit(h.item_id, h.title, h.answer, h.score, h.source, h.department) for h in answer.hits]


def knowledge_retrieval(services: Services) -> KnowledgeRetrieval:
    return KnowledgeRetrieval(services.get(KnowledgeSearch))


__all__ = ["KnowledgeRetrieval", "knowledge_retrieval"]
