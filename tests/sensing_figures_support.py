"""The world of the sensing figures' tests: the small district with its grids and the names
of four scenes, and devices, alarms, events, verification tasks and orders made directly as
rows (the pipeline that makes them in production is another part's; the figures only read).

Times are China time on a fixed December day (`NOW`); `SensingWorld.figures()` is the service
with its clock there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import insert, select

from tests.support import TEST_ADMIN, District, add_boundaries, build_small_district, grid_file
from zhiyun.bootstrap import Services
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.geo.tables import GridRow
from zhiyun.orders.service import NewOrder
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, EvidenceRow, VerificationRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.figures import SensingFigures
from zhiyun.sensing.tables import SceneRow

NOW = datetime(2026, 12, 20, 15, 0, tzinfo=LOCAL_TZ)
XB_GRID = "440605001001001"  # 夏北社区's first grid
PN_GRID = "440605001002001"  # 平南社区's first grid
SCENES = {"CAM-01": "违章建筑", "CAM-04": "占道经营", "CAM-07": "暴露垃圾", "CAM-09": "乱堆物料"}


@dataclass
class SensingWorld:
    services: Services
    district: District
    grids: dict[str, int]
    _ids: Any = field(default_factory=lambda: count(1))

    # ------------------------------------------------------------------ rows

    def device(
        self,
        code: str,
        name: str = "",
        *,
        village: str | None = "GC-XB",
        grid: str | None = XB_GRID,
        vendor: str = "海视",
        heartbeat_s: int | None = None,
        last_seen_at: datetime | None = None,
        kind: str = "camera",
    ) -> int:
        with self.services.db.transaction() as session:
            row = DeviceRow(
                code=code,
                name=name or f"摄像头 {code}",
                kind=kind,
                vendor=vendor,
                village_unit_id=self.district.units[village] if village else None,
                grid_id=self.grids[grid] if grid else None,
                owner_unit_id=self.district.units["GC-CG"],
                status="active",
                heartbeat_s=heartbeat_s,
                last_seen_at=last_seen_at,
                latitude=23.015,
                longitude=113.105,
            )
            session.add(row)
            session.flush()
            return row.id

    def alarms(
        self,
        device_id: int | None,
        scene: str,
        outcome: str,
        n: int = 1,
        *,
        at: datetime = NOW - timedelta(days=1),
        event_id: int | None = None,
        version: str = "v1",
        score: float = 0.9,
    ) -> list[int]:
        """`n` alarms a second apart from `at`."""
        rows = [
            {
                "alarm_id": f"A{next(self._ids):08d}",
                "device_code": "dev",
                "device_id": device_id,
                "scene_code": scene,
                "source": "camera",
                "at": at + timedelta(seconds=i),
                "received_at": at + timedelta(seconds=i + 1),
                "score": score,
                "algorithm_version": version,
                "via": "http",
                "outcome": outcome,
                "event_id": event_id,
                "payload": {},
            }
            for i in range(n)
        ]
        with self.services.db.transaction() as session:
            session.execute(insert(AlarmRow), rows)
            found = session.scalars(
                select(AlarmRow.id).where(AlarmRow.alarm_id.in_([r["alarm_id"] for r in rows]))
            )
            return sorted(found)

    def event(
        self,
        device_id: int,
        scene: str = "CAM-04",
        *,
        status: str = "verifying",
        at: datetime = NOW - timedelta(days=1),
        count: int = 2,
        village: str | None = "GC-XB",
        grid: str | None = XB_GRID,
        version: str = "v1",
        raised: bool = True,
        order: tuple[int, str] | None = None,
        ordered_after: timedelta = timedelta(minutes=40),
        group_id: int | None = None,
        evidence: bool = False,
    ) -> int:
        """An event of `count` alarms (opened, then folded) from `at`."""
        with self.services.db.transaction() as session:
            row = EventRow(
                device_id=device_id,
                scene_code=scene,
                scene_version=1,
                algorithm_version=version,
                status=status,
                count=count,
                first_seen=at,
                last_seen=at + timedelta(seconds=count - 1),
                longest_s=0,
                best_score=0.9,
                first_alarm_at=at + timedelta(seconds=1),
                latitude=23.015,
                longitude=113.105,
                grid_id=self.grids[grid] if grid else None,
                village_unit_id=self.district.units[village] if village else None,
                group_id=group_id,
                raised_at=at + timedelta(minutes=5) if raised else None,
                order_id=order[0] if order else None,
                ordered_at=at + timedelta(seconds=1) + ordered_after if order else None,
                created_at=at,
                updated_at=at,
            )
            session.add(row)
            session.flush()
            event_id = row.id
        ids = self.alarms(device_id, scene, "opened", 1, at=at, event_id=event_id, version=version)
        if count > 1:
            ids += self.alarms(
                device_id,
                scene,
                "folded",
                count - 1,
                at=at + timedelta(seconds=1),
                event_id=event_id,
                version=version,
            )
        with self.services.db.transaction() as session:
            stored = session.get(EventRow, event_id)
            assert stored is not None
            stored.best_alarm_id = ids[-1]
            if evidence:
                session.add(
                    EvidenceRow(
                        alarm_id=ids[-1],
                        filename="best.jpg",
                        content_type="image/jpeg",
                        size=10,
                        sha256="ab" * 32,
                    )
                )
        return event_id

    def check(
        self,
        event_id: int,
        status: str,
        *,
        kind: str = "verify",
        at: datetime = NOW - timedelta(days=1),
        answered_after: timedelta | None = timedelta(minutes=20),
        due_after: timedelta = timedelta(minutes=30),
        escalated: bool = False,
        village: str | None = "GC-XB",
        worker_id: int | None = None,
        note: str = "",
    ) -> int:
        with self.services.db.transaction() as session:
            row = VerificationRow(
                event_id=event_id,
                kind=kind,
                village_unit_id=self.district.units[village] if village else None,
                worker_id=worker_id,
                status=status,
                created_at=at,
                due_at=at + due_after,
                escalated_at=at + due_after + timedelta(minutes=1) if escalated else None,
                answered_at=None if status == "pending" or answered_after is None else at + answered_after,
                note=note,
                photos=[],
            )
            session.add(row)
            session.flush()
            return row.id

    def order(self, title: str = "感知告警：占道经营") -> tuple[int, str]:
        registered = self.services.orders.register(
            self.district.actors["district"], NewOrder(title=title, content="摄像头发现占道经营，已核实属实")
        )
        return registered.order.summary.id, registered.order.summary.number

    def figures(self, now: datetime = NOW, **kwargs: Any) -> SensingFigures:
        s = self.services.settings
        return SensingFigures(
            self.services.db,
            floor=kwargs.get("floor", s.sensing_precision_floor),
            min_labels=kwargs.get("min_labels", s.sensing_precision_min_labels),
            clock=lambda: now,
        )

    def actor(self, name: str) -> Any:
        return self.district.actors[name]


def seed_sensing_world(services: Services, *, district: District | None = None) -> SensingWorld:
    """The world of the module's note (on a small district already built, when given)."""
    district = district or build_small_district(services)
    with services.db.reading() as session:  # a world shared with other tests has them already
        has_grids = session.scalar(select(GridRow.id).limit(1)) is not None
        scenes = set(session.scalars(select(SceneRow.code)))
    if not has_grids:
        add_boundaries(services)
        services.geo.import_grids(TEST_ADMIN, grid_file())
    with services.db.transaction() as session:  # the scenes' names (their rules are not read)
        for code, name in SCENES.items():
            if code in scenes:
                continue
            session.add(
                SceneRow(
                    code=code,
                    name=name,
                    source="camera",
                    category_code="CG0101",
                    current_version=1,
                    updated_by="测试",
                )
            )
    with services.db.reading() as session:
        grids = {str(c): int(i) for c, i in session.execute(select(GridRow.code, GridRow.id))}
    return SensingWorld(services, district, grids)


__all__ = ["NOW", "PN_GRID", "SCENES", "XB_GRID", "SensingWorld", "seed_sensing_world"]
