"""The version history of the taxonomy and the responsibility list: who changed what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.catalog.tables import ListChangeRow
from zhiyun.domain.access import Actor
from zhiyun.reference.repo import bump_revision

# The revision key that the taxonomy and the rules bump: caches of them rebuild when it moves.
REVISION_KEY = "dispatch_lists"


@dataclass(frozen=True)
class Change:
    """One entry of the history."""

    id: int
    subject: str
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor_name: str
    actor_user_id: int | None
    note: str
    at: datetime


def record_change(
    session: Session,
    *,
    subject: str,
    key: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: Actor,
    at: datetime,
    note: str = "",
) -> None:
    """Append one change and mark the lists as changed (caches rebuild)."""
    session.add(
        ListChangeRow(
            subject=subject,
            key=key,
            action=action,
            before=before,
            after=after,
            actor_user_id=actor.user_id,
            actor_name=actor.name or actor.role.label,
            note=note,
            created_at=at,
        )
    )
    bump_revision(session, REVISION_KEY)


def changes(
    session: Session, *, subject: str | None = None, key: str | None = None, limit: int = 100
) -> list[Change]:
    """The newest changes first."""
    stmt = select(ListChangeRow).order_by(ListChangeRow.id.desc()).limit(limit)
    if subject is not None:
        stmt = stmt.where(ListChangeRow.subject == subject)
    if key is not None:
        stmt = stmt.where(ListChangeRow.key == key)
    return [
        Change(
            r.id,
            r.subject,
            r.key,
            r.action,
            r.before,
            r.after,
            r.actor_name,
            r.actor_user_id,
            r.note,
            r.created_at,
        )
        for r in session.scalars(stmt)
    ]
