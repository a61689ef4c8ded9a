"""Which channel an order may say it came from, and whose external ids are whose.

Every order names its channel (12345, the grid platform, an IoT platform, manual
registration …) and may carry that channel's own id for it; (channel, external id) is
unique and makes intake idempotent. A channel's ids belong to its interface: only the
channel itself (posting with its key) may register an order under one of them. A person
registering by hand may say the matter came through a channel (an agent taking a 12345
call) but may give an external id only in the manual channel's own space; otherwise a
hand-made order could take an id that the channel later sends, and the channel's message
would be answered with someone else's order.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhiyun.domain.errors import ValidationFailed

MANUAL = "manual"
# 未诉先办: a proactive order made from a warning (预警) by the town's center, before more people
# call; its external id is the warning's ("W{id}"), so one warning makes one order.
PROACTIVE = "proactive"
# 网上诉求: what citizens send on the platform's own website (the citizens' portal, zhiyun.portal);
# the portal gives each report its own external id, so the channel's ids are its own.
WEB = "web"
IOT = "iot"  # devices: sensing's event orders and device faults (the device, not a person, reports)


@dataclass(frozen=True)
class ChannelBook:
    """The channels of the site: every known code, and those that push orders through an interface."""

    known: frozenset[str]
    pushed: frozenset[str]

    def check_hand_registration(self, channel: str, external_id: str | None) -> None:
        """Refuse a hand registration that names an unknown channel or claims a pushing channel's id."""
        if channel not in self.known:
            raise ValidationFailed(
                f"未知的渠道 {channel!r}，可选：{'、'.join(sorted(self.known))}", field="channel"
            )
        if external_id and channel in self.pushed:
            raise ValidationFailed(
                f"渠道 {channel} 的外部编号由该渠道的接口推送，人工登记不能使用；"
                f"请不填外部编号，或使用 {MANUAL} 渠道的编号",
                field="external_id",
            )
