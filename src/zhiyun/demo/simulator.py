"""Live activity for the demo: new orders arrive and open orders move along their life cycle.

A background thread, at a configurable rate, either registers a new order (a realistic
Chinese request from a random channel, town and village) or takes one open order one step
further as the demo user who would: the town dispatcher dispatches it on, the village
handler signs for it and replies, the dispatching center reviews, the inspector calls the
citizen back. Everything goes through the real services, so every step is audited and
obeys the rules; a conflict (409) or any other refusal is logged and the simulator goes on.
It never raises into the demo: one failed step is one log line.

Deterministic for a given seed and database state (useful in tests through `step()`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from zhiyun.bootstrap import Services
from zhiyun.demo import topics as tp
from zhiyun.demo.district import DemoDirectory
from zhiyun.demo.orders import Draft, draft_order
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError
from zhiyun.domain.org import UnitKind
from zhiyun.domain.workorder import (
    OPEN_STATUSES,
    Callback,
    Cancel,
    CancelReason,
    Command,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Instruct,
    OrderStatus,
    Reply,
    RequestExtension,
    RequestSuspension,
    Resume,
    Return,
    Review,
    Satisfaction,
    Sign,
    Supervise,
)
from zhiyun.store.orders import OrderFilter
from zhiyun.workflow.views import OrderDetail

log = logging.getLogger(__name__)

GENERIC_REPLY = "已安排工作人员到现场核查处理，问题已解决，并已电话告知诉求人处理结果。"
_RATINGS = (
    Satisfaction.SATISFIED,
    Satisfaction.BASICALLY_SATISFIED,
    Satisfaction.UNSATISFIED,
    Satisfaction.UNREACHABLE,
)
_RATING_WEIGHTS = (70, 18, 8, 4)


class TrafficSimulator:
    """Registers a few orders a minute and moves open orders along, as the demo's users."""

    def __init__(
        self,
        services: Services,
        *,
        rate_per_minute: float = 3.0,
        moves_per_order: int = 8,
        seed: int | None = None,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        self.services = services
        self.rate_per_minute = rate_per_minute
        self.moves_per_order = moves_per_order
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.drafts: dict[int, Draft] = {}
        self._directory: DemoDirectory | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the thread ---------------------------------------------------------------

    @property
    def interval(self) -> float:
        """Seconds between two steps: `rate_per_minute` registrations plus their moves per minute."""
        return 60.0 / (self.rate_per_minute * (1 + self.moves_per_order))

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="zhiyun-traffic", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        log.info(
            "traffic simulator started: %.1f new orders/min, a step every %.1f s",
            self.rate_per_minute,
            self.interval,
        )
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:  # never let the demo die of a simulated citizen
                self.counts["errors"] += 1
                log.exception("traffic simulator: a step failed; continuing")
        log.info("traffic simulator stopped: %s", dict(self.counts))

    # -- one step ---------------------------------------------------------------

    @property
    def directory(self) -> DemoDirectory:
        if self._directory is None:
            self._directory = DemoDirectory.load(self.services)
        return self._directory

    def step(self) -> str:
        """Register an order or move one; returns what happened (for logs and tests)."""
        if self.rng.random() < 1 / (1 + self.moves_per_order):
            return self.register_one()
        return self.advance_one()

    def register_one(self) -> str:
        draft = draft_order(self.rng, self.directory)
        try:
            registered = self.services.orders.register(draft.registrar, draft.new)
        except DomainError as exc:
            self.counts["refused"] += 1
            log.info("traffic simulator: registering was refused: %s", exc.message)
            return f"refused register: {exc.message}"
        order = registered.order.summary
        self.drafts[order.id] = draft
        self.counts["registered"] += 1
        log.info("traffic simulator: registered %s %s", order.number, order.title)
        return f"registered {order.number}"

    def advance_one(self) -> str:
        d = self.directory
        reader = d.leader
        page = self.services.orders.list(
            reader, OrderFilter(statuses=[s.value for s in OPEN_STATUSES]), limit=200
        )
        if not page.items:
            return self.register_one()
        own = [o for o in page.items if o.id in self.drafts]
        pool = own if own and self.rng.random() < 0.7 else page.items
        summary = self.rng.choice(pool)
        detail = self.services.orders.get(reader, summary.id)
        move = self.next_move(detail)
        if move is None:
            self.counts["idle"] += 1
            return f"idle {summary.number}"
        actor, command = move
        try:
            self.services.orders.act(actor, summary.id, command, expected_version=detail.summary.version)
        except DomainError as exc:  # 409 (someone was faster, or the rules said no): carry on
            self.counts["refused"] += 1
            log.info(
                "traffic simulator: %s on %s refused (%s): %s",
                command.action.value,
                summary.number,
                exc.code,
                exc.message,
            )
            return f"refused {command.action.value} {summary.number}: {exc.message}"
        self.counts[command.action.value] += 1
        log.info("traffic simulator: %s %s by %s", command.action.label, summary.number, actor.name)
        return f"{command.action.value} {summary.number}"

    # -- who does what next ---------------------------------------------------------

    def next_move(self, detail: OrderDetail) -> tuple[Actor, Command] | None:
        """The step a demo user would take next on this order, or None when nobody can."""
        d, rng = self.directory, self.rng
        status = OrderStatus(detail.summary.status)
        holder = detail.summary.current_unit.id if detail.summary.current_unit else None
        center = detail.dispatching_unit.id if detail.dispatching_unit else None
        if holder is None:
            return None
        if rng.random() < 0.02 and len(detail.chain) > 1:
            if rng.random() < 0.5:
                return d.leader, Supervise(note=rng.choice(tp.SUPERVISE_NOTES))
            return d.leader, Instruct(note=rng.choice(tp.INSTRUCT_NOTES))
        if status is OrderStatus.PENDING_DISPATCH:
            actor = d.dispatcher_at(holder)
            if actor is None:
                return None
            if len(detail.chain) == 1 and rng.random() < 0.04:
                return actor, Cancel(reason=CancelReason.INVALID, note=tp.CANCEL_NOTES["invalid"])
            target = self._next_unit(detail.summary.id, holder)
            return (actor, Dispatch(target_unit_id=target)) if target is not None else None
        if status is OrderStatus.DISPATCHED:
            actor = d.holder_at(holder)
            if actor is None:
                return None
            if len(detail.chain) > 1 and rng.random() < 0.05:
                return actor, Return(note=rng.choice(tp.RETURN_REASONS))
            return actor, Sign()
        if status is OrderStatus.IN_PROGRESS:
            return self._work(detail, holder, center)
        if status is OrderStatus.SUSPENDED:
            actor = d.holder_at(holder)
            return (actor, Resume(note="挂起事由已消除，恢复办理。")) if actor else None
        if status is OrderStatus.REPLIED:
            actor = d.dispatcher_at(center) if center is not None else None
            if actor is None:
                return None
            if rng.random() < 0.08:
                return actor, Review(approve=False, note=rng.choice(tp.REWORK_NOTES))
            return actor, Review(approve=True)
        if status is OrderStatus.AWAITING_CALLBACK:
            rating = rng.choices(_RATINGS, weights=_RATING_WEIGHTS)[0]
            return d.inspector, Callback(satisfaction=rating, note=tp.CALLBACK_NOTES[rating.value])
        return None

    def _work(self, detail: OrderDetail, holder: int, center: int | None) -> tuple[Actor, Command] | None:
        d, rng = self.directory, self.rng
        pending = detail.pending
        if pending:
            actor = d.dispatcher_at(center) if center is not None else None
            if actor is None:
                return None
            approve = rng.random() < 0.85
            if pending.get("kind") == "extension":
                return actor, DecideExtension(
                    approve=approve, note="同意。" if approve else tp.REFUSE_EXTENSION
                )
            return actor, DecideSuspension(approve=approve, note="同意。" if approve else "请继续办理。")
        dispatcher = d.dispatcher_at(holder)
        if dispatcher is not None and d.org.is_center(holder):
            target = self._next_unit(detail.summary.id, holder)
            if target is not None and rng.random() < 0.85:
                return dispatcher, Dispatch(target_unit_id=target)
        actor = d.holder_at(holder)
        if actor is None:
            return None
        roll = rng.random()
        deadline = detail.summary.reply_deadline
        if roll < 0.05 and deadline is not None and detail.counters.get("extensions", 0) < 2:
            new_due = max(deadline.due_at, datetime.now(UTC)) + timedelta(days=7)
            return actor, RequestExtension(note=rng.choice(tp.EXTENSION_REASONS), new_due_at=new_due)
        if roll < 0.07:
            return actor, RequestSuspension(note=rng.choice(tp.SUSPENSION_REASONS))
        draft = self.drafts.get(detail.summary.id)
        text = tp.fill(draft.variant.reply, draft.values) if draft else GENERIC_REPLY
        return actor, Reply(note=text)

    def _next_unit(self, order_id: int, holder: int) -> int | None:
        """Where a center sends the order on: along the draft's route, else a plausible child."""
        d = self.directory
        draft = self.drafts.get(order_id)
        if draft is not None and holder in draft.path[:-1]:
            return draft.path[draft.path.index(holder) + 1]
        unit = d.org.get(holder)
        if unit.kind is UnitKind.DISTRICT:
            towns = d.children(holder, UnitKind.TOWN)
            departments = d.children(holder, UnitKind.DEPARTMENT)
            pool = towns if towns and (not departments or self.rng.random() < 0.6) else departments
        else:
            pool = d.children(holder)
        pool = [u for u in pool if d.holder_at(u.id) is not None]
        return self.rng.choice(pool).id if pool else None
