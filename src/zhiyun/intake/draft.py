"""What a channel adapter makes of a payload: a draft order in the platform's own terms.

Adapters only translate; normalization (phones, full-width text, coordinates, times),
location and duplicate detection happen afterwards, the same for every channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.kernel.geo import CoordSystem


@dataclass(frozen=True)
class IntakeDraft:
    """One request as a channel reported it, before normalization."""

    external_id: str
    title: str
    content: str
    order_type: OrderType | None = None  # None: the channel's default
    urgency: Urgency | None = None  # None: the channel's default
    citizen_name: str | None = None
    citizen_phone: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    coord_system: CoordSystem = CoordSystem.WGS84
    reported_at: datetime | None = None  # aware; when the citizen reported it
    category_code: str | None = None
    confidential: bool = False
    # Channel-specific facts kept with the order (recording id, police incident number, URL, …).
    attributes: dict[str, Any] = field(default_factory=dict)
