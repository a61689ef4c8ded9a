"""From a sensing event to a work order (立案): used when an event is raised (an order at once, an
urgent one for a severe scene) and when a grid worker confirms a verification task.

The order takes intake's path, exactly as a grid worker's hazard report does
(`IntakeService.accept_in`, channel `iot`): the same (channel, external id) again returns the
first order — the external id is `EV{group lead event id}`, so one event group is one order
whoever registers it and however often — and it goes through the duplicate check of every
channel: a citizen's 12345 call about the same overflowing bin at the same spot, still open, is
its master and the sensing order is merged into it (or flagged for a dispatcher between the
thresholds).

What the order says (what duplicate detection compares, so it reads like a person's report):
the title 「{address}{scene}（{source}告警）」, then a first line naming the place and what was seen
(「{address}发现{scene}」), then the device, how often and when it was seen and the best score
in one compact line, and the verifier's note. The address leads the title too (「夏北路1号垃圾满溢
（视频告警）」): a citizen names the place first. Its category is the scene's, its urgency the scene's, its point and
grid the event's, registered at the event's village center. The verifier (a grid worker, or a
dispatcher answering an escalated task) is the registering principal; an event raised at once
is registered by the platform (`SENSING`).

Files: the verifier's photos, and the evidence images of the event's best alarm (their bytes in
the attachments' store by content hash), are attached by the verifier as any file is
(`AttachmentService.add_in`: the same checks). The platform may not attach files
(`domain.order_access.UPLOADERS`): an order registered at once names its evidence (ids, to be
seen at /api/v1/sensing/evidence/{id}) in its registration's audit details instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.order_access import may_upload
from zhiyun.domain.sensing_scenes import Scene
from zhiyun.domain.workorder import OrderType
from zhiyun.geo.locator import Location
from zhiyun.geo.tables import GridRow
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.text import default_segmenter
from zhiyun.orders.attachments import AttachmentService
from zhiyun.reference.cache import ReferenceCache
from zhiyun.sensing.alarm_tables import EventRow, EvidenceRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.store.tables import WorkOrderRow

log = logging.getLogger("zhiyun.sensing")

SENSING_CHANNEL = "iot"
# Who registers an event's order raised at once (no person checked it): the platform.
SENSING = Actor.system("感知告警")
EVIDENCE_MAX = 6  # evidence images attached to an order
TITLE_MAX = 100


@dataclass(frozen=True)
class EventOrder:
    """What registering an event's order did: the order (created now, or the group's first one),
    the master it was merged into or the orders it was flagged against, the files attached."""

    order_id: int
    order_number: str
    created: bool
    duplicate_of: str | None = None
    possible_duplicates: list[str] = field(default_factory=list)
    attached: int = 0


def lead_id(event: EventRow) -> int:
    """The id of the event's group lead (the event itself when it is alone)."""
    return event.group_id if event.group_id is not None else event.id


def evidence_of(session: Session, event: EventRow) -> list[EvidenceRow]:
    """The evidence of an event's best alarm, in the order it came."""
    if event.best_alarm_id is None:
        return []
    rows = session.scalars(
        select(EvidenceRow).where(EvidenceRow.alarm_id == event.best_alarm_id).order_by(EvidenceRow.id)
    )
    return list(rows)


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def order_title(scene: Scene, address: str = "") -> str:
    """「{address}{scene}（{source}告警）」: the place first, as a person would say it."""
    return f"{address.strip()}{scene.name}（{scene.source.label}告警）"[:TITLE_MAX]


def order_content(event: EventRow, scene: Scene, device: DeviceRow | None, note: str = "") -> str:
    """The order's content (the module's note): what was seen where, then the machine's facts in
    one compact line (words a duplicate check would weigh against a person's report are few)."""
    address = (device.address if device is not None else "") or ""
    lines = [f"{address}发现{scene.name}".strip()]
    source = f"{device.name} {device.code}：" if device is not None else ""
    lines.append(
        f"{source}告警 {event.count} 次，{_local(event.first_seen)} 至 {_local(event.last_seen)}，"
        f"最高置信度 {event.best_score:.2f}（{scene.code} 第 {event.scene_version} 版）"
    )
    if note.strip():
        lines.append(f"核实：{note.strip()}")
    return "\n".join(lines)


