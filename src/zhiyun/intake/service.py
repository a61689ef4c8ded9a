"""The intake use case (一站接诉): one payload from one channel becomes one work order.

In one transaction: check the channel's key; find an earlier payload with the same
(channel, external id) — a repeat returns that order, and a repeat with changed content is
recorded on it as an update; otherwise normalize the draft (text, phone, coordinates,
time), locate it (grid and boundary polygons, else the gazetteer: town, village and grid),
register it through the workflow (its grid's code in the registration's audit record) and
look for duplicates among open orders: above the high threshold it is merged into its
master at once, between the thresholds it is flagged with its candidates for a dispatcher.

Every channel message takes this path, so it is kept short: the reference revision stamp
and the (channel, external id) look-up come in one round trip and serve the locator, the
registration and the receipt; rows are written past the ORM's unit of work; the receipt
of a new order skips the look-ups a new order cannot need (its duplicates, its files).

A person signed in to the platform's own app may send a channel's message too (a grid worker's
hazard report in the `grid` channel): `accept_in` takes the same path inside the caller's
transaction, with the person as the registering principal instead of the channel's key.

Intake changes orders only through the order use cases: the registration, a merge (a
command), and the system events `record_in` stores (an update from a channel, a duplicate
flag, a dispatcher's dismissal), each with its version bumped and one audit row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.dedupe import repo as dedupe_repo
from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.dedupe.scoring import DedupeScore, best_candidates
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.workorder import (
    ChannelUpdate,
    FlagDuplicate,
    Merge,
    OrderState,
    OrderType,
    Urgency,
)
from zhiyun.geo.locator import Location
from zhiyun.geo.service import GeoService
from zhiyun.intake import repo as intake_repo
from zhiyun.intake.channel_service import ChannelService
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.intake.draft import IntakeDraft
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, geo_cell, validate_coordinates
from zhiyun.kernel.normalize import normalize_phone, normalize_text, to_utc
from zhiyun.kernel.pydantic_errors import validation_fields
from zhiyun.kernel.text import default_segmenter
from zhiyun.orders import repo
from zhiyun.orders.service import NewOrder, WorkOrderService
from zhiyun.orders.views import OrderSummary, summary_of
from zhiyun.reference.cache import ReferenceSnapshot
from zhiyun.store.db import Database
from zhiyun.store.tables import ChannelRow, IntakeRecordRow, WorkOrderRow

MERGE_NOTE = "接诉时自动判定为重复件，已并入主工单"
# A channel's update is recorded even when someone changes the order at the same moment: after a
# lost race the order is read again under a lock, and the second attempt cannot lose.
UPDATE_RETRIES = 1


@dataclass(frozen=True)
class IntakeResult:
    """What became of one payload."""

    order: OrderSummary  # the order as it stands after this payload
    created: bool
    updated: bool = False
    duplicate_of: str | None = None  # the master's number when merged at intake
    possible_duplicates: list[str] = field(default_factory=list)  # candidates' numbers when flagged


def payload_digest(raw: Mapping[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def pydantic_fields(exc: ValidationError) -> dict[str, str]:
    """One Chinese message per field of a payload that failed its channel's model."""
    return validation_fields(exc.errors())


# Who flags a possible duplicate of a person's registration: the platform's detection.
DUPLICATE_DETECTION = Actor.system("查重")


@dataclass(frozen=True)
class HandRegistration:
    """An order a person registered: its row (inside the transaction), where it was located,
    and the numbers of the open orders it was flagged against."""

    row: WorkOrderRow
    location: Location
    possible_duplicates: list[str]


def _location_columns(new: NewOrder, location: Location) -> dict[str, Any]:
    """The columns a registration sets from where the order was located: town, village, grid
    (the grid whose polygon holds its point), how, the look-up cell, and its search words."""
    return {
        "town_unit_id": location.town_unit_id,
        "village_unit_id": location.village_unit_id,
        "grid_id": location.grid_id,
        "location_source": location.source,
        "geo_cell": geo_cell(new.latitude, new.longitude)
        if new.latitude is not None and new.longitude is not None
        else None,
        "search_text": default_segmenter().search_text(new.title, new.content),
    }


def _with_grid(details: Mapping[str, Any] | None, location: Location) -> dict[str, Any] | None:
    """The registration's audit details with the grid's code, when the point lies in a grid: the
    grid is part of the registered record, not a later change."""
    if location.grid_code is None:
        return dict(details) if details is not None else None
    return {**(details or {}), "grid": location.grid_code}


