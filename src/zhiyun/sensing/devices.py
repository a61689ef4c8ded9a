"""The device registry (设备台账) use cases: list and read devices, register or change one,
enable or disable it, import and export the registry, and note that devices were heard from.

- **Reading** (`devices`, `get`): scoped to the reader (`may_read_devices`, then
  `domain.sensing_devices.device_scope`): a device out of sight is NotFound, as one that does
  not exist. Filters: kind, status, grid, village, owner unit, silent only; offset pages.
- **Changing** (`register`, `update`, `set_status`, `import_file`): admins
  (`may_administer_devices`). A definition is checked by the domain (`validate_device`: its
  scenes against the scene catalogue); its point is placed in its grid and village by the geo
  locator. Each change records who made it and when (`updated_by`, `updated_at`).
- **Import** (`import_file`): CSV or XLSX (`devices_import`), all or nothing: a file with any
  refused row writes nothing and the report lists every row's problems; a new code is
  created, a changed one updated, an unchanged one left as it is. Heartbeat state (last heard,
  the fault order) is never touched by an import.
- **Heard from** (`heard_in`): one UPDATE that moves `last_seen_at` forward for the devices
  named and clears their fault order (the alarm consumer and the heartbeat webhook call it on
  their hot path, inside their own transaction).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_administer_devices, may_read_devices, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.sensing_devices import (
    CODE_PATTERN,
    HEARTBEAT_MIN_S,
    Device,
    DeviceScope,
    DeviceStatus,
    Heartbeat,
    device_scope,
    silence_start,
    silent,
    thresholds_text,
    validate_device,
)
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.geo.service import GeoService
from zhiyun.geo.tables import GridRow
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.reference.cache import ReferenceCache
from zhiyun.sensing import devices_import
from zhiyun.sensing.device_tables import ACTOR_MAX, DeviceRow
from zhiyun.sensing.devices_import import Reject
from zhiyun.sensing.tables import SceneRow
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

PAGE_MAX = 500


@dataclass(frozen=True)
class DeviceView:
    """A device as lists and pages show it (names of its grid, village and owner)."""

    id: int
    code: str
    name: str
    kind: SceneSource
    vendor: str
    scenes: tuple[str, ...]
    thresholds: dict[str, float]
    latitude: float | None
    longitude: float | None
    address: str
    grid_id: int | None
    grid_code: str | None
    grid_name: str | None
    village_unit_id: int | None
    village_name: str | None
    owner_unit_id: int | None
    owner_code: str | None
    owner_name: str | None
    status: DeviceStatus
    heartbeat_s: int | None
    last_seen_at: datetime | None
    silent: bool
    silent_since: datetime | None  # when the current silence began (silent devices only)
    fault_order_id: int | None
    fault_order_number: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def scenes_label(self) -> str:
        return "、".join(self.scenes) if self.scenes else f"全部{self.kind.label}场景"

    @property
    def thresholds_label(self) -> str:
        return thresholds_text(self.thresholds)

    @property
    def heartbeat_label(self) -> str:
        if self.heartbeat_s is None:
            return "不发心跳"
        s = self.heartbeat_s
        if s % 3600 == 0:
            return f"{s // 3600} 小时"
        if s % 60 == 0:
            return f"{s // 60} 分钟"
        return f"{s} 秒"


@dataclass(frozen=True)
class DeviceQuery:
    """Filters of the device list: kind, status, grid (15-digit code), village and owner (unit
    code or id), silent devices only."""

    kind: SceneSource | None = None
    status: DeviceStatus | None = None
    grid: str | None = None
    village: str | None = None
    owner: str | None = None
    silent_only: bool = False


@dataclass(frozen=True)
class DevicePage:
    items: list[DeviceView]
    total: int
    offset: int
    limit: int

    @property
    def more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class DeviceChanges:
    """A change of one device (PATCH): only what is given changes (`heartbeat_given`: the
    heartbeat is set, None meaning it sends none)."""

    status: DeviceStatus | None = None
    thresholds: Mapping[str, float] | None = None
    heartbeat_s: int | None = None
    heartbeat_given: bool = False


@dataclass
class DeviceImport:
    """What an import did (or, `dry_run`, would do); `rejects`: the refused rows (nothing written)."""

    read: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    dry_run: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.rejects)

    def summary(self) -> str:
        if self.refused:
            rows = len({r.row for r in self.rejects})
            return f"文件未导入：{rows} 行有问题，共 {len(self.rejects)} 处"
        verb = "将" if self.dry_run else ""
        return (
            f"{verb}新增 {len(self.created)} 台设备，{verb}更新 {len(self.updated)} 台，"
            f"未变 {len(self.unchanged)} 台"
        )

    def problems(self) -> list[str]:
        return [
            f"第 {r.row} 行"
            + (f"「{devices_import.HEADER.get(r.column, r.column)}」" if r.column else "")
            + f"：{r.reason}"
            for r in self.rejects
        ]


def heartbeat_of(row: DeviceRow) -> Heartbeat:
    """The heartbeat rules' view of a stored device."""
    return Heartbeat(
        status=DeviceStatus(row.status),
        heartbeat_s=row.heartbeat_s,
        last_seen_at=row.last_seen_at,
        registered_at=row.created_at,
        fault_order_id=row.fault_order_id,
    )


