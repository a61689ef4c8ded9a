"""The device registry's table (设备台账): cameras, IoT sensors, drones and satellite feeds.

A device is what an alarm names (`code`, the id the vendor's platform gives it). It says which
scenes it runs (`scenes`, empty: every scene of its kind), per-scene confidence thresholds that
override the catalogue's (`thresholds`), where it stands (WGS-84, and the grid and village that
point lies in, found when it is registered), the unit that maintains it (`owner_unit_id`: a
fault order goes there), whether alarms from it are taken (`status`), and its heartbeat: the
longest silence expected (`heartbeat_s`, None: it sends none), when it was last heard from, and
the device-fault order (设备故障) raised for its current silence, so that a silent device raises
one order, not one a minute (`fault_order_id` is cleared when it is heard from again).

Rows share `zhiyun.store.base.Base`; migration 0021 creates it.

Indexes, each for a question asked:

- unique `code`: an alarm's device (every alarm asks it);
- `ix_sensing_device_status_seen` (status, last_seen_at): the heartbeat sweep's silent devices;
- `ix_sensing_device_grid_id`: a grid's devices (the map, the figures).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, BigId, utcnow

DEVICE_CODE_MAX = 64
ACTOR_MAX = 100


class DeviceRow(Base):
    """A sensing device (see the module's note)."""

    __tablename__ = "sensing_device"
    __table_args__ = (
        Index("ix_sensing_device_status_seen", "status", "last_seen_at"),
        Index("ix_sensing_device_grid_id", "grid_id"),
        {"info": {"label": "感知设备"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(DEVICE_CODE_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))  # domain.sensing_scenes.SceneSource
    vendor: Mapped[str] = mapped_column(String(100), default="")
    scenes: Mapped[list[str]] = mapped_column(JSON, default=list)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    village_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | disabled
    heartbeat_s: Mapped[int | None] = mapped_column(Integer)
    last_seen_at: Mapped[datetime | None] = mapped_column()
    fault_order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("work_order.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(ACTOR_MAX), default="")


__all__ = ["DEVICE_CODE_MAX", "DeviceRow"]
