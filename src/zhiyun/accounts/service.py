"""Account use cases: add users, check passwords, open console sessions, issue API tokens.

Password checks are throttled per account name and per client address (the rules are in
domain/throttle.py, the counts in the table login_throttle, shared by every API process);
API tokens always expire, are listed and revoked by their owner and by admins, and die with
a password reset or a disabled account, as console sessions do.

Every change takes the acting principal and asks the policies of `domain/access.py` first:
`may_administer_users` (add, enable, disable), `may_manage_credentials_of` (a password and
API tokens: the user themself, or an admin).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Insert, delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from zhiyun.config import Settings
from zhiyun.domain import throttle
from zhiyun.domain.access import (
    STAFF_ROLES,
    Actor,
    Role,
    may_administer_users,
    may_manage_credentials_of,
    require,
)
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, TooManyAttempts, ValidationFailed
from zhiyun.domain.throttle import Failures, ThrottleRule
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database
from zhiyun.store.tables import ApiTokenRow, LoginSessionRow, LoginThrottleRow, OrgUnitRow, UserRow

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "zy_"

# A token's last use is written at most this often, so that using it costs no write per request.
LAST_USED_STEP = timedelta(minutes=1)
# Forgotten throttle rows deleted by one failed login, at most.
_PRUNE_BATCH = 500

security_log = logging.getLogger("zhiyun.security")
log = logging.getLogger("zhiyun.accounts")


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


def _token_view(row: ApiTokenRow) -> TokenView:
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


def _failures(row: LoginThrottleRow) -> Failures:
    return Failures(
        count=row.failures,
        first_at=row.first_failure_at,
        last_at=row.last_failure_at,
        locked_until=row.locked_until,
    )


def wait_message(until: datetime, now: datetime) -> str:
    """The Chinese answer to a locked login: how long to wait and until what time."""
    seconds = throttle.retry_after_seconds(until, now)
    span = f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"
    return f"登录失败次数过多，已暂时锁定，请 {span}后（{until.astimezone(LOCAL_TZ):%H:%M:%S} 以后）再试"


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
        self,
        db: Database,
        settings: Settings | None = None,
        *,
        clock: Clock = system_clock,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.clock = clock
        # argon2id with the site's costs (ZHIYUN_PASSWORD_*); a stored hash made with other
        # costs is rehashed at the next successful login
        self.hasher = hasher or PasswordHasher(
            time_cost=self.settings.password_time_cost,
            memory_cost=self.settings.password_memory_kib,
            parallelism=self.settings.password_parallelism,
        )
        self._dummy_hash: str | None = None
        # argon2 costs ~0.5 s of CPU: at most this many checks run at once in this process, so
        # that parallel password guessing cannot starve every other request of CPU.
        self._password_checks = threading.BoundedSemaphore(self.settings.login_concurrency)
        s = self.settings
        self.account_rule = ThrottleRule(
            free_failures=s.login_account_free_failures,
            window=timedelta(minutes=s.login_account_window_minutes),
            first_lock=timedelta(minutes=s.login_account_lock_minutes),
            max_lock=timedelta(minutes=max(s.login_account_max_lock_minutes, s.login_account_lock_minutes)),
        )
        self.address_rule = ThrottleRule(
            free_failures=s.login_address_free_failures,
            window=timedelta(minutes=s.login_address_window_minutes),
            first_lock=timedelta(minutes=s.login_address_lock_minutes),
            max_lock=timedelta(minutes=max(s.login_address_max_lock_minutes, s.login_address_lock_minutes)),
        )

    def _dummy(self) -> str:
        """A hash to verify against when the user does not exist, so that timing does not tell."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("zhiyun-dummy-password")
        return self._dummy_hash

    def _user_view(self, session: Session, row: UserRow) -> UserView:
        unit = session.get(OrgUnitRow, row.unit_id) if row.unit_id is not None else None
        return _view(row, unit)

    def add_user(
        self,
        actor: Actor,
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
        `password`. Only staff roles can be given (never the system's or a citizen's).
        """
        require(may_administer_users, actor)
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
            if not role.is_staff:
                raise ValueError(role)
        except ValueError:
            errors["role"] = f"未知角色 {role}，可选：{', '.join(r.value for r in STAFF_ROLES)}"
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
                password_hash=password_hash or self.hasher.hash(password),
                role=role.value,
                unit_id=unit.id if unit else None,
                phone=phone,
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return _view(row, unit)

    def _credentials_row(self, session: Session, actor: Actor, username: str) -> UserRow:
        """The user `username` if `actor` may change their password and tokens: PermissionDenied
        otherwise (also for a name nobody has, so that non-admins learn nothing of who exists)."""
        row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            require(may_administer_users, actor)
            raise NotFound(f"用户 {username} 不存在")
        require(may_manage_credentials_of, actor, row.id)
        return row

    def set_password(self, actor: Actor, username: str, password: str) -> None:
        """Set a new password (the user themself, or an admin): every session and token dies."""
        with self.db.transaction() as session:
            row = self._credentials_row(session, actor, username)
            if len(password or "") < MIN_PASSWORD:
                raise ValidationFailed(f"密码至少 {MIN_PASSWORD} 位", field="password")
            row.password_hash = self.hasher.hash(password)
            self._revoke_credentials(session, row.id)

    def _revoke_credentials(self, session: Session, user_id: int) -> None:
        """End every console session and revoke every API token of the user (reset, disable)."""
        now = self.clock()
        for table in (LoginSessionRow, ApiTokenRow):
            session.execute(
                update(table)
                .where(table.user_id == user_id, table.revoked_at.is_(None))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )

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

    def set_active(self, actor: Actor, username: str, active: bool) -> UserView:
        """Enable or disable a user (admins; never themselves): disabling ends their sessions and tokens."""
        require(may_administer_users, actor)
        with self.db.transaction() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None:
                raise NotFound(f"用户 {username} 不存在")
            if not active and row.id == actor.user_id:
                raise ValidationFailed("不能停用自己的账号", field="username")
            row.active = active
            if not active:
                self._revoke_credentials(session, row.id)
            return self._user_view(session, row)

    def authenticate(self, username: str, password: str, *, client: str | None = None) -> UserView:
        """The user whose password this is; AuthenticationFailed otherwise (same message either way).

        Failed checks are counted under the account name (known or not: the answers never
        tell) and, when given, the `client` address (domain/throttle.py). While either key is
        locked the password is not checked at all and TooManyAttempts (429) says when to try
        again; the failure that starts a lock is answered the same way and logged to
        "zhiyun.security". A success forgets the account's failures, not the address's.
        """
        keys: dict[str, ThrottleRule] = {throttle.account_key(username): self.account_rule}
        if client is not None:
            keys[throttle.address_key(client)] = self.address_rule
        now = self.clock()
        until = self._locked_until(keys, now)
        if until is not None:
            raise TooManyAttempts(
                wait_message(until, now), retry_after=throttle.retry_after_seconds(until, now)
            )
        with self.db.reading() as session:
            # A name no user can have is not looked up (a NUL byte would upset PostgreSQL).
            row = (
                session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
                if USERNAME_RE.match(username)
                else None
            )
            user_id, stored_hash, active = (
                (row.id, row.password_hash, row.active) if row else (None, None, False)
            )
        verified = self._check_password(stored_hash or self._dummy(), password)
        if verified and user_id is not None and active:
            with self.db.transaction() as session:
                session.execute(
                    delete(LoginThrottleRow).where(LoginThrottleRow.key == throttle.account_key(username))
                )
                user = session.get(UserRow, user_id)
                assert user is not None
                if user.password_hash == stored_hash and self.hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = self.hasher.hash(password)
                return self._user_view(session, user)
        now = self.clock()
        until = self._record_failure(keys, now, username=username, client=client)
        if until is not None:
            raise TooManyAttempts(
                wait_message(until, now), retry_after=throttle.retry_after_seconds(until, now)
            )
        raise AuthenticationFailed("用户名或密码错误")

    def _check_password(self, stored_hash: str, password: str) -> bool:
        """argon2, at most `login_concurrency` at once; a long wait for a turn answers 429."""
        if not self._password_checks.acquire(timeout=self.settings.login_wait_seconds):
            wait = max(1, math.ceil(self.settings.login_wait_seconds))
            raise TooManyAttempts(f"当前登录请求过多，请 {wait} 秒后再试", retry_after=wait)
        try:
            return bool(self.hasher.verify(stored_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        finally:
            self._password_checks.release()

    def _locked_until(self, keys: dict[str, ThrottleRule], now: datetime) -> datetime | None:
        """The latest end of a lock on any of `keys` at `now`; None when none is locked."""
        with self.db.reading() as session:
            rows = session.scalars(select(LoginThrottleRow).where(LoginThrottleRow.key.in_(list(keys))))
            ends = [throttle.lock_end(_failures(row), now) for row in rows]
        return max((end for end in ends if end is not None), default=None)

    def _record_failure(
        self, keys: dict[str, ThrottleRule], now: datetime, *, username: str, client: str | None
    ) -> datetime | None:
        """Count a failed check under each key; the end of the lock it starts, if it starts one."""
        started: list[tuple[str, datetime, int]] = []
        ends: list[datetime] = []
        with self.db.transaction() as session:
            for key in sorted(keys):  # one order for every process: no deadlock between two failures
                session.execute(
                    self._insert_ignore().values(
                        key=key, failures=0, first_failure_at=now, last_failure_at=now, locked_until=None
                    )
                )
                row = session.scalars(
                    select(LoginThrottleRow).where(LoginThrottleRow.key == key).with_for_update()
                ).one()
                before = _failures(row) if row.failures else throttle.NO_FAILURES
                after = throttle.after_failure(keys[key], before, now)
                row.failures = after.count
                row.first_failure_at = after.first_at or now
                row.last_failure_at = after.last_at or now
                row.locked_until = after.locked_until
                end = throttle.lock_end(after, now)
                if end is not None:
                    ends.append(end)  # also a lock that another process started a moment ago
                    if after != before:
                        started.append((key, end, after.count))
            self._prune(session, now)
        for key, end, count in started:
            security_log.warning(
                "login locked until %s after %d failed logins: key %r (account %r, address %r)",
                end.isoformat(timespec="seconds"),
                count,
                key,
                username,
                client,
            )
        return max(ends, default=None)

    def _insert_ignore(self) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING for a throttle row, in the database's dialect."""
        if self.db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(LoginThrottleRow).on_conflict_do_nothing(index_elements=["key"])
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(LoginThrottleRow).on_conflict_do_nothing(index_elements=["key"])

    def _prune(self, session: Session, now: datetime) -> None:
        """Delete throttle rows whose streak every rule has forgotten (a bounded batch)."""
        keep = max(self.account_rule.window, self.address_rule.window)
        cutoff = now - keep
        stale = (
            select(LoginThrottleRow.key)
            .where(
                LoginThrottleRow.last_failure_at <= cutoff,
                or_(LoginThrottleRow.locked_until.is_(None), LoginThrottleRow.locked_until <= cutoff),
            )
            .limit(_PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        session.execute(
            delete(LoginThrottleRow)
            .where(LoginThrottleRow.key.in_(stale.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )

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

    def issue_token(self, actor: Actor, user_id: int, name: str, days: int | None = None) -> IssuedSecret:
        """A bearer token for an integration acting as `user_id`; shown once.

        It expires after `days` (default ZHIYUN_TOKEN_DAYS_DEFAULT, at most
        ZHIYUN_TOKEN_DAYS_MAX): no token lives forever. Issued by the user themself or an admin.
        """
        require(may_manage_credentials_of, actor, user_id)
        if not name.strip():
            raise ValidationFailed("令牌名称不能为空", field="name")
        longest = self.settings.token_days_max
        if days is None:
            days = min(self.settings.token_days_default, longest)
        if not 1 <= days <= longest:
            raise ValidationFailed(f"令牌有效天数须为 1–{longest} 天", field="days")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + timedelta(days=days)
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
                    created_at=now,
                    expires_at=expires,
                )
            )
            return IssuedSecret(secret, self._user_view(session, user), expires)

    def user_for_token(self, secret: str) -> UserView:
        """The user a bearer token acts as; records its use (at most once a minute)."""
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
            view = self._user_view(session, user)
            token_id, last_used = row.id, row.last_used_at
        if last_used is None or now - last_used >= LAST_USED_STEP:
            self._touch_token(token_id, now)
        return view

    def _touch_token(self, token_id: int, now: datetime) -> None:
        """Set the token's last use to `now` unless another request did within the minute."""
        try:
            with self.db.transaction() as session:
                session.execute(
                    update(ApiTokenRow)
                    .where(
                        ApiTokenRow.id == token_id,
                        or_(
                            ApiTokenRow.last_used_at.is_(None),
                            ApiTokenRow.last_used_at <= now - LAST_USED_STEP,
                        ),
                    )
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False)
                )
        except OperationalError as exc:  # a busy database: the hint waits for the next use
            log.warning("could not record the use of API token %s: %s", token_id, type(exc.orig).__name__)

    def list_tokens(self, user_id: int, *, include_inactive: bool = False) -> list[TokenView]:
        """The user's tokens, newest first: live ones, or also the revoked and expired ones."""
        now = self.clock()
        with self.db.reading() as session:
            if session.get(UserRow, user_id) is None:
                raise NotFound("用户不存在")
            query = select(ApiTokenRow).where(ApiTokenRow.user_id == user_id)
            if not include_inactive:
                query = query.where(
                    ApiTokenRow.revoked_at.is_(None),
                    or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now),
                )
            rows = session.scalars(query.order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc()))
            return [_token_view(r) for r in rows]

    def live_tokens_by_user(self) -> dict[int, list[TokenView]]:
        """Every live token, by user id, newest first (the admins' user list)."""
        now = self.clock()
        with self.db.reading() as session:
            rows = session.scalars(
                select(ApiTokenRow)
                .where(
                    ApiTokenRow.revoked_at.is_(None),
                    or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now),
                )
                .order_by(ApiTokenRow.user_id, ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
            )
            tokens: dict[int, list[TokenView]] = {}
            for row in rows:
                tokens.setdefault(row.user_id, []).append(_token_view(row))
            return tokens

    def revoke_token(self, actor: Actor, user_id: int, token_id: int) -> TokenView:
        """Revoke one of the user's tokens (again: no change); NotFound for anyone else's.
        By the user themself or an admin."""
        require(may_manage_credentials_of, actor, user_id)
        with self.db.transaction() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None or row.user_id != user_id:
                raise NotFound("令牌不存在")
            row.revoked_at = row.revoked_at or self.clock()
            session.flush()
            return _token_view(row)

    def revoke_all_tokens(self, actor: Actor, user_id: int) -> int:
        """Revoke every live token of the user; how many that was (the user themself or an admin)."""
        require(may_manage_credentials_of, actor, user_id)
        now = self.clock()
        with self.db.transaction() as session:
            if session.get(UserRow, user_id) is None:
                raise NotFound("用户不存在")
            result = session.execute(
                update(ApiTokenRow)
                .where(
                    ApiTokenRow.user_id == user_id,
                    ApiTokenRow.revoked_at.is_(None),
                    or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now),
                )
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def user_by_name(self, username: str) -> UserView:
        """The user called `username`; NotFound otherwise."""
        with self.db.reading() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None:
                raise NotFound(f"用户 {username} 不存在")
            return self._user_view(session, row)
