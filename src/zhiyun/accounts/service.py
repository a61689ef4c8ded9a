"""Account use cases: add users, check passwords, open console sessions, issue API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.config import Settings
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.store.db import Database
from zhiyun.store.tables import ApiTokenRow, LoginSessionRow, OrgUnitRow, UserRow
from zhiyun.workflow.reference import Clock, system_clock

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "zy_"

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that timing does not tell.
_DUMMY_HASH = _hasher.hash("zhiyun-dummy-password")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthenticationFailed(PermissionDenied):
    """Wrong username/password, or an unknown, expired or revoked token."""

    code = "unauthenticated"
    http_status = 401


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
class IssuedSecret:
    """A session or API token, shown once; only its digest is stored."""

    secret: str
    user: UserView
    expires_at: datetime | None


def _view(row: UserRow, unit: OrgUnitRow | None) -> UserView:
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


class AccountService:
    """Users, passwords, sessions and tokens."""

    def __init__(
        self, db: Database, settings: Settings | None = None, *, clock: Clock = system_clock
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.clock = clock

    def _user_view(self, session: Session, row: UserRow) -> UserView:
        unit = session.get(OrgUnitRow, row.unit_id) if row.unit_id is not None else None
        return _view(row, unit)

    def add_user(
        self,
        *,
        username: str,
        password: str,
        role: Role | str,
        unit_code: str | None = None,
        display_name: str | None = None,
        phone: str | None = None,
        password_hash: str | None = None,
    ) -> UserView:
        """Create a user. Every role but admin and leader belongs to a unit.

        `password_hash`, when given, is an argon2 hash computed elsewhere (accounts moved from
        another system, the demo's shared password) and is stored as is instead of hashing
        `password`.
        """
        errors: dict[str, str] = {}
        if not USERNAME_RE.match(username or ""):
            errors["username"] = "用户名须为 2–64 位字母、数字、下划线、点或连字符"
        if password_hash is not None:
            if not password_hash.startswith("$argon2"):
                errors["password"] = "密码哈希须为 argon2 格式"
        elif len(password or "") < MIN_PASSWORD:
            errors["password"] = f"密码至少 {MIN_PASSWORD} 位"
        try:
            role = Role(role)
        except ValueError:
            errors["role"] = f"未知角色 {role}，可选：{', '.join(r.value for r in Role)}"
        if errors:
            raise ValidationFailed("; ".join(errors.values()), fields=errors)
        assert isinstance(role, Role)
        with self.db.transaction() as session:
            unit = None
            if unit_code:
                unit = session.scalars(select(OrgUnitRow).where(OrgUnitRow.code == unit_code)).one_or_none()
                if unit is None:
                    raise ValidationFailed(f"组织单位编码 {unit_code} 不存在", field="unit_code")
            elif role not in (Role.ADMIN, Role.LEADER, Role.INSPECTOR):
                raise ValidationFailed(f"{role.label}必须属于一个组织单位（--unit）", field="unit_code")
            if session.scalars(select(UserRow.id).where(UserRow.username == username)).first() is not None:
                raise Conflict(f"用户名 {username} 已存在", field="username")
            row = UserRow(
                username=username,
                display_name=display_name or username,
                password_hash=password_hash or _hasher.hash(password),
                role=role.value,
                unit_id=unit.id if unit else None,
                phone=phone,
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return _view(row, unit)

    def set_password(self, username: str, password: str) -> None:
        if len(password or "") < MIN_PASSWORD:
            raise ValidationFailed(f"密码至少 {MIN_PASSWORD} 位", field="password")
        with self.db.transaction() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None:
                raise NotFound(f"用户 {username} 不存在")
            row.password_hash = _hasher.hash(password)
            for token in session.scalars(select(LoginSessionRow).where(LoginSessionRow.user_id == row.id)):
                token.revoked_at = token.revoked_at or self.clock()

    def list_users(self) -> list[UserView]:
        with self.db.reading() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.username))
            return [self._user_view(session, r) for r in rows]

    def get_user(self, user_id: int) -> UserView:
        with self.db.reading() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFound("用户不存在")
            return self._user_view(session, row)

    def set_active(self, username: str, active: bool) -> UserView:
        with self.db.transaction() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None:
                raise NotFound(f"用户 {username} 不存在")
            row.active = active
            return self._user_view(session, row)

    def authenticate(self, username: str, password: str) -> UserView:
        """The user whose password this is; AuthenticationFailed otherwise (same message either way)."""
        with self.db.transaction() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            try:
                _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                row = None
            if row is None or not row.active:
                raise AuthenticationFailed("用户名或密码错误")
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return self._user_view(session, row)

    # -- console sessions -------------------------------------------------------

    def open_session(self, user: UserView) -> IssuedSecret:
        secret = secrets.token_urlsafe(32)
        expires = self.clock() + timedelta(days=self.settings.session_days)
        with self.db.transaction() as session:
            session.add(
                LoginSessionRow(
                    user_id=user.id,
                    token_hash=token_digest(secret),
                    created_at=self.clock(),
                    expires_at=expires,
                )
            )
        return IssuedSecret(secret, user, expires)

    def user_for_session(self, secret: str) -> UserView:
        with self.db.reading() as session:
            row = session.scalars(
                select(LoginSessionRow).where(LoginSessionRow.token_hash == token_digest(secret))
            ).one_or_none()
            if row is None or row.revoked_at is not None or row.expires_at <= self.clock():
                raise AuthenticationFailed("登录已过期，请重新登录")
            user = session.get(UserRow, row.user_id)
            if user is None or not user.active:
                raise AuthenticationFailed("账号已停用")
            return self._user_view(session, user)

    def close_session(self, secret: str) -> None:
        with self.db.transaction() as session:
            row = session.scalars(
                select(LoginSessionRow).where(LoginSessionRow.token_hash == token_digest(secret))
            ).one_or_none()
            if row is not None and row.revoked_at is None:
                row.revoked_at = self.clock()

    # -- API tokens ---------------------------------------------------------------

    def issue_token(self, user_id: int, name: str, days: int | None = None) -> IssuedSecret:
        """A bearer token for an integration acting as `user_id`; shown once."""
        if not name.strip():
            raise ValidationFailed("令牌名称不能为空", field="name")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = self.clock() + timedelta(days=days) if days else None
        with self.db.transaction() as session:
            user = session.get(UserRow, user_id)
            if user is None or not user.active:
                raise NotFound("用户不存在")
            session.add(
                ApiTokenRow(
                    user_id=user_id,
                    name=name.strip(),
                    token_hash=token_digest(secret),
                    prefix=secret[:10],
                    created_at=self.clock(),
                    expires_at=expires,
                )
            )
            return IssuedSecret(secret, self._user_view(session, user), expires)

    def user_for_token(self, secret: str) -> UserView:
        now = self.clock()
        with self.db.reading() as session:
            row = session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.token_hash == token_digest(secret))
            ).one_or_none()
            if (
                row is None
                or row.revoked_at is not None
                or (row.expires_at is not None and row.expires_at <= now)
            ):
                raise AuthenticationFailed("API 令牌无效或已吊销")
            user = session.get(UserRow, row.user_id)
            if user is None or not user.active:
                raise AuthenticationFailed("账号已停用")
            return self._user_view(session, user)

    def revoke_token(self, user_id: int, token_id: int) -> None:
        with self.db.transaction() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None or row.user_id != user_id:
                raise NotFound("令牌不存在")
            row.revoked_at = row.revoked_at or self.clock()
