"""Password login, throttled: the check of a user name and password, and the lock after failures.

Password checks are throttled per account name and per client address (the rules are in
domain/throttle.py, the counts in the table login_throttle, shared by every API process);
the failure that starts a lock is logged to "zhiyun.security".
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Insert, delete, or_, select
from sqlalchemy.orm import Session

from zhiyun.accounts.service.base import AccountServiceBase
from zhiyun.accounts.service.credentials import USERNAME_RE, AuthenticationFailed
from zhiyun.accounts.service.views import UserView
from zhiyun.domain import throttle
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import TooManyAttempts
from zhiyun.domain.throttle import Failures, ThrottleRule
from zhiyun.store.tables import LoginThrottleRow, UserRow

# Forgotten throttle rows deleted by one failed login, at most.
_PRUNE_BATCH = 500

security_log = logging.getLogger("zhiyun.security")


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


class PasswordLogin(AccountServiceBase):
    """Who a user name and password are, under the login throttle."""

    def _dummy(self) -> str:
        """A hash to verify against when the user does not exist, so that timing does not tell."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("zhiyun-dummy-password")
        return self._dummy_hash

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