def device_of(row: DeviceRow) -> Device:
    """The definition of a stored device."""
    return Device(
        code=row.code,
        name=row.name,
        kind=SceneSource(row.kind),
        vendor=row.vendor,
        scenes=tuple(row.scenes or ()),
        thresholds={str(k): float(v) for k, v in (row.thresholds or {}).items()},
        latitude=row.latitude,
        longitude=row.longitude,
        address=row.address,
        owner_unit_id=row.owner_unit_id,
        status=DeviceStatus(row.status),
        heartbeat_s=row.heartbeat_s,
    )


def _who(actor: Actor) -> str:
    return (actor.name or actor.role.label)[:ACTOR_MAX]


def _unit_id(org: OrgTree, text: str) -> int | None:
    """A unit by id, code, name or alias; None when none matches."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and int(text) in org.units:
        return int(text)
    for unit in org.units.values():
        if text in (unit.code, unit.name) or text in unit.aliases:
            return unit.id
    return None


class DeviceRegistry:
    """The device registry over one database."""

    def __init__(
        self, db: Database, geo: GeoService, reference: ReferenceCache, *, clock: Clock = system_clock
    ) -> None:
        self.db = db
        self.geo = geo
        self.reference = reference
        self.clock = clock

    # ------------------------------------------------------------------ helpers

    def _org(self, session: Session) -> OrgTree:
        return self.reference.get(session).org

    @staticmethod
    def _known_scenes(session: Session) -> dict[str, SceneSource]:
        return {
            code: SceneSource(source)
            for code, source in session.execute(select(SceneRow.code, SceneRow.source))
        }

    @staticmethod
    def _scope_clause(scope: DeviceScope) -> ColumnElement[bool] | None:
        if scope.everywhere:
            return None
        ids = sorted(scope.unit_ids)
        return or_(DeviceRow.owner_unit_id.in_(ids), DeviceRow.village_unit_id.in_(ids))

    def _views(self, session: Session, rows: Sequence[DeviceRow], now: datetime) -> list[DeviceView]:
        org = self._org(session)
        grid_ids = {r.grid_id for r in rows if r.grid_id is not None}
        grids: dict[int, tuple[str, str]] = {}
        if grid_ids:
            for gid, code, name in session.execute(
                select(GridRow.id, GridRow.code, GridRow.name).where(GridRow.id.in_(sorted(grid_ids)))
            ):
                grids[gid] = (code, name)
        order_ids = {r.fault_order_id for r in rows if r.fault_order_id is not None}
        numbers: dict[int, str] = {}
        if order_ids:
            for oid, number in session.execute(
                select(WorkOrderRow.id, WorkOrderRow.number).where(WorkOrderRow.id.in_(sorted(order_ids)))
            ):
                numbers[oid] = number

        def unit(uid: int | None) -> tuple[str | None, str | None]:
            if uid is None or uid not in org.units:
                return None, None
            u = org.units[uid]
            return u.code, u.name

        views = []
        for r in rows:
            beat = heartbeat_of(r)
            is_silent = silent(beat, now)
            grid = grids.get(r.grid_id) if r.grid_id is not None else None
            owner_code, owner_name = unit(r.owner_unit_id)
            views.append(
                DeviceView(
                    id=r.id,
                    code=r.code,
                    name=r.name,
                    kind=SceneSource(r.kind),
                    vendor=r.vendor,
                    scenes=tuple(r.scenes or ()),
                    thresholds={str(k): float(v) for k, v in (r.thresholds or {}).items()},
                    latitude=r.latitude,
                    longitude=r.longitude,
                    address=r.address,
                    grid_id=r.grid_id,
                    grid_code=grid[0] if grid else None,
                    grid_name=grid[1] if grid else None,
                    village_unit_id=r.village_unit_id,
                    village_name=unit(r.village_unit_id)[1],
                    owner_unit_id=r.owner_unit_id,
                    owner_code=owner_code,
                    owner_name=owner_name,
                    status=DeviceStatus(r.status),
                    heartbeat_s=r.heartbeat_s,
                    last_seen_at=r.last_seen_at,
                    silent=is_silent,
                    silent_since=silence_start(beat) if is_silent else None,
                    fault_order_id=r.fault_order_id,
                    fault_order_number=numbers.get(r.fault_order_id) if r.fault_order_id else None,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                    updated_by=r.updated_by,
                )
            )
        return views

    def _visible_row(
        self, session: Session, actor: Actor, code: str, *, for_update: bool = False
    ) -> DeviceRow:
        key = code.strip()
        if not CODE_PATTERN.match(key):
            raise NotFound("设备不存在")
        query = select(DeviceRow).where(DeviceRow.code == key)
        if for_update:
            query = query.with_for_update()
        row = session.scalar(query)
        scope = device_scope(actor, self._org(session))
        if row is None or not scope.holds(row.owner_unit_id, row.village_unit_id):
            raise NotFound("设备不存在", device=key[:64])
        return row

    # ------------------------------------------------------------------ reads

    def devices(
        self, actor: Actor, query: DeviceQuery = DeviceQuery(), *, offset: int = 0, limit: int = 50
    ) -> DevicePage:
        """The devices `actor` may read that match `query`, by code, `limit` from `offset`."""
        require(may_read_devices, actor)
        if not 1 <= limit <= PAGE_MAX or offset < 0:
            raise ValidationFailed(f"每页 1–{PAGE_MAX} 台，起点不能为负", field="limit")
        now = self.clock()
        with self.db.reading() as session:
            org = self._org(session)
            scope = device_scope(actor, org)
            if scope.nothing:
                return DevicePage([], 0, offset, limit)
            conditions: list[ColumnElement[bool]] = []
            clause = self._scope_clause(scope)
            if clause is not None:
                conditions.append(clause)
            if query.kind is not None:
                conditions.append(DeviceRow.kind == query.kind.value)
            if query.status is not None:
                conditions.append(DeviceRow.status == query.status.value)
            if query.grid:
                grid_id = session.scalar(select(GridRow.id).where(GridRow.code == query.grid.strip()))
                if grid_id is None:
                    return DevicePage([], 0, offset, limit)
                conditions.append(DeviceRow.grid_id == grid_id)
            for text, column in (
                (query.village, DeviceRow.village_unit_id),
                (query.owner, DeviceRow.owner_unit_id),
            ):
                if text:
                    uid = _unit_id(org, text)
                    if uid is None:
                        return DevicePage([], 0, offset, limit)
                    conditions.append(column == uid)
            if query.silent_only:
                conditions += self._silent_candidates(now)
                rows = list(session.scalars(select(DeviceRow).where(*conditions).order_by(DeviceRow.code)))
                found = [r for r in rows if silent(heartbeat_of(r), now)]
                return DevicePage(
                    self._views(session, found[offset : offset + limit], now), len(found), offset, limit
                )
            total = session.scalar(select(func.count()).select_from(DeviceRow).where(*conditions)) or 0
            rows = list(
                session.scalars(
                    select(DeviceRow).where(*conditions).order_by(DeviceRow.code).offset(offset).limit(limit)
                )
            )
            return DevicePage(self._views(session, rows, now), int(total), offset, limit)

    @staticmethod
    def _silent_candidates(now: datetime) -> list[ColumnElement[bool]]:
        """What the database can say of silent devices: active, with a heartbeat, not heard
        from within the shortest interval there is."""
        recent = now - timedelta(seconds=HEARTBEAT_MIN_S)
        return [
            DeviceRow.status == DeviceStatus.ACTIVE.value,
            DeviceRow.heartbeat_s.is_not(None),
            or_(DeviceRow.last_seen_at.is_(None), DeviceRow.last_seen_at < recent),
        ]

    def get(self, actor: Actor, code: str) -> DeviceView:
        """One device `actor` may read; NotFound otherwise."""
        require(may_read_devices, actor)
        with self.db.reading() as session:
            row = self._visible_row(session, actor, code)
            return self._views(session, [row], self.clock())[0]

    def export_rows(self, actor: Actor) -> list[list[object]]:
        """The devices `actor` may read, as rows in the import's column order."""
        require(may_read_devices, actor)
        with self.db.reading() as session:
            org = self._org(session)
            scope = device_scope(actor, org)
            if scope.nothing:
                return []
            clause = self._scope_clause(scope)
            query = select(DeviceRow).order_by(DeviceRow.code)
            if clause is not None:
                query = query.where(clause)
            rows: list[list[object]] = []
            for r in session.scalars(query):
                owner = org.units.get(r.owner_unit_id) if r.owner_unit_id is not None else None
                rows.append(
                    [
                        r.code,
                        r.name,
                        SceneSource(r.kind).label,
                        "、".join(r.scenes or ()),
                        thresholds_text(r.thresholds or {}),
                        r.latitude,
                        r.longitude,
                        "WGS84" if r.latitude is not None else "",
                        r.address,
                        owner.code if owner is not None else "",
                        r.vendor,
                        r.heartbeat_s,
                        DeviceStatus(r.status).label,
                    ]
                )
            return rows

    def export_csv(self, actor: Actor) -> str:
        """The devices `actor` may read as CSV (import reads it back)."""
        return devices_import.write_csv(self.export_rows(actor))

    def export_xlsx(self, actor: Actor) -> bytes:
        """The devices `actor` may read as a workbook (import reads it back)."""
        return devices_import.write_xlsx(self.export_rows(actor))

    # ------------------------------------------------------------------ changes

    def register(self, actor: Actor, device: Device) -> DeviceView:
        """Register a device, or change the definition of the one with its code."""
        require(may_administer_devices, actor)
        now = self.clock()
        with self.db.transaction() as session:
            device = self._checked(session, device)
            row = session.scalar(select(DeviceRow).where(DeviceRow.code == device.code).with_for_update())
            row = self._store(session, actor, row, device, now)
            session.flush()
            return self._views(session, [row], now)[0]

    def update(self, actor: Actor, code: str, changes: DeviceChanges) -> DeviceView:
        """Change a device's status, thresholds or heartbeat; NotFound for an unknown code."""
        require(may_administer_devices, actor)
        now = self.clock()
        with self.db.transaction() as session:
            row = self._visible_row(session, actor, code, for_update=True)
            device = device_of(row)
            if changes.status is not None:
                device = replace(device, status=changes.status)
            if changes.thresholds is not None:
                device = replace(
                    device, thresholds={k.strip().upper(): v for k, v in changes.thresholds.items()}
                )
            if changes.heartbeat_given:
                device = replace(device, heartbeat_s=changes.heartbeat_s)
            device = self._checked(session, device)
            self._store(session, actor, row, device, now)
            session.flush()
            return self._views(session, [row], now)[0]

    def set_status(self, actor: Actor, code: str, status: DeviceStatus) -> DeviceView:
        """Enable or disable a device: alarms from a disabled one are not taken, nor is its
        silence watched."""
        return self.update(actor, code, DeviceChanges(status=status))

    def import_file(self, actor: Actor, filename: str, data: bytes, *, dry_run: bool = False) -> DeviceImport:
        """Import a CSV or XLSX file of devices (the module's note): all or nothing."""
        require(may_administer_devices, actor)
        parsed = devices_import.read_file(filename, data)
        report = DeviceImport(read=len(parsed.lines) + len({r.row for r in parsed.rejects}), dry_run=dry_run)
        report.rejects.extend(parsed.rejects)
        now = self.clock()
        with self.db.transaction() as session:
            org = self._org(session)
            known = self._known_scenes(session)
            checked: list[Device] = []
            for line in parsed.lines:
                device = line.device
                if line.owner:
                    owner = _unit_id(org, line.owner)
                    if owner is None:
                        report.rejects.append(
                            Reject(
                                line.row, "owner", f"维护单位「{line.owner[:30]}」不存在", device.code[:64]
                            )
                        )
                        continue
                    device = replace(device, owner_unit_id=owner)
                try:
                    checked.append(validate_device(device, known))
                except ValidationFailed as exc:
                    listed = exc.details.get("problems")
                    for problem in listed if isinstance(listed, list) else [exc.message]:
                        report.rejects.append(Reject(line.row, "", str(problem), device.code[:64]))
            if report.rejects:
                report.rejects.sort(key=lambda r: r.row)
                session.rollback()
                return report
            rows = {
                r.code: r
                for r in session.scalars(
                    select(DeviceRow).where(DeviceRow.code.in_([d.code for d in checked])).with_for_update()
                )
            }
            for device in checked:
                row = rows.get(device.code)
                if row is None:
                    report.created.append(device.code)
                elif device_of(row) == device:
                    report.unchanged.append(device.code)
                    continue
                else:
                    report.updated.append(device.code)
                if not dry_run:
                    self._store(session, actor, row, device, now)
            if dry_run:
                session.rollback()
        return report

    def _checked(self, session: Session, device: Device) -> Device:
        device = validate_device(device, self._known_scenes(session))
        if device.owner_unit_id is not None and device.owner_unit_id not in self._org(session).units:
            raise ValidationFailed("维护单位不存在", field="owner_unit_id")
        return device

    def _store(
        self, session: Session, actor: Actor, row: DeviceRow | None, device: Device, now: datetime
    ) -> DeviceRow:
        """Write a checked definition (new row when `row` is None); the point's grid and village
        are found again when it moved."""
        moved = row is None or (row.latitude, row.longitude, row.address) != (
            device.latitude,
            device.longitude,
            device.address,
        )
        if row is None:
            row = DeviceRow(code=device.code, created_at=now)
            session.add(row)
        row.name = device.name
        row.kind = device.kind.value
        row.vendor = device.vendor
        row.scenes = list(device.scenes)
        row.thresholds = dict(device.thresholds)
        row.latitude, row.longitude, row.address = device.latitude, device.longitude, device.address
        row.owner_unit_id = device.owner_unit_id
        row.status = device.status.value
        row.heartbeat_s = device.heartbeat_s
        row.updated_at = now
        row.updated_by = _who(actor)
        if moved:
            self._place(session, row)
        return row

    def _place(self, session: Session, row: DeviceRow) -> None:
        if row.latitude is None or row.longitude is None:
            row.grid_id = None
            found = self.geo.locator(session).locate(None, None, row.address or None) if row.address else None
            row.village_unit_id = found.village_unit_id if found is not None else None
            return
        found = self.geo.locator(session).locate(row.latitude, row.longitude, row.address or None)
        row.grid_id = found.grid_id
        row.village_unit_id = found.village_unit_id

    # ------------------------------------------------------------------ heard from

    def heard_in(self, session: Session, codes: Collection[str], at: datetime) -> int:
        """The devices `codes` were heard from at `at` (aware), inside the caller's transaction:
        one UPDATE moves their `last_seen_at` forward to `at` and clears the fault order of the
        silence this ends. Returns how many devices it moved (unknown codes, and devices last
        heard at `at` or later, count nothing)."""
        if at.tzinfo is None:
            raise ValueError("heard_in needs an aware datetime")
        wanted = sorted({c for c in codes if c})
        if not wanted:
            return 0
        at = at.astimezone(UTC)
        result = session.execute(
            update(DeviceRow)
            .where(
                DeviceRow.code.in_(wanted),
                or_(DeviceRow.last_seen_at.is_(None), DeviceRow.last_seen_at < at),
            )
            .values(last_seen_at=at, fault_order_id=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def build(services: Services) -> DeviceRegistry:
    """The capability's device registry over the process's services (`Capability.services`)."""
    return DeviceRegistry(services.db, services.geo, services.reference, clock=services.clock)


__all__ = [
    "DeviceChanges",
    "DeviceImport",
    "DevicePage",
    "DeviceQuery",
    "DeviceRegistry",
    "DeviceView",
    "build",
    "device_of",
    "heartbeat_of",
]
