"""What the account use cases hand out: a user, an API token, a secret shown once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zhiyun.domain.access import Actor, Role
from zhiyun.store.tables import ApiTokenRow, OrgUnitRow, UserRow


@dataclass(frozen=True)
class UserView:
    """A user as admins and the user themself see it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    unit_id: int | None
    unit_name: str | None
    active: bool

    def actor(self) -> Actor:
        return Actor(user_id=self.id, role=Role(self.role), unit_id=self.unit_id, name=self.display_name)


@dataclass(frozen=True)
class TokenView:
    """An API token as its owner and admins see it: never the secret or its digest."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def live(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def token_view(row: ApiTokenRow) -> TokenView:
    return TokenView(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@dataclass(frozen=True)
class IssuedSecret:
    """A session or API token, shown once; only its digest is stored."""

    secret: str
    user: UserView
    expires_at: datetime | None


def user_view(row: UserRow, unit: OrgUnitRow | None) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        role_label=Role(row.role).label,
        unit_id=row.unit_id,
        unit_name=unit.name if unit else None,
        active=row.active,
    )
