"""Console sessions: opened at login, found by their secret, closed at logout."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from zhiyun.accounts.service.base import AccountServiceBase
from zhiyun.accounts.service.credentials import AuthenticationFailed, token_digest
from zhiyun.accounts.service.views import IssuedSecret, UserView
from zhiyun.store.tables import LoginSessionRow, UserRow


class ConsoleSessions(AccountServiceBase):
    """The console's sessions: a secret in a cookie, only its digest stored."""

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
