"""What the intake capability registers: live channels."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import AdminSection, Capability, Command, Mount

CAPABILITY = Capability(
    name="intake",
    summary="Live intake from every channel (12345, web messages, 110 transfers, sensors): keys, payload mapping, receipts.",
    # first: every channel message is matched against the routes before it
    api=(Mount("zhiyun.intake.api:router", order=0),),
    admin=(
        AdminSection(
            "channels", "渠道与密钥", access.may_administer_channels, "zhiyun.intake.pages:CHANNELS", 30
        ),
    ),
    commands=(Command("channel", "zhiyun.intake.cli:channel_app"),),
    panels=("zhiyun.intake.panel:channel_names",),
    templates=True,
)
