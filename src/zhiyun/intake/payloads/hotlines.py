"""The hotlines' payloads: a call record (12345, 城管热线) and a message to 区长直通车."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from zhiyun.domain.workorder import Urgency
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.payloads.fields import (
    TYPE_WORDS,
    Ident,
    Latitude,
    Longitude,
    OptText,
    Payload,
    RequestType,
    ShortText,
    Text,
    title_from,
)
from zhiyun.kernel.geo import CoordSystem


class HotlineCall(Payload):
    """A call record from a hotline call center (12345 市长直通车, 城管热线)."""

    call_id: Ident
    caller_number: str = Field(max_length=32)
    caller_name: str | None = Field(default=None, max_length=50)
    call_time: datetime
    agent_id: str = Field(max_length=32)
    recording_id: str | None = Field(default=None, max_length=128)
    request_type: RequestType | None = None  # None: the channel's default type
    urgent: bool = False
    title: ShortText | None = None
    content: Text
    address: OptText = None
    lat: Latitude = None
    lon: Longitude = None
    coord_system: CoordSystem = CoordSystem.WGS84


def adapt_hotline(p: HotlineCall) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.call_id,
        title=p.title or title_from(p.content),
        content=p.content,
        order_type=TYPE_WORDS[p.request_type] if p.request_type else None,
        urgency=Urgency.URGENT if p.urgent else None,
        citizen_name=p.caller_name,
        citizen_phone=p.caller_number,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.call_time,
        attributes={"agent_id": p.agent_id, "recording_id": p.recording_id},
    )


class DistrictMessage(Payload):
    """A message to 区长直通车: by phone, web form or WeChat, with the citizen's own subject."""

    message_id: Ident
    via: Literal["phone", "web", "wechat"] = "web"
    submitted_at: datetime
    citizen_name: str | None = Field(default=None, max_length=50)
    citizen_phone: str | None = Field(default=None, max_length=32)
    subject: ShortText
    body: Text
    request_type: RequestType = "投诉"
    town: str | None = Field(default=None, max_length=50)
    address: OptText = None
    confidential: bool = False


def adapt_district_message(p: DistrictMessage) -> IntakeDraft:
    address = " ".join(x for x in (p.town, p.address) if x) or None
    return IntakeDraft(
        external_id=p.message_id,
        title=p.subject,
        content=p.body,
        order_type=TYPE_WORDS[p.request_type],
        citizen_name=p.citizen_name,
        citizen_phone=p.citizen_phone,
        address=address,
        reported_at=p.submitted_at,
        confidential=p.confidential,
        attributes={"via": p.via},
    )
