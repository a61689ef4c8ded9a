"""The heartbeat sweep (设备心跳监测): a silent device raises one device-fault order (设备故障).

Every minute the worker's job `device-heartbeats` looks for active devices that expect
heartbeats and have been silent longer than their interval (`domain.sensing_devices.silent`;
never heard from: counted from registration) and that have no fault order for this silence
(`fault_due`). Each becomes a work order through intake (`IntakeService.accept_in`, channel
`iot`, registered by the system principal), titled 「设备离线：{name}」 with the device's code,
kind, address, when it was last heard from and the interval expected, and the order is
recorded on the device (`fault_order_id`). When the device is heard from again
(`DeviceRegistry.heard_in`) the record is cleared, so that a later silence raises a new order.

Where the order goes: the device's owner unit (维护单位) when it has one, else the village its
point lies in, else the district center. An owner that is a center (district, town, village)
registers it itself; an owner that is a department or an office (not a center: its people
cannot take an order at intake) gets it through its center — registered at the nearest center
above it (`OrgTree.center_of`) and dispatched to it at once by the platform (the system's
DISPATCH), unless intake merged it into an open order or automatic dispatch already sent it on.

Once per silence, also with two workers at once: each device is handled in its own
transaction that locks its row and asks `fault_due` again, and the order's external id names
the silence (`fault_key`: code and the silence's start), so that a second registration of the
same silence is intake's repeat of the first order, never a second order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_run_sweep, require
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.domain.sensing_devices import HEARTBEAT_MIN_S, DeviceStatus, fault_due, fault_key, silence_start
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.domain.workorder import Dispatch, OrderStatus, OrderType
from zhiyun.geo.locator import Location
from zhiyun.geo.tables import GridRow
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo as orders_repo
from zhiyun.orders.service import WorkOrderService
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.devices import heartbeat_of
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.worker")

FAULT_CHANNEL = "iot"
# Who registers a fault order: the platform, naming the job in the audit trail.
HEARTBEAT_MONITOR = Actor.system("设备心跳监测")
CENTER_KINDS = frozenset({UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE})


@dataclass(frozen=True)
class FaultOrder:
    """A fault order raised (or found again) for a device's silence."""

    device_code: str
    order_id: int
    order_number: str
    created: bool
    dispatched_to: int | None = None


