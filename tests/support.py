"""Test helpers: a small district and its users, created through the real services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.org.service import UnitRecord
from zhiyun.store.tables import OrgUnitRow

PASSWORD = "test-password-1"

SMALL_DISTRICT: list[UnitRecord] = [
    UnitRecord("NH", "南海区", "district"),
    UnitRecord("GC", "桂城街道", "town", "NH"),
    UnitRecord("GC-XB", "夏北社区", "village", "GC"),
    UnitRecord("GC-PN", "平南社区", "village", "GC"),
    UnitRecord("GC-CG", "桂城街道城管办", "office", "GC"),
    UnitRecord("DL", "大沥镇", "town", "NH"),
    UnitRecord("DL-YB", "盐步社区", "village", "DL"),
    UnitRecord("ZJJ", "区住建局", "department", "NH"),
    UnitRecord("ZJJ-ZF", "区住建局执法大队", "department", "ZJJ"),
]

SMALL_USERS: list[tuple[str, Role, str | None]] = [
    ("admin", Role.ADMIN, "NH"),
    ("district", Role.DISPATCHER, "NH"),
    ("town", Role.DISPATCHER, "GC"),
    ("town2", Role.DISPATCHER, "DL"),
    ("xiabei", Role.HANDLER, "GC-XB"),
    ("pingnan", Role.HANDLER, "GC-PN"),
    ("yanbu", Role.HANDLER, "DL-YB"),
    ("zjj", Role.DISPATCHER, "ZJJ"),
    ("inspector", Role.INSPECTOR, None),
    ("leader", Role.LEADER, None),
]


@dataclass
class District:
    """Unit ids by code and actors by username."""

    units: dict[str, int]
    actors: dict[str, Actor]


def build_small_district(services: Services) -> District:
    services.org.import_records(SMALL_DISTRICT)
    actors: dict[str, Actor] = {}
    for username, role, unit in SMALL_USERS:
        user = services.accounts.add_user(
            username=username, password=PASSWORD, role=role, unit_code=unit, display_name=username
        )
        actors[username] = user.actor()
    units = {r.code: r for r in services.org.records()}
    with services.db.reading() as session:
        ids = {code: uid for code, uid in session.execute(select(OrgUnitRow.code, OrgUnitRow.id))}
    assert set(units) == set(ids)
    return District(units=ids, actors=actors)
