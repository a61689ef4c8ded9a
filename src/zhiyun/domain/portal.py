"""The citizens' portal (市民门户): what a citizen may send, how they show that an order is
theirs, which steps of an order they see, and the throttles that keep the door open to all.

No login: a citizen shows that an order is theirs by its number and the last four digits of
the phone it was filed with (`OrderClaim`). A wrong pair and a missing order get the same
answer, so that numbers cannot be probed; the tries are counted (`TRACK_PER_ADDRESS`,
`TRACK_PER_ORDER`).

Throttles are fixed windows per key: at most `limit` hits in `span` from the window's first
hit; the next hit after the window starts a new one. Reports are counted per phone, per
address (the place reported) and per client address; only reports that were registered
count (a refused form counts nothing). Look-ups and ratings are counted per client address
and per order number, right or wrong.

Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import Action, OrderStatus, Satisfaction

# -- what a report may carry -----------------------------------------------------------------

MIN_CONTENT = 5
MAX_CONTENT = 2000
MAX_ADDRESS = 200
MAX_NAME = 30
MAX_WORDS = 500  # a rating's words
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS_BYTES = 15 * 1024 * 1024  # all photos of one report together
# What a photo may be, judged by its bytes (the attachments' sniffing), never by what the
# phone claims. HEIC/AVIF are left to the attachments' site setting: phones' browsers send JPEG.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
TITLE_CHARS = 30

# The ratings a citizen gives (满意 / 基本满意 / 不满意); 联系不上 is the callback's, not theirs.
RATINGS: tuple[Satisfaction, ...] = (
    Satisfaction.SATISFIED,
    Satisfaction.BASICALLY_SATISFIED,
    Satisfaction.UNSATISFIED,
)


def rating_of(value: str | None) -> Satisfaction:
    """The rating a form names (its value, e.g. `satisfied`); ValidationFailed otherwise."""
    for rating in RATINGS:
        if value == rating.value:
            return rating
    raise ValidationFailed("请选择满意、基本满意或不满意", field="satisfaction")


def title_of(content: str) -> str:
    """The order's title from the citizen's words: their first line, at most TITLE_CHARS characters."""
    first = next((line.strip() for line in content.splitlines() if line.strip()), "")
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


# -- showing that an order is one's own ------------------------------------------------------

_TAIL = re.compile(r"^[0-9]{4}$")


def phone_tail(value: str | None) -> str | None:
    """Four digits as typed (full-width digits and spaces allowed), or None when they are not."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).replace(" ", "")
    return text if _TAIL.match(text) else None


@dataclass(frozen=True)
class OrderClaim:
    """A citizen's claim to one order: the phone it was filed with (None: none stored), the
    four digits they typed, and the order's status now."""

    order_phone: str | None
    digits: str
    status: OrderStatus

    def proven(self) -> bool:
        """Whether the digits are the last four of the order's phone (compared in constant time;
        an order without a phone is nobody's to follow here)."""
        typed = phone_tail(self.digits) or "----"
        stored = (self.order_phone or "")[-4:]
        same = hmac.compare_digest(typed.encode(), (stored if len(stored) == 4 else "xxxx").encode())
        return same and len(stored) == 4


# -- which steps of an order the public sees ---------------------------------------------------

# The steps of the audit trail a citizen sees, in their words. Returns, requests and their
# decisions, reviews, urges, supervision, instructions, files and the machine's events stay
# inside; notes are never shown (the reply is, once it has been approved).
PUBLIC_STEPS: dict[Action, str] = {
    Action.REGISTER: "已受理",
    Action.RESOLVE_ON_INTAKE: "已答复",
    Action.DISPATCH: "已转交承办单位",
    Action.REDISPATCH: "已转交承办单位",
    Action.SIGN: "承办单位已接收，正在办理",
    Action.RESUME: "恢复办理",
    Action.CALLBACK: "已回访",
    Action.CLOSE: "已办结归档",
    Action.CANCEL: "已撤销",
    Action.MERGE: "已与同一问题的诉求合并办理",
}
# Approved reviews are shown as the reply (the handler's reply is not final before).
REPLY_SHOWN = "已答复，请您评价"
# The statuses whose reply (result) the public may read: reviewed, or answered on intake.
REPLY_VISIBLE = frozenset({OrderStatus.AWAITING_CALLBACK, OrderStatus.CLOSED})