@dataclass
class FaultSweepReport:
    """What one sweep did: devices looked at, orders raised, devices whose raise failed."""

    checked: int = 0
    raised: list[FaultOrder] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _interval(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"


def fault_content(row: DeviceRow, owner_name: str | None) -> str:
    """The order's text: the device, where it is, when it was last heard from, what is expected."""
    kind = SceneSource(row.kind).label
    heard = (
        f"最后一次收到数据：{_local(row.last_seen_at)}（北京时间）"
        if row.last_seen_at is not None
        else f"登记后从未收到数据（登记于 {_local(row.created_at)}）"
    )
    parts = [
        f"感知设备离线：设备编码 {row.code}，{kind}设备「{row.name}」。",
        f"地址：{row.address}。" if row.address else "",
        f"{heard}；应至少每 {_interval(row.heartbeat_s or 0)} 上报一次心跳。",
        f"维护单位：{owner_name}。" if owner_name else "",
        "请检查设备供电、网络和运行状态，恢复后设备重新上报即自动解除离线。",
    ]
    return "".join(p for p in parts if p)


class DeviceFaultSweep:
    """The heartbeat sweep over one database (see the module's note)."""

    def __init__(
        self,
        db: Database,
        intake: IntakeService,
        orders: WorkOrderService,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.intake = intake
        self.orders = orders
        self.clock = clock

    def sweep(self, actor: Actor) -> FaultSweepReport:
        """Raise the fault orders due now, one transaction per device (a device whose raise fails
        is logged and left for the next sweep). The system (the worker) or an admin (`may_run_sweep`)."""
        require(may_run_sweep, actor)
        now = self.clock()
        report = FaultSweepReport()
        recent = now - timedelta(seconds=HEARTBEAT_MIN_S)
        with self.db.reading() as session:
            candidates = [
                (row.id, row.code)
                for row in session.scalars(
                    select(DeviceRow)
                    .where(
                        DeviceRow.status == DeviceStatus.ACTIVE.value,
                        DeviceRow.heartbeat_s.is_not(None),
                        DeviceRow.fault_order_id.is_(None),
                        or_(DeviceRow.last_seen_at.is_(None), DeviceRow.last_seen_at < recent),
                    )
                    .order_by(DeviceRow.id)
                )
                if fault_due(heartbeat_of(row), now)
            ]
        report.checked = len(candidates)
        for device_id, code in candidates:
            try:
                with self.db.transaction() as session:
                    raised = self.raise_fault_in(session, device_id, now)
                if raised is not None:
                    report.raised.append(raised)
            except Exception:
                log.exception("the fault order of device %s failed; the next sweep tries again", code)
                report.failed.append(code)
        if report.raised:
            log.info(
                "device heartbeats: %d silent devices, %d fault orders", report.checked, len(report.raised)
            )
        return report

    def raise_fault_in(self, session: Session, device_id: int, now: datetime) -> FaultOrder | None:
        """Raise the fault order of one device's silence inside the caller's transaction, if it
        is still due (the row is locked and asked again); None when it is not."""
        row = session.scalar(select(DeviceRow).where(DeviceRow.id == device_id).with_for_update())
        if row is None or not fault_due(heartbeat_of(row), now):
            return None
        snap = self.orders.reference.get(session)
        org = snap.org
        owner = org.units.get(row.owner_unit_id) if row.owner_unit_id is not None else None
        target = owner.id if owner is not None else row.village_unit_id
        center = target
        if target is not None and org.get(target).kind not in CENTER_KINDS:
            center = org.center_of(target).id
        key = fault_key(row.code, heartbeat_of(row))
        started = silence_start(heartbeat_of(row))
        draft = IntakeDraft(
            external_id=key,
            title=f"设备离线：{row.name}"[:100],
            content=fault_content(row, owner.name if owner is not None else None),
            order_type=OrderType.REPORT,
            address=row.address or None,
            latitude=row.latitude,
            longitude=row.longitude,
            reported_at=now,
            attributes={"device_code": row.code, "device_kind": row.kind, "fault": "offline"},
        )
        raw: dict[str, Any] = {
            "fault_id": key,
            "device_id": row.code,
            "device_kind": row.kind,
            "silent_since": started.isoformat(),
            "heartbeat_s": row.heartbeat_s,
        }
        result = self.intake.accept_in(
            session,
            FAULT_CHANNEL,
            draft,
            raw,
            actor=HEARTBEAT_MONITOR,
            now=now,
            center_unit_id=center,
            location=self._location(session, org, row),
            details={"device": {"code": row.code, "kind": row.kind, "silent_since": started.isoformat()}},
        )
        dispatched = None
        if (
            result.created
            and result.duplicate_of is None
            and None not in (target, center)
            and target != center
        ):
            assert target is not None and center is not None
            dispatched = self._send_to_owner(session, result.order.id, center, target, now)
        row.fault_order_id = result.order.id
        session.flush()
        return FaultOrder(row.code, result.order.id, result.order.number, result.created, dispatched)

    def _send_to_owner(
        self, session: Session, order_id: int, center: int, target: int, now: datetime
    ) -> int | None:
        """Dispatch a new fault order from the center that registered it to the department or
        office that maintains the device (the system's DISPATCH), if it is still waiting there."""
        order = orders_repo.find_order(session, order_id)
        if (
            order is None
            or order.status != OrderStatus.PENDING_DISPATCH.value
            or order.current_unit_id != center
        ):
            return None
        self.orders.act_in(
            session,
            HEARTBEAT_MONITOR,
            order,
            Dispatch(target_unit_id=target, note="设备离线，请维护单位处理"),
            now,
        )
        return target

    @staticmethod
    def _location(session: Session, org: OrgTree, row: DeviceRow) -> Location | None:
        """Where the order lies: the device's grid and village as the registry placed it (None:
        intake locates the point itself)."""
        if row.village_unit_id is None or row.village_unit_id not in org.units:
            return None
        grid_code = (
            session.scalar(select(GridRow.code).where(GridRow.id == row.grid_id))
            if row.grid_id is not None
            else None
        )
        return Location(
            town_unit_id=org.get(row.village_unit_id).parent_id,
            village_unit_id=row.village_unit_id,
            source="gps" if row.latitude is not None else "address",
            grid_id=row.grid_id,
            grid_code=grid_code,
        )


def build_sweep(services: Services) -> DeviceFaultSweep:
    return DeviceFaultSweep(services.db, services.intake, services.orders, clock=services.clock)


def sweep_heartbeats(services: Services) -> FaultSweepReport:
    """The worker's job `device-heartbeats`: raise the fault orders of the silent devices."""
    return build_sweep(services).sweep(SCHEDULED_JOBS)


__all__ = [
    "FAULT_CHANNEL",
    "HEARTBEAT_MONITOR",
    "DeviceFaultSweep",
    "FaultOrder",
    "FaultSweepReport",
    "build_sweep",
    "fault_content",
    "sweep_heartbeats",
]
