"""Sensing's alarm tables: alarms as they came, the events they fold into, evidence and checks.

- `sensing_alarm`: every alarm accepted, once (unique `alarm_id`: a redelivered MQTT message or
  a repeated webhook call finds it there), with what became of it (`outcome`:
  `domain.sensing_alarms.AlarmOutcome`) and the event it folded into. Nothing accepted is
  dropped: an alarm below its threshold, in its scene's allowed hours, from an unknown device
  or of an unknown scene is kept with that outcome.
- `sensing_evidence`: the images an alarm carried, stored by content hash in the attachments'
  store (an image seen twice is stored once).
- `sensing_event`: repeats of one scene from one device within the scene's window (事件): count,
  first and last seen, the best score and its alarm (whose evidence the event shows), the
  scene version it was judged by, its status (`domain.sensing_alarms.EventStatus`), the group of
  nearby events of the same scene it belongs to (`group_id`: the group's first event), the
  verification task or work order it became, and — between the moment its condition was met
  and the moment it was raised — `raise_due_at` (the alarms are stored and acknowledged first;
  raising, which may register an order through intake, follows in its own transaction: an
  outbox, so that a slow or failing registration never holds the alarms back). `open_key` (`"{device_id}:{scene}"`) is set while
  the event takes repeats and cleared when its window has passed: being unique, it makes a
  second open event for one device and scene impossible whatever runs at once (ThingsBoard's
  duplicate alarms under concurrency, #15583).
- `sensing_verification`: the check (核实) a grid worker owes an event group: its grid and
  worker, due time, escalation, and the answer (confirmed, false alarm, already gone) with the
  note and photos. Every answer is a label the figures count. A severe event (燃气泄漏, 明火)
  has an urgent order at once and no check; its row (`kind` "notice") tells the nearest grid
  worker, who answers that they are on the spot.

Rows share `zhiyun.store.base.Base`; migration 0021 creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.sensing.device_tables import DEVICE_CODE_MAX
from zhiyun.store.base import Base, BigId

ALARM_ID_MAX = 100
SCENE_CODE_MAX = 16
OPEN_KEY_MAX = 40


class AlarmRow(Base):
    """One alarm as it came (see the module's note)."""

    __tablename__ = "sensing_alarm"
    __table_args__ = (
        Index("ix_sensing_alarm_event_id", "event_id"),
        Index("ix_sensing_alarm_received_at", "received_at"),
        {"info": {"label": "感知告警"}},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alarm_id: Mapped[str] = mapped_column(String(ALARM_ID_MAX), unique=True)
    device_code: Mapped[str] = mapped_column(String(DEVICE_CODE_MAX))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("sensing_device.id"))
    scene_code: Mapped[str] = mapped_column(String(SCENE_CODE_MAX))
    source: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    algorithm_version: Mapped[str] = mapped_column(String(40), default="")
    duration_s: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    via: Mapped[str] = mapped_column(String(8))  # mqtt | http
    outcome: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sensing_event.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EvidenceRow(Base):
    """An image an alarm carried (its bytes in the attachments' store, by content hash), or the
    address of one the vendor keeps."""

    __tablename__ = "sensing_evidence"
    __table_args__ = (Index("ix_sensing_evidence_alarm_id", "alarm_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(BigId, ForeignKey("sensing_alarm.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(1000))


class EventRow(Base):
    """An event (事件): one scene seen by one device, repeats folded in (see the module's note)."""

    __tablename__ = "sensing_event"
    __table_args__ = (
        Index("ix_sensing_event_scene_status", "scene_code", "status", "last_seen"),
        Index("ix_sensing_event_device_id", "device_id", "first_seen"),
        Index("ix_sensing_event_group_id", "group_id"),
        Index("ix_sensing_event_order_id", "order_id"),
        Index("ix_sensing_event_raise_due_at", "raise_due_at"),
        {"info": {"label": "感知事件"}},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    open_key: Mapped[str | None] = mapped_column(String(OPEN_KEY_MAX), unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("sensing_device.id"))
    scene_code: Mapped[str] = mapped_column(String(SCENE_CODE_MAX))
    scene_version: Mapped[int] = mapped_column(Integer)
    algorithm_version: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()
    longest_s: Mapped[int] = mapped_column(Integer, default=0)
    best_score: Mapped[float] = mapped_column(Float)
    best_alarm_id: Mapped[int | None] = mapped_column(BigId)
    first_alarm_at: Mapped[datetime] = mapped_column()  # when the first alarm was received
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    village_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    group_id: Mapped[int | None] = mapped_column(BigId)
    raised_at: Mapped[datetime | None] = mapped_column()
    raise_due_at: Mapped[datetime | None] = mapped_column()  # its condition met, not raised yet
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("work_order.id"))
    ordered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class VerificationRow(Base):
    """A check (核实) owed on an event group (see the module's note)."""

    __tablename__ = "sensing_verification"
    __table_args__ = (
        Index("ix_sensing_verification_worker_status", "worker_id", "status"),
        Index("ix_sensing_verification_status_due", "status", "due_at"),
        {"info": {"label": "告警核实"}},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("sensing_event.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="verify")  # verify | notice (a severe event)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    village_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(12))  # domain.sensing_alarms.VerificationStatus
    created_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()
    escalated_to: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    submission_id: Mapped[str | None] = mapped_column(String(64), unique=True)


__all__ = [
    "ALARM_ID_MAX",
    "OPEN_KEY_MAX",
    "SCENE_CODE_MAX",
    "AlarmRow",
    "EventRow",
    "EvidenceRow",
    "VerificationRow",
]