def public_step(action: str, to_status: str, details: dict[str, object] | None) -> str | None:
    """How one audit row reads on the portal, or None when it stays inside."""
    if action == Action.REVIEW.value:
        return REPLY_SHOWN if to_status == OrderStatus.AWAITING_CALLBACK.value else None
    if action == Action.DECIDE_SUSPENSION.value:
        return "暂停办理（挂起）" if to_status == OrderStatus.SUSPENDED.value else None
    if action == Action.CALLBACK.value and details and details.get("reopened"):
        return "市民不满意，已重新办理"
    try:
        return PUBLIC_STEPS.get(Action(action))
    except ValueError:
        return None


def public_status(status: OrderStatus) -> str:
    """The status in a citizen's words."""
    return {
        OrderStatus.PENDING_DISPATCH: "已受理，等待分派",
        OrderStatus.DISPATCHED: "已转交承办单位",
        OrderStatus.IN_PROGRESS: "办理中",
        OrderStatus.SUSPENDED: "暂停办理",
        OrderStatus.REPLIED: "办理完毕，审核中",
        OrderStatus.AWAITING_CALLBACK: "已答复，待评价",
        OrderStatus.CLOSED: "已办结",
        OrderStatus.CANCELLED: "已撤销",
        OrderStatus.MERGED: "已合并办理",
    }[status]


# -- throttles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """At most `limit` hits in `span` from a window's first hit."""

    limit: int
    span: timedelta
    what: str  # what is counted, for the citizen: 「同一手机号」

    def __post_init__(self) -> None:
        if self.limit < 1 or self.span <= timedelta(0):
            raise ValueError("a window needs a positive limit and span")


REPORT_PER_PHONE = Window(5, timedelta(days=1), "同一手机号每天最多反映 5 件问题")
REPORT_PER_PLACE = Window(10, timedelta(days=1), "同一地点每天最多受理 10 件网上反映")
REPORT_PER_ADDRESS = Window(30, timedelta(hours=1), "同一网络每小时最多提交 30 件反映")
TRACK_PER_ADDRESS = Window(30, timedelta(minutes=10), "同一网络 10 分钟内最多查询 30 次")
TRACK_PER_ORDER = Window(10, timedelta(hours=1), "同一工单每小时最多查询 10 次")


@dataclass(frozen=True)
class Hits:
    """A key's current window: when it began and how many hits it has had."""

    started_at: datetime
    count: int


def after_hit(window: Window, current: Hits | None, now: datetime) -> Hits:
    """The key's window after one more hit at `now` (a window past its span starts again)."""
    if current is None or now >= current.started_at + window.span:
        return Hits(now, 1)
    return Hits(current.started_at, current.count + 1)


def over(window: Window, hits: Hits) -> bool:
    """Whether the hit that made `hits` went past the window's limit."""
    return hits.count > window.limit


def retry_after(window: Window, hits: Hits, now: datetime) -> int:
    """Seconds until the window ends (at least one)."""
    return max(1, int((hits.started_at + window.span - now).total_seconds()) + 1)


def throttle_key(kind: str, value: str) -> str:
    """A throttle's key: the kind and a digest of the value (phones and places are not kept
    in the clear; a key is at most 80 characters)."""
    digest = hashlib.sha256(f"zhiyun-portal:{kind}:{value}".encode()).hexdigest()[:48]
    return f"{kind}:{digest}"


def place_of(address: str | None, latitude: float | None, longitude: float | None) -> str | None:
    """What counts as one place: the address without spaces and punctuation, else the point
    rounded to about 100 m."""
    if address:
        folded = re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", address)).lower()
        if folded:
            return folded
    if latitude is not None and longitude is not None:
        return f"{latitude:.3f},{longitude:.3f}"
    return None


__all__ = [
    "MAX_ADDRESS",
    "MAX_CONTENT",
    "MAX_NAME",
    "MAX_PHOTOS",
    "MAX_PHOTOS_BYTES",
    "MAX_PHOTO_BYTES",
    "MAX_WORDS",
    "MIN_CONTENT",
    "PHOTO_TYPES",
    "PUBLIC_STEPS",
    "RATINGS",
    "REPLY_VISIBLE",
    "REPORT_PER_ADDRESS",
    "REPORT_PER_PHONE",
    "REPORT_PER_PLACE",
    "TRACK_PER_ADDRESS",
    "TRACK_PER_ORDER",
    "Hits",
    "OrderClaim",
    "Window",
    "after_hit",
    "over",
    "phone_tail",
    "place_of",
    "public_status",
    "public_step",
    "rating_of",
    "retry_after",
    "throttle_key",
    "title_of",
]