class EventOrders:
    """Registers the work order of a sensing event (the module's note)."""

    def __init__(
        self, intake: IntakeService, attachments: AttachmentService, reference: ReferenceCache
    ) -> None:
        self.intake = intake
        self.attachments = attachments
        self.reference = reference

    @property
    def store(self) -> Path:
        return self.attachments.root

    def prepare(self, session: Session) -> None:
        """Load what registering an order needs — the reference data (units, calendar) and the
        word segmenter — before the first one has to wait for it."""
        self.reference.get(session)
        default_segmenter().load()

    def register_in(
        self,
        session: Session,
        event: EventRow,
        scene: Scene,
        now: datetime,
        *,
        actor: Actor = SENSING,
        note: str = "",
        photos: Sequence[tuple[str, bytes]] = (),
        verification_id: int | None = None,
    ) -> EventOrder:
        """Register the order of `event`'s group inside the caller's transaction (the module's
        note); the event's `order_id` and `ordered_at` are set (the caller sets its status)."""
        device = session.get(DeviceRow, event.device_id)
        org = self.reference.get(session).org
        village = org.units.get(event.village_unit_id) if event.village_unit_id is not None else None
        grid = session.get(GridRow, event.grid_id) if event.grid_id is not None else None
        lat, lon = event.latitude, event.longitude
        if (lat is None or lon is None) and device is not None:
            lat, lon = device.latitude, device.longitude
        evidence = evidence_of(session, event)
        lead = lead_id(event)
        draft = IntakeDraft(
            external_id=f"EV{lead}",
            title=order_title(scene, device.address if device is not None else ""),
            content=order_content(event, scene, device, note),
            order_type=OrderType.REPORT,
            urgency=scene.urgency,
            address=(device.address or None) if device is not None else None,
            latitude=lat if lon is not None else None,
            longitude=lon if lat is not None else None,
            reported_at=event.first_seen,
            category_code=scene.category_code,
            attributes={
                "device_code": device.code if device is not None else None,
                "scene_code": scene.code,
                "event_id": event.id,
            },
        )
        raw: dict[str, Any] = {
            "event_id": event.id,
            "group": lead,
            "device": device.code if device is not None else None,
            "scene": scene.code,
            "scene_version": event.scene_version,
            "count": event.count,
            "first_seen": event.first_seen.isoformat(),
            "last_seen": event.last_seen.isoformat(),
            "best_score": event.best_score,
            "note": note,
            "photos": [name for name, _ in photos],
        }
        details: dict[str, Any] = {
            "sensing": {
                k: v
                for k, v in {
                    "event_id": event.id,
                    "group": lead,
                    "device": device.code if device is not None else None,
                    "scene": scene.code,
                    "scene_version": event.scene_version,
                    "verification_id": verification_id,
                    "evidence": [e.id for e in evidence],
                }.items()
                if v is not None
            }
        }
        location = None
        if village is not None:
            location = Location(
                town_unit_id=village.parent_id,
                village_unit_id=village.id,
                source="sensing",
                grid_id=grid.id if grid is not None else None,
                grid_code=grid.code if grid is not None else None,
            )
        attached: list[int] = []

        def attach_files(s: Session, row: WorkOrderRow) -> None:
            if not may_upload(actor):
                return
            files: list[tuple[str, bytes | None, int | None]] = [(name, data, None) for name, data in photos]
            files += [(ev.filename, self._evidence_bytes(ev), ev.id) for ev in evidence[:EVIDENCE_MAX]]
            for filename, data, evidence_id in files:
                if data is None:
                    continue
                try:
                    attached.append(self.attachments.add_in(s, actor, row, filename, data, now).id)
                except (ValidationFailed, PermissionDenied) as exc:
                    # a vendor's file the store's rules refuse, or a verifier who takes no part in
                    # the order: the order stands (the photos stay with the task, the evidence
                    # with the alarm), the file is named in the log
                    log.warning(
                        "file %s (evidence %s) of event %s not attached: %s",
                        filename,
                        evidence_id,
                        event.id,
                        exc.message,
                    )

        result = self.intake.accept_in(
            session,
            SENSING_CHANNEL,
            draft,
            raw,
            actor=actor,
            now=now,
            center_unit_id=village.id if village is not None else None,
            location=location,
            details=details,
            on_registered=attach_files,
        )
        event.order_id = result.order.id
        event.ordered_at = now
        return EventOrder(
            result.order.id,
            result.order.number,
            created=result.created,
            duplicate_of=result.duplicate_of,
            possible_duplicates=list(result.possible_duplicates),
            attached=len(attached),
        )

    def _evidence_bytes(self, ev: EvidenceRow) -> bytes | None:
        path = evidence_path(self.store, ev)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()


def evidence_path(root: Path, ev: EvidenceRow) -> Path | None:
    """Where an evidence image's bytes are kept (None: only the vendor's address is known)."""
    sha = (ev.sha256 or "").lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        return None
    return root / sha[:2] / sha


__all__ = [
    "SENSING",
    "SENSING_CHANNEL",
    "EventOrder",
    "EventOrders",
    "evidence_of",
    "evidence_path",
    "lead_id",
    "order_content",
    "order_title",
]
