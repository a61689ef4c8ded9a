"""Channel administration: the registry's records in the database and their API keys.

Every channel of CHANNEL_SPECS has one row (created on first use, so a new release's
channels appear by themselves); admins enable or disable it and set its default type and
urgency (every change takes the acting principal and asks
`domain.access.may_administer_channels`). API keys are shown once and stored as SHA-256 digests; a channel may hold several
keys at once so that an integration can rotate without downtime.

A key that passed is remembered by its process for at most KEY_CACHE_SECONDS (5 s), so that
a busy channel does not pay two queries per request: a key revoked or a channel disabled
through another process stops working within those seconds, through this process at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_administer_channels, require
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.intake.channels import CHANNEL_SPECS, MANUAL, ChannelSpec
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database
from zhiyun.store.tables import ChannelKeyRow, ChannelRow, IntakeRecordRow

KEY_PREFIX = "zyk_"
KEY_CACHE_SECONDS = 5.0  # how long a process trusts a key it checked (revocation takes effect within this)
KEY_CACHE_SIZE = 1024
ACTIVITY_WINDOW = timedelta(hours=24)  # the channel list counts what each channel delivered in it
UNREAD: tuple[datetime | None, int | None] = (None, None)  # activity not asked for


class ChannelKeyRejected(PermissionDenied):
    """A missing, unknown or revoked channel key, or a disabled channel."""

    code = "invalid_channel_key"
    http_status = 401


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ChannelView:
    """A channel as admins see it."""

    code: str
    name: str
    enabled: bool
    default_type: OrderType
    default_urgency: Urgency
    description: str
    active_keys: int
    json_intake: bool
    # What the channel delivered (first payloads and changed repeats, as intake records):
    # the latest one's time (None: never), and how many in the ACTIVITY_WINDOW before it was
    # read (None: not read, see `ChannelService.list`).
    last_received_at: datetime | None
    received_in_window: int | None

    @property
    def by_hand(self) -> bool:
        """Orders of this channel are registered by hand: it delivers nothing through intake."""
        return self.code == MANUAL


@dataclass(frozen=True)
class _Passed:
    """A key that opened an enabled channel, as of `until` (monotonic seconds) at the latest."""

    until: float
    code: str
    name: str
    default_type: str
    default_urgency: str
    settings: dict[str, object]

    def row(self) -> ChannelRow:
        """A fresh transient row, so that no caller shares (or changes) a cached object."""
        return ChannelRow(
            code=self.code,
            name=self.name,
            enabled=True,
            default_type=self.default_type,
            default_urgency=self.default_urgency,
            settings=dict(self.settings),
        )


@dataclass(frozen=True)
class IssuedKey:
    channel: str
    key: str
    prefix: str
    created_at: datetime


def ensure_channel_rows(session: Session) -> dict[str, ChannelRow]:
    """The channel rows, creating any of the registry that is missing."""
    rows = {r.code: r for r in session.scalars(select(ChannelRow))}
    for spec in CHANNEL_SPECS.values():
        if spec.code not in rows:
            row = ChannelRow(
                code=spec.code,
                name=spec.name,
                enabled=True,
                default_type=spec.default_type.value,
                default_urgency=spec.default_urgency.value,
                settings={},
            )
            session.add(row)
            rows[spec.code] = row
    session.flush()
    return rows


def _spec(code: str) -> ChannelSpec:
    spec = CHANNEL_SPECS.get(code)
    if spec is None:
        raise NotFound(f"渠道 {code} 不存在（可选：{', '.join(CHANNEL_SPECS)}）", channel=code)
    return spec


class ChannelService:
    """List and configure channels; issue, check and revoke their keys."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock
        self._passed: dict[tuple[str, str], _Passed] = {}  # (channel, key digest) → what it opened
        self._passed_lock = threading.Lock()

    def forget_keys(self) -> None:
        """Drop the keys this process remembers (after any change to keys or channels)."""
        with self._passed_lock:
            self._passed.clear()

    def _view(
        self, session: Session, row: ChannelRow, activity: tuple[datetime | None, int | None]
    ) -> ChannelView:
        spec = _spec(row.code)
        keys = session.scalars(
            select(ChannelKeyRow.id).where(
                ChannelKeyRow.channel_code == row.code, ChannelKeyRow.revoked_at.is_(None)
            )
        ).all()
        return ChannelView(
            code=row.code,
            name=row.name,
            enabled=row.enabled,
            default_type=OrderType(row.default_type),
            default_urgency=Urgency(row.default_urgency),
            description=spec.description,
            active_keys=len(keys),
            json_intake=spec.payload is not None,
            last_received_at=activity[0],
            received_in_window=activity[1],
        )

    def channels(self, *, with_activity: bool = False) -> list[ChannelView]:
        """Every channel; with what each delivered lately when `with_activity` (the admins' list)."""
        with self.db.transaction() as session:
            rows = ensure_channel_rows(session)
            activity = self._activity(session, list(CHANNEL_SPECS)) if with_activity else {}
            return [self._view(session, rows[code], activity.get(code, UNREAD)) for code in CHANNEL_SPECS]

    def names_in(self, session: Session) -> dict[str, str]:
        """Channel code → name as the site calls it (a read: registry names stand in for rows not made yet)."""
        names = {code: spec.name for code, spec in CHANNEL_SPECS.items()}
        names.update({code: name for code, name in session.execute(select(ChannelRow.code, ChannelRow.name))})
        return names

    def get(self, code: str) -> ChannelView:
        _spec(code)
        with self.db.transaction() as session:
            row = ensure_channel_rows(session)[code]
            return self._view(session, row, self._activity(session, [code])[code])

    def _activity(self, session: Session, codes: list[str]) -> dict[str, tuple[datetime | None, int | None]]:
        """Per channel: its latest intake record's time and its count in ACTIVITY_WINDOW.

        One statement of two scalar subqueries per channel, each an index step on
        (channel, received_at), so that it stays cheap however many records there are.
        """
        since = self.clock() - ACTIVITY_WINDOW
        record = IntakeRecordRow
        columns: list[Any] = []
        for code in codes:
            columns.append(
                select(func.max(record.received_at)).where(record.channel == code).scalar_subquery()
            )
            columns.append(
                select(func.count())
                .select_from(record)
                .where(record.channel == code, record.received_at >= since)
                .scalar_subquery()
            )
        values: tuple[Any, ...] = tuple(session.execute(select(*columns)).one())
        return {code: (values[2 * i], int(values[2 * i + 1])) for i, code in enumerate(codes)}

    def configure(
        self,
        actor: Actor,
        code: str,
        *,
        enabled: bool | None = None,
        default_type: str | None = None,
        default_urgency: str | None = None,
        name: str | None = None,
    ) -> ChannelView:
        require(may_administer_channels, actor)
        _spec(code)
        try:
            kind = OrderType(default_type) if default_type is not None else None
            level = Urgency(default_urgency) if default_urgency is not None else None
        except ValueError as exc:
            raise ValidationFailed(f"渠道默认值无效：{exc}") from exc
        with self.db.transaction() as session:
            row = ensure_channel_rows(session)[code]
            if enabled is not None:
                row.enabled = enabled
            if kind is not None:
                row.default_type = kind.value
            if level is not None:
                row.default_urgency = level.value
            if name is not None:
                if not name.strip():
                    raise ValidationFailed("渠道名称不能为空", field="name")
                row.name = name.strip()
            view = self._view(session, row, self._activity(session, [code])[code])
        self.forget_keys()
        return view

    def issue_key(self, actor: Actor, code: str) -> IssuedKey:
        """A new API key for the channel, shown once."""
        require(may_administer_channels, actor)
        _spec(code)
        if code == MANUAL:
            raise ValidationFailed("人工登记渠道不经接口来件，不能签发密钥", channel=code)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.transaction() as session:
            ensure_channel_rows(session)
            session.add(
                ChannelKeyRow(channel_code=code, key_hash=key_digest(key), prefix=key[:10], created_at=now)
            )
        self.forget_keys()
        return IssuedKey(code, key, key[:10], now)

    def revoke_keys(self, actor: Actor, code: str, prefix: str | None = None) -> int:
        """Revoke the channel's keys (only the one starting with `prefix` when given); how many."""
        require(may_administer_channels, actor)
        _spec(code)
        now = self.clock()
        with self.db.transaction() as session:
            stmt = select(ChannelKeyRow).where(
                ChannelKeyRow.channel_code == code, ChannelKeyRow.revoked_at.is_(None)
            )
            if prefix:
                stmt = stmt.where(ChannelKeyRow.prefix == prefix[:10])
            rows = list(session.scalars(stmt))
            for row in rows:
                row.revoked_at = now
        self.forget_keys()
        return len(rows)

    def key_passed(self, code: str, key: str | None) -> bool:
        """Whether `key` passed for channel `code` a moment ago (no query: the cache only)."""
        if not key:
            return False
        passed = self._passed.get((code, key_digest(key)))
        return passed is not None and passed.until > time.monotonic()

    def check_key(self, code: str, key: str | None) -> None:
        """Authenticate a channel's key before its message is read (ChannelKeyRejected, 401):
        nobody without a key gets a body parsed, a schema described or a server's work."""
        if self.key_passed(code, key):
            return
        with self.db.reading() as session:
            self.authenticate(session, code, key)

    def authenticate(self, session: Session, code: str, key: str | None) -> ChannelRow:
        """The enabled channel `code` if `key` is one of its live keys (inside the caller's transaction).

        A key that passed is trusted for KEY_CACHE_SECONDS without a query; refusals are not
        remembered. The row returned is transient (read it, don't change it).
        """
        if not key:
            raise ChannelKeyRejected("缺少渠道密钥（X-Channel-Key 或 api_key）")
        digest = key_digest(key)
        passed = self._passed.get((code, digest))
        if passed is not None and passed.until > time.monotonic():
            return passed.row()
        found = session.execute(
            select(ChannelKeyRow.channel_code).where(
                ChannelKeyRow.key_hash == digest, ChannelKeyRow.revoked_at.is_(None)
            )
        ).first()
        if found is None or found[0] != code:
            raise ChannelKeyRejected("渠道密钥无效或已吊销")
        row = session.get(ChannelRow, code)
        if row is None:
            row = ensure_channel_rows(session)[code]
        if not row.enabled:
            raise ChannelKeyRejected(f"渠道「{row.name}」已停用")
        self._remember(code, digest, row)
        return row

    def _remember(self, code: str, digest: str, row: ChannelRow) -> None:
        passed = _Passed(
            time.monotonic() + KEY_CACHE_SECONDS,
            code,
            row.name,
            row.default_type,
            row.default_urgency,
            dict(row.settings or {}),
        )
        with self._passed_lock:
            if len(self._passed) >= KEY_CACHE_SIZE:
                now = time.monotonic()
                self._passed = {k: v for k, v in self._passed.items() if v.until > now}
                if len(self._passed) >= KEY_CACHE_SIZE:
                    self._passed.clear()
            self._passed[(code, digest)] = passed
