"""Duplicates' panel on the order page: the possible duplicates still open for a decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.dedupe.service import DuplicateService
from zhiyun.domain.access import Actor
from zhiyun.orders.views import OrderDetail

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


class DuplicateCandidatesPanel:
    """The possible duplicates still open for a decision, those the reader may read."""

    name = "candidates"

    def __init__(self, duplicates: DuplicateService) -> None:
        self.duplicates = duplicates

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> list[dict[str, Any]]:
        return [
            c
            for c in self.duplicates.candidates_in(session, actor, order.summary.id)
            if c["decision"] == "open"
        ]


def duplicate_candidates(services: Services) -> DuplicateCandidatesPanel:
    """The duplicate-candidates panel of the order page."""
    return DuplicateCandidatesPanel(services.duplicates)
