"""The alarm message (告警报文): one JSON schema for MQTT and the webhook.

An algorithm or a sensor sends one object per alarm (docs/sensing.md has examples):

    {"alarm_id": "CAM-0231-20261207-000815", "device_id": "CAM-0231", "scene": "CAM-07",
     "at": "2026-12-07T08:15:03+08:00", "score": 0.91, "algorithm_version": "garbage-v3.2",
     "duration_s": 40, "evidence": [{"filename": "snap.jpg", "content_base64": "…"}]}

- `alarm_id` is the sender's id of the alarm: the same id again is the same alarm (a
  redelivered MQTT message, a retried webhook call) and changes nothing.
- `device_id` is the registered device's code; on MQTT it may be left out, and is then the
  topic's last level (`zhiyun/alarms/{source}/{device}`); when given, it must match the topic.
- `scene` is a scene code of the catalogue (`zhiyun sensing scenes`).
- `at` is when the device saw it, with its time zone.
- `score` is the algorithm's confidence, 0–1 (a sensor that crossed its own limit sends 1, or
  leaves it out); `value` and `limit` are a sensor's reading and its limit.
- `lat`/`lon` (with `coord_system`) say where, when the device moves (a drone); otherwise the
  device's registered point is used.
- `evidence`: up to `EVIDENCE_MAX` images, each its bytes in Base64 (JPEG or PNG, at most
  `EVIDENCE_MAX_BYTES`) or the address (`url`) of one the vendor keeps.

Unknown fields are refused with the field named, so a vendor's mistake shows at once; what is
vendor-specific goes into `attributes` (a flat object of short values).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_scenes import CODE_PATTERN
from zhiyun.kernel.geo import CoordSystem
from zhiyun.kernel.pydantic_errors import validation_fields

EVIDENCE_MAX = 3
EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
ATTRIBUTES_MAX = 20

AlarmIdent = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-/#]+$")]
DeviceCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class Evidence(BaseModel):
    """An evidence image: its bytes (Base64) or its address."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    filename: str = Field(default="evidence.jpg", min_length=1, max_length=100)
    content_base64: str | None = Field(default=None, max_length=EVIDENCE_MAX_BYTES * 4 // 3 + 8)
    url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://")

    @model_validator(mode="after")
    def _one_of(self) -> Evidence:
        if (self.content_base64 is None) == (self.url is None):
            raise ValueError("每张证据图须给出 content_base64 或 url 之一")
        return self

    def data(self) -> bytes | None:
        if self.content_base64 is None:
            return None
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("证据图的 Base64 编码有误", field="evidence") from None


class AlarmMessage(BaseModel):
    """One alarm (see the module's note)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    alarm_id: AlarmIdent
    device_id: DeviceCode | None = None
    scene: str = Field(min_length=1, max_length=16)
    at: datetime
    score: float = Field(default=1.0, ge=0, le=1)
    algorithm_version: str = Field(default="", max_length=40, pattern=r"^[A-Za-z0-9_.:\-+ ]*$")
    duration_s: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    value: float | None = Field(default=None, allow_inf_nan=False)
    limit: float | None = Field(default=None, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    coord_system: CoordSystem = CoordSystem.WGS84
    evidence: list[Evidence] = Field(default_factory=list, max_length=EVIDENCE_MAX)
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    @field_validator("scene")
    @classmethod
    def _scene_code(cls, value: str) -> str:
        if not CODE_PATTERN.match(value):
            raise ValueError("场景编码格式有误，如 CAM-07")
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("告警时间须带时区，如 2026-12-07T08:15:03+08:00")
        return value

    @field_validator("attributes")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > ATTRIBUTES_MAX:
            raise ValueError(f"attributes 最多 {ATTRIBUTES_MAX} 项")
        for key, item in value.items():
            if len(key) > 40 or (isinstance(item, str) and len(item) > 200):
                raise ValueError("attributes 的键最长 40 字、值最长 200 字")
        return value

    @model_validator(mode="after")
    def _point(self) -> AlarmMessage:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat 和 lon 须同时给出")
        return self


def _problems(exc: ValidationError) -> list[str]:
    """One Chinese line per field that failed (at most ten)."""
    fields = validation_fields(exc.errors())
    return [f"{name}：{message}" for name, message in list(fields.items())[:10]]


def parse_alarm(data: object, *, topic_device: str | None = None) -> AlarmMessage:
    """An alarm from its JSON object (ValidationFailed naming every problem). `topic_device`
    is the device named by an MQTT topic: it fills a missing `device_id`, and must match a
    given one."""
    if not isinstance(data, dict):
        raise ValidationFailed("告警报文应为一个 JSON 对象")
    try:
        alarm = AlarmMessage.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
        raise ValidationFailed("告警报文有误：" + "；".join(problems), problems=problems) from None
    if topic_device is not None:
        if alarm.device_id is None:
            alarm = alarm.model_copy(update={"device_id": topic_device})
        elif alarm.device_id != topic_device:
            raise ValidationFailed("报文中的 device_id 与主题中的设备不一致", field="device_id")
    if alarm.device_id is None:
        raise ValidationFailed("缺少 device_id", field="device_id")
    return alarm


__all__ = ["EVIDENCE_MAX", "EVIDENCE_MAX_BYTES", "AlarmMessage", "Evidence", "parse_alarm"]
