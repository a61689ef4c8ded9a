"""The rate definition's versions (统计口径): read the one in force, its history, make a new one.

The rules are in `zhiyun.domain.rate_definitions`; this keeps the versions (`rate_definition`, one
row each, never changed or deleted). Version 1 is the built-in default and has no row; the
highest stored version is in force from the moment it is committed — the dashboard's rollup,
counted by an older one, is rebuilt on its next read (`zhiyun.analytics.rollup`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.analytics.tables import RateDefinitionRow
from zhiyun.domain.access import Actor, may_define_rates, may_view_dashboard, require
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.rate_definitions import (
    DEFAULT,
    RateDefinition,
    changes,
    from_stored,
    next_version,
    parse_draft,
)
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _definition(row: RateDefinitionRow) -> RateDefinition:
    return from_stored(
        row.version,
        row.content,
        note=row.note,
        by=row.defined_by_name,
        at=row.defined_at.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
    )


def current_in(session: Session) -> RateDefinition:
    """The definition in force (the highest version; the built-in one when none is stored)."""
    row = session.scalars(
        select(RateDefinitionRow).order_by(RateDefinitionRow.version.desc()).limit(1)
    ).first()
    return DEFAULT if row is None else _definition(row)


@dataclass(frozen=True)
class DefinitionVersion:
    """One version in the history, with what it changed in the one before."""

    definition: RateDefinition
    changes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.definition.as_dict(), "changes": list(self.changes)}


class RateDefinitionService:
    """Use cases of the rate definition (the module's note)."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock

    @staticmethod
    def _may_read(actor: Actor) -> bool:
        return may_view_dashboard(actor) or may_define_rates(actor)

    def current(self, actor: Actor) -> RateDefinition:
        """The definition in force: whoever reads rates (the dashboard's readers) or defines them."""
        if not self._may_read(actor):
            raise PermissionDenied("您的角色不能查看统计口径", role=actor.role.value)
        with self.db.reading() as session:
            return current_in(session)

    def history(self, actor: Actor) -> list[DefinitionVersion]:
        """Every version, newest first, each with what it changed."""
        if not self._may_read(actor):
            raise PermissionDenied("您的角色不能查看统计口径", role=actor.role.value)
        with self.db.reading() as session:
            rows = session.scalars(select(RateDefinitionRow).order_by(RateDefinitionRow.version)).all()
            versions = [DEFAULT, *(_definition(r) for r in rows)]
        out = [DefinitionVersion(versions[0], ())]
        for before, after in itertools.pairwise(versions):
            out.append(DefinitionVersion(after, tuple(changes(before, after))))
        return list(reversed(out))

    def define(self, actor: Actor, data: dict[str, Any]) -> RateDefinition:
        """Make the next version from `data` (`domain.rate_definitions.parse_draft`): an admin,
        with a note saying why; refused when it changes nothing."""
        require(may_define_rates, actor)
        draft = parse_draft(data)
        now: datetime = self.clock()
        try:
            with self.db.transaction() as session:
                current = current_in(session)
                made = next_version(
                    current,
                    draft,
                    by=actor.name,
                    at=now.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
                )
                content = made.as_dict()
                for key in ("version", "note", "defined_by", "defined_at", "description"):
                    content.pop(key)
                session.add(
                    RateDefinitionRow(
                        version=made.version,
                        content=content,
                        note=made.note,
                        defined_by=actor.user_id,
                        defined_by_name=made.defined_by,
                        defined_at=now,
                    )
                )
        except IntegrityError:  # someone made the same version number meanwhile
            raise ValidationFailed("统计口径刚被他人修改，请刷新后重试") from None
        return made


def build(services: Services) -> RateDefinitionService:
    """The capability's service over the process's services (`Capability.services`)."""
    return RateDefinitionService(services.db, clock=services.clock)


__all__ = ["DefinitionVersion", "RateDefinitionService", "build", "current_in"]
