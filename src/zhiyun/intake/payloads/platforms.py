"""Payloads that other platforms pass on: grid patrols, 110 transfers, 我为群众办实事,
online public opinion and environmental complaints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.payloads.fields import (
    Ident,
    Latitude,
    Longitude,
    OptText,
    Payload,
    ShortText,
    Text,
    title_from,
)
from zhiyun.kernel.geo import CoordSystem


class GridReport(Payload):
    """A problem a grid worker found on patrol (网格化平台), with photos and position."""

    report_id: Ident
    grid_code: str = Field(max_length=32)
    worker_id: str = Field(max_length=32)
    worker_name: str | None = Field(default=None, max_length=50)
    found_at: datetime
    event_type: ShortText
    description: Text
    photos: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=20)
    address: OptText = None
    lat: Latitude = None
    lon: Longitude = None
    coord_system: CoordSystem = CoordSystem.GCJ02


def adapt_grid(p: GridReport) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.report_id,
        title=f"{p.event_type}：{title_from(p.description, limit=30)}",
        content=p.description,
        order_type=OrderType.REPORT,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.found_at,
        attributes={
            "grid_code": p.grid_code,
            "worker_id": p.worker_id,
            "worker_name": p.worker_name,
            "photos": p.photos,
        },
    )


class PoliceTransfer(Payload):
    """A non-police matter that the 110 command center transfers (非警务警情分流)."""

    incident_no: Ident
    transferred_at: datetime
    police_station: str = Field(max_length=100)
    caller_number: str | None = Field(default=None, max_length=32)
    caller_name: str | None = Field(default=None, max_length=50)
    incident_address: OptText = None
    summary: Text
    category: str = Field(default="其他非警务", max_length=50)
    urgent: bool = False
    lat: Latitude = None
    lon: Longitude = None


def adapt_police(p: PoliceTransfer) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.incident_no,
        title=title_from(p.summary, prefix="110转办："),
        content=p.summary,
        order_type=OrderType.HELP,
        urgency=Urgency.URGENT if p.urgent else None,
        citizen_name=p.caller_name,
        citizen_phone=p.caller_number,
        address=p.incident_address,
        latitude=p.lat,
        longitude=p.lon,
        reported_at=p.transferred_at,
        attributes={"incident_no": p.incident_no, "police_station": p.police_station, "category": p.category},
    )


class PeopleFirstItem(Payload):
    """A request from 我为群众办实事 (the 'practical things for the people' platform)."""

    item_id: Ident
    submitted_at: datetime
    submitter: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=32)
    title: ShortText
    content: Text
    area: str | None = Field(default=None, max_length=100)


def adapt_people_first(p: PeopleFirstItem) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.item_id,
        title=p.title,
        content=p.content,
        order_type=OrderType.SUGGESTION,
        citizen_name=p.submitter,
        citizen_phone=p.phone,
        address=p.area,
        reported_at=p.submitted_at,
    )


class OpinionItem(Payload):
    """A post found by online public-opinion monitoring (网络舆情)."""

    item_id: Ident
    source_site: str = Field(max_length=100)
    url: str = Field(max_length=1000, pattern=r"^https?://")
    author: str | None = Field(default=None, max_length=100)
    published_at: datetime
    title: ShortText
    text: Text
    repost_count: int = Field(default=0, ge=0)
    comment_count: int = Field(default=0, ge=0)
    sentiment: Literal["negative", "neutral", "positive"] = "negative"
    place: OptText = None


def adapt_opinion(p: OpinionItem) -> IntakeDraft:
    urgent = p.repost_count >= 1000
    return IntakeDraft(
        external_id=p.item_id,
        title=f"舆情：{p.title}",
        content=p.text,
        order_type=OrderType.COMPLAINT,
        urgency=Urgency.URGENT if urgent else None,
        address=p.place,
        reported_at=p.published_at,
        attributes={
            "source_site": p.source_site,
            "url": p.url,
            "author": p.author,
            "repost_count": p.repost_count,
            "comment_count": p.comment_count,
            "sentiment": p.sentiment,
        },
    )


class EnvironmentComplaint(Payload):
    """An environmental complaint (环保 12369 and the ecology bureau's platform)."""

    complaint_id: Ident
    reported_at: datetime
    pollution_type: Literal["大气", "水", "噪声", "固废", "土壤", "辐射", "其他"]
    company_name: str | None = Field(default=None, max_length=200)
    description: Text
    reporter_phone: str | None = Field(default=None, max_length=32)
    address: OptText = None
    lat: Latitude = None
    lon: Longitude = None
    coord_system: CoordSystem = CoordSystem.WGS84


def adapt_environment(p: EnvironmentComplaint) -> IntakeDraft:
    subject = f"{p.company_name}" if p.company_name else title_from(p.description, limit=24)
    return IntakeDraft(
        external_id=p.complaint_id,
        title=f"{p.pollution_type}污染：{subject}",
        content=p.description,
        order_type=OrderType.COMPLAINT,
        citizen_phone=p.reporter_phone,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.reported_at,
        attributes={"pollution_type": p.pollution_type, "company_name": p.company_name},
    )
