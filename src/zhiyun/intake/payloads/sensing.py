"""Sensing payloads: changes found in satellite, drone or ground imagery, and IoT alarms."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.payloads.fields import Ident, OptText, Payload, ShortText
from zhiyun.kernel.geo import CoordSystem


class RemoteSensingDetection(Payload):
    """A change detected by satellite, drone or ground imagery (空天地一体化)."""

    detection_id: Ident
    source: Literal["satellite", "drone", "ground"]
    captured_at: datetime
    change_type: ShortText
    area_m2: float | None = Field(default=None, ge=0)
    confidence: float = Field(ge=0, le=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    coord_system: CoordSystem = CoordSystem.WGS84
    image_url: str | None = Field(default=None, max_length=1000)
    note: OptText = None


def adapt_remote_sensing(p: RemoteSensingDetection) -> IntakeDraft:
    source = {"satellite": "卫星", "drone": "无人机", "ground": "地面"}[p.source]
    area = f"，面积约{p.area_m2:.0f}平方米" if p.area_m2 else ""
    content = f"{source}影像识别到{p.change_type}{area}，置信度{p.confidence:.0%}。{p.note or ''}".strip()
    return IntakeDraft(
        external_id=p.detection_id,
        title=f"{source}巡查发现{p.change_type}",
        content=content,
        order_type=OrderType.REPORT,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.captured_at,
        attributes={"source": p.source, "confidence": p.confidence, "image_url": p.image_url},
    )


class IotAlarm(Payload):
    """An alarm from an IoT sensor or a camera's scene algorithm (物联感知)."""

    alarm_id: Ident
    device_id: str = Field(max_length=64)
    device_type: str = Field(max_length=50)
    scene: ShortText
    alarm_time: datetime
    level: int = Field(ge=1, le=3, description="1 最高")
    value: float | None = None
    threshold: float | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    coord_system: CoordSystem = CoordSystem.WGS84
    address: OptText = None
    snapshot_url: str | None = Field(default=None, max_length=1000)


def adapt_iot(p: IotAlarm) -> IntakeDraft:
    reading = ""
    if p.value is not None:
        reading = f"，读数{p.value:g}" + (f"（阈值{p.threshold:g}）" if p.threshold is not None else "")
    return IntakeDraft(
        external_id=p.alarm_id,
        title=f"{p.device_type}告警：{p.scene}",
        content=f"设备{p.device_id}于现场识别到{p.scene}{reading}，告警等级{p.level}。",
        order_type=OrderType.REPORT,
        urgency=Urgency.URGENT if p.level == 1 else None,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.alarm_time,
        attributes={"device_id": p.device_id, "level": p.level, "snapshot_url": p.snapshot_url},
    )
