"""The world of the sensing tests: the small district with the grids of 夏北社区 (GC-XB) and 平南社区
(GC-PN), the default taxonomy and scene catalogue, grid workers (two in 夏北's grids 001 and 002,
one in 平南's 001), a dispatcher at 夏北; and devices, alarms, evidence and events written
directly as rows (what the alarm pipeline would have stored), so that a test starts where the
pipeline hands an event over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from tests.support import (
    PASSWORD,
    TEST_ADMIN,
    XB_BOX,
    District,
    add_boundaries,
    build_small_district_with_boundaries,
    centre,
    grid_file,
    quadrants,
)
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.sensing_alarms import AlarmOutcome, EventStatus
from zhiyun.geo.tables import GridRow
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, EvidenceRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.raising import EventRaiser
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.sensing.verification import VerificationService, scene_of

XB = "440605001001"
PN = "440605001002"
XB1 = f"{XB}001"
XB2 = f"{XB}002"
PN1 = f"{PN}001"
BIN_POINT = centre(quadrants(XB_BOX)[0])  # (lat, lon) in 夏北's grid 001
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def default_taxonomy() -> str:
    return resources.files("zhiyun.catalog").joinpath("data/taxonomy.csv").read_text(encoding="utf-8")


@dataclass
class SensingWorld:
    services: Services
    district: District
    worker: Actor  # gc_grid: 夏北 grid 001
    neighbour: Actor  # gc_grid2: 夏北 grid 002
    other: Actor  # pn_grid: 平南 grid 001
    village: Actor  # xb_dispatch: 夏北's dispatcher
    grids: dict[str, int]  # ids by code

    @property
    def units(self) -> dict[str, int]:
        return self.district.units

    def verification(self, now: datetime | None = None) -> VerificationService:
        """The verification service, its clock at `now` (default: the real one)."""
        base = self.services.get(VerificationService)
        if now is None:
            return base
        return VerificationService(base.db, base.settings, base.orders, base.reference, clock=lambda: now)

    def raise_event(self, event_id: int, now: datetime | None = None) -> EventRow:
        """Raise an event as the pipeline does (inside its transaction); the event after it."""
        now = now or datetime.now(UTC)
        raiser = self.services.get(EventRaiser)
        with self.services.db.transaction() as session:
            event = session.get(EventRow, event_id)
            assert event is not None and event.status == EventStatus.WATCHING.value
            raiser.raise_in(session, event, scene_of(session, event.scene_code, event.scene_version), now)
        return self.event(event_id)

    def event(self, event_id: int) -> EventRow:
        with self.services.db.reading() as session:
            event = session.get(EventRow, event_id)
            assert event is not None
            session.expunge(event)
            return event


def seed_sensing_world(services: Services, district: District | None = None) -> SensingWorld:
    """The world of the module's note; on a small district already built (the HTTP tests'), given
    its `district`."""
    if district is None:
        district = build_small_district_with_boundaries(services)
    else:
        add_boundaries(services)
    services.geo.import_grids(TEST_ADMIN, grid_file())
    services.taxonomy.import_csv(TEST_ADMIN, default_taxonomy())
    services.get(SceneCatalogue).ensure_default(TEST_ADMIN)
    actors: dict[str, Actor] = {}
    posts = []
    for name, village, grid in (
        ("gc_grid", "GC-XB", XB1),
        ("gc_grid2", "GC-XB", XB2),
        ("pn_grid", "GC-PN", PN1),
    ):
        user = services.accounts.add_user(
            TEST_ADMIN,
            username=name,
            password=PASSWORD,
            role=Role.GRID_WORKER,
            unit_code=village,
            display_name=name,
        )
        actors[name] = user.actor()
        posts.append(NewPost(name, village, WorkerKind.FULL_TIME, grid))
    services.get(GridWorkerService).add_posts(TEST_ADMIN, posts)
    dispatcher = services.accounts.add_user(
        TEST_ADMIN,
        username="xb_dispatch",
        password=PASSWORD,
        role=Role.DISPATCHER,
        unit_code="GC-XB",
        display_name="xb_dispatch",
    )
    with services.db.reading() as session:
        grids = dict(session.execute(select(GridRow.code, GridRow.id)).all())
    return SensingWorld(
        services,
        district,
        actors["gc_grid"],
        actors["gc_grid2"],
        actors["pn_grid"],
        dispatcher.actor(),
        grids,
    )


def add_device(
    world: SensingWorld,
    code: str = "CAM-XB-0001",
    *,
    name: str = "夏北路口1号摄像机",
    kind: str = "camera",
    point: tuple[float, float] = BIN_POINT,
    grid: str | None = XB1,
    village: str | None = "GC-XB",
    owner: str | None = "GC-CG",
    address: str = "夏北路1号",
) -> int:
    """A device row (as the device registry would have stored it); its id."""
    now = datetime.now(UTC)
    with world.services.db.transaction() as session:
        row = DeviceRow(
            code=code,
            name=name,
            kind=kind,
            scenes=[],
            thresholds={},
            latitude=point[0],
            longitude=point[1],
            address=address,
            grid_id=world.grids[grid] if grid else None,
            village_unit_id=world.units[village] if village else None,
            owner_unit_id=world.units[owner] if owner else None,
            status="active",
            created_at=now,
            updated_at=now,
            updated_by="test",
        )
        session.add(row)
        session.flush()
        return row.id


def store_image(world: SensingWorld, data: bytes) -> str:
    """Put an image's bytes in the attachments' store by content hash; its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    path = Path(world.services.settings.attachment_dir) / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


