"""The demo's orders as the hot-issue method sees them (tests of the demo's hot issues).

Each order is a `Message`: title and content, registered at, the caller's phone, places (its
grid's name, its village's name), government signals (督办, 催办 from its transitions); the
gazetteer holds the district's towns, villages, roads and grid names, as the platform gives it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from zhiyun.bootstrap import Services
from zhiyun.demo.district import TOWNS
from zhiyun.geo.tables import GridRow
from zhiyun.hotspots.method import GovernmentSignals, HotIssue, Message, detect
from zhiyun.store.tables import OrgUnitRow, TransitionRow, WorkOrderRow


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def demo_messages(services: Services) -> tuple[list[Message], dict[str, str]]:
    """Every order of the database as a message keyed by its id, and order id → external id."""
    with services.db.reading() as session:
        grids = dict(session.execute(select(GridRow.id, GridRow.name)).all())
        units = dict(session.execute(select(OrgUnitRow.id, OrgUnitRow.name)).all())
        acts = Counter(session.execute(select(TransitionRow.order_id, TransitionRow.action)).all())
        rows = session.execute(
            select(
                WorkOrderRow.id,
                WorkOrderRow.external_id,
                WorkOrderRow.title,
                WorkOrderRow.content,
                WorkOrderRow.registered_at,
                WorkOrderRow.citizen_phone,
                WorkOrderRow.grid_id,
                WorkOrderRow.village_unit_id,
            )
        ).all()
    messages = [
        Message(
            key=str(oid),
            title=title,
            text=content,
            at=_aware(at),
            caller=phone,
            places=tuple(p for p in (grids.get(grid), units.get(village)) if p),
            signals=GovernmentSignals(supervised=acts[(oid, "supervise")], urged=acts[(oid, "urge")]),
        )
        for oid, _ext, title, content, at, phone, grid, village in rows
    ]
    return messages, {str(oid): ext or "" for oid, ext, *_ in rows}


def gazetteer(services: Services) -> list[str]:
    with services.db.reading() as session:
        grid_names = list(session.scalars(select(GridRow.name)))
    return [
        *(t.name for t in TOWNS),
        *(v.name for t in TOWNS for v in t.villages),
        *(r for t in TOWNS for r in t.roads),
        *grid_names,
    ]


def demo_hot_issues(services: Services, now: datetime | None = None) -> tuple[list[HotIssue], dict[str, str]]:
    """The ranked hot issues of the demo's orders (default window: 90 days before `now`)."""
    messages, external = demo_messages(services)
    return detect(messages, gazetteer=gazetteer(services), now=now), external
