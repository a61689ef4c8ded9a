"""What a list of orders asks for: one query type for the API, the console, the CLI and storage.

`OrderQuery` is the whole description of a list — a queue of the workbench, the filters, the
words searched and the sort — and `OrderQuery.validated()` is where it is checked, with the
messages both faces show. `orders.worklists.WorklistService` turns it into the one statement
every list runs (scoped to the reader), whoever asks: GET /api/v1/orders, the workbench, the
exports, the map, the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.principals import Role
from zhiyun.domain.workorder import OPEN_STATUSES, OrderStatus, OrderType, Urgency

MAX_TEXT = 200  # characters of searched words (the API's `q` allows as many)
OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
EVERYONE = frozenset(Role)
DEADLINE_ALERTS = ("warning", "overdue")


@dataclass(frozen=True)
class QueueSpec:
    """One queue of the workbench: who has it, and what it holds for them."""

    key: str
    label: str
    roles: frozenset[Role]
    statuses: tuple[str, ...] = ()
    at_own_unit: bool = False  # only what waits at the user's own unit (dispatchers, handlers)
    below_own_unit: bool = False  # only what sits at a unit below the user's (a center reviewing)
    deadline_alert: str | None = None
    supervised: bool | None = None
    has_instruction: bool | None = None
    possible_duplicate: bool = False


_CENTERS = frozenset({Role.DISPATCHER, Role.AGENT, Role.ADMIN})  # agents: the calls they parked (暂存)
_HOLDERS = frozenset({Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER, Role.ADMIN})
_OVERSEERS = frozenset({Role.DISPATCHER, Role.LEADER, Role.INSPECTOR, Role.ADMIN, Role.HANDLER})

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("to_dispatch", "待分拨", _CENTERS, (OrderStatus.PENDING_DISPATCH.value,), at_own_unit=True),
    QueueSpec("to_sign", "待签收", _HOLDERS, (OrderStatus.DISPATCHED.value,), at_own_unit=True),
    QueueSpec("in_progress", "办理中", EVERYONE, (OrderStatus.IN_PROGRESS.value,)),
    QueueSpec("warning", "即将超时", EVERYONE, deadline_alert="warning"),
    QueueSpec("overdue", "已超时", EVERYONE, deadline_alert="overdue"),
    QueueSpec(
        "to_review",
        "待审核",
        frozenset({Role.DISPATCHER, Role.ADMIN, Role.LEADER, Role.INSPECTOR}),
        (OrderStatus.REPLIED.value,),
        below_own_unit=True,
    ),
    QueueSpec(
        "to_callback",
        "待回访",
        frozenset({Role.DISPATCHER, Role.INSPECTOR, Role.ADMIN, Role.LEADER}),
        (OrderStatus.AWAITING_CALLBACK.value,),
    ),
    QueueSpec("supervised", "督办件", _OVERSEERS, OPEN, supervised=True),
    QueueSpec("instructed", "批示件", _OVERSEERS, OPEN, has_instruction=True),
    QueueSpec(
        "duplicates",
        "疑似重复",
        frozenset({Role.DISPATCHER, Role.INSPECTOR, Role.ADMIN}),
        OPEN,
        possible_duplicate=True,
    ),
    QueueSpec("all", "全部工单", EVERYONE),
)
QUEUE_BY_KEY = {q.key: q for q in QUEUES}

# sort key → label; each sorts on its own column, the order's id breaking ties
SORT_LABELS: dict[str, str] = {
    "newest": "最新受理",
    "oldest": "最早受理",
    "deadline": "办理期限最近",
    "updated": "最近更新",
}

_STATUSES = frozenset(s.value for s in OrderStatus)
_TYPES = frozenset(t.value for t in OrderType)
_URGENCIES = frozenset(u.value for u in Urgency)


@dataclass(frozen=True)
class OrderQuery:
    """A list of orders: a queue, what it is narrowed to, the words searched, the sort.

    Every filter is optional, and filters combine with AND, with the queue's own conditions
    too (a status outside the queue's statuses matches nothing).

    - `statuses`: any of these; `channel`, `order_type`, `urgency`: equal to;
      `category_code`: the category or any below it (a code prefix);
    - `unit_id`: the order has been at the unit (it is on its route, as the reader's own
      scope is judged); `current_unit_id`: the order is at the unit now;
    - `supervised`, `has_instruction`: flagged or not; `deadline_alert`: a live sign-for or
      reply deadline is at "warning" or "overdue" now;
    - `registered_from` (inclusive) and `registered_to` (exclusive): aware instants;
    - `text`: words of the title and content, in any order and apart, or an order's number;
    - `sort`: a key of SORT_LABELS.
    """

    queue: str = "all"
    statuses: tuple[str, ...] = ()
    channel: str | None = None
    order_type: str | None = None
    urgency: str | None = None
    category_code: str | None = None
    unit_id: int | None = None
    current_unit_id: int | None = None
    supervised: bool | None = None
    has_instruction: bool | None = None
    deadline_alert: str | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    text: str | None = None
    sort: str = "newest"

    def validated(self) -> OrderQuery:
        """The query with blank fields as None, or ValidationFailed naming every wrong field."""
        errors: dict[str, str] = {}
        if self.queue not in QUEUE_BY_KEY:
            errors["queue"] = "未知的队列"
        if self.sort not in SORT_LABELS:
            errors["sort"] = "未知的排序方式"
        if any(s not in _STATUSES for s in self.statuses):
            errors["status"] = "未知的状态"
        if self.order_type and self.order_type not in _TYPES:
            errors["order_type"] = "未知的工单类型"
        if self.urgency and self.urgency not in _URGENCIES:
            errors["urgency"] = "未知的紧急程度"
        if self.deadline_alert and self.deadline_alert not in DEADLINE_ALERTS:
            errors["deadline_alert"] = "未知的期限提醒"
        start, end = self.registered_from, self.registered_to
        for name, instant in (("registered_from", start), ("registered_to", end)):
            if instant is not None and instant.tzinfo is None:
                errors[name] = "受理时间须带时区"
        if start and end and start.tzinfo and end.tzinfo and end <= start:
            errors["registered_to"] = "结束日期不能早于开始日期"
        text = (self.text or "").strip() or None
        if text and len(text) > MAX_TEXT:
            errors["text"] = f"搜索内容不能超过{MAX_TEXT}字"
        if errors:
            raise ValidationFailed("；".join(errors.values()), fields=errors)
        return replace(
            self,
            statuses=tuple(dict.fromkeys(self.statuses)),
            channel=self.channel or None,
            order_type=self.order_type or None,
            urgency=self.urgency or None,
            category_code=self.category_code or None,
            deadline_alert=self.deadline_alert or None,
            text=text,
        )
