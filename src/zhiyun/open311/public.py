"""The read side of Open311 GeoReport v2: work orders as public service requests.

Open311 is public: only orders that are not confidential are listed, and no personal data
leaves — citizen names, phones and e-mail addresses are never output, and inside the text
mobile and ID card numbers, e-mail addresses and the citizen's own name are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from zhiyun.domain.access import mask_name
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import NotFound
from zhiyun.domain.workorder import OPEN_STATUSES, TERMINAL_STATUSES, CancelReason, OrderStatus
from zhiyun.open311 import catalog as spec
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import IntakeRecordRow, WorkOrderRow

MAX_REQUESTS = 1000  # the spec's default query limit: 90 days or the first 1000 requests
DEFAULT_SPAN = timedelta(days=90)


def w3c(value: datetime | None) -> str | None:
    """2026-11-26T09:30:15+08:00: W3C date-time with the Asia/Shanghai offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RequestQuery:
    """What GET requests asks for, as the spec defines it."""

    numbers: tuple[str, ...] = ()  # service_request_id: overrides all other arguments
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # open, closed
    start: datetime | None = None
    end: datetime | None = None


_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_EMAIL_IN_TEXT = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")


def public_text(
    text: str | None, limit: int = spec.MAX_DESCRIPTION, *, names: Iterable[str | None] = ()
) -> str | None:
    """Text as the public may read it, at most `limit` characters: mobile and ID card numbers,
    e-mail addresses and the citizen's own `names` (as they typed them into the text) masked."""
    if not text:
        return None
    for name in names:
        if name and len(name.strip()) >= 2:
            text = text.replace(name.strip(), mask_name(name.strip()) or "")
    text = _ID_CARD_IN_TEXT.sub(r"\1********\2", text)
    text = _MOBILE_IN_TEXT.sub(r"\1****\2", text)
    text = _EMAIL_IN_TEXT.sub(r"\1***@\2", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_notes(row: WorkOrderRow, masters: Mapping[int, str]) -> str:
    """Why the request is where it is: the status in words, the reply of a closed one."""
    status = OrderStatus(row.status)
    if status is OrderStatus.MERGED:
        master = masters.get(row.master_id or 0)
        return f"重复件：已并入工单 {master} 一并办理" if master else "重复件：已与同一问题的工单合并办理"
    if status is OrderStatus.CANCELLED:
        reason = CancelReason(row.cancel_reason).label if row.cancel_reason else ""
        return f"已撤销{('：' + reason) if reason else ''}"
    if status is OrderStatus.CLOSED:
        return public_text(row.result, 1000, names=(row.citizen_name,)) or "已办结"
    return status.label


def _media_url(payload: Mapping[str, Any] | None) -> str | None:
    raw = (payload or {}).get("media_url")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    return str(raw) if raw else None


class PublicRequests:
    """The read side of GeoReport v2: work orders as public service requests."""

    def __init__(self, db: Database, reference: ReferenceCache) -> None:
        self.db = db
        self.reference = reference

    def find(self, query: RequestQuery, *, now: datetime, limit: int | None = None) -> list[dict[str, Any]]:
        """The requests `query` asks for, newest first, at most `limit` (default: MAX_REQUESTS)."""
        stmt = select(WorkOrderRow).where(WorkOrderRow.confidential.is_(False))
        if query.numbers:
            stmt = stmt.where(WorkOrderRow.number.in_(query.numbers))
        else:
            start, end = query.start, query.end
            if start is None and end is None:
                start, end = now - DEFAULT_SPAN, now
            if start is not None:
                stmt = stmt.where(WorkOrderRow.registered_at >= start)
            if end is not None:
                stmt = stmt.where(WorkOrderRow.registered_at <= end)
            if query.statuses and set(query.statuses) != {"open", "closed"}:
                wanted = OPEN_STATUSES if "open" in query.statuses else TERMINAL_STATUSES
                stmt = stmt.where(WorkOrderRow.status.in_(sorted(s.value for s in wanted)))
            if query.service_codes:
                codes = sorted(set(query.service_codes))
                clause: ColumnElement[bool] = WorkOrderRow.category_code.in_(codes)
                if spec.FALLBACK_SERVICE.code in codes:  # 其他问题: orders of no listed service
                    clause = or_(
                        clause,
                        WorkOrderRow.category_code.is_(None),
                        WorkOrderRow.category_code.not_in(sorted(spec.SERVICES_BY_CODE)),
                    )
                stmt = stmt.where(clause)
        stmt = stmt.order_by(WorkOrderRow.registered_at.desc(), WorkOrderRow.id.desc()).limit(
            limit or MAX_REQUESTS
        )
        with self.db.reading() as session:
            rows = list(session.scalars(stmt))
            return self._render(session, rows)

    def get(self, number: str) -> dict[str, Any]:
        found = self.find(RequestQuery(numbers=(number,)), now=datetime.now(UTC), limit=1)
        if not found:
            raise NotFound(f"service_request_id {number[:64]} 不存在")
        return found[0]

    def by_token(self, token: str) -> str | None:
        """The order number of the open311 request whose token (external id) is `token`."""
        with self.db.reading() as session:
            return session.scalar(
                select(WorkOrderRow.number).where(
                    WorkOrderRow.channel == spec.CHANNEL_CODE,
                    WorkOrderRow.external_id == token,
                    WorkOrderRow.confidential.is_(False),
                )
            )

    def _render(self, session: Any, rows: list[WorkOrderRow]) -> list[dict[str, Any]]:
        if not rows:
            return []
        org = self.reference.get(session).org
        master_ids = sorted({r.master_id for r in rows if r.master_id is not None})
        masters: dict[int, str] = {}
        if master_ids:
            masters = dict(
                session.execute(
                    select(WorkOrderRow.id, WorkOrderRow.number).where(WorkOrderRow.id.in_(master_ids))
                ).all()
            )
        open311_ids = [r.id for r in rows if r.channel == spec.CHANNEL_CODE]
        payloads: dict[int, Mapping[str, Any]] = {}
        if open311_ids:
            records = session.execute(
                select(IntakeRecordRow.order_id, IntakeRecordRow.payload)
                .where(IntakeRecordRow.order_id.in_(open311_ids))
                .order_by(IntakeRecordRow.id)
            )
            for order_id, payload in records:
                payloads.setdefault(order_id, payload or {})
        out = []
        for row in rows:
            svc = spec.service_for_category(row.category_code)
            status = OrderStatus(row.status)
            closed = status.is_terminal
            unit_id = row.responsible_unit_id or row.current_unit_id
            agency = org.units[unit_id].name if unit_id in org.units else None
            payload = payloads.get(row.id)
            address_id = (payload or {}).get("address_id")
            out.append(
                {
                    "service_request_id": row.number,
                    "status": "closed" if closed else "open",
                    "status_notes": _status_notes(row, masters),
                    "service_name": svc.name,
                    "service_code": svc.code,
                    "description": public_text(row.content, names=(row.citizen_name,)),
                    "agency_responsible": agency,
                    "service_notice": svc.notice,
                    "requested_datetime": w3c(row.registered_at),
                    "updated_datetime": w3c((row.closed_at if closed else None) or row.updated_at),
                    "expected_datetime": w3c(row.reply_due_at),
                    "address": row.address,
                    "address_id": str(address_id) if address_id else None,
                    "zipcode": None,
                    "lat": row.latitude,
                    "long": row.longitude,
                    "media_url": _media_url(payload),
                }
            )
        return out