def channel_actor(channel: str) -> Actor:
    spec = CHANNEL_SPECS.get(channel)
    return Actor.system(f"{spec.name if spec else channel}接口")


class IntakeService:
    """Receives channel payloads and turns them into work orders."""

    def __init__(
        self,
        db: Database,
        orders: WorkOrderService,
        channels: ChannelService,
        geo: GeoService,
        *,
        clock: Clock = system_clock,
        policy: DedupePolicy | None = None,
    ) -> None:
        self.db = db
        self.orders = orders
        self.channels = channels
        self.geo = geo
        self.clock = clock
        self.policy = policy or DedupePolicy()

    # -- entry points -------------------------------------------------------------

    def admit(self, channel: str, key: str | None) -> None:
        """Check the channel and its key before the message is read: NotFound (404) for a channel
        that takes no JSON, ChannelKeyRejected (401) for a missing, wrong or foreign key."""
        spec = CHANNEL_SPECS.get(channel)
        if spec is None or spec.payload is None:
            raise NotFound(f"渠道 {channel} 不存在或不接收 JSON 推送", channel=channel)
        self.channels.check_key(channel, key)

    def admitted(self, channel: str, key: str | None) -> bool:
        """Whether `admit` would pass from the key cache alone (no query, no thread needed)."""
        return channel in CHANNEL_SPECS and self.channels.key_passed(channel, key)

    def receive(self, channel: str, raw: Mapping[str, Any], *, key: str | None) -> IntakeResult:
        """A JSON payload in the channel's own terms (POST /api/v1/intake/{channel})."""
        spec = CHANNEL_SPECS.get(channel)
        if spec is None or spec.payload is None:
            raise NotFound(f"渠道 {channel} 不存在或不接收 JSON 推送", channel=channel)
        if not isinstance(raw, Mapping):
            raise ValidationFailed("请求体须为 JSON 对象")
        try:
            draft = spec.adapt(dict(raw))
        except ValidationError as exc:
            fields = pydantic_fields(exc)
            raise ValidationFailed("；".join(f"{k}: {v}" for k, v in fields.items()), fields=fields) from None
        return self.accept(channel, draft, raw, key=key)

    def accept(
        self, channel: str, draft: IntakeDraft, raw: Mapping[str, Any], *, key: str | None
    ) -> IntakeResult:
        """A draft already adapted from the channel's payload (Open311 posts come this way)."""
        now = self.clock()
        try:
            with self.db.transaction() as session:
                return self._accept(session, channel, draft, raw, key, now)
        except IntegrityError:
            # Another request registered the same (channel, external id) a moment ago: theirs stands.
            with self.db.transaction() as session:
                return self._accept(session, channel, draft, raw, key, now)

    # -- the use case ---------------------------------------------------------------

    def _accept(
        self,
        session: Session,
        channel: str,
        draft: IntakeDraft,
        raw: Mapping[str, Any],
        key: str | None,
        now: datetime,
    ) -> IntakeResult:
        row_channel = self.channels.authenticate(session, channel, key)
        actor = channel_actor(channel)
        return self._take(
            session,
            channel,
            draft,
            raw,
            now,
            registrar=actor,
            defaults=(OrderType(row_channel.default_type), Urgency(row_channel.default_urgency)),
        )

    def accept_in(
        self,
        session: Session,
        channel: str,
        draft: IntakeDraft,
        raw: Mapping[str, Any],
        *,
        actor: Actor,
        now: datetime,
        center_unit_id: int | None = None,
        location: Location | None = None,
        details: Mapping[str, Any] | None = None,
        on_registered: Callable[[Session, WorkOrderRow], None] | None = None,
    ) -> IntakeResult:
        """A message of `channel` that a signed-in person sends through the platform's own app
        (a grid worker's hazard report in the `grid` channel), inside the caller's transaction.

        The person is the principal, not the channel's key: `actor` registers the order (at
        `center_unit_id`, which `register_in` checks with `may_register_at`; by default the
        actor's own center), and otherwise the message takes the channel's path: the same
        (channel, external id) again returns the first order, it is located (or placed at the
        given `location`: a grid worker's report names its grid), and it goes through the same
        duplicate check as every channel — merged into its master above the high threshold,
        flagged between the thresholds, by the platform's duplicate detection (the system
        principal; a person is never the one who merges). `details` join the registration's
        audit record; `on_registered` runs on the new order before the duplicate decision
        (files that belong to it, while it is still open). A disabled channel refuses.
        """
        spec = CHANNEL_SPECS.get(channel)
        if spec is None:
            raise NotFound(f"渠道 {channel} 不存在", channel=channel)
        row_channel = session.get(ChannelRow, channel)
        if row_channel is not None and not row_channel.enabled:
            raise ValidationFailed(f"渠道「{row_channel.name}」已停用", field="channel")
        defaults = (
            (OrderType(row_channel.default_type), Urgency(row_channel.default_urgency))
            if row_channel is not None
            else (spec.default_type, spec.default_urgency)
        )
        return self._take(
            session,
            channel,
            draft,
            raw,
            now,
            registrar=actor,
            defaults=defaults,
            detector=DUPLICATE_DETECTION,
            center_unit_id=center_unit_id,
            location=location,
            details=details,
            on_registered=on_registered,
        )

    def _take(
        self,
        session: Session,
        channel: str,
        draft: IntakeDraft,
        raw: Mapping[str, Any],
        now: datetime,
        *,
        registrar: Actor,
        defaults: tuple[OrderType, Urgency],
        detector: Actor | None = None,
        center_unit_id: int | None = None,
        location: Location | None = None,
        details: Mapping[str, Any] | None = None,
        on_registered: Callable[[Session, WorkOrderRow], None] | None = None,
    ) -> IntakeResult:
        """One message of a channel, registered by `registrar` and checked for duplicates by
        `detector` (the registrar when it is the channel's own system principal)."""
        actor = registrar
        system = detector or registrar
        digest = payload_digest(raw)
        revision, existing_id = repo.revision_and_external_order(session, channel, draft.external_id)
        if existing_id is not None:
            existing = repo.find_order(session, existing_id)
            if existing is not None:
                snap = self.orders.reference.get(session, revision)
                updater = system if system.is_system else channel_actor(channel)
                return self._repeat(session, existing, draft, raw, digest, updater, now, snap, reader=actor)

        new = self._normalize(draft, channel, *defaults)
        if center_unit_id is not None:
            new = replace(new, center_unit_id=center_unit_id)
        snap = self.orders.reference.get(session, revision)
        if location is None:
            location = self._locate(session, new, revision)
        extra = _location_columns(new, location)
        # Everything that only reads comes before the registration: registering takes the day's
        # order-number counter, which concurrent intakes wait for until this one commits.
        item, scores, numbers = self._duplicate_scores(session, new, now)
        companions = intake_repo.intake_companions(
            channel=channel,
            external_id=draft.external_id,
            payload=json.loads(json.dumps(raw, default=str)),
            payload_hash=digest,
            received_at=now,
            signature=item.signature(),
        )
        row = self.orders.register_in(
            session,
            actor,
            new,
            now,
            snap=snap,
            extra=extra,
            details=_with_grid({**self._details(draft), **(details or {})}, location),
            companions=companions,
        )
        if on_registered is not None:
            on_registered(session, row)
        duplicate_of, flagged, state = self._dedupe(session, row, scores, numbers, system, now, snap)
        if state is None:  # not merged: automatic dispatch and other hooks (a flagged order only waits)
            state = self.orders.after_register_in(session, actor, row, now, snap=snap)
        summary = summary_of(row, state or repo.state_of(row), snap.org, snap.calendar, now, viewer=actor)
        return IntakeResult(summary, created=True, duplicate_of=duplicate_of, possible_duplicates=flagged)

    def register_by_hand_in(
        self,
        session: Session,
        actor: Actor,
        new: NewOrder,
        now: datetime,
        *,
        snap: ReferenceSnapshot,
        details: Mapping[str, Any] | None = None,
    ) -> HandRegistration:
        """A person's registration (an agent on the phone: the `manual` channel) inside the
        caller's transaction, with what intake does for a channel's message: the order is
        located to town, village and grid, its search words are stored at once, its text weights are
        kept for later duplicate checks, and open orders it may repeat are flagged for a
        dispatcher (as the system: detection is the platform's, never merged by itself — the
        person registering has seen the candidates and decided). `register_in` asks the
        person's policy (`may_register_at`); hooks after registration (automatic dispatch) do
        not run: the person decides the outcome."""
        location = self._locate(session, new, dict(snap.key))
        extra = _location_columns(new, location)
        item, scores, numbers = self._duplicate_scores(session, new, now)
        row = self.orders.register_in(
            session,
            actor,
            new,
            now,
            snap=snap,
            extra=extra,
            details=_with_grid(details, location),
            companions=[intake_repo.signature_companion(registered_at=now, signature=item.signature())],
        )
        flagged: list[str] = []
        if scores:
            dedupe_repo.record_candidates(session, row.id, scores, decision="open", at=now, new_order=True)
            flag = FlagDuplicate(candidates=tuple(_score_json(s, numbers) for s in scores))
            self.orders.record_in(session, DUPLICATE_DETECTION, row, flag, now, snap=snap)
            flagged = [numbers[s.candidate_id] for s in scores if s.candidate_id in numbers]
        return HandRegistration(row=row, location=location, possible_duplicates=flagged)

    def duplicate_candidates(self, session: Session, new: NewOrder, now: datetime) -> list[dict[str, Any]]:
        """The open orders duplicate detection would flag `new` against (best first, with their
        numbers and scores), before anything is registered: what the seat shows while typing."""
        _, scores, numbers = self._duplicate_scores(session, new, now)
        return [_score_json(s, numbers) | {"order_id": s.candidate_id} for s in scores]

    @staticmethod
    def _details(draft: IntakeDraft) -> dict[str, Any]:
        details: dict[str, Any] = {"external_id": draft.external_id}
        if draft.reported_at is not None:  # a time without an offset is Asia/Shanghai time
            details["reported_at"] = to_utc(draft.reported_at).isoformat()
        attributes = {k: v for k, v in draft.attributes.items() if v not in (None, "", [], {})}
        if attributes:
            details["attributes"] = attributes
        return details

    def _normalize(
        self, draft: IntakeDraft, channel: str, default_type: OrderType, default_urgency: Urgency
    ) -> NewOrder:
        errors: dict[str, str] = {}
        phone = None
        try:
            phone = normalize_phone(draft.citizen_phone)
        except ValidationFailed as exc:
            errors["citizen_phone"] = exc.message
        lat, lon = draft.latitude, draft.longitude
        if (lat is None) != (lon is None):
            errors["location"] = "经纬度必须同时提供"
        elif lat is not None and lon is not None:
            try:
                lat, lon = validate_coordinates(lat, lon)
                if draft.coord_system is CoordSystem.GCJ02:
                    lat, lon = gcj02_to_wgs84(lat, lon)
            except ValidationFailed as exc:
                errors["location"] = exc.message
        if errors:
            raise ValidationFailed("；".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
        title = normalize_text(draft.title, multiline=False)
        content = normalize_text(draft.content)
        return NewOrder(
            title=title,
            content=content,
            order_type=draft.order_type or default_type,
            urgency=draft.urgency or default_urgency,
            channel=channel,
            external_id=draft.external_id,
            citizen_name=normalize_text(draft.citizen_name, multiline=False) if draft.citizen_name else None,
            citizen_phone=phone,
            category_code=draft.category_code,
            address=normalize_text(draft.address, multiline=False) if draft.address else None,
            latitude=lat,
            longitude=lon,
            confidential=draft.confidential,
        ).validated()

    def _locate(self, session: Session, new: NewOrder, revision: Mapping[str, int]) -> Location:
        locator = self.geo.locator(session, revision)
        text = " ".join(x for x in (new.address, new.title) if x)
        return locator.locate(new.latitude, new.longitude, text or None)

    def _repeat(
        self,
        session: Session,
        row: WorkOrderRow,
        draft: IntakeDraft,
        raw: Mapping[str, Any],
        digest: str,
        actor: Actor,
        now: datetime,
        snap: ReferenceSnapshot,
        *,
        reader: Actor | None = None,
    ) -> IntakeResult:
        """The same (channel, external id) again: the same order (as `reader` sees it, by default
        the channel's principal that records the update). A payload not stored for it yet
        (changed content, or the first one the channel sends for an order that came in another
        way, such as a bulk import) is kept and recorded on the order as an update: a channel's
        message is never dropped. A payload stored already adds nothing, also when concurrent
        posts race (the database keeps one row per distinct payload)."""
        known = set(
            session.scalars(select(IntakeRecordRow.payload_hash).where(IntakeRecordRow.order_id == row.id))
        )
        updated = digest not in known and intake_repo.record_repeat_payload(
            session,
            order_id=row.id,
            channel=row.channel,
            external_id=draft.external_id,
            payload=json.loads(json.dumps(raw, default=str)),
            payload_hash=digest,
            received_at=now,
        )
        if updated:
            changes = {
                name: value
                for name, value in (
                    ("title", normalize_text(draft.title, multiline=False)),
                    ("content", normalize_text(draft.content)),
                    ("address", normalize_text(draft.address, multiline=False) if draft.address else None),
                )
                if value and value != getattr(row, name)
            }
            event = ChannelUpdate(changes=changes, first_message=not known)
            self.orders.record_in(session, actor, row, event, now, snap=snap, retries=UPDATE_RETRIES)
        detail = self.orders.detail_in(session, reader or actor, row, now)
        return IntakeResult(detail.summary, created=False, updated=updated)

    def _duplicate_scores(
        self, session: Session, new: NewOrder, now: datetime
    ) -> tuple[DedupeItem, list[DedupeScore], dict[int, str]]:
        """The new order as duplicate detection sees it, the candidates it scores as a duplicate
        of or flags, best first (registered at `now`), and the numbers of those candidates."""
        item = DedupeItem.from_text(
            None,
            new.title,
            new.content,
            category_code=new.category_code,
            phone=new.citizen_phone,
            lat=new.latitude,
            lon=new.longitude,
            registered_at=now,
        )
        candidates = dedupe_repo.find_candidates(session, item, self.policy, now)
        scores = [s for s in best_candidates(item, candidates, self.policy) if s.decision != "none"]
        numbers = {c.id: c.number for c in candidates if c.id is not None and c.number is not None}
        return (
            item,
            scores,
            {s.candidate_id: numbers[s.candidate_id] for s in scores if s.candidate_id in numbers},
        )

    def _dedupe(
        self,
        session: Session,
        row: WorkOrderRow,
        scores: list[DedupeScore],
        numbers: Mapping[int, str],
        actor: Actor,
        now: datetime,
        snap: ReferenceSnapshot,
    ) -> tuple[str | None, list[str], OrderState | None]:
        """Merge the new order into its best candidate or flag it: (master's number, flagged numbers, new state).

        Candidates are open orders, never duplicates themselves: the best one is the master. If
        it ended or was merged into another order since it was read (a dispatcher at the same
        moment), the merge is refused and the new order is flagged with its candidates instead:
        a dispatcher decides, and the channel's message is accepted all the same.
        """
        if not scores:
            return None, [], None
        best = scores[0]
        if best.decision == "merge" and best.candidate_id is not None:
            note = f"{MERGE_NOTE}（相似度 {best.score:.2f}）"
            try:
                # act_in checks the master before it writes anything: a refusal leaves nothing to undo
                state = self.orders.act_in(
                    session, actor, row, Merge(master_id=best.candidate_id, note=note), now, snap=snap
                )
            except ValidationFailed:
                pass
            else:
                dedupe_repo.record_candidates(
                    session, row.id, [best], decision="merged", at=now, new_order=True
                )
                return numbers.get(best.candidate_id), [], state
        dedupe_repo.record_candidates(session, row.id, scores, decision="open", at=now, new_order=True)
        flag = FlagDuplicate(candidates=tuple(_score_json(s, numbers) for s in scores))
        self.orders.record_in(session, actor, row, flag, now, snap=snap)
        flagged = [
            numbers[s.candidate_id]
            for s in scores
            if s.candidate_id is not None and s.candidate_id in numbers
        ]
        return None, flagged, None


def _score_json(s: DedupeScore, numbers: Mapping[int, str]) -> dict[str, Any]:
    return {
        "number": numbers.get(s.candidate_id) if s.candidate_id is not None else None,
        "score": round(s.score, 3),
        "text_similarity": round(s.text_similarity, 3),
        "distance_m": None if s.distance_m is None else round(s.distance_m, 1),
        "same_caller": s.same_caller,
        "decision": s.decision,
    }


__all__ = [
    "DUPLICATE_DETECTION",
    "HandRegistration",
    "IntakeResult",
    "IntakeService",
    "channel_actor",
    "payload_digest",
    "pydantic_fields",
]
