"""The portal's use cases: a citizen reports a problem, tracks it, rates the result.

- **report**: the citizen's words, category, place (a map click or an address) and photos
  become one work order of the `web` channel through intake's use case
  (`IntakeService.accept_in`): normalized, located, checked for duplicates (merged into an
  open order about the same matter above the high threshold — the receipt then names that
  order — or flagged for a dispatcher), with the photos attached in the same transaction by
  the citizen (`may_attach_to_report`). The registering principal is the channel's
  (`WEB_INTAKE`, the system), as for every channel message. Throttled per phone, per place
  and per client address; a filled honeypot field is refused.
- **track**: an order's number and the last four digits of its phone give its status, its
  public steps and its reply, with personal data masked as Open311's public view masks it.
  A wrong pair is answered exactly as a missing order. Throttled per client address and per
  number, right or wrong.
- **rate**: 满意 / 基本满意 / 不满意 with words, once per reply, while the order waits for its
  callback: recorded as the callback through the order life cycle (`Callback`, by
  `PORTAL_RATING`, the system principal, once the citizen's claim is proven), so 不满意
  reopens the order as the workflow says.

Every use case takes the acting principal (a citizen, `may_use_portal`) first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from zhiyun.catalog.taxonomy import TaxonomyService, load_taxonomy
from zhiyun.domain import portal as rules
from zhiyun.domain.access import (
    Actor,
    mask_name,
    mask_phone,
    may_follow_by_phone,
    may_rate_by_phone,
    may_run_housekeeping,
    may_use_portal,
    require,
)
from zhiyun.domain.channels import WEB
from zhiyun.domain.errors import Conflict, NotFound, TooManyAttempts, ValidationFailed
from zhiyun.domain.portal import OrderClaim, Window
from zhiyun.domain.throttle import address_key
from zhiyun.domain.workorder import Callback, OrderStatus, Satisfaction
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.normalize import normalize_phone, normalize_text
from zhiyun.open311.public import public_text
from zhiyun.orders import repo as orders_repo
from zhiyun.orders.attachments import AttachmentService, sniff
from zhiyun.orders.service import WorkOrderService
from zhiyun.portal import repo
from zhiyun.portal.tables import PortalRatingRow
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger(__name__)

# Who registers the portal's reports (the channel's interface) and records a citizen's rating
# as the callback once the portal has checked their claim: the system, by name in the trail.
WEB_INTAKE = Actor.system("网上诉求接口")
PORTAL_RATING = Actor.system("市民网上评价")
# One answer for a missing order and for a wrong number/phone pair: nothing tells them apart.
UNKNOWN_ORDER = "未找到该工单：请核对工单编号和手机号后四位"
HONEYPOT_REFUSED = "提交失败，请刷新页面后重新填写"
THROTTLES_KEPT = timedelta(days=2)  # longer than the longest window


@dataclass(frozen=True)
class Photo:
    """One photo as the phone sent it: its name and bytes (its type is judged by the bytes)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Report:
    """What a citizen fills in to report a problem (反映问题)."""

    content: str
    citizen_phone: str
    citizen_name: str | None = None
    category_code: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[Photo, ...] = ()
    honeypot: str = ""  # a field people never see: filled only by a program


@dataclass(frozen=True)
class Receipt:
    """What became of a report: its order's number, and the open order it was merged into."""

    number: str
    merged_into: str | None
    photos: int


@dataclass(frozen=True)
class Step:
    """One public step of an order: when, what, and the unit it went to (if any)."""

    at: datetime
    label: str
    unit: str | None = None


@dataclass(frozen=True)
class GivenRating:
    satisfaction: Satisfaction
    words: str
    at: datetime

    @property
    def label(self) -> str:
        return self.satisfaction.label


@dataclass(frozen=True)
class Progress:
    """An order as its citizen sees it on the portal (personal data masked)."""

    number: str
    status: OrderStatus
    status_label: str
    registered_at: datetime
    category: str | None
    title: str | None
    content: str | None
    address: str | None
    citizen_name: str | None
    citizen_phone: str | None
    unit: str | None  # the unit handling it (or that handled it)
    reply: str | None
    replied_at: datetime | None
    merged_into: str | None
    merged_status: str | None
    steps: list[Step] = field(default_factory=list)
    ratings: list[GivenRating] = field(default_factory=list)
    may_rate: bool = False
    rated_this_reply: bool = False


@dataclass(frozen=True)
class Rated:
    """A rating recorded as the callback: the order's status after it, and whether it reopened."""

    number: str
    satisfaction: Satisfaction
    status: OrderStatus
    reopened: bool


