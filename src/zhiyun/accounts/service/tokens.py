"""API tokens: issued to a user for an integration, always expiring, listed and revoked by their
owner and by admins (`may_manage_credentials_of`); a password reset or a disabled account
revokes them too (`zhiyun.accounts.service.users`)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from zhiyun.accounts.service.base import AccountServiceBase
from zhiyun.accounts.service.credentials import AuthenticationFailed, token_digest
from zhiyun.accounts.service.views import IssuedSecret, TokenView, UserView, token_view
from zhiyun.domain.access import Actor, may_manage_credentials_of, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.store.tables import ApiTokenRow, UserRow

TOKEN_PREFIX = "zy_"


# A token's last use is written at most this often, so that using it costs no write per request.
LAST_USED_STEP = timedelta(minutes=1)

log = logging.getLogger("zhiyun.accounts")


class ApiTokens(AccountServiceBase):
    """Bearer tokens for integrations acting as a user."""

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
            return [token_view(r) for r in rows]

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
                tokens.setdefault(row.user_id, []).append(token_view(row))
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
            return token_view(row)

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
