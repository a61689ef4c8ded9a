"""Helpers of the portal's tests: a citizen's report and the staff's steps that bring its order
to the callback (through the order use cases, as the console would)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.e2e.harness import PNG
from tests.support import District
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor
from zhiyun.domain.workorder import Dispatch, Reply, Review, Sign
from zhiyun.portal.service import Photo, PortalService, Report

CITIZEN = Actor.citizen(None, "市民")
PHONE = "13812345678"
CLIENT = "203.0.113.7"

# the smallest JPEG header the attachments' sniffing takes for a JPEG (the file is not decoded)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"

REPORT = Report(
    content="夏北路 3 号路灯连续一周不亮，晚上行人很不安全",
    citizen_phone=PHONE,
    citizen_name="陈先生",
    address="桂城街道夏北路3号",
    latitude=23.01,
    longitude=113.11,
    photos=(Photo("现场.png", PNG), Photo("路灯.jpg", JPEG)),
)


def portal(services: Services) -> PortalService:
    return services.get(PortalService)


def report(services: Services, **changes: Any) -> str:
    """A citizen's report through the portal; the order's number."""
    client = changes.pop("client", CLIENT)
    return portal(services).report(CITIZEN, replace(REPORT, **changes), client=client).number


def bring_to_callback(services: Services, district: District, number: str) -> None:
    """The district center dispatches the order to 夏北社区, its handler signs and replies, the
    center approves the reply: the order waits for its callback."""
    center, handler = district.actors["district"], district.actors["xiabei"]
    services.orders.act(center, number, Dispatch(target_unit_id=district.units["GC-XB"], note="请处理"))
    services.orders.act(handler, number, Sign())
    services.orders.act(handler, number, Reply(note="已更换灯泡，路灯恢复照明。联系人 13900001111"))
    services.orders.act(center, number, Review(approve=True))