def add_event(
    world: SensingWorld,
    device_id: int,
    scene_code: str = "CAM-08",
    *,
    seen: datetime | None = None,
    count: int = 3,
    score: float = 0.91,
    images: tuple[tuple[str, bytes], ...] = (("bin.jpg", JPEG),),
    group_id: int | None = None,
    point: tuple[float, float] | None = BIN_POINT,
) -> int:
    """An event of `count` alarms of a scene from a device over the last minutes (status
    watching), its best alarm carrying `images` (their bytes in the store); its id."""
    last = seen or datetime.now(UTC)
    first = last - timedelta(minutes=20)
    shas = [(name, store_image(world, data), len(data)) for name, data in images]
    with world.services.db.transaction() as session:
        device = session.get(DeviceRow, device_id)
        assert device is not None
        version = scene_of_version(world, scene_code)
        event = EventRow(
            open_key=f"{device_id}:{scene_code}",
            device_id=device_id,
            scene_code=scene_code,
            scene_version=version,
            algorithm_version="v1",
            status=EventStatus.WATCHING.value,
            count=count,
            first_seen=first,
            last_seen=last,
            longest_s=0,
            best_score=score,
            first_alarm_at=first,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            grid_id=device.grid_id,
            village_unit_id=device.village_unit_id,
            group_id=group_id,
            created_at=first,
            updated_at=last,
        )
        session.add(event)
        session.flush()
        best = None
        for n in range(count):
            at = first + (last - first) * n / max(1, count - 1)
            alarm = AlarmRow(
                alarm_id=f"{device.code}-{event.id}-{n}",
                device_code=device.code,
                device_id=device.id,
                scene_code=scene_code,
                source=device.kind,
                at=at,
                received_at=at,
                score=score if n == count - 1 else score - 0.1,
                algorithm_version="v1",
                via="http",
                outcome=(AlarmOutcome.OPENED if n == 0 else AlarmOutcome.FOLDED).value,
                event_id=event.id,
                payload={},
            )
            session.add(alarm)
            session.flush()
            best = alarm
        assert best is not None
        event.best_alarm_id = best.id
        for name, sha, size in shas:
            session.add(
                EvidenceRow(alarm_id=best.id, filename=name, content_type="image/jpeg", size=size, sha256=sha)
            )
        return event.id


def scene_of_version(world: SensingWorld, code: str) -> int:
    return world.services.get(SceneCatalogue).get(code).version


def evidence_ids(world: SensingWorld, event_id: int) -> list[int]:
    with world.services.db.reading() as session:
        event = session.get(EventRow, event_id)
        assert event is not None
        return list(
            session.scalars(
                select(EvidenceRow.id)
                .where(EvidenceRow.alarm_id == event.best_alarm_id)
                .order_by(EvidenceRow.id)
            )
        )


__all__ = [
    "BIN_POINT",
    "JPEG",
    "PN1",
    "PNG",
    "XB1",
    "XB2",
    "SensingWorld",
    "add_device",
    "add_event",
    "evidence_ids",
    "scene_of",
    "seed_sensing_world",
    "store_image",
]
