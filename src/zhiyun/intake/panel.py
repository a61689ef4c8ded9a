"""Intake's panel on the order page: the channels' names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor
from zhiyun.intake.channel_service import ChannelService
from zhiyun.orders.views import OrderDetail

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


class ChannelNamesPanel:
    """Channel code → name, for the order's channel and its trail."""

    name = "channel_names"

    def __init__(self, channels: ChannelService) -> None:
        self.channels = channels

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> dict[str, str]:
        return self.channels.names_in(session)


def channel_names(services: Services) -> ChannelNamesPanel:
    """The channel-names panel of the order page."""
    return ChannelNamesPanel(services.channels)
