"""Grid workers' posts in the database: read them, count them, add them in bulk.

Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhiyun.domain.grid import GridPost, WorkerKind
from zhiyun.grid.tables import GridWorkerRow
from zhiyun.store.tables import UserRow

CHUNK = 1000  # names per IN (…) list


@dataclass(frozen=True)
class StoredPost:
    """A post as stored, with its user's name."""

    id: int
    user_id: int
    username: str
    display_name: str
    village_unit_id: int
    grid_id: int | None
    kind: WorkerKind
    active: bool
    since: date

    def post(self) -> GridPost:
        return GridPost(self.village_unit_id, self.grid_id, self.kind)


def _posts(session: Session, *where: Any) -> list[StoredPost]:
    query = (
        select(GridWorkerRow, UserRow.username, UserRow.display_name)
        .join(UserRow, UserRow.id == GridWorkerRow.user_id)
        .where(*where)
        .order_by(GridWorkerRow.village_unit_id, GridWorkerRow.grid_id, GridWorkerRow.id)
    )
    return [
        StoredPost(
            r.id,
            r.user_id,
            username,
            display,
            r.village_unit_id,
            r.grid_id,
            WorkerKind(r.kind),
            r.active,
            r.since,
        )
        for r, username, display in session.execute(query).all()
    ]


def posts_of_user(session: Session, user_id: int, *, active_only: bool = True) -> list[StoredPost]:
    """A user's posts (the active ones)."""
    where = [GridWorkerRow.user_id == user_id]
    if active_only:
        where.append(GridWorkerRow.active.is_(True))
    return _posts(session, *where)


def posts_in_villages(session: Session, village_ids: Iterable[int]) -> list[StoredPost]:
    """Every post (active or not) in some villages."""
    return _posts(session, GridWorkerRow.village_unit_id.in_(sorted(set(village_ids))))


def post_keys(session: Session) -> set[tuple[int, int, int | None]]:
    """(user id, village unit id, grid id) of every post: what a bulk addition must not repeat."""
    rows = session.execute(
        select(GridWorkerRow.user_id, GridWorkerRow.village_unit_id, GridWorkerRow.grid_id)
    )
    return {(u, v, g) for u, v, g in rows.all()}


def villages_with_a_chief(session: Session) -> dict[int, int]:
    """village unit id → the user id of its active chief (网格长)."""
    rows = session.execute(
        select(GridWorkerRow.village_unit_id, GridWorkerRow.user_id).where(
            GridWorkerRow.kind == WorkerKind.CHIEF.value, GridWorkerRow.active.is_(True)
        )
    )
    return dict(rows.all())


def counts_by_village(session: Session) -> dict[int, dict[WorkerKind, int]]:
    """village unit id → active posts per kind."""
    rows = session.execute(
        select(GridWorkerRow.village_unit_id, GridWorkerRow.kind, func.count())
        .where(GridWorkerRow.active.is_(True))
        .group_by(GridWorkerRow.village_unit_id, GridWorkerRow.kind)
    )
    counts: dict[int, dict[WorkerKind, int]] = {}
    for village, kind, n in rows.all():
        counts.setdefault(village, {})[WorkerKind(kind)] = int(n)
    return counts


def users_by_name(session: Session, usernames: Sequence[str]) -> dict[str, tuple[int, str]]:
    """username → (id, role) of the users that exist."""
    found: dict[str, tuple[int, str]] = {}
    names = sorted(set(usernames))
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        rows = session.execute(
            select(UserRow.username, UserRow.id, UserRow.role).where(UserRow.username.in_(chunk))
        )
        found.update({name: (uid, role) for name, uid, role in rows.all()})
    return found


def insert_posts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add posts in bulk (one executemany)."""
    if rows:
        session.execute(insert(GridWorkerRow), list(rows))


__all__ = [
    "StoredPost",
    "counts_by_village",
    "insert_posts",
    "post_keys",
    "posts_in_villages",
    "posts_of_user",
    "users_by_name",
    "villages_with_a_chief",
]