@dataclass(frozen=True)
class CategoryGroup:
    """A first-level category and the second-level ones a citizen chooses from."""

    name: str
    choices: list[tuple[str, str]]  # (code, name)


def _key(kind: str, value: str) -> str:
    return rules.throttle_key(kind, value)


class PortalService:
    """The citizens' portal: report, track, rate."""

    def __init__(
        self,
        db: Database,
        orders: WorkOrderService,
        intake: IntakeService,
        attachments: AttachmentService,
        taxonomy: TaxonomyService,
        reference: ReferenceCache,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.orders = orders
        self.intake = intake
        self.attachments = attachments
        self.taxonomy = taxonomy
        self.reference = reference
        self.clock = clock

    # -- what the form offers -------------------------------------------------------------

    def categories(self) -> list[CategoryGroup]:
        """The categories a citizen chooses from: the active second-level ones of the catalog,
        under their first-level category."""
        tree = self.taxonomy.taxonomy()
        groups: list[CategoryGroup] = []
        for top_code in tree.children.get(None, []):
            top = tree.categories[top_code]
            if not top.active:
                continue
            choices = [
                (code, tree.categories[code].name)
                for code in tree.children.get(top_code, [])
                if tree.categories[code].active
            ]
            groups.append(CategoryGroup(top.name, choices or [(top.code, top.name)]))
        return groups

    # -- report ------------------------------------------------------------------------------

    def report(self, actor: Actor, report: Report, *, client: str) -> Receipt:
        """Register the citizen's report as an order of the `web` channel (see the module)."""
        require(may_use_portal, actor)
        if report.honeypot.strip():
            log.info("portal report refused: honeypot filled")
            raise ValidationFailed(HONEYPOT_REFUSED, field="form")
        phone, draft, raw = self._draft(report)
        photos = self._checked_photos(report.photos)
        place = rules.place_of(draft.address, draft.latitude, draft.longitude)
        now = self.clock()
        limits: list[tuple[str, Window]] = [
            (_key("report-phone", phone), rules.REPORT_PER_PHONE),
            (_key("report-client", rules_address(client)), rules.REPORT_PER_ADDRESS),
        ]
        if place is not None:
            limits.append((_key("report-place", place), rules.REPORT_PER_PLACE))
        attached: list[int] = []

        def attach_photos(session: Session, row: WorkOrderRow) -> None:
            for photo in photos:
                view = self.attachments.add_to_report_in(session, actor, row, photo.filename, photo.data, now)
                attached.append(view.id)

        with self.db.transaction() as session:
            self._count(session, limits, now)
            result = self.intake.accept_in(
                session, WEB, draft, raw, actor=WEB_INTAKE, now=now, on_registered=attach_photos
            )
        merged = result.duplicate_of if result.duplicate_of != result.order.number else None
        return Receipt(result.order.number, merged, len(attached))

    def _draft(self, report: Report) -> tuple[str, IntakeDraft, dict[str, Any]]:
        errors: dict[str, str] = {}
        content = normalize_text(report.content or "")
        if len(content) < rules.MIN_CONTENT:
            errors["content"] = f"请描述问题（至少 {rules.MIN_CONTENT} 个字）"
        elif len(content) > rules.MAX_CONTENT:
            errors["content"] = f"问题描述不能超过 {rules.MAX_CONTENT} 字"
        phone: str | None = None
        try:
            phone = normalize_phone(report.citizen_phone, field="citizen_phone")
        except ValidationFailed as exc:
            errors["citizen_phone"] = exc.message
        if phone is None and "citizen_phone" not in errors:
            errors["citizen_phone"] = "请填写手机号码，用于查询进度和回访"
        elif phone is not None and len(phone.replace("-", "")) < 7:
            errors["citizen_phone"] = "请填写手机号码或带区号的固定电话"
        name = normalize_text(report.citizen_name or "", multiline=False) or None
        if name is not None and len(name) > rules.MAX_NAME:
            errors["citizen_name"] = f"称呼不能超过 {rules.MAX_NAME} 字"
        address = normalize_text(report.address or "", multiline=False) or None
        if address is not None and len(address) > rules.MAX_ADDRESS:
            errors["address"] = f"地址不能超过 {rules.MAX_ADDRESS} 字"
        lat, lon = report.latitude, report.longitude
        if (lat is None) != (lon is None):
            errors["location"] = "地图位置不完整，请重新点选"
        if address is None and lat is None:
            errors["location"] = "请在地图上点选位置，或填写地址"
        code = (report.category_code or "").strip() or None
        if code is not None and code not in {c for g in self.categories() for c, _ in g.choices}:
            errors["category_code"] = "请选择列表中的问题类别"
        if errors:
            raise ValidationFailed("；".join(errors.values()), fields=errors)
        assert phone is not None
        draft = IntakeDraft(
            external_id="P" + uuid.uuid4().hex,
            title=rules.title_of(content),
            content=content,
            citizen_name=name,
            citizen_phone=phone,
            address=address,
            latitude=lat,
            longitude=lon,
            category_code=code,
            attributes={"photos": len(report.photos)} if report.photos else {},
        )
        raw: dict[str, Any] = {
            "category_code": code,
            "content": content,
            "address": address,
            "lat": lat,
            "lon": lon,
            "citizen_name": name,
            "citizen_phone": phone,
            "photos": [p.filename[:100] for p in report.photos],
        }
        return phone, draft, raw

    @staticmethod
    def _checked_photos(photos: Sequence[Photo]) -> list[Photo]:
        """The photos if each is an image by its bytes and they keep to the limits (per photo
        and together); ValidationFailed naming the first that does not."""
        kept = [p for p in photos if p.data]  # an empty file input sends an empty part
        if len(kept) > rules.MAX_PHOTOS:
            raise ValidationFailed(f"最多上传 {rules.MAX_PHOTOS} 张照片", field="photos")
        total = 0
        for index, photo in enumerate(kept, start=1):
            if len(photo.data) > rules.MAX_PHOTO_BYTES:
                raise ValidationFailed(
                    f"第 {index} 张照片超过 {rules.MAX_PHOTO_BYTES // (1024 * 1024)} MB", field="photos"
                )
            total += len(photo.data)
            if sniff(photo.data[:1024], photo.filename) not in rules.PHOTO_TYPES:
                raise ValidationFailed(f"第 {index} 张不是照片（支持 JPEG、PNG、WebP、GIF）", field="photos")
        if total > rules.MAX_PHOTOS_BYTES:
            raise ValidationFailed(
                f"照片合计超过 {rules.MAX_PHOTOS_BYTES // (1024 * 1024)} MB", field="photos"
            )
        return kept

    @staticmethod
    def _count(session: Session, limits: Sequence[tuple[str, Window]], now: datetime) -> None:
        """One hit on each key; TooManyAttempts (429) when one goes past its window (the
        caller's transaction then rolls back: a refused hit is not counted)."""
        for key, window in limits:
            hits = repo.hit(session, key, window, now)
            if rules.over(window, hits):
                raise TooManyAttempts(
                    f"操作过于频繁：{window.what}，请稍后再试",
                    retry_after=rules.retry_after(window, hits, now),
                )

    # -- track -------------------------------------------------------------------------------

    def track(self, actor: Actor, number: str, digits: str, *, client: str) -> Progress:
        """The order `number` as its citizen sees it, if `digits` are its phone's last four."""
        require(may_use_portal, actor)
        number = (number or "").strip().upper()
        self._count_tries(number, client)
        now = self.clock()
        with self.db.reading() as session:
            row = repo.order_by_number(session, number)
            claim = _claim(row, digits)
            if row is None or not may_follow_by_phone(actor, claim):
                raise NotFound(UNKNOWN_ORDER)
            return self._progress(session, actor, row, claim, now)

    def _count_tries(self, number: str, client: str) -> None:
        """Count a look-up or a rating (right or wrong) per client address and per number, in a
        transaction of its own: a wrong try counts even though the answer is a refusal."""
        now = self.clock()
        limits = [
            (_key("track-client", rules_address(client)), rules.TRACK_PER_ADDRESS),
            (_key("track-order", number[: repo.MAX_NUMBER + 1]), rules.TRACK_PER_ORDER),
        ]
        with self.db.transaction() as session:
            self._count(session, limits, now)

    def _progress(
        self, session: Session, actor: Actor, row: WorkOrderRow, claim: OrderClaim, now: datetime
    ) -> Progress:
        org = self.reference.get(session).org
        status = OrderStatus(row.status)
        steps: list[Step] = []
        for audit in repo.trail(session, row.id):
            label = rules.public_step(audit.action, audit.to_status, audit.details)
            if label is None:
                continue
            unit = None
            if audit.action in ("dispatch", "redispatch") and audit.to_unit_id in org.units:
                unit = org.units[audit.to_unit_id].name
            steps.append(Step(audit.created_at, label, unit))
        names = (row.citizen_name,)
        reply = public_text(row.result, 2000, names=names) if status in rules.REPLY_VISIBLE else None
        state = orders_repo.state_of(row)
        given = [
            GivenRating(Satisfaction(r.satisfaction), r.words, r.rated_at)
            for r in repo.ratings(session, row.id)
        ]
        rated_now = repo.rating(session, row.id, state.reopen_count) is not None
        master_number = repo.number_of(session, row.master_id) if status is OrderStatus.MERGED else None
        master_status = None
        if master_number is not None:
            master = repo.order_by_number(session, master_number)
            master_status = rules.public_status(OrderStatus(master.status)) if master is not None else None
        unit_id = row.responsible_unit_id or row.current_unit_id
        category = None
        if row.category_code:
            try:
                category = load_taxonomy(session).get(row.category_code).name
            except NotFound:
                category = None
        return Progress(
            number=row.number,
            status=status,
            status_label=rules.public_status(status),
            registered_at=row.registered_at,
            category=category,
            title=public_text(row.title, 200, names=names),
            content=public_text(row.content, 4000, names=names),
            address=row.address,
            citizen_name=mask_name(row.citizen_name),
            citizen_phone=mask_phone(row.citizen_phone),
            unit=org.units[unit_id].name if unit_id in org.units else None,
            reply=reply,
            replied_at=row.replied_at if reply else None,
            merged_into=master_number,
            merged_status=master_status,
            steps=steps,
            ratings=given,
            may_rate=may_rate_by_phone(actor, claim) and not rated_now,
            rated_this_reply=rated_now,
        )

    # -- rate --------------------------------------------------------------------------------

    def rate(
        self,
        actor: Actor,
        number: str,
        digits: str,
        satisfaction: Satisfaction,
        words: str = "",
        *,
        client: str,
    ) -> Rated:
        """The citizen's rating of the order's reply, recorded as its callback (see the module)."""
        require(may_use_portal, actor)
        number = (number or "").strip().upper()
        if satisfaction not in rules.RATINGS:
            raise ValidationFailed("请选择满意、基本满意或不满意", field="satisfaction")
        words = normalize_text(words or "")
        if len(words) > rules.MAX_WORDS:
            raise ValidationFailed(f"评价内容不能超过 {rules.MAX_WORDS} 字", field="words")
        self._count_tries(number, client)
        now = self.clock()
        with self.db.transaction() as session:
            row = repo.order_by_number(session, number, lock=True)
            claim = _claim(row, digits)
            if row is None or not may_follow_by_phone(actor, claim):
                raise NotFound(UNKNOWN_ORDER)
            state = orders_repo.state_of(row)
            if repo.rating(session, row.id, state.reopen_count) is not None:
                raise Conflict("您已评价过本次办理结果，每次答复只能评价一次")
            require(may_rate_by_phone, actor, claim)
            note = f"市民网上评价：{satisfaction.label}" + (f"。{words}" if words else "")
            after = self.orders.act_in(
                session, PORTAL_RATING, row, Callback(note=note, satisfaction=satisfaction), now
            )
            reopened = after.status is not OrderStatus.CLOSED
            repo.add_rating(
                session,
                PortalRatingRow(
                    order_id=row.id,
                    round=state.reopen_count,
                    satisfaction=satisfaction.value,
                    words=words,
                    reopened=reopened,
                    rated_at=now,
                ),
            )
            return Rated(row.number, satisfaction, after.status, reopened)

    # -- housekeeping --------------------------------------------------------------------------

    def prune(self, actor: Actor) -> int:
        """Forget the throttle windows long over (the worker's job); how many."""
        require(may_run_housekeeping, actor)
        with self.db.transaction() as session:
            return repo.prune_throttles(session, self.clock() - THROTTLES_KEPT)


def _claim(row: WorkOrderRow | None, digits: str) -> OrderClaim:
    """The citizen's claim to `row` (a missing order: a claim that proves nothing, checked the
    same way, so that both answers take the same path)."""
    if row is None:
        return OrderClaim(None, digits or "", OrderStatus.CLOSED)
    return OrderClaim(row.citizen_phone, digits or "", OrderStatus(row.status))


def rules_address(client: str) -> str:
    """The client address as the throttles count it (an IPv6 client by its /64)."""
    return address_key(client)


def build(services: Services) -> PortalService:
    """The capability's service over the process's services (`Capability.services`)."""
    return PortalService(
        services.db,
        services.orders,
        services.intake,
        services.attachments,
        services.taxonomy,
        services.reference,
        clock=services.clock,
    )


__all__ = [
    "PORTAL_RATING",
    "UNKNOWN_ORDER",
    "WEB_INTAKE",
    "CategoryGroup",
    "Photo",
    "PortalService",
    "Progress",
    "Rated",
    "Receipt",
    "Report",
    "Step",
    "build",
]
