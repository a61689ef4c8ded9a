"""一键秒回 on the order page: a consultation (咨询) the reader may still close at intake shows the
knowledge base's three best items for its words, with their scores; one click answers it with
an item (`KnowledgeService.answer_order`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_read_knowledge
from zhiyun.domain.workorder import Action, OrderType
from zhiyun.knowledge.search import QUESTION_MAX, Hit, KnowledgeSearch
from zhiyun.orders.views import OrderDetail

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


@dataclass(frozen=True)
class OrderAnswers:
    """The items offered for one consultation order."""

    number: str
    hits: tuple[Hit, ...]


class KnowledgeAnswerPanel:
    """The knowledge base's answers to a consultation order, for a reader who may close it at intake."""

    name = "knowledge_answers"

    def __init__(self, search: KnowledgeSearch) -> None:
        self.search = search

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> OrderAnswers | None:
        summary = order.summary
        if summary.order_type != OrderType.CONSULT.value or not may_read_knowledge(actor):
            return None
        if Action.RESOLVE_ON_INTAKE.value not in order.allowed_actions:
            return None
        question = f"{summary.title} {order.content}".strip()[:QUESTION_MAX]
        hits = self.search.ask(question, 3).hits
        return OrderAnswers(summary.number, hits) if hits else None


def build(services: Services) -> KnowledgeAnswerPanel:
    """The panel (`Capability.panels`)."""
    return KnowledgeAnswerPanel(services.get(KnowledgeSearch))
