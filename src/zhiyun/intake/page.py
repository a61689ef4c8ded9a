"""Intake's panels on the order page: the open possible duplicates, and the channels' names."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor
from zhiyun.intake.channel_service import ChannelService
from zhiyun.intake.service import IntakeService
from zhiyun.orders.views import OrderDetail


class DuplicateCandidatesPanel:
    """The possible duplicates still open for a decision, those the reader may read."""

    name = "candidates"

    def __init__(self, intake: IntakeService) -> None:
        self.intake = intake

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> list[dict[str, Any]]:
        return [
            c for c in self.intake.candidates_in(session, actor, order.summary.id) if c["decision"] == "open"
        ]


class ChannelNamesPanel:
    """Channel code → name, for the order's channel and its trail."""

    name = "channel_names"

    def __init__(self, channels: ChannelService) -> None:
        self.channels = channels

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> dict[str, str]:
        return self.channels.names_in(session)
